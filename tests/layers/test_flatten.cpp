// Flatten layer.
#include <catch2/catch.hpp>

#include "tests/layers/layer_test_util.h"

using namespace gaze;
using namespace gaze::testing;
using nlohmann::json;

TEST_CASE("flatten layer keeps the batch and flattens the rest in order", "[layers][flatten]") {
  Rng rng(1);
  auto flatten = make_layer("flatten", "flat");
  REQUIRE(flatten->build({{2, 3, 4}}, rng) == Shape{24});
  REQUIRE(flatten->parameters().empty());
  std::vector<float> values(48);
  for (size_t i = 0; i < values.size(); ++i) values[i] = static_cast<float>(i);
  const Tensor y = flatten->forward({Tensor::from_vector({2, 2, 3, 4}, values)}, {});
  REQUIRE(y.shape() == Shape{2, 24});
  REQUIRE(y.to_vector() == values);
}

TEST_CASE("flatten layer gradient", "[layers][flatten][gradcheck]") {
  Rng rng(2);
  auto flatten = make_layer("flatten", "flat");
  flatten->build({{2, 2, 3}}, rng);
  check_layer_gradients(*flatten, {Tensor::randn({2, 2, 2, 3}, rng)});
}

TEST_CASE("flatten layer rejects unknown keys, naming the layer", "[layers][flatten][errors]") {
  REQUIRE_THROWS_WITH(make_and_build("flatten", "flat", {{"start_dim", 1}}, {{2, 2}}),
                      Catch::Contains("flat") && Catch::Contains("start_dim"));
}
