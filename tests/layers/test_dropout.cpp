// Dropout layer: identity in evaluation, a reproducible scaled mask in training.
#include <catch2/catch.hpp>

#include "tests/layers/layer_test_util.h"

using namespace gaze;
using namespace gaze::testing;
using nlohmann::json;

TEST_CASE("dropout layer is the identity in evaluation", "[layers][dropout]") {
  Rng rng(1);
  auto dropout = make_layer("dropout", "drop1", {{"rate", 0.5}});
  REQUIRE(dropout->build({{3, 2, 2}}, rng) == Shape{3, 2, 2});
  REQUIRE(dropout->parameters().empty());
  const Tensor x = Tensor::randn({2, 3, 2, 2}, rng);
  REQUIRE(dropout->forward({x}, {false, 7}).to_vector() == x.to_vector());
  REQUIRE(dropout->hyperparameters()["rate"].get<double>() == Approx(0.5));
  REQUIRE(make_layer("dropout", "d")->hyperparameters()["rate"].get<double>() == Approx(0.5));
}

TEST_CASE("dropout layer masks reproducibly in training", "[layers][dropout]") {
  Rng rng(2);
  auto dropout = make_layer("dropout", "drop1", {{"rate", 0.4}});
  dropout->build({{1000}}, rng);
  const Tensor x = Tensor::full({4, 1000}, 3.0f);
  const std::vector<float> y = dropout->forward({x}, {true, 11}).to_vector();
  int zeros = 0;
  for (float v : y) {
    REQUIRE((v == 0.0f || v == Approx(3.0f / 0.6f)));
    zeros += v == 0.0f;
  }
  REQUIRE(zeros / 4000.0 == Approx(0.4).margin(0.03));
  REQUIRE(dropout->forward({x}, {true, 11}).to_vector() == y);  // same step seed, same mask
  REQUIRE(dropout->forward({x}, {true, 12}).to_vector() != y);  // a new step, a new mask
  auto other = make_layer("dropout", "drop2", {{"rate", 0.4}});
  other->build({{1000}}, rng);
  REQUIRE(other->forward({x}, {true, 11}).to_vector() != y);  // another layer, another mask
}

TEST_CASE("dropout layer gradient in training", "[layers][dropout][gradcheck]") {
  Rng rng(3);
  auto dropout = make_layer("dropout", "drop1", {{"rate", 0.3}});
  dropout->build({{3, 4}}, rng);
  check_layer_gradients(*dropout, {Tensor::randn({2, 3, 4}, rng)}, {true, 5});
}

TEST_CASE("dropout layer rejects bad parameters, naming the layer", "[layers][dropout][errors]") {
  REQUIRE_THROWS_WITH(make_and_build("dropout", "drop1", {{"rate", 1.0}}, {{4}}),
                      Catch::Contains("drop1") && Catch::Contains("rate"));
  REQUIRE_THROWS_WITH(make_and_build("dropout", "drop1", {{"rate", -0.2}}, {{4}}), Catch::Contains("drop1"));
  REQUIRE_THROWS_WITH(make_and_build("dropout", "drop1", {{"rate", "half"}}, {{4}}), Catch::Contains("drop1"));
  REQUIRE_THROWS_WITH(make_and_build("dropout", "drop1", {{"p", 0.5}}, {{4}}),
                      Catch::Contains("drop1") && Catch::Contains("'p'"));
}
