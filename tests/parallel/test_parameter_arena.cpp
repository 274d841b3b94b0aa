// ParameterArena: parameters and gradients live in two flat tensors, backward
// accumulates into them (after the control values), and the optimizer updates them.
#include <catch2/catch.hpp>

#include "core/core.h"
#include "layers/model.h"
#include "train/optimizer.h"
#include "train/parameter_arena.h"

using namespace gaze;
using namespace gaze::train;

namespace {

Model small_model() {
  return Model::from_json(nlohmann::json::parse(R"({"input": [1, 6, 6], "layers": [
      {"type": "conv", "name": "conv1", "filters": 3, "kernel": 3, "padding": 1},
      {"type": "relu", "name": "relu1"},
      {"type": "gap", "name": "gap"},
      {"type": "dense", "name": "fc", "units": 2}]})"),
                          5);
}

// Runs forward and backward on a fixed batch; the gradients land in .grad().
void backward_on_fixed_batch(Model& model) {
  Rng rng(11);
  const Tensor images = Tensor::randn({4, 1, 6, 6}, rng);
  const Tensor labels = Tensor::from_vector({4}, {0, 1, 1, 0});
  ops::cross_entropy(model.forward(images, true), labels).backward();
}

}  // namespace

TEST_CASE("the arena holds every parameter and gradient as slices in model order", "[parallel][arena]") {
  Model model = small_model();
  std::vector<float> before;
  for (const auto& [name, tensor] : model.named_parameters()) {
    const auto values = tensor.to_vector();
    before.insert(before.end(), values.begin(), values.end());
  }
  ParameterArena arena(model);
  REQUIRE(arena.size() == model.parameter_count());
  CHECK(arena.gradient_arena().numel() == ParameterArena::kControlFloats + arena.size());
  CHECK(arena.control().to_vector() == std::vector<float>(ParameterArena::kControlFloats, 0.0f));
  CHECK(arena.parameters().to_vector() == before);
  for (const auto& [name, tensor] : model.named_parameters()) {
    CAPTURE(name);
    CHECK(tensor.shares_storage_with(arena.parameters()));
    CHECK(tensor.requires_grad());
    CHECK(tensor.grad().shares_storage_with(arena.gradients()));
  }
}

TEST_CASE("backward accumulates into the gradient arena, as into separate gradients", "[parallel][arena]") {
  Model reference = small_model();
  backward_on_fixed_batch(reference);
  std::vector<float> expected;
  for (const auto& [name, tensor] : reference.named_parameters()) {
    const auto values = tensor.grad().to_vector();
    expected.insert(expected.end(), values.begin(), values.end());
  }
  Model model = small_model();
  ParameterArena arena(model);
  for (int round = 0; round < 2; ++round) {  // zero_grad() really starts over
    arena.zero_grad();
    backward_on_fixed_batch(model);
    const std::vector<float> got = arena.gradients().to_vector();
    REQUIRE(got.size() == expected.size());
    for (size_t i = 0; i < got.size(); ++i) REQUIRE(got[i] == Approx(expected[i]).margin(1e-7));
  }
  for (const auto& [name, tensor] : model.named_parameters())
    CHECK(tensor.grad().shares_storage_with(arena.gradients()));
}

TEST_CASE("the optimizer updates the arena, and the checksum sees it", "[parallel][arena]") {
  Model model = small_model();
  ParameterArena arena(model);
  Model twin = small_model();
  ParameterArena twin_arena(twin);
  CHECK(arena.parameter_checksum() == twin_arena.parameter_checksum());
  OptimizerConfig sgd;
  Optimizer optimizer(sgd, model.named_parameters());
  const std::vector<float> before = arena.parameters().to_vector();
  backward_on_fixed_batch(model);
  optimizer.step(0.1f);
  CHECK(arena.parameters().to_vector() != before);
  CHECK(arena.parameter_checksum() != twin_arena.parameter_checksum());
}
