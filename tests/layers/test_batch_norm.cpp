// BatchNorm layer: parameters and buffers with PyTorch names, training vs
// evaluation, running statistics, gradients and parameter errors.
#include <catch2/catch.hpp>

#include <cmath>

#include "tests/layers/layer_test_util.h"

using namespace gaze;
using namespace gaze::testing;
using nlohmann::json;

TEST_CASE("batchnorm layer has weight, bias and running statistics", "[layers][batchnorm]") {
  Rng rng(1);
  auto bn = make_layer("batchnorm", "bn1");
  REQUIRE(bn->build({{3, 4, 4}}, rng) == Shape{3, 4, 4});
  REQUIRE(parameter_names(*bn) == std::vector<std::string>{"weight", "bias"});
  REQUIRE(buffer_names(*bn) == std::vector<std::string>{"running_mean", "running_var"});
  REQUIRE(bn->tensor("weight").to_vector() == std::vector<float>(3, 1.0f));
  REQUIRE(bn->tensor("bias").to_vector() == std::vector<float>(3, 0.0f));
  REQUIRE(bn->tensor("running_mean").to_vector() == std::vector<float>(3, 0.0f));
  REQUIRE(bn->tensor("running_var").to_vector() == std::vector<float>(3, 1.0f));
  REQUIRE_FALSE(bn->tensor("running_mean").requires_grad());
  REQUIRE(bn->hyperparameters()["momentum"].get<double>() == Approx(0.1));
  REQUIRE(bn->hyperparameters()["eps"].get<double>() == Approx(1e-5));
  // Works on features too.
  REQUIRE(make_and_build("batchnorm", "bn2", json::object(), {{7}}) == Shape{7});
}

TEST_CASE("batchnorm layer normalizes with batch statistics in training and running ones in eval",
          "[layers][batchnorm]") {
  Rng rng(2);
  auto bn = make_layer("batchnorm", "bn1", {{"momentum", 0.5}});
  bn->build({{2}}, rng);
  // Channel 0: 1, 3 (mean 2, biased var 1, unbiased 2); channel 1: 0, 4 (mean 2, var 4, unbiased 8).
  const Tensor x = Tensor::from_vector({2, 2}, {1, 0, 3, 4});
  const Tensor y = bn->forward({x}, {true, 0});
  check_close(y.to_vector(), {-1, -1, 1, 1}, 1e-4);
  check_close(bn->tensor("running_mean").to_vector(), {1.0f, 1.0f});
  check_close(bn->tensor("running_var").to_vector(), {0.5f + 1.0f, 0.5f + 4.0f});
  const Tensor z = bn->forward({x}, {false, 0});
  check_close(z.to_vector(), {0, static_cast<float>(-1 / std::sqrt(4.5 + 1e-5)), static_cast<float>(2 / std::sqrt(1.5 + 1e-5)),
                              static_cast<float>(3 / std::sqrt(4.5 + 1e-5))},
              1e-5);
  check_close(bn->tensor("running_mean").to_vector(), {1.0f, 1.0f});  // eval leaves them alone
}

TEST_CASE("batchnorm layer gradients", "[layers][batchnorm][gradcheck]") {
  Rng rng(3);
  auto bn = make_layer("batchnorm", "bn1");
  bn->build({{3, 2, 3}}, rng);
  randomize(bn->tensor("weight"), rng);
  randomize(bn->tensor("bias"), rng);
  SECTION("training") { check_layer_gradients(*bn, {Tensor::randn({3, 3, 2, 3}, rng)}, {true, 0}); }
  SECTION("eval") {
    bn->tensor("running_mean").copy_from(Tensor::from_vector({3}, {0.2f, -0.1f, 0.4f}));
    bn->tensor("running_var").copy_from(Tensor::from_vector({3}, {0.5f, 1.5f, 2.5f}));
    check_layer_gradients(*bn, {Tensor::randn({2, 3, 2, 3}, rng)}, {false, 0});
  }
}

TEST_CASE("batchnorm layer rejects bad parameters, naming the layer", "[layers][batchnorm][errors]") {
  const std::vector<Shape> in = {{3, 4, 4}};
  REQUIRE_THROWS_WITH(make_and_build("batchnorm", "bn1", {{"eps", -1}}, in), Catch::Contains("bn1") && Catch::Contains("eps"));
  REQUIRE_THROWS_WITH(make_and_build("batchnorm", "bn1", {{"momentum", 1.5}}, in),
                      Catch::Contains("bn1") && Catch::Contains("momentum"));
  REQUIRE_THROWS_WITH(make_and_build("batchnorm", "bn1", {{"momentum", "fast"}}, in), Catch::Contains("bn1"));
  REQUIRE_THROWS_WITH(make_and_build("batchnorm", "bn1", {{"affine", false}}, in),
                      Catch::Contains("bn1") && Catch::Contains("affine"));
  REQUIRE_THROWS_WITH(make_and_build("batchnorm", "bn1", json::object(), {{3, 4}}), Catch::Contains("bn1"));
}
