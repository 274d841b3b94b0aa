// Softmax layer.
#include <catch2/catch.hpp>

#include <cmath>

#include "tests/layers/layer_test_util.h"

using namespace gaze;
using namespace gaze::testing;
using nlohmann::json;

TEST_CASE("softmax layer gives rows of probabilities", "[layers][softmax]") {
  Rng rng(1);
  auto softmax = make_layer("softmax", "prob");
  REQUIRE(softmax->build({{4}}, rng) == Shape{4});
  REQUIRE(softmax->parameters().empty());
  const Tensor x = Tensor::from_vector({2, 4}, {1, 2, 3, 4, 0, 0, 0, std::log(5.0f)});
  const std::vector<float> p = softmax->forward({x}, {}).to_vector();
  double total = std::exp(1.0) + std::exp(2.0) + std::exp(3.0) + std::exp(4.0);
  check_close({p[0], p[3]}, {static_cast<float>(std::exp(1.0) / total), static_cast<float>(std::exp(4.0) / total)}, 1e-6);
  check_close({p[4], p[7]}, {1 / 8.f, 5 / 8.f}, 1e-6);
}

TEST_CASE("softmax layer gradient", "[layers][softmax][gradcheck]") {
  Rng rng(2);
  auto softmax = make_layer("softmax", "prob");
  softmax->build({{5}}, rng);
  check_layer_gradients(*softmax, {Tensor::randn({3, 5}, rng)});
}

TEST_CASE("softmax layer rejects bad parameters and inputs, naming the layer", "[layers][softmax][errors]") {
  REQUIRE_THROWS_WITH(make_and_build("softmax", "prob", {{"axis", 1}}, {{4}}),
                      Catch::Contains("prob") && Catch::Contains("axis"));
  REQUIRE_THROWS_WITH(make_and_build("softmax", "prob", json::object(), {{4, 2, 2}}), Catch::Contains("prob"));
}
