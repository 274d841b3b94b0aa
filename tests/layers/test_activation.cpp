// ReLU and LeakyReLU layers.
#include <catch2/catch.hpp>

#include "tests/layers/layer_test_util.h"

using namespace gaze;
using namespace gaze::testing;
using nlohmann::json;

TEST_CASE("relu layer keeps the shape, has no parameters and clips negatives", "[layers][activation]") {
  Rng rng(1);
  auto relu = make_layer("relu", "relu1");
  REQUIRE(relu->build({{2, 3, 3}}, rng) == Shape{2, 3, 3});
  REQUIRE(relu->parameters().empty());
  const Tensor x = Tensor::from_vector({1, 4}, {-1, 2, -3, 0.5f});
  REQUIRE(relu->forward({x}, {}).to_vector() == std::vector<float>{0, 2, 0, 0.5f});
}

TEST_CASE("leaky_relu layer uses PyTorch's default slope unless given one", "[layers][activation]") {
  Rng rng(1);
  const Tensor x = Tensor::from_vector({1, 3}, {-2, 3, -0.5f});
  auto default_slope = make_layer("leaky_relu", "lr1");
  default_slope->build({{3}}, rng);
  check_close(default_slope->forward({x}, {}).to_vector(), {-0.02f, 3, -0.005f}, 1e-7);
  REQUIRE(default_slope->hyperparameters()["slope"].get<double>() == Approx(0.01));
  auto custom = make_layer("leaky_relu", "lr2", {{"slope", 0.2}});
  custom->build({{3}}, rng);
  check_close(custom->forward({x}, {}).to_vector(), {-0.4f, 3, -0.1f}, 1e-7);
}

TEST_CASE("relu6 layer clips to [0, 6]", "[layers][activation]") {
  Rng rng(1);
  auto relu6 = make_layer("relu6", "r6");
  REQUIRE(relu6->type() == "relu6");
  REQUIRE(relu6->build({{2, 3}}, rng) == Shape{2, 3});
  REQUIRE(relu6->parameters().empty());
  REQUIRE_FALSE(relu6->traits().relu);  // not max(0, x): fusion and guided backprop must not treat it as one
  const Tensor y = relu6->forward({Tensor::from_vector({1, 2, 3}, {-1, 0.5f, 5.9f, 6.1f, 100, 3})}, {});
  REQUIRE(y.to_vector() == std::vector<float>{0, 0.5f, 5.9f, 6, 6, 3});
  REQUIRE_THROWS_WITH(make_and_build("relu6", "r6", {{"max", 5}}, {{3}}), Catch::Contains("r6") && Catch::Contains("max"));
}

TEST_CASE("activation layer gradients", "[layers][activation][gradcheck]") {
  Rng rng(2);
  const Tensor x = away_from_zero({2, 3, 2, 2}, rng);
  SECTION("relu") {
    auto relu = make_layer("relu", "relu1");
    relu->build({{3, 2, 2}}, rng);
    check_layer_gradients(*relu, {x});
  }
  SECTION("leaky_relu") {
    auto leaky = make_layer("leaky_relu", "lr1", {{"slope", 0.3}});
    leaky->build({{3, 2, 2}}, rng);
    check_layer_gradients(*leaky, {x});
  }
  SECTION("relu6 (inputs spread over both kinks, none within the step of 0 or 6)") {
    auto relu6 = make_layer("relu6", "r6");
    relu6->build({{3, 2, 2}}, rng);
    std::vector<float> values = x.to_vector();
    for (size_t i = 0; i < values.size(); ++i) values[i] = values[i] * 4 + (i % 2 ? 6.0f : 0.0f);
    check_layer_gradients(*relu6, {Tensor::from_vector(x.shape(), values)});
  }
}

TEST_CASE("activation layers reject bad parameters, naming the layer", "[layers][activation][errors]") {
  REQUIRE_THROWS_WITH(make_and_build("relu", "relu1", {{"slope", 0.1}}, {{3}}),
                      Catch::Contains("relu1") && Catch::Contains("slope"));
  REQUIRE_THROWS_WITH(make_and_build("leaky_relu", "lr1", {{"slope", "steep"}}, {{3}}),
                      Catch::Contains("lr1") && Catch::Contains("slope"));
  REQUIRE_THROWS_WITH(make_and_build("leaky_relu", "lr1", {{"negative_slope", 0.1}}, {{3}}),
                      Catch::Contains("lr1") && Catch::Contains("negative_slope"));
}
