// The Winograd convolution path (3x3, stride 1, padding 1, >= 8 input
// channels) has its own data- and weight-gradient kernels: check them
// against finite differences, as every op's gradients are.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <tuple>
#include <vector>

#include "core/core.h"
#include "core/cpu/winograd_kernels.h"
#include "tests/core/gradcheck.h"

using namespace gaze;
using namespace gaze::testing;

TEST_CASE("Winograd conv2d gradients match finite differences", "[gradcheck][conv][winograd]") {
  Rng rng(21);
  for (const Shape& x_shape : {Shape{3, 8, 5, 7}, Shape{1, 12, 1, 1}}) {
    INFO("input " << to_string(x_shape));
    Tensor x = random_input(x_shape, rng).set_requires_grad(true);
    Tensor w = random_input({4, x_shape[1], 3, 3}, rng, 0.3f).set_requires_grad(true);
    Tensor b = random_input({4}, rng).set_requires_grad(true);
    check_gradients([](const std::vector<Tensor>& in) { return ops::conv2d(in[0], in[1], in[2], {1, 1, 1, 1}); },
                    {x, w, b});
  }
}

// Finite differences only reach small layers; the wide ones sum over many
// more products, so check both gradients of a 48-channel layer with partial
// tiles and rows long enough for the vector path against direct loops in
// double.
TEST_CASE("Winograd conv2d gradients of a wide layer match direct loops", "[conv][winograd]") {
  Rng rng(5);
  const int64_t batch = 2, ins = 48, outs = 40, height = 11, width = 35;  // 9 tiles a row
  Tensor x = random_input({batch, ins, height, width}, rng).set_requires_grad(true);
  Tensor w = random_input({outs, ins, 3, 3}, rng, 0.1f).set_requires_grad(true);
  const Tensor grad_y = random_input({batch, outs, height, width}, rng);
  ops::sum(ops::mul(ops::conv2d(x, w, Tensor(), {1, 1, 1, 1}), grad_y)).backward();

  const std::vector<float> xv = x.to_vector(), wv = w.to_vector(), gv = grad_y.to_vector();
  std::vector<double> grad_x(xv.size(), 0.0), grad_w(wv.size(), 0.0);
  auto at = [](int64_t a, int64_t b, int64_t c, int64_t d, int64_t nb, int64_t nc, int64_t nd) {
    return static_cast<size_t>(((a * nb + b) * nc + c) * nd + d);
  };
  for (int64_t n = 0; n < batch; ++n)
    for (int64_t o = 0; o < outs; ++o)
      for (int64_t oy = 0; oy < height; ++oy)
        for (int64_t ox = 0; ox < width; ++ox) {
          const double g = gv[at(n, o, oy, ox, outs, height, width)];
          for (int64_t c = 0; c < ins; ++c)
            for (int64_t i = 0; i < 3; ++i)
              for (int64_t j = 0; j < 3; ++j) {
                const int64_t iy = oy + i - 1, ix = ox + j - 1;
                if (iy < 0 || iy >= height || ix < 0 || ix >= width) continue;
                grad_x[at(n, c, iy, ix, ins, height, width)] += g * wv[at(o, c, i, j, ins, 3, 3)];
                grad_w[at(o, c, i, j, ins, 3, 3)] += g * xv[at(n, c, iy, ix, ins, height, width)];
              }
        }
  // Within 1e-5 of each gradient's scale (Winograd rounds at a few ulps of
  // the largest terms).
  for (const auto& [name, actual, expected] :
       {std::tuple{"grad_x", x.grad().to_vector(), grad_x}, std::tuple{"grad_w", w.grad().to_vector(), grad_w}}) {
    INFO(name);
    double scale = 1, worst = 0;
    for (const double v : expected) scale = std::max(scale, std::abs(v));
    for (size_t i = 0; i < expected.size(); ++i) worst = std::max(worst, std::abs(actual[i] - expected[i]));
    INFO("largest difference " << worst << " at scale " << scale);
    REQUIRE(worst <= 1e-5 * scale);
  }
}

// Each variant must be right for any shape, not only the widths the
// dispatcher sends it: run both on narrow and wide images and compare.
TEST_CASE("Winograd F(2x2) and F(4x4) agree on narrow and wide images", "[conv][winograd]") {
  Rng rng(9);
  // The last three have several blocks of tiles per call, with blocks
  // starting and ending inside images (F(2x2): 42 tiles an image, blocks of
  // 288; 450 tiles an image in a tall, narrow one, blocks of 512) and, in the
  // 13x21 one, inside tile rows of F(4x4)'s stack path (6 tiles a row, 24 an
  // image, blocks of 64).
  for (const cpu::WinogradShape s :
       {cpu::WinogradShape{2, 16, 12, 9, 6}, cpu::WinogradShape{1, 8, 10, 5, 41}, cpu::WinogradShape{9, 128, 96, 11, 13},
        cpu::WinogradShape{2, 8, 4, 300, 5}, cpu::WinogradShape{4, 64, 64, 13, 21}}) {
    INFO("batch " << s.batch << " channels " << s.in_channels << "->" << s.out_channels << " size " << s.height
                  << "x" << s.width);
    const std::vector<float> x = random_input({s.batch, s.in_channels, s.height, s.width}, rng).to_vector();
    const std::vector<float> w = random_input({s.out_channels, s.in_channels, 3, 3}, rng, 0.2f).to_vector();
    const std::vector<float> gy = random_input({s.batch, s.out_channels, s.height, s.width}, rng).to_vector();
    std::vector<float> y2(gy.size()), y4(gy.size()), gx2(x.size()), gx4(x.size()), gw2(w.size()), gw4(w.size());
    cpu::f2x2::forward(x.data(), w.data(), s, y2.data());
    cpu::f4x4::forward(x.data(), w.data(), s, y4.data());
    cpu::f2x2::backward_data(gy.data(), w.data(), s, gx2.data());
    cpu::f4x4::backward_data(gy.data(), w.data(), s, gx4.data());
    cpu::f2x2::backward_weights(x.data(), gy.data(), s, gw2.data());
    cpu::f4x4::backward_weights(x.data(), gy.data(), s, gw4.data());
    for (const auto& [name, a, b] : {std::tuple{"y", &y2, &y4}, std::tuple{"grad_x", &gx2, &gx4},
                                     std::tuple{"grad_w", &gw2, &gw4}}) {
      INFO(name);
      float scale = 1;
      for (const float v : *a) scale = std::max(scale, std::abs(v));
      check_close(*b, *a, 1e-5 * scale);
    }
  }
}
