// Add and Concat layers, which join branches of the model DAG.
#include <catch2/catch.hpp>

#include "tests/layers/layer_test_util.h"

using namespace gaze;
using namespace gaze::testing;
using nlohmann::json;

TEST_CASE("add layer sums two or more inputs of one shape", "[layers][merge]") {
  Rng rng(1);
  auto add = make_layer("add", "res");
  REQUIRE(add->min_inputs() == 2);
  REQUIRE(add->build({{2, 2}, {2, 2}, {2, 2}}, rng) == Shape{2, 2});
  const Tensor a = Tensor::from_vector({1, 2, 2}, {1, 2, 3, 4});
  const Tensor b = Tensor::from_vector({1, 2, 2}, {10, 20, 30, 40});
  const Tensor c = Tensor::from_vector({1, 2, 2}, {-1, -1, -1, -1});
  REQUIRE(add->forward({a, b, c}, {}).to_vector() == std::vector<float>{10, 21, 32, 43});
}

TEST_CASE("concat layer joins channels", "[layers][merge]") {
  Rng rng(1);
  auto concat = make_layer("concat", "cat");
  REQUIRE(concat->build({{1, 2, 2}, {3, 2, 2}}, rng) == Shape{4, 2, 2});
  REQUIRE(make_and_build("concat", "cat", json::object(), {{3}, {5}, {1}}) == Shape{9});
  const Tensor a = Tensor::from_vector({1, 1, 1, 2}, {1, 2});
  const Tensor b = Tensor::from_vector({1, 2, 1, 2}, {3, 4, 5, 6});
  REQUIRE(concat->forward({b, a}, {}).to_vector() == std::vector<float>{3, 4, 5, 6, 1, 2});
}

TEST_CASE("merge layer gradients with respect to every input", "[layers][merge][gradcheck]") {
  Rng rng(2);
  SECTION("add of three") {
    auto add = make_layer("add", "res");
    add->build({{2, 3}, {2, 3}, {2, 3}}, rng);
    check_layer_gradients(*add, {Tensor::randn({2, 2, 3}, rng), Tensor::randn({2, 2, 3}, rng),
                                 Tensor::randn({2, 2, 3}, rng)});
  }
  SECTION("concat") {
    auto concat = make_layer("concat", "cat");
    concat->build({{1, 2, 2}, {2, 2, 2}}, rng);
    check_layer_gradients(*concat, {Tensor::randn({2, 1, 2, 2}, rng), Tensor::randn({2, 2, 2, 2}, rng)});
  }
}

TEST_CASE("merge layers reject mismatched inputs, naming the layer", "[layers][merge][errors]") {
  REQUIRE_THROWS_WITH(make_and_build("add", "res1", json::object(), {{2, 4, 4}, {3, 4, 4}}),
                      Catch::Contains("res1") && Catch::Contains("[3, 4, 4]"));
  REQUIRE_THROWS_WITH(make_and_build("concat", "cat1", json::object(), {{2, 4, 4}, {3, 4, 5}}),
                      Catch::Contains("cat1"));
  REQUIRE_THROWS_WITH(make_and_build("concat", "cat1", json::object(), {{2, 4, 4}, {3, 4}}), Catch::Contains("cat1"));
  REQUIRE_THROWS_WITH(make_and_build("add", "res1", {{"scale", 2}}, {{2}, {2}}),
                      Catch::Contains("res1") && Catch::Contains("scale"));
}
