// Conv2d layer: shapes, PyTorch parameter layout, initialization, gradients
// and the errors a config typo produces.
#include <catch2/catch.hpp>

#include <cmath>

#include "tests/layers/layer_test_util.h"

using namespace gaze;
using namespace gaze::testing;
using nlohmann::json;

TEST_CASE("conv layer builds PyTorch-layout parameters and infers its output shape", "[layers][conv]") {
  Rng rng(1);
  auto conv = make_layer("conv", "conv1", {{"filters", 4}, {"kernel", 3}, {"padding", 1}});
  REQUIRE(conv->type() == "conv");
  REQUIRE(conv->name() == "conv1");
  REQUIRE(conv->build({{3, 5, 6}}, rng) == Shape{4, 5, 6});
  REQUIRE(parameter_names(*conv) == std::vector<std::string>{"weight", "bias"});
  REQUIRE(conv->tensor("weight").shape() == Shape{4, 3, 3, 3});
  REQUIRE(conv->tensor("bias").shape() == Shape{4});
  REQUIRE(buffer_names(*conv).empty());
  // He-normal weights (std sqrt(2/27) ~ 0.27), zero bias.
  const std::vector<float> w = conv->tensor("weight").to_vector();
  double sum_sq = 0;
  for (float v : w) sum_sq += static_cast<double>(v) * v;
  REQUIRE(std::sqrt(sum_sq / static_cast<double>(w.size())) == Approx(std::sqrt(2.0 / 27)).epsilon(0.25));
  REQUIRE(conv->tensor("bias").to_vector() == std::vector<float>(4, 0.0f));

  const Tensor y = conv->forward({Tensor::zeros({2, 3, 5, 6})}, {});
  REQUIRE(y.shape() == Shape{2, 4, 5, 6});
}

TEST_CASE("conv layer geometry keys", "[layers][conv]") {
  SECTION("stride 2, no padding, no bias") {
    Rng rng(0);
    auto conv = make_layer("conv", "c", {{"filters", 2}, {"kernel", 3}, {"stride", 2}, {"bias", false}});
    REQUIRE(conv->build({{1, 7, 8}}, rng) == Shape{2, 3, 3});
    REQUIRE(parameter_names(*conv) == std::vector<std::string>{"weight"});
    REQUIRE(conv->hyperparameters() ==
            json{{"filters", 2}, {"kernel", {3, 3}}, {"stride", {2, 2}}, {"padding", {0, 0}}, {"bias", false},
                 {"groups", 1}});
  }
  SECTION("non-square kernel and \"same\" padding") {
    REQUIRE(make_and_build("conv", "c", {{"filters", 2}, {"kernel", {3, 5}}, {"padding", "same"}}, {{1, 7, 8}}) ==
            Shape{2, 7, 8});
    auto conv = make_layer("conv", "c", {{"filters", 2}, {"kernel", {3, 5}}, {"padding", "same"}});
    REQUIRE(conv->hyperparameters()["padding"] == json{1, 2});
  }
  SECTION("per-axis stride and padding") {
    REQUIRE(make_and_build("conv", "c", {{"filters", 1}, {"kernel", {2, 3}}, {"stride", {1, 2}}, {"padding", {1, 0}}},
                           {{1, 5, 7}}) == Shape{1, 6, 3});
  }
}

TEST_CASE("conv layer groups: weight [out, in / groups, kh, kw], He-normal over the group's fan-in", "[layers][conv]") {
  Rng rng(3);
  SECTION("grouped") {
    auto conv = make_layer("conv", "c", {{"filters", 6}, {"kernel", 3}, {"groups", 2}, {"bias", false}});
    REQUIRE(conv->build({{4, 5, 5}}, rng) == Shape{6, 3, 3});
    REQUIRE(conv->tensor("weight").shape() == Shape{6, 2, 3, 3});
    REQUIRE(conv->hyperparameters()["groups"] == 2);
    REQUIRE(conv->forward_macs({6, 3, 3}) == 2.0 * 9 * 6 * 3 * 3);
  }
  SECTION("depthwise with multiplier 2") {
    auto conv = make_layer("conv", "dw", {{"filters", 64}, {"kernel", 3}, {"padding", 1}, {"groups", 32}});
    REQUIRE(conv->build({{32, 8, 8}}, rng) == Shape{64, 8, 8});
    REQUIRE(conv->tensor("weight").shape() == Shape{64, 1, 3, 3});
    const std::vector<float> w = conv->tensor("weight").to_vector();
    double sum_sq = 0;
    for (float v : w) sum_sq += static_cast<double>(v) * v;
    REQUIRE(std::sqrt(sum_sq / static_cast<double>(w.size())) == Approx(std::sqrt(2.0 / 9)).epsilon(0.2));
    randomize(conv->tensor("bias"), rng);
    const Tensor x = Tensor::randn({2, 32, 8, 8}, rng);
    const Tensor expected = ops::conv2d(x, conv->tensor("weight"), conv->tensor("bias"), {1, 1, 1, 1, 32});
    check_close(conv->forward({x}, {}).to_vector(), expected.to_vector(), 0);
  }
  SECTION("gradients") {
    auto conv = make_layer("conv", "c", {{"filters", 4}, {"kernel", 3}, {"stride", 2}, {"groups", 2}});
    conv->build({{2, 5, 5}}, rng);
    randomize(conv->tensor("bias"), rng);
    check_layer_gradients(*conv, {Tensor::randn({2, 2, 5, 5}, rng)});
  }
  SECTION("groups must divide filters and input channels") {
    REQUIRE_THROWS_WITH(make_and_build("conv", "c", {{"filters", 6}, {"groups", 4}}, {{4, 5, 5}}),
                        Catch::Contains("layer 'c'") && Catch::Contains("groups") && Catch::Contains("divide filters"));
    REQUIRE_THROWS_WITH(make_and_build("conv", "c", {{"filters", 6}, {"groups", 3}}, {{4, 5, 5}}),
                        Catch::Contains("layer 'c'") && Catch::Contains("must divide the input channels"));
    REQUIRE_THROWS_WITH(make_and_build("conv", "c", {{"filters", 6}, {"groups", 0}}, {{4, 5, 5}}),
                        Catch::Contains("groups"));
  }
}

TEST_CASE("conv layer forward equals the conv2d op with its own parameters", "[layers][conv]") {
  Rng rng(2);
  auto conv = make_layer("conv", "conv1", {{"filters", 3}, {"kernel", 3}, {"stride", 2}, {"padding", 1}});
  conv->build({{2, 5, 5}}, rng);
  randomize(conv->tensor("bias"), rng);
  const Tensor x = Tensor::randn({2, 2, 5, 5}, rng);
  const Tensor expected = ops::conv2d(x, conv->tensor("weight"), conv->tensor("bias"), {2, 2, 1, 1});
  REQUIRE(conv->forward({x}, {}).to_vector() == expected.to_vector());
}

TEST_CASE("conv layer gradients with respect to input, weight and bias", "[layers][conv][gradcheck]") {
  Rng rng(3);
  SECTION("3x3, stride 2, padding 1, bias") {
    auto conv = make_layer("conv", "conv1", {{"filters", 3}, {"kernel", 3}, {"stride", 2}, {"padding", 1}});
    conv->build({{2, 5, 5}}, rng);
    randomize(conv->tensor("bias"), rng);
    check_layer_gradients(*conv, {Tensor::randn({2, 2, 5, 5}, rng)});
  }
  SECTION("1x1 without bias") {
    auto conv = make_layer("conv", "conv1", {{"filters", 4}, {"kernel", 1}, {"bias", false}});
    conv->build({{3, 3, 4}}, rng);
    check_layer_gradients(*conv, {Tensor::randn({2, 3, 3, 4}, rng)});
  }
}

TEST_CASE("conv layer rejects bad parameters, naming the layer", "[layers][conv][errors]") {
  const std::vector<Shape> in = {{3, 5, 5}};
  REQUIRE_THROWS_AS(make_and_build("conv", "conv1", {{"filters", -4}}, in), Error);
  REQUIRE_THROWS_WITH(make_and_build("conv", "conv1", {{"filters", -4}}, in),
                      Catch::Contains("conv1") && Catch::Contains("filters"));
  REQUIRE_THROWS_WITH(make_and_build("conv", "conv1", {{"filters", 0}}, in), Catch::Contains("conv1"));
  REQUIRE_THROWS_WITH(make_and_build("conv", "conv1", {}, in),
                      Catch::Contains("conv1") && Catch::Contains("filters"));
  REQUIRE_THROWS_WITH(make_and_build("conv", "conv1", {{"filters", 4}, {"kernal", 3}}, in),
                      Catch::Contains("conv1") && Catch::Contains("kernal") && Catch::Contains("kernel"));
  REQUIRE_THROWS_WITH(make_and_build("conv", "conv1", {{"filters", "four"}}, in),
                      Catch::Contains("conv1") && Catch::Contains("integer"));
  REQUIRE_THROWS_WITH(make_and_build("conv", "conv1", {{"filters", 2.5}}, in), Catch::Contains("conv1"));
  REQUIRE_THROWS_WITH(make_and_build("conv", "conv1", {{"filters", 4}, {"bias", "yes"}}, in),
                      Catch::Contains("conv1") && Catch::Contains("bias"));
  REQUIRE_THROWS_WITH(make_and_build("conv", "conv1", {{"filters", 4}, {"kernel", 7}}, in),
                      Catch::Contains("conv1") && Catch::Contains("kernel"));
  REQUIRE_THROWS_WITH(make_and_build("conv", "conv1", {{"filters", 4}, {"kernel", 7}, {"stride", 3}}, in),
                      Catch::Contains("conv1") && Catch::Contains("kernel"));
  REQUIRE_THROWS_WITH(make_and_build("conv", "conv1", {{"filters", 4}, {"stride", 0}}, in), Catch::Contains("conv1"));
  REQUIRE_THROWS_WITH(make_and_build("conv", "conv1", {{"filters", 4}, {"padding", -1}}, in), Catch::Contains("conv1"));
  REQUIRE_THROWS_WITH(make_and_build("conv", "conv1", {{"filters", 4}, {"padding", "valid"}}, in),
                      Catch::Contains("conv1"));
  REQUIRE_THROWS_WITH(make_and_build("conv", "conv1", {{"filters", 4}, {"padding", "same"}, {"stride", 2}}, in),
                      Catch::Contains("conv1"));
  REQUIRE_THROWS_WITH(make_and_build("conv", "conv1", {{"filters", 4}, {"kernel", {3, 3, 3}}}, in),
                      Catch::Contains("conv1"));
  // A conv after a dense layer sees [features], not an image.
  REQUIRE_THROWS_WITH(make_and_build("conv", "conv1", {{"filters", 4}}, {{10}}), Catch::Contains("conv1"));
}
