// MaxPool2d, AvgPool2d and GlobalAvgPool layers.
#include <catch2/catch.hpp>

#include "tests/layers/layer_test_util.h"

using namespace gaze;
using namespace gaze::testing;
using nlohmann::json;

TEST_CASE("pooling layers infer their output shapes", "[layers][pool]") {
  REQUIRE(make_and_build("maxpool", "p", json::object(), {{3, 8, 6}}) == Shape{3, 4, 3});
  REQUIRE(make_and_build("maxpool", "p", {{"kernel", 3}, {"stride", 2}, {"padding", 1}}, {{2, 7, 7}}) == Shape{2, 4, 4});
  REQUIRE(make_and_build("avgpool", "p", {{"kernel", {2, 3}}, {"stride", 1}}, {{1, 4, 5}}) == Shape{1, 3, 3});
  REQUIRE(make_and_build("gap", "gap1", json::object(), {{5, 3, 4}}) == Shape{5});
  auto pool = make_layer("maxpool", "p", {{"kernel", 3}});
  REQUIRE(pool->hyperparameters() == json{{"kernel", {3, 3}}, {"stride", {3, 3}}, {"padding", {0, 0}}});
  REQUIRE(pool->parameters().empty());
}

TEST_CASE("pooling layers compute max, mean and global mean", "[layers][pool]") {
  Rng rng(0);
  const Tensor x = Tensor::from_vector({1, 1, 2, 4}, {1, 7, 2, 3, 5, 0, 8, -1});
  auto max_pool = make_layer("maxpool", "p");
  max_pool->build({{1, 2, 4}}, rng);
  REQUIRE(max_pool->forward({x}, {}).to_vector() == std::vector<float>{7, 8});
  auto avg_pool = make_layer("avgpool", "a");
  avg_pool->build({{1, 2, 4}}, rng);
  check_close(avg_pool->forward({x}, {}).to_vector(), {13 / 4.f, 12 / 4.f});
  auto gap = make_layer("gap", "g");
  gap->build({{1, 2, 4}}, rng);
  const Tensor y = gap->forward({x}, {});
  REQUIRE(y.shape() == Shape{1, 1});
  check_close(y.to_vector(), {25 / 8.f});
}

TEST_CASE("pooling layer gradients", "[layers][pool][gradcheck]") {
  Rng rng(1);
  SECTION("maxpool 3x3 stride 2 padding 1") {
    auto pool = make_layer("maxpool", "p", {{"kernel", 3}, {"stride", 2}, {"padding", 1}});
    pool->build({{2, 5, 5}}, rng);
    check_layer_gradients(*pool, {distinct_values({2, 2, 5, 5}, rng)});
  }
  SECTION("avgpool 3x3 stride 2 padding 1") {
    auto pool = make_layer("avgpool", "p", {{"kernel", 3}, {"stride", 2}, {"padding", 1}});
    pool->build({{2, 5, 5}}, rng);
    check_layer_gradients(*pool, {Tensor::randn({2, 2, 5, 5}, rng)});
  }
  SECTION("gap") {
    auto gap = make_layer("gap", "gap1");
    gap->build({{3, 2, 3}}, rng);
    check_layer_gradients(*gap, {Tensor::randn({2, 3, 2, 3}, rng)});
  }
}

TEST_CASE("pooling layers reject bad parameters, naming the layer", "[layers][pool][errors]") {
  const std::vector<Shape> in = {{2, 4, 4}};
  REQUIRE_THROWS_WITH(make_and_build("maxpool", "pool1", {{"kernel", 5}}, in),
                      Catch::Contains("pool1") && Catch::Contains("5x5"));
  REQUIRE_THROWS_WITH(make_and_build("avgpool", "pool1", {{"kernel", 3}, {"stride", 1}}, {{2, 2, 8}}),
                      Catch::Contains("pool1") && Catch::Contains("3x3"));
  REQUIRE_THROWS_WITH(make_and_build("avgpool", "pool1", {{"kernel", 0}}, in), Catch::Contains("pool1"));
  REQUIRE_THROWS_WITH(make_and_build("maxpool", "pool1", {{"kernel", 2}, {"padding", 2}}, in),
                      Catch::Contains("pool1") && Catch::Contains("padding"));
  REQUIRE_THROWS_WITH(make_and_build("maxpool", "pool1", {{"kernel", 2}, {"stride", -1}}, in),
                      Catch::Contains("pool1") && Catch::Contains("stride"));
  REQUIRE_THROWS_WITH(make_and_build("maxpool", "pool1", {{"size", 2}}, in),
                      Catch::Contains("pool1") && Catch::Contains("size"));
  REQUIRE_THROWS_WITH(make_and_build("maxpool", "pool1", {{"kernel", "big"}}, in), Catch::Contains("pool1"));
  REQUIRE_THROWS_WITH(make_and_build("gap", "gap1", {{"kernel", 2}}, in), Catch::Contains("gap1"));
  REQUIRE_THROWS_WITH(make_and_build("gap", "gap1", json::object(), {{16}}), Catch::Contains("gap1"));
  REQUIRE_THROWS_WITH(make_and_build("maxpool", "pool1", json::object(), {{16}}), Catch::Contains("pool1"));
}
