// Model::keep_only_activations: training keeps only what it reads; outputs
// and gradients are unchanged (including where a batchnorm + ReLU pair runs
// fused because its middle is not kept), dropped activations give a clear
// error.
#include <catch2/catch.hpp>

#include "tests/layers/layer_test_util.h"

using namespace gaze;

namespace {
Model small_model() {
  return Model::from_json({{"input", {2, 6, 6}},
                           {"layers",
                            {{{"type", "conv"}, {"name", "conv1"}, {"filters", 3}, {"padding", 1}},
                             {{"type", "batchnorm"}, {"name", "bn1"}},
                             {{"type", "relu"}, {"name", "relu1"}},
                             {{"type", "gap"}, {"name", "gap"}},
                             {{"type", "dense"}, {"name", "fc"}, {"units", 2}},
                             {{"type", "softmax"}, {"name", "probs"}}}}},
                          5);
}
}  // namespace

TEST_CASE("keep_only_activations frees the rest without changing results", "[layers][model]") {
  Model all = small_model(), lean = small_model();
  lean.keep_only_activations({lean.logits_name(), "relu1"});
  Rng rng(8);
  const Tensor x = Tensor::randn({4, 2, 6, 6}, rng);
  const Tensor labels = Tensor::from_vector({4}, {0, 1, 1, 0});
  for (Model* m : {&all, &lean}) {
    m->forward(x, true);
    ops::cross_entropy(m->activation("fc"), labels).backward();
  }
  REQUIRE(lean.activation("probs").to_vector() == all.activation("probs").to_vector());
  REQUIRE(lean.layer("conv1").tensor("weight").grad().to_vector() ==
          all.layer("conv1").tensor("weight").grad().to_vector());
  REQUIRE(all.activation("bn1").defined());
  // Without bn1 to keep, the lean model ran bn1 and relu1 as one fused op.
  REQUIRE(lean.activation("relu1").grad_fn()->op == "batch_norm_relu");
  REQUIRE(all.activation("relu1").grad_fn()->op == "relu");
  REQUIRE_THROWS_WITH(lean.activation("bn1"), Catch::Contains("keep_only_activations"));
  REQUIRE_THROWS_WITH(lean.keep_only_activations({"nope"}), Catch::Contains("nope"));
}
