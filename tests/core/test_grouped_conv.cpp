// Grouped and depthwise convolution and clamp (ReLU6): finite-difference
// gradient checks, the identity "a grouped convolution is its groups'
// convolutions side by side", a hand-computed depthwise case, and the
// argument errors. PyTorch parity is in test_torch_parity.cpp.
#include <catch2/catch.hpp>

#include "core/core.h"
#include "tests/core/gradcheck.h"

using namespace gaze;
using gaze::testing::check_gradients;
using gaze::testing::random_input;

namespace {

Tensor leaf(Tensor t) { return t.set_requires_grad(true); }

// Channels [begin, begin + count) of an NCHW (or [out, in, kh, kw]) tensor.
Tensor channel_slice(const Tensor& t, int64_t begin, int64_t count, int axis) {
  Shape shape = t.shape();
  const int64_t outer = axis == 0 ? 1 : shape[0];
  const int64_t extent = shape[static_cast<size_t>(axis)];
  const int64_t inner = t.numel() / (outer * extent);
  const std::vector<float> values = t.to_vector();
  std::vector<float> part;
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t c = begin; c < begin + count; ++c)
      for (int64_t i = 0; i < inner; ++i) part.push_back(values[static_cast<size_t>((o * extent + c) * inner + i)]);
  shape[static_cast<size_t>(axis)] = count;
  return Tensor::from_vector(shape, part);
}

Tensor ops_conv(const std::vector<Tensor>& in, const Conv2dGeometry& g) {
  return ops::conv2d(in[0], in[1], in.size() > 2 ? in[2] : Tensor(), g);
}

}  // namespace

TEST_CASE("gradcheck: grouped and depthwise conv2d", "[gradcheck][ops][conv][groups]") {
  Rng rng(21);
  // A batch larger than the thread count: per-thread partial sums must add up.
  SECTION("2 groups, 3x3, stride 2, padding 1, bias") {
    const Tensor x = leaf(random_input({3, 4, 5, 6}, rng));
    const Tensor w = leaf(random_input({6, 2, 3, 3}, rng, 0.5f)), b = leaf(random_input({6}, rng));
    Conv2dGeometry g{2, 2, 1, 1, 2};
    check_gradients([g](const std::vector<Tensor>& in) { return ops_conv(in, g); }, {x, w, b});
  }
  SECTION("3 groups, 1x1 pointwise path") {
    const Tensor x = leaf(random_input({2, 6, 3, 4}, rng));
    const Tensor w = leaf(random_input({3, 2, 1, 1}, rng));
    Conv2dGeometry g{1, 1, 0, 0, 3};
    check_gradients([g](const std::vector<Tensor>& in) { return ops_conv(in, g); }, {x, w});
  }
  SECTION("depthwise 3x3, stride 1, padding 1 (MobileNet's), bias") {
    const Tensor x = leaf(random_input({3, 4, 5, 5}, rng));
    const Tensor w = leaf(random_input({4, 1, 3, 3}, rng, 0.5f)), b = leaf(random_input({4}, rng));
    Conv2dGeometry g{1, 1, 1, 1, 4};
    check_gradients([g](const std::vector<Tensor>& in) { return ops_conv(in, g); }, {x, w, b});
  }
  SECTION("depthwise with multiplier 2, stride 2, padding 1, odd sizes") {
    const Tensor x = leaf(random_input({2, 3, 7, 6}, rng));
    const Tensor w = leaf(random_input({6, 1, 3, 3}, rng, 0.5f));
    Conv2dGeometry g{2, 2, 1, 1, 3};
    check_gradients([g](const std::vector<Tensor>& in) { return ops_conv(in, g); }, {x, w});
  }
  SECTION("depthwise 1x1 with padding 1 (padding >= kernel: the general grouped path)") {
    const Tensor x = leaf(random_input({2, 3, 3, 4}, rng));
    const Tensor w = leaf(random_input({3, 1, 1, 1}, rng)), b = leaf(random_input({3}, rng));
    Conv2dGeometry g{1, 1, 1, 1, 3};
    check_gradients([g](const std::vector<Tensor>& in) { return ops_conv(in, g); }, {x, w, b});
  }
  SECTION("depthwise, non-square 2x3 kernel, stride (1, 2), padding (0, 2)") {
    const Tensor x = leaf(random_input({2, 2, 4, 7}, rng));
    const Tensor w = leaf(random_input({2, 1, 2, 3}, rng, 0.5f)), b = leaf(random_input({2}, rng));
    Conv2dGeometry g{1, 2, 0, 2, 2};
    check_gradients([g](const std::vector<Tensor>& in) { return ops_conv(in, g); }, {x, w, b});
  }
}

TEST_CASE("a grouped convolution equals its groups' convolutions side by side", "[ops][conv][groups]") {
  Rng rng(22);
  for (const int groups : {2, 4}) {
    SECTION("groups " + std::to_string(groups)) {
      // 3x3 stride 1 padding 1 with 8 channels per group would take Winograd
      // at groups 1: the grouped path must not.
      const int64_t in_per_group = 8 / groups * 2, out_per_group = 3;
      const Tensor x = random_input({2, in_per_group * groups, 6, 5}, rng);
      const Tensor w = random_input({out_per_group * groups, in_per_group, 3, 3}, rng);
      const Tensor b = random_input({out_per_group * groups}, rng);
      const Tensor grouped = ops::conv2d(x, w, b, {1, 1, 1, 1, groups});
      std::vector<Tensor> parts;
      for (int64_t g = 0; g < groups; ++g)
        parts.push_back(ops::conv2d(channel_slice(x, g * in_per_group, in_per_group, 1),
                                    channel_slice(w, g * out_per_group, out_per_group, 0),
                                    channel_slice(b, g * out_per_group, out_per_group, 0), {1, 1, 1, 1}));
      gaze::testing::check_close(grouped.to_vector(), ops::concat(parts, 1).to_vector(), 1e-4);
    }
  }
}

TEST_CASE("depthwise convolution by hand", "[ops][conv][groups]") {
  // Channel 0: x = [[1, 2], [3, 4]], kernel [[1, 0], [0, -1]], padding 0 ->
  // 1 - 4 = -3. Channel 1: x = [[5, 6], [7, 8]], kernel all 0.5 -> 13, + bias 1.
  const Tensor x = Tensor::from_vector({1, 2, 2, 2}, {1, 2, 3, 4, 5, 6, 7, 8});
  const Tensor w = Tensor::from_vector({2, 1, 2, 2}, {1, 0, 0, -1, 0.5f, 0.5f, 0.5f, 0.5f});
  const Tensor b = Tensor::from_vector({2}, {0, 1});
  const Tensor y = ops::conv2d(x, w, b, {1, 1, 0, 0, 2});
  REQUIRE(y.shape() == Shape{1, 2, 1, 1});
  gaze::testing::check_close(y.to_vector(), {-3.0f, 14.0f});
}

TEST_CASE("conv2d refuses groups that do not divide the channels", "[ops][conv][groups]") {
  const Tensor x = Tensor::zeros({1, 6, 4, 4});
  CHECK_THROWS_WITH(ops::conv2d(x, Tensor::zeros({4, 2, 3, 3}), Tensor(), {1, 1, 0, 0, 4}),
                    Catch::Contains("groups 4 must be positive and divide"));
  CHECK_THROWS_WITH(ops::conv2d(x, Tensor::zeros({4, 2, 3, 3}), Tensor(), {1, 1, 0, 0, 0}),
                    Catch::Contains("groups 0"));
  CHECK_THROWS_WITH(ops::conv2d(x, Tensor::zeros({4, 2, 3, 3}), Tensor(), {1, 1, 0, 0, 2}),
                    Catch::Contains("with groups 2 expects 4"));
}

TEST_CASE("clamp (ReLU6): values, NaN, and its gradient", "[gradcheck][ops][clamp]") {
  const Tensor x = Tensor::from_vector({2, 4}, {-2.0f, -0.3f, 0.4f, 2.5f, 5.7f, 6.3f, 9.0f, 3.1f});
  gaze::testing::check_close(ops::clamp(x, 0, 6).to_vector(), {0, 0, 0.4f, 2.5f, 5.7f, 6, 6, 3.1f});
  const float nan = std::numeric_limits<float>::quiet_NaN();
  CHECK(std::isnan(ops::clamp(Tensor::from_vector({1}, {nan}), 0, 6).item()));
  // Every element is more than the finite-difference step from 0 and 6.
  check_gradients([](const std::vector<Tensor>& in) { return ops::clamp(in[0], 0, 6); }, {leaf(x.clone())});
  CHECK_THROWS_WITH(ops::clamp(x, 1, 1), Catch::Contains("must be below"));
}
