// Dense layer: weight [units, in] as PyTorch, initialization bounds,
// gradients, and the "dense after a conv" mistake.
#include <catch2/catch.hpp>

#include <cmath>

#include "tests/layers/layer_test_util.h"

using namespace gaze;
using namespace gaze::testing;
using nlohmann::json;

TEST_CASE("dense layer builds [units, in] weights initialized like nn.Linear", "[layers][dense]") {
  Rng rng(1);
  auto dense = make_layer("dense", "fc", {{"units", 3}});
  REQUIRE(dense->build({{16}}, rng) == Shape{3});
  REQUIRE(parameter_names(*dense) == std::vector<std::string>{"weight", "bias"});
  REQUIRE(dense->tensor("weight").shape() == Shape{3, 16});
  REQUIRE(dense->tensor("bias").shape() == Shape{3});
  float largest = 0;
  for (float v : dense->tensor("weight").to_vector()) largest = std::max(largest, std::abs(v));
  for (float v : dense->tensor("bias").to_vector()) largest = std::max(largest, std::abs(v));
  REQUIRE(largest <= 0.25f);  // 1/sqrt(16)
  REQUIRE(largest > 0.1f);    // and not all tiny
  REQUIRE(dense->hyperparameters() == json{{"units", 3}, {"bias", true}});

  auto no_bias = make_layer("dense", "fc2", {{"units", 2}, {"bias", false}});
  no_bias->build({{4}}, rng);
  REQUIRE(parameter_names(*no_bias) == std::vector<std::string>{"weight"});
}

TEST_CASE("dense layer forward equals x w^T + b", "[layers][dense]") {
  Rng rng(2);
  auto dense = make_layer("dense", "fc", {{"units", 2}});
  dense->build({{3}}, rng);
  dense->tensor("weight").copy_from(Tensor::from_vector({2, 3}, {1, 2, 3, -1, 0, 1}));
  dense->tensor("bias").copy_from(Tensor::from_vector({2}, {0.5f, -0.5f}));
  const Tensor y = dense->forward({Tensor::from_vector({2, 3}, {1, 1, 1, 2, 0, -1})}, {});
  REQUIRE(y.to_vector() == std::vector<float>{6.5f, -0.5f, -0.5f, -3.5f});
}

TEST_CASE("dense layer gradients", "[layers][dense][gradcheck]") {
  Rng rng(3);
  SECTION("with bias") {
    auto dense = make_layer("dense", "fc", {{"units", 3}});
    dense->build({{5}}, rng);
    check_layer_gradients(*dense, {Tensor::randn({4, 5}, rng)});
  }
  SECTION("without bias") {
    auto dense = make_layer("dense", "fc", {{"units", 2}, {"bias", false}});
    dense->build({{3}}, rng);
    check_layer_gradients(*dense, {Tensor::randn({2, 3}, rng)});
  }
}

TEST_CASE("dense layer rejects bad parameters, naming the layer", "[layers][dense][errors]") {
  REQUIRE_THROWS_WITH(make_and_build("dense", "fc1", {{"units", -2}}, {{4}}),
                      Catch::Contains("fc1") && Catch::Contains("units"));
  REQUIRE_THROWS_WITH(make_and_build("dense", "fc1", {{"units", "ten"}}, {{4}}),
                      Catch::Contains("fc1") && Catch::Contains("integer"));
  REQUIRE_THROWS_WITH(make_and_build("dense", "fc1", json::object(), {{4}}), Catch::Contains("fc1"));
  REQUIRE_THROWS_WITH(make_and_build("dense", "fc1", {{"units", 2}, {"outputs", 2}}, {{4}}),
                      Catch::Contains("fc1") && Catch::Contains("outputs"));
  // Directly after a conv: the input is still an image.
  REQUIRE_THROWS_WITH(make_and_build("dense", "fc1", {{"units", 2}}, {{8, 4, 4}}),
                      Catch::Contains("fc1") && Catch::Contains("gap") && Catch::Contains("flatten"));
}
