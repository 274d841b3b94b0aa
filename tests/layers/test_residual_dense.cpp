// ResidualDense, the README's worked example of adding a layer: registry
// construction, PyTorch-layout parameters, y = x + x w^T + b, gradients,
// and errors that name the layer.
#include <catch2/catch.hpp>

#include "tests/layers/layer_test_util.h"

using namespace gaze;
using namespace gaze::testing;

TEST_CASE("residual_dense builds through the registry with PyTorch-layout parameters", "[layers][residual_dense]") {
  auto layer = make_layer("residual_dense", "mix");
  Rng rng(3);
  REQUIRE(layer->build({{5}}, rng) == Shape{5});
  REQUIRE(parameter_names(*layer) == std::vector<std::string>{"weight", "bias"});
  REQUIRE(layer->tensor("weight").shape() == Shape{5, 5});
  REQUIRE(layer->hyperparameters() == nlohmann::json({{"bias", true}}));
}

TEST_CASE("residual_dense computes x + x w^T + b", "[layers][residual_dense]") {
  auto layer = make_layer("residual_dense", "mix");
  Rng rng(3);
  layer->build({{2}}, rng);
  layer->tensor("weight").copy_from(Tensor::from_vector({2, 2}, {1, 2, 3, 4}));
  layer->tensor("bias").copy_from(Tensor::from_vector({2}, {0.5f, -1}));
  const Tensor y = layer->forward({Tensor::from_vector({1, 2}, {1, 1})}, {});
  // x w^T = [1+2, 3+4] = [3, 7]; + b = [3.5, 6]; + x = [4.5, 7]
  REQUIRE(y.to_vector() == std::vector<float>{4.5f, 7.0f});
}

TEST_CASE("residual_dense gradients match finite differences", "[layers][residual_dense][gradcheck]") {
  auto layer = make_layer("residual_dense", "mix");
  Rng rng(4);
  layer->build({{6}}, rng);
  check_layer_gradients(*layer, {Tensor::randn({3, 6}, rng)});
}

TEST_CASE("residual_dense errors name the layer", "[layers][residual_dense][errors]") {
  REQUIRE_THROWS_WITH(make_layer("residual_dense", "mix", {{"units", 4}}),
                      Catch::Contains("mix") && Catch::Contains("unknown key"));
  REQUIRE_THROWS_WITH(make_and_build("residual_dense", "mix", nlohmann::json::object(), {{3, 4, 4}}),
                      Catch::Contains("mix") && Catch::Contains("[features]"));
}
