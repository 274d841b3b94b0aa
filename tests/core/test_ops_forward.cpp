// Forward values of every op in core/ops.h against small hand-computed cases
// (and, for conv2d, a direct-loop reference), plus the ops' argument errors.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

#include "core/core.h"
#include "tests/core/gradcheck.h"

using namespace gaze;
using gaze::testing::check_close;

namespace {

// Direct convolution in double: the definition, with no im2col or GEMM.
std::vector<float> reference_conv(const Tensor& x, const Tensor& w, const Tensor& b, const Conv2dGeometry& g) {
  const int64_t n_batch = x.dim(0), channels = x.dim(1), height = x.dim(2), width = x.dim(3);
  const int64_t out_c = w.dim(0), kh = w.dim(2), kw = w.dim(3);
  const int64_t out_h = ops::conv_output_size(height, static_cast<int>(kh), g.stride_h, g.pad_h);
  const int64_t out_w = ops::conv_output_size(width, static_cast<int>(kw), g.stride_w, g.pad_w);
  const std::vector<float> xv = x.to_vector(), wv = w.to_vector();
  const std::vector<float> bv = b.defined() ? b.to_vector() : std::vector<float>(static_cast<size_t>(out_c), 0.0f);
  std::vector<float> y;
  for (int64_t n = 0; n < n_batch; ++n)
    for (int64_t o = 0; o < out_c; ++o)
      for (int64_t oy = 0; oy < out_h; ++oy)
        for (int64_t ox = 0; ox < out_w; ++ox) {
          double acc = bv[static_cast<size_t>(o)];
          for (int64_t c = 0; c < channels; ++c)
            for (int64_t i = 0; i < kh; ++i)
              for (int64_t j = 0; j < kw; ++j) {
                const int64_t iy = oy * g.stride_h + i - g.pad_h, ix = ox * g.stride_w + j - g.pad_w;
                if (iy < 0 || iy >= height || ix < 0 || ix >= width) continue;
                acc += static_cast<double>(xv[static_cast<size_t>(((n * channels + c) * height + iy) * width + ix)]) *
                       wv[static_cast<size_t>(((o * channels + c) * kh + i) * kw + j)];
              }
          y.push_back(static_cast<float>(acc));
        }
  return y;
}

std::vector<float> iota(int n, float start = 1.0f) {
  std::vector<float> v(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) v[static_cast<size_t>(i)] = start + static_cast<float>(i);
  return v;
}

}  // namespace

TEST_CASE("element-wise ops compute their definitions", "[ops]") {
  const Tensor a = Tensor::from_vector({2, 2}, {1, -2, 3, -4});
  const Tensor b = Tensor::from_vector({2, 2}, {0.5f, 2, -1, 10});
  REQUIRE(ops::add(a, b).to_vector() == std::vector<float>{1.5f, 0, 2, 6});
  REQUIRE(ops::mul(a, b).to_vector() == std::vector<float>{0.5f, -4, -3, -40});
  REQUIRE(ops::scale(a, -2).to_vector() == std::vector<float>{-2, 4, -6, 8});
  REQUIRE(ops::relu(a).to_vector() == std::vector<float>{1, 0, 3, 0});
  check_close(ops::leaky_relu(a, 0.1f).to_vector(), {1, -0.2f, 3, -0.4f}, 1e-7);
  REQUIRE(ops::add(a, b).shape() == Shape{2, 2});
  REQUIRE_THROWS_AS(ops::add(a, Tensor::zeros({4})), Error);
  REQUIRE_THROWS_WITH(ops::mul(a, Tensor::zeros({2, 3})), Catch::Contains("mul") && Catch::Contains("[2, 3]"));
}

TEST_CASE("element-wise ops read non-contiguous inputs in logical order", "[ops]") {
  const Tensor whole = Tensor::from_vector({2, 3}, {1, 2, 3, 4, 5, 6});
  const Tensor right = whole.narrow(1, 1, 2);  // [[2, 3], [5, 6]]
  REQUIRE(ops::add(right, right).to_vector() == std::vector<float>{4, 6, 10, 12});
  REQUIRE(ops::scale(right, 10).to_vector() == std::vector<float>{20, 30, 50, 60});
  REQUIRE(ops::sum(right).item() == 16);
}

TEST_CASE("dropout zeroes about `drop` of the elements and rescales the rest", "[ops][dropout]") {
  const int n = 20000;
  const Tensor x = Tensor::full({n}, 2.0f);
  const float drop = 0.25f;
  const std::vector<float> y = ops::dropout(x, drop, 42).to_vector();
  int zeros = 0;
  for (float v : y) {
    REQUIRE((v == 0.0f || v == Approx(2.0f / (1 - drop))));
    zeros += v == 0.0f;
  }
  REQUIRE(static_cast<double>(zeros) / n == Approx(drop).margin(0.02));
  SECTION("the mask is a function of the seed") {
    REQUIRE(ops::dropout(x, drop, 42).to_vector() == y);
    REQUIRE(ops::dropout(x, drop, 43).to_vector() != y);
  }
  SECTION("rate 0 is the identity") { REQUIRE(ops::dropout(x, 0, 5).to_vector() == x.to_vector()); }
  SECTION("a rate outside [0, 1) is an error") {
    REQUIRE_THROWS_AS(ops::dropout(x, 1.0f, 1), Error);
    REQUIRE_THROWS_AS(ops::dropout(x, -0.1f, 1), Error);
  }
}

TEST_CASE("sum and mean reduce to a scalar", "[ops]") {
  const Tensor x = Tensor::from_vector({2, 3}, {1, 2, 3, 4, 5, 6.5f});
  REQUIRE(ops::sum(x).numel() == 1);
  REQUIRE(ops::sum(x).item() == Approx(21.5));
  REQUIRE(ops::mean(x).item() == Approx(21.5 / 6));
}

TEST_CASE("reshape, flatten and concat move values, not just shapes", "[ops]") {
  const Tensor x = Tensor::from_vector({2, 3, 2}, iota(12));
  const Tensor r = ops::reshape(x, {3, -1});
  REQUIRE(r.shape() == Shape{3, 4});
  REQUIRE(r.to_vector() == iota(12));
  REQUIRE(ops::flatten(x).shape() == Shape{2, 6});
  REQUIRE_THROWS_AS(ops::reshape(x, {5, -1}), Error);

  const Tensor a = Tensor::from_vector({2, 1, 2}, {1, 2, 3, 4});
  const Tensor b = Tensor::from_vector({2, 2, 2}, {10, 11, 12, 13, 20, 21, 22, 23});
  const Tensor c = ops::concat({a, b});
  REQUIRE(c.shape() == Shape{2, 3, 2});
  REQUIRE(c.to_vector() == std::vector<float>{1, 2, 10, 11, 12, 13, 3, 4, 20, 21, 22, 23});
  REQUIRE_THROWS_AS(ops::concat({a, Tensor::zeros({3, 1, 2})}), Error);
  REQUIRE_THROWS_AS(ops::concat({a, b}, 0), Error);
}

TEST_CASE("conv2d of a known image", "[ops][conv]") {
  // 4x4 image 1..16 and a 3x3 kernel; no padding gives 2x2.
  const Tensor x = Tensor::from_vector({1, 1, 4, 4}, iota(16));
  const Tensor w = Tensor::from_vector({1, 1, 3, 3}, {1, 0, -1, 2, 0, -2, 1, 0, -1});  // Sobel x
  const Tensor b = Tensor::from_vector({1}, {0.5f});
  // Each row of the window contributes x[c] - x[c+2] = -2, weighted 1, 2, 1: -8, plus 0.5.
  const Tensor y = ops::conv2d(x, w, b, {});
  REQUIRE(y.shape() == Shape{1, 1, 2, 2});
  REQUIRE(y.to_vector() == std::vector<float>(4, -7.5f));

  // A kernel that picks the top-left and bottom-right of each window, with padding 1 and stride 2.
  const Tensor corners = Tensor::from_vector({1, 1, 3, 3}, {1, 0, 0, 0, 0, 0, 0, 0, 10});
  const Tensor z = ops::conv2d(x, corners, Tensor(), {2, 2, 1, 1});
  REQUIRE(z.shape() == Shape{1, 1, 2, 2});
  // Output (oy, ox) window starts at (2oy-1, 2ox-1): top-left x[2oy-1][2ox-1] (0 when outside),
  // bottom-right x[2oy+1][2ox+1].
  REQUIRE(z.to_vector() == std::vector<float>{0 + 10 * 6, 0 + 10 * 8, 0 + 10 * 14, 6 + 10 * 16});
}

TEST_CASE("conv2d matches a direct-loop convolution", "[ops][conv]") {
  Rng rng(11);
  struct Case {
    Shape x, w;
    Conv2dGeometry g;
    bool bias;
  };
  const std::vector<Case> cases = {
      {{2, 3, 7, 6}, {4, 3, 3, 3}, {1, 1, 0, 0}, true},  {{2, 3, 7, 6}, {4, 3, 3, 3}, {2, 2, 1, 1}, false},
      {{1, 2, 6, 7}, {3, 2, 2, 3}, {1, 2, 1, 0}, true},  {{3, 4, 5, 5}, {2, 4, 1, 1}, {1, 1, 0, 0}, true},
      {{1, 4, 5, 5}, {2, 4, 1, 1}, {2, 2, 0, 0}, false}, {{2, 1, 8, 8}, {2, 1, 5, 5}, {3, 3, 2, 2}, true},
      // 3x3, stride 1, padding 1 and >= 8 input channels: the Winograd path,
      // with odd sizes (partial tiles) and a one-pixel image.
      {{3, 8, 5, 7}, {5, 8, 3, 3}, {1, 1, 1, 1}, true},  {{2, 32, 16, 16}, {64, 32, 3, 3}, {1, 1, 1, 1}, false},
      {{1, 9, 1, 1}, {4, 9, 3, 3}, {1, 1, 1, 1}, true},  {{2, 16, 9, 4}, {3, 16, 3, 3}, {1, 1, 1, 1}, false},
      // Rows of 8 and more tiles take the vector path, the rest of a row the scalar one.
      {{2, 8, 6, 37}, {3, 8, 3, 3}, {1, 1, 1, 1}, true},  {{1, 8, 9, 64}, {2, 8, 3, 3}, {1, 1, 1, 1}, false},
  };
  for (const Case& c : cases) {
    const Tensor x = Tensor::randn(c.x, rng), w = Tensor::randn(c.w, rng);
    const Tensor b = c.bias ? Tensor::randn({c.w[0]}, rng) : Tensor();
    INFO("x " << to_string(c.x) << " w " << to_string(c.w) << " stride " << c.g.stride_h << "x" << c.g.stride_w
              << " pad " << c.g.pad_h << "x" << c.g.pad_w);
    // Within 1e-5 of the output's scale: the Winograd F(4x4, 3x3) transforms
    // (coefficients up to 8) round at a few ulps of the largest terms.
    const std::vector<float> expected = reference_conv(x, w, b, c.g);
    float scale = 1;
    for (const float v : expected) scale = std::max(scale, std::abs(v));
    check_close(ops::conv2d(x, w, b, c.g).to_vector(), expected, 1e-5 * scale);
  }
}

TEST_CASE("conv2d rejects mismatched arguments", "[ops][conv]") {
  const Tensor x = Tensor::zeros({1, 3, 4, 4});
  REQUIRE_THROWS_WITH(ops::conv2d(x, Tensor::zeros({2, 2, 3, 3}), Tensor(), {}), Catch::Contains("channels"));
  REQUIRE_THROWS_AS(ops::conv2d(x, Tensor::zeros({2, 3, 5, 5}), Tensor(), {}), Error);
  REQUIRE_THROWS_AS(ops::conv2d(x, Tensor::zeros({2, 3, 3, 3}), Tensor::zeros({3}), {}), Error);
  REQUIRE(ops::conv_output_size(5, 3, 2, 1) == 3);
  REQUIRE(ops::conv_output_size(4, 2, 2, 0) == 2);
  REQUIRE(ops::conv_output_size(6, 3, 2, 0) == 2);
  // A kernel bigger than the padded input fits nowhere, whatever the stride
  // (truncating division of the negative span must not round up to one window).
  REQUIRE(ops::conv_output_size(4, 5, 5, 0) == 0);
  REQUIRE(ops::conv_output_size(5, 7, 3, 0) == 0);
  REQUIRE(ops::conv_output_size(3, 5, 1, 1) == 1);
  REQUIRE_THROWS_WITH(ops::conv2d(Tensor::zeros({1, 3, 5, 5}), Tensor::zeros({2, 3, 7, 7}), Tensor(), {3, 3, 0, 0}),
                      Catch::Contains("smaller"));
}

TEST_CASE("max_pool2d of a known 4x4 and its gradient routing", "[ops][pool]") {
  const Tensor x = Tensor::from_vector({1, 1, 4, 4}, {1, 5, 2, 0,  //
                                                      3, 4, 8, 6,  //
                                                      7, 0, 1, 2,  //
                                                      9, 3, 4, 5})
                       .set_requires_grad(true);
  const Tensor y = ops::max_pool2d(x, {});
  REQUIRE(y.to_vector() == std::vector<float>{5, 8, 9, 5});
  ops::sum(ops::mul(y, Tensor::from_vector({1, 1, 2, 2}, {1, 2, 3, 4}))).backward();
  REQUIRE(x.grad().to_vector() == std::vector<float>{0, 1, 0, 0,  //
                                                     0, 0, 2, 0,  //
                                                     0, 0, 0, 0,  //
                                                     3, 0, 0, 4});
  // 3x3 windows, stride 1: a pixel that wins two windows gets both gradients.
  const Tensor x2 = x.detach().clone().set_requires_grad(true);
  const Pool2dGeometry g{3, 3, 1, 1, 0, 0};
  const Tensor y2 = ops::max_pool2d(x2, g);
  REQUIRE(y2.to_vector() == std::vector<float>{8, 8, 9, 8});
  ops::sum(y2).backward();
  REQUIRE(x2.grad().to_vector()[6] == 3);
  REQUIRE(x2.grad().to_vector()[12] == 1);
}

TEST_CASE("2x2 max-pool routes each gradient to the first maximum of its window, ties included",
          "[ops][pool]") {
  // Values from {0, 1, 2}: most windows hold ties. Planes 64 wide, so the
  // kernels' vector loops run, and an odd height and width, whose last row
  // and column no window covers.
  const int64_t h = 7, w = 67, planes = 6;
  std::vector<float> values(static_cast<size_t>(planes * h * w)), grads(static_cast<size_t>(planes * 3 * 33));
  Rng rng(5);
  for (float& v : values) v = static_cast<float>(rng.below(3));
  for (size_t i = 0; i < grads.size(); ++i) grads[i] = static_cast<float>(i + 1);
  const Tensor x = Tensor::from_vector({2, 3, h, w}, values).set_requires_grad(true);
  const Tensor y = ops::max_pool2d(x, {});
  REQUIRE(y.shape() == Shape{2, 3, 3, 33});
  ops::sum(ops::mul(y, Tensor::from_vector({2, 3, 3, 33}, grads))).backward();
  std::vector<float> expected_y(grads.size()), expected_grad(values.size(), 0.0f);
  for (int64_t p = 0; p < planes; ++p)
    for (int64_t oy = 0; oy < 3; ++oy)
      for (int64_t ox = 0; ox < 33; ++ox) {
        int64_t first = -1;  // row-major order within the window, as PyTorch
        for (int64_t i = 0; i < 4; ++i) {
          const int64_t at = (p * h + 2 * oy + i / 2) * w + 2 * ox + i % 2;
          if (first < 0 || values[static_cast<size_t>(at)] > values[static_cast<size_t>(first)]) first = at;
        }
        const size_t out = static_cast<size_t>((p * 3 + oy) * 33 + ox);
        expected_y[out] = values[static_cast<size_t>(first)];
        expected_grad[static_cast<size_t>(first)] = grads[out];
      }
  REQUIRE(y.to_vector() == expected_y);
  REQUIRE(x.grad().to_vector() == expected_grad);
}

TEST_CASE("avg_pool2d counts padding in the divisor, as PyTorch", "[ops][pool]") {
  const Tensor x = Tensor::from_vector({1, 1, 3, 3}, iota(9));
  const Tensor y = ops::avg_pool2d(x, {2, 2, 2, 2, 1, 1});
  REQUIRE(y.shape() == Shape{1, 1, 2, 2});
  check_close(y.to_vector(), {1 / 4.f, (2 + 3) / 4.f, (4 + 7) / 4.f, (5 + 6 + 8 + 9) / 4.f});
  const Tensor z = ops::avg_pool2d(Tensor::from_vector({1, 1, 2, 4}, iota(8)), {});
  check_close(z.to_vector(), {(1 + 2 + 5 + 6) / 4.f, (3 + 4 + 7 + 8) / 4.f});
  REQUIRE_THROWS_AS(ops::avg_pool2d(x, {2, 2, 1, 1, 2, 2}), Error);  // padding over half the kernel
  REQUIRE_THROWS_AS(ops::max_pool2d(x, {4, 4, 1, 1, 0, 0}), Error);  // window bigger than the input
  REQUIRE_THROWS_AS(ops::max_pool2d(x, {4, 4, 4, 4, 0, 0}), Error);  // ... whatever the stride
  REQUIRE_THROWS_AS(ops::avg_pool2d(x, {5, 5, 5, 5, 0, 0}), Error);
}

TEST_CASE("global_avg_pool averages each plane", "[ops][pool]") {
  const Tensor x = Tensor::from_vector({2, 2, 1, 3}, {1, 2, 3, 4, 5, 9, -1, -2, -3, 0, 0, 6});
  const Tensor y = ops::global_avg_pool(x);
  REQUIRE(y.shape() == Shape{2, 2});
  check_close(y.to_vector(), {2, 6, -2, 2});
}

TEST_CASE("dense computes x w^T + b", "[ops][dense]") {
  const Tensor x = Tensor::from_vector({2, 2}, {1, 2, -1, 3});
  const Tensor w = Tensor::from_vector({3, 2}, {1, 0, 0, 1, 1, 1});
  const Tensor b = Tensor::from_vector({3}, {0.5f, -1, 2});
  REQUIRE(ops::dense(x, w, b).to_vector() == std::vector<float>{1.5f, 1, 5, -0.5f, 2, 4});
  REQUIRE(ops::dense(x, w, Tensor()).to_vector() == std::vector<float>{1, 2, 3, -1, 3, 2});
  REQUIRE_THROWS_WITH(ops::dense(x, Tensor::zeros({3, 4}), Tensor()), Catch::Contains("features"));
}

TEST_CASE("batch_norm of a known batch, with the running-statistics update", "[ops][batchnorm]") {
  // Channel 0: 1, 2, 3, 4 (mean 2.5, biased var 1.25, unbiased 5/3).
  // Channel 1: 2, 2, 2, 6 (mean 3, biased var 3, unbiased 4).
  const Tensor x = Tensor::from_vector({4, 2}, {1, 2, 2, 2, 3, 2, 4, 6});
  const Tensor gamma = Tensor::from_vector({2}, {2, 0.5f}), beta = Tensor::from_vector({2}, {1, -1});
  Tensor running_mean = Tensor::from_vector({2}, {0, 1});
  Tensor running_var = Tensor::from_vector({2}, {1, 2});
  const float eps = 1e-5f, momentum = 0.1f;
  const Tensor y = ops::batch_norm(x, gamma, beta, running_mean, running_var, true, momentum, eps);
  std::vector<float> expected;
  const double mean[2] = {2.5, 3}, var[2] = {1.25, 3}, g[2] = {2, 0.5}, bt[2] = {1, -1};
  const std::vector<float> xv = x.to_vector();
  for (size_t i = 0; i < xv.size(); ++i) {
    const size_t c = i % 2;
    expected.push_back(static_cast<float>((xv[i] - mean[c]) / std::sqrt(var[c] + eps) * g[c] + bt[c]));
  }
  check_close(y.to_vector(), expected, 1e-5);
  check_close(running_mean.to_vector(), {0.9f * 0 + 0.1f * 2.5f, 0.9f * 1 + 0.1f * 3});
  check_close(running_var.to_vector(), {0.9f * 1 + 0.1f * 5 / 3.0f, 0.9f * 2 + 0.1f * 4});

  SECTION("eval mode normalizes with the running statistics and leaves them alone") {
    const std::vector<float> rm = running_mean.to_vector(), rv = running_var.to_vector();
    const Tensor z = ops::batch_norm(x, gamma, beta, running_mean, running_var, false, momentum, eps);
    std::vector<float> want;
    for (size_t i = 0; i < xv.size(); ++i) {
      const size_t c = i % 2;
      want.push_back(static_cast<float>((xv[i] - rm[c]) / std::sqrt(rv[c] + eps) * g[c] + bt[c]));
    }
    check_close(z.to_vector(), want, 1e-5);
    REQUIRE(running_mean.to_vector() == rm);
    REQUIRE(running_var.to_vector() == rv);
  }
}

TEST_CASE("batch_norm on images pools statistics over N, H and W", "[ops][batchnorm]") {
  // [N=2, C=1, H=1, W=2]: values 0, 2 | 4, 6: mean 3, biased var 5, unbiased 20/3.
  const Tensor x = Tensor::from_vector({2, 1, 1, 2}, {0, 2, 4, 6});
  Tensor running_mean = Tensor::zeros({1}), running_var = Tensor::full({1}, 1.0f);
  const Tensor y = ops::batch_norm(x, Tensor::full({1}, 1.0f), Tensor::zeros({1}), running_mean, running_var,
                                   true, 0.5f, 1e-5f);
  const double s = std::sqrt(5 + 1e-5);
  check_close(y.to_vector(), {static_cast<float>(-3 / s), static_cast<float>(-1 / s), static_cast<float>(1 / s),
                              static_cast<float>(3 / s)});
  check_close(running_mean.to_vector(), {1.5f});
  check_close(running_var.to_vector(), {0.5f + 0.5f * 20 / 3.0f});
  REQUIRE_THROWS_AS(ops::batch_norm(x, Tensor::full({2}, 1.0f), Tensor::zeros({1}), running_mean, running_var,
                                    true, 0.1f, 1e-5f),
                    Error);
}

TEST_CASE("softmax and log_softmax over classes", "[ops][softmax]") {
  const Tensor x = Tensor::from_vector({2, 3}, {0, std::log(2.0f), std::log(3.0f), 1000, 1000, 1000});
  check_close(ops::softmax(x).to_vector(), {1 / 6.f, 2 / 6.f, 3 / 6.f, 1 / 3.f, 1 / 3.f, 1 / 3.f}, 1e-6);
  check_close(ops::log_softmax(x).to_vector(),
              {std::log(1 / 6.f), std::log(2 / 6.f), std::log(3 / 6.f), std::log(1 / 3.f), std::log(1 / 3.f),
               std::log(1 / 3.f)},
              1e-5);
  REQUIRE_THROWS_AS(ops::softmax(Tensor::zeros({2, 3, 4})), Error);
}

TEST_CASE("cross_entropy with and without label smoothing matches the formula", "[ops][loss]") {
  const std::vector<float> logits = {1, 2, 3, 1, 0, -1};
  const std::vector<int> labels = {2, 0};
  const Tensor x = Tensor::from_vector({2, 3}, logits);
  const Tensor y = Tensor::from_vector({2}, {2, 0});
  for (const double s : {0.0, 0.1, 0.3}) {
    double expected = 0;
    for (size_t n = 0; n < 2; ++n) {
      double total = 0;
      for (size_t c = 0; c < 3; ++c) total += std::exp(static_cast<double>(logits[n * 3 + c]));
      double sum_log_p = 0;
      for (size_t c = 0; c < 3; ++c) sum_log_p += logits[n * 3 + c] - std::log(total);
      const double log_p_target = logits[n * 3 + static_cast<size_t>(labels[n])] - std::log(total);
      expected += -(1 - s) * log_p_target - s / 3 * sum_log_p;
    }
    expected /= 2;
    INFO("label smoothing " << s);
    REQUIRE(ops::cross_entropy(x, y, static_cast<float>(s)).item() == Approx(expected).epsilon(1e-5));
    REQUIRE(ops::nll_loss(ops::log_softmax(x), y, static_cast<float>(s)).item() ==
            Approx(expected).epsilon(1e-5));
  }
  SECTION("the gradient is (softmax - smoothed one-hot) / N") {
    const Tensor leaf_x = x.detach().clone().set_requires_grad(true);
    const float s = 0.3f;
    ops::cross_entropy(leaf_x, y, s).backward();
    const std::vector<float> p = ops::softmax(x).to_vector();
    std::vector<float> want(6);
    for (size_t n = 0; n < 2; ++n)
      for (size_t c = 0; c < 3; ++c) {
        const float target = (static_cast<int>(c) == labels[n] ? 1 - s : 0) + s / 3;
        want[n * 3 + c] = (p[n * 3 + c] - target) / 2;
      }
    check_close(leaf_x.grad().to_vector(), want, 1e-6);
  }
  SECTION("bad labels and smoothing are errors") {
    REQUIRE_THROWS_WITH(ops::cross_entropy(x, Tensor::from_vector({2}, {0, 3})), Catch::Contains("label 3"));
    REQUIRE_THROWS_AS(ops::cross_entropy(x, Tensor::from_vector({2}, {0, 0.5f})), Error);
    REQUIRE_THROWS_AS(ops::cross_entropy(x, Tensor::from_vector({3}, {0, 1, 2})), Error);
    REQUIRE_THROWS_AS(ops::cross_entropy(x, y, 1.0f), Error);
  }
}
