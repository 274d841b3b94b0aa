// --compat pytorch-grad-cam against values worked out here by hand, from
// pytorch-grad-cam's code as the README and the methods' source comments
// describe it, on TinyNet (tests/cam/tiny_net.h: conv -> relu -> gap ->
// dense -> softmax, every weight given, its forward in plain double loops):
// - Grad-CAM++: 1e-6 added to the denominator of alpha;
// - Score-CAM: masks upsampled with align_corners = True and scaled by
//   (m - min) / (max - min + 1e-8), weights a softmax over the channels of
//   the target's logits on the masked images;
// - XGrad-CAM: 1e-7 added to the denominator sum(A_k);
// - the display: ReLU and min-max (1e-7) before resizing and again after.
// Each case also checks that gaze's own numbers differ, so the test cannot
// pass with the option ignored.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "cam/methods.h"
#include "cam/metrics.h"
#include "tiny_net.h"

using namespace gaze;
using namespace gaze::cam;
using testing::batch_of;
using testing::check_map;
using testing::TinyNet;

namespace {
double largest_difference(const Map& a, const Map& b) {
  double d = 0;
  for (size_t i = 0; i < a.values.size(); ++i) d = std::max(d, static_cast<double>(std::abs(a.values[i] - b.values[i])));
  return d;
}

MethodOptions options_for(Method method, Compat compat, const std::string& layer = "") {
  MethodOptions options;
  options.method = method;
  options.compat = compat;
  options.layer = layer;
  options.batch = 1;
  return options;
}
}  // namespace

TEST_CASE("compat pytorch-grad-cam: Grad-CAM++ adds 1e-6 to alpha's denominator", "[cam][compat]") {
  // Small dense weights make the gradients g = w / 4 about 1e-3, so
  // 2 g^2 + sum(A) g^3 is about 1e-6 and the epsilon changes alpha by half.
  // Image [1 2 0; -1 3 1; 2 -2 1], filter 0 = [1 0; 0 1] -> conv0 = [4 3; -3 4]
  // (sum 8), filter 1 = [0 1; -1 0] + 0.5 -> conv1 = [3.5 -2.5; 1.5 3.5]
  // (sum 6); class 0 weights [0.004, 0.002]: g0 = 1e-3 and g1 = 5e-4 where
  // the conv output is > 0 (3 pixels each),
  //   alpha0 = 1e-6 / (2e-6 + 8e-9 + 1e-6) = 0.332447 (gaze, without 1e-6: 0.498008),
  //   alpha1 = 2.5e-7 / (5e-7 + 7.5e-10 + 1e-6) = 0.166583 (gaze: 0.499251),
  //   weights 3 alpha g: 9.97340e-4 and 2.49875e-4,
  //   map[0] = 4 * 9.97340e-4 + 3.5 * 2.49875e-4 = 4.86392e-3 (gaze: 8.59717e-3).
  TinyNet net;
  net.conv_weight = {1, 0, 0, 1, 0, 1, -1, 0};
  net.conv_bias = {0, 0.5};
  net.dense_weight = {0.004, 0.002, -0.003, 0.001};
  net.dense_bias = {0, 0};
  Model model = net.build();
  const std::vector<double> image = {1, 2, 0, -1, 3, 1, 2, -2, 1};
  const Tensor x = batch_of(net, {image});
  const Map compat = compute_maps(model, x, {0}, options_for(Method::gradcam_plus_plus, Compat::pytorch_grad_cam, "conv")).front();
  const Map own = compute_maps(model, x, {0}, options_for(Method::gradcam_plus_plus, Compat::gaze, "conv")).front();
  const std::vector<double> a = net.conv(image);
  std::vector<double> expected(4, 0.0);
  for (int k = 0; k < 2; ++k) {
    double sum = 0;
    for (int i = 0; i < 4; ++i) sum += a[static_cast<size_t>(k * 4 + i)];
    double weight = 0;
    for (int i = 0; i < 4; ++i) {
      const double g = a[static_cast<size_t>(k * 4 + i)] > 0 ? net.w(0, k) / 4 : 0.0;
      if (g != 0) weight += g * g / (2 * g * g + sum * g * g * g + 1e-6) * std::max(g, 0.0);
    }
    for (int i = 0; i < 4; ++i) expected[static_cast<size_t>(i)] += weight * a[static_cast<size_t>(k * 4 + i)];
  }
  check_map(compat, 2, 2, expected);
  CHECK(compat.values[0] == Approx(4.86392e-3).epsilon(1e-5));
  CHECK(own.values[0] == Approx(8.59717e-3).epsilon(1e-5));
}

TEST_CASE("compat pytorch-grad-cam: Score-CAM's align_corners masks and softmax over channels", "[cam][compat]") {
  // A 6x6 image and a 2x2-kernel stride-2 conv -> relu give 3x3 maps.
  // align_corners = True upsampling 3 -> 6: output pixel y samples source
  // y * 2 / 5 = 0, 0.4, 0.8, 1.2, 1.6, 2 (the rows below). Each channel's
  // mask is (up - min) / (max - min + 1e-8); channel k's weight is the
  // softmax over k of the target's logit on the image times mask k.
  const double upsample[6][3] = {{1, 0, 0}, {0.6, 0.4, 0}, {0.2, 0.8, 0},
                                 {0, 0.8, 0.2}, {0, 0.4, 0.6}, {0, 0, 1}};
  TinyNet net;
  net.size = 6;
  net.stride = 2;
  net.conv_weight = {1, 1, 1, 1, 1, 0, 0, -1};
  net.conv_bias = {0, 0.25};
  net.dense_weight = {1, -0.5, -0.5, 0.8};
  net.dense_bias = {0.2, -0.1};
  Model model = net.build();
  const std::vector<double> image = {1,  0, 2,  1,  0, -1,  0, 1, -1, 0,  1, 0.5,  -1, 0, 2, 1, 1, 0,
                                     0, -1, 2,  2,  1, 1,   0, 1, 0,  -1, 2, 1,    0,  0, 1, 1, 0, 1};
  const Tensor x = batch_of(net, {image});
  for (int target : {0, 1}) {
    const Map compat = compute_maps(model, x, {target}, options_for(Method::scorecam, Compat::pytorch_grad_cam)).front();
    const Map own = compute_maps(model, x, {target}, options_for(Method::scorecam, Compat::gaze)).front();
    const std::vector<double> a = net.features(image);
    std::vector<double> logits;
    for (int k = 0; k < 2; ++k) {
      std::vector<double> up(36, 0.0);
      for (int y = 0; y < 6; ++y)
        for (int xx = 0; xx < 6; ++xx)
          for (int i = 0; i < 3; ++i)
            for (int j = 0; j < 3; ++j) up[static_cast<size_t>(y * 6 + xx)] += upsample[y][i] * upsample[xx][j] * a[static_cast<size_t>(k * 9 + i * 3 + j)];
      const double low = *std::min_element(up.begin(), up.end()), high = *std::max_element(up.begin(), up.end());
      std::vector<double> masked = image;
      for (size_t i = 0; i < 36; ++i) masked[i] *= (up[i] - low) / (high - low + 1e-8);
      logits.push_back(net.logits(masked)[static_cast<size_t>(target)]);
    }
    const double top = std::max(logits[0], logits[1]);
    const double e0 = std::exp(logits[0] - top), e1 = std::exp(logits[1] - top);
    std::vector<double> expected(9);
    for (size_t i = 0; i < 9; ++i) expected[i] = (e0 * a[i] + e1 * a[9 + i]) / (e0 + e1);
    INFO("target " << target);
    check_map(compat, 3, 3, expected);
    CHECK(largest_difference(compat, own) > 0.05);
  }
}

TEST_CASE("compat pytorch-grad-cam: XGrad-CAM adds 1e-7 to sum(A_k)", "[cam][compat]") {
  // Filter 1 is all zero with bias 1e-7: A_1 = 1e-7 at each of the 4
  // pixels, sum 4e-7. gaze's weight sum(A g) / sum(A) is g = w_t1 / 4;
  // pytorch-grad-cam's is g 4e-7 / 5e-7 = 0.8 g. Filter 0 (sum 11) barely moves.
  TinyNet net;
  net.conv_weight = {1, 0, 0, 1, 0, 0, 0, 0};
  net.conv_bias = {0, 1e-7};
  net.dense_weight = {1, 2, -1, 3};
  net.dense_bias = {0, 0};
  Model model = net.build();
  const std::vector<double> image = {1, 2, 0, -1, 3, 1, 2, -2, 1};  // conv0 = [4 3; -3 4] -> A0 = [4 3; 0 4]
  const Tensor x = batch_of(net, {image});
  for (int target : {0, 1}) {
    const Map compat = compute_maps(model, x, {target}, options_for(Method::xgradcam, Compat::pytorch_grad_cam, "relu")).front();
    const Map own = compute_maps(model, x, {target}, options_for(Method::xgradcam, Compat::gaze, "relu")).front();
    const std::vector<double> a = net.features(image);
    std::vector<double> expected(4, 0.0), plain(4, 0.0);
    for (int k = 0; k < 2; ++k) {
      double sum = 0, weighted = 0;
      for (int i = 0; i < 4; ++i) {
        const double ai = a[static_cast<size_t>(k * 4 + i)];
        sum += ai;
        weighted += ai * net.w(target, k) / 4;  // g = w_tk / 4 wherever A > 0 (and A g = 0 elsewhere)
      }
      for (int i = 0; i < 4; ++i) {
        expected[static_cast<size_t>(i)] += weighted / (sum + 1e-7) * a[static_cast<size_t>(k * 4 + i)];
        plain[static_cast<size_t>(i)] += weighted / sum * a[static_cast<size_t>(k * 4 + i)];
      }
    }
    INFO("target " << target);
    check_map(compat, 2, 2, expected);
    check_map(own, 2, 2, plain);
  }
}

TEST_CASE("compat pytorch-grad-cam: maps are min-max normalized again after resizing", "[cam][compat]") {
  // A 3x3 map with its peak in the centre. Bilinear 3 -> 6 (align_corners =
  // false) samples source rows -0.25, 0.25, 0.75, 1.25, 1.75, 2.25 (clamped):
  // the centre row 1 is never hit, so the resized map's peak falls short of
  // the centre's 1 (0.75 * 0.75 + 0.75 * 0.25 * 0.25 = 0.609 at (3, 2)). gaze
  // normalizes once, at the map's resolution (peak 0.609 after resizing);
  // pytorch-grad-cam's scale_cam_image again at the input's (peak 1), each
  // time (m - min) / (max - min + 1e-7).
  Map raw(3, 3);
  raw.at(1, 1) = 2.0f;
  raw.at(0, 0) = -1.0f;  // ReLU'd away in both
  raw.at(2, 1) = 0.5f;
  const double taps[6][3] = {{1, 0, 0}, {0.75, 0.25, 0}, {0.25, 0.75, 0}, {0, 0.75, 0.25}, {0, 0.25, 0.75}, {0, 0, 1}};
  std::vector<double> resized(36, 0.0);
  const double first[3][3] = {{0, 0, 0}, {0, 1, 0}, {0, 0.25, 0}};  // relu, then / (2 + 1e-7) ~ / 2
  for (int y = 0; y < 6; ++y)
    for (int x = 0; x < 6; ++x)
      for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 3; ++j) resized[static_cast<size_t>(y * 6 + x)] += taps[y][i] * taps[x][j] * first[i][j];
  const double low = *std::min_element(resized.begin(), resized.end()), high = *std::max_element(resized.begin(), resized.end());
  CHECK(high == Approx(0.609375));
  std::vector<double> expected(36);
  for (size_t i = 0; i < 36; ++i) expected[i] = (resized[i] - low) / (high - low);
  MethodOptions options;
  options.method = Method::gradcam;
  options.compat = Compat::pytorch_grad_cam;
  check_map(display_map(raw, options, 6, 6), 6, 6, expected);
  options.compat = Compat::gaze;
  check_map(display_map(raw, options, 6, 6), 6, 6, resized);
}
