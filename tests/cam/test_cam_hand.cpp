// Grad-CAM++, Score-CAM, SmoothGrad and contrastive CAM against maps worked
// out here by hand, from each method's definition as cam/ documents it, on
// networks of a few weights set explicitly (conv -> [relu] -> gap -> dense ->
// softmax, 3x3 or 6x6 inputs). The expected values come from plain loops in
// double precision that never touch gaze's ops or autograd, so a wrong
// formula in gaze cannot be copied into the oracle; the comments give the
// numbers for the first image so a reader can check them with pencil and paper.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "cam/methods.h"
#include "tiny_net.h"

using namespace gaze;
using namespace gaze::cam;

namespace {

using testing::batch_of;
using testing::check_map;
using testing::TinyNet;

// The 3x3 images and the 2-filter, 2x2-kernel conv the Grad-CAM++ and
// contrastive tests share:
//   x1 = [1 2 0; -1 3 1; 2 -2 1], x2 = [0 1 2; 1 -1 0; 2 0 2]
//   filter 0: [1 0; 0 1], bias 0    -> conv0(x1) = [4 3; -3 4],      conv0(x2) = [-1 1; 1 1]
//   filter 1: [0 1; -1 0], bias 0.5 -> conv1(x1) = [3.5 -2.5; 1.5 3.5], conv1(x2) = [0.5 3.5; -2.5 0.5]
// No conv output is 0, so no pixel sits on relu's kink.
const std::vector<double> x1 = {1, 2, 0, -1, 3, 1, 2, -2, 1};
const std::vector<double> x2 = {0, 1, 2, 1, -1, 0, 2, 0, 2};

TinyNet three_class_net() {
  TinyNet net;
  net.classes = 3;
  net.conv_weight = {1, 0, 0, 1, 0, 1, -1, 0};
  net.conv_bias = {0, 0.5};
  net.dense_weight = {2, 1, -1, 0.5, 0.5, -2};  // rows: class 0, 1, 2
  net.dense_bias = {0.1, -0.2, 0.3};
  return net;
}

}  // namespace

TEST_CASE("Grad-CAM++ matches its closed form worked out by hand", "[cam][hand]") {
  // Explaining the conv layer (before relu): d logit_t / d conv_k[i] = w_tk / 4
  // where conv_k[i] > 0, else 0. pytorch-grad-cam's closed form, as
  // cam/gradients.cpp states it: alpha_i = g_i^2 / (2 g_i^2 + sum(A_k) g_i^3)
  // (0 where g_i = 0), channel weight = sum_i alpha_i relu(g_i), map = sum_k weight_k A_k.
  // Image 1, class 0 (w = [2, 1]):
  //   k = 0: g = 1/2 on 3 pixels, sum(A) = 8, alpha = 1/(2 + 8/2) = 1/6, weight = 3/6 * 1/2 = 1/4
  //   k = 1: g = 1/4 on 3 pixels, sum(A) = 6, alpha = 1/(2 + 6/4) = 2/7, weight = 3 * 2/7 * 1/4 = 3/14
  //   map = conv0 / 4 + 3/14 conv1 = [1.75 0.2142857; -0.4285714 1.75]
  // Image 2, class 1 (w = [-1, 0.5]): k = 0 has g < 0 so relu(g) = 0; k = 1: g = 1/8 on
  // 3 pixels, sum(A) = 2, alpha = 1/(2 + 1/4) = 4/9, weight = 3 * 4/9 * 1/8 = 1/6.
  const TinyNet net = three_class_net();
  Model model = net.build();
  const std::vector<int> targets = {0, 1};
  const std::vector<std::vector<double>> images = {x1, x2};

  MethodOptions options;
  options.method = Method::gradcam_plus_plus;
  options.layer = "conv";
  const std::vector<Map> maps = compute_maps(model, batch_of(net, images), targets, options);
  REQUIRE(maps.size() == 2);

  const int plane = net.out() * net.out();
  for (size_t n = 0; n < images.size(); ++n) {
    const std::vector<double> a = net.conv(images[n]);
    std::vector<double> expected(static_cast<size_t>(plane), 0.0);
    for (int k = 0; k < net.filters; ++k) {
      const double* ak = a.data() + k * plane;
      double activation_sum = 0;
      for (int i = 0; i < plane; ++i) activation_sum += ak[i];
      double weight = 0;
      for (int i = 0; i < plane; ++i) {
        const double g = ak[i] > 0 ? net.w(targets[n], k) / plane : 0.0;
        if (g == 0) continue;
        const double alpha = g * g / (2 * g * g + activation_sum * g * g * g);
        weight += alpha * std::max(g, 0.0);
      }
      for (int i = 0; i < plane; ++i) expected[static_cast<size_t>(i)] += weight * ak[i];
    }
    INFO("image " << n);
    check_map(maps[n], net.out(), net.out(), expected);
  }
  // The pencil-and-paper numbers above, as a check on the loops themselves.
  check_map(maps[0], 2, 2, {1.75, 0.75 - 2.5 * 3 / 14, -0.75 + 1.5 * 3 / 14, 1.75});
  check_map(maps[1], 2, 2, {0.5 / 6, 3.5 / 6, -2.5 / 6, 0.5 / 6});
}

TEST_CASE("contrastive CAM matches the target's CAM minus every other class's, by hand", "[cam][hand]") {
  // cam/cam.cpp defines the contrastive map as M_t - sum_{c != t} M_c with
  // M_c = sum_k w_ck A_k (A: the relu output gap reads). With three classes
  // this differs from M_t - M_b for any single other class b.
  // Image 1, class 0: A0 = [4 3; 0 4], A1 = [3.5 0; 1.5 3.5];
  //   M0 = 2 A0 + A1, M1 = -A0 + 0.5 A1, M2 = 0.5 A0 - 2 A1,
  //   M0 - M1 - M2 = 2.5 A0 + 2.5 A1 = [18.75 7.5; 3.75 18.75]
  // Image 2, class 2: A0 = [0 1; 1 1], A1 = [0.5 3.5; 0 0.5];
  //   M2 - M0 - M1 = -0.5 A0 - 3.5 A1 = [-1.75 -12.75; -0.5 -2.25]
  const TinyNet net = three_class_net();
  Model model = net.build();
  const std::vector<int> targets = {0, 2};
  const std::vector<std::vector<double>> images = {x1, x2};

  MethodOptions options;
  options.method = Method::contrastive;
  const std::vector<Map> maps = compute_maps(model, batch_of(net, images), targets, options);
  REQUIRE(maps.size() == 2);

  const int plane = net.out() * net.out();
  for (size_t n = 0; n < images.size(); ++n) {
    const std::vector<double> a = net.features(images[n]);
    std::vector<double> expected(static_cast<size_t>(plane), 0.0);
    for (int c = 0; c < net.classes; ++c) {
      const double sign = c == targets[n] ? 1.0 : -1.0;
      for (int k = 0; k < net.filters; ++k)
        for (int i = 0; i < plane; ++i)
          expected[static_cast<size_t>(i)] += sign * net.w(c, k) * a[static_cast<size_t>(k * plane + i)];
    }
    INFO("image " << n);
    check_map(maps[n], net.out(), net.out(), expected);
  }
  check_map(maps[0], 2, 2, {18.75, 7.5, 3.75, 18.75});
  check_map(maps[1], 2, 2, {-1.75, -12.75, -0.5, -2.25});
}

TEST_CASE("Score-CAM matches masking by upsampled, min-max scaled activations, by hand", "[cam][hand]") {
  // cam/methods.h and cam/perturbation.cpp: each channel A_k of the target
  // layer, upsampled bilinearly (align_corners = false) to the input size and
  // min-max scaled to [0, 1], multiplies the input (as in the Score-CAM
  // authors' code and pytorch-grad-cam, the scaling is of the upsampled map);
  // the channel's weight is the softmax probability of the target class on
  // that masked input; map = sum_k p_k A_k, at the layer's resolution.
  // A 6x6 input and a 2x2-kernel stride-2 conv -> relu give 3x3 maps.
  // Bilinear 3 -> 6 with align_corners = false: output pixel y samples source
  // (y + 0.5) / 2 - 0.5 = -0.25, 0.25, 0.75, 1.25, 1.75, 2.25, clamped to [0, 2]:
  const double upsample[6][3] = {{1, 0, 0}, {0.75, 0.25, 0}, {0.25, 0.75, 0},
                                 {0, 0.75, 0.25}, {0, 0.25, 0.75}, {0, 0, 1}};
  // Image 1: filter 0 = [1 1; 1 1], bias 0     -> A0 = [2 2 0.5; 0 7 3; 1 1 4]
  //          filter 1 = [1 0; 0 -1], bias 0.25 -> A1 = [0.25 2.25 0; 0.25 0.25 0.25; 0.25 0 1.25]
  // A0's extremes (0 and 7) and A1's maximum (2.25) sit in the middle row or
  // column, which no output pixel samples exactly: the upsampled A0 spans
  // [0.25, 4.9375] (at output (3, 3): 0.75 (0.75 * 7 + 0.25 * 3) + 0.25 (0.75 * 1
  // + 0.25 * 4)), the upsampled A1 [0, 1.75], and the masks are
  // (up0 - 0.25) / 4.6875 and up1 / 1.75.
  // The weights are then p = 0.88364 (A0's mask) and 0.72036 (A1's), and
  // map = [1.94738 3.38809 0.44182; 0.18009 6.36560 2.83102; 1.06373 0.88364 4.43502].
  TinyNet net;
  net.size = 6;
  net.stride = 2;
  net.conv_weight = {1, 1, 1, 1, 1, 0, 0, -1};
  net.conv_bias = {0, 0.25};
  net.dense_weight = {1, -0.5, -0.5, 0.8};
  net.dense_bias = {0.2, -0.1};
  Model model = net.build();
  const std::vector<double> image1 = {1,  0, 2,  1,  0, -1,  0, 1, -1, 0,  1, 0.5,  -1, 0, 2, 1, 1, 0,
                                      0, -1, 2,  2,  1, 1,   0, 1, 0,  -1, 2, 1,    0,  0, 1, 1, 0, 1};
  const std::vector<double> image2(image1.rbegin(), image1.rend());
  const std::vector<std::vector<double>> images = {image1, image2};
  const std::vector<int> targets = {0, 1};

  MethodOptions options;
  options.method = Method::scorecam;
  options.batch = 1;  // one masked image per forward pass
  const std::vector<Map> maps = compute_maps(model, batch_of(net, images), targets, options);
  REQUIRE(maps.size() == 2);

  const int o = net.out(), plane = o * o, input_plane = net.size * net.size;
  REQUIRE(o == 3);
  CHECK(net.features(image1) == std::vector<double>{2, 2, 0.5, 0, 7, 3, 1, 1, 4,  //
                                                    0.25, 2.25, 0, 0.25, 0.25, 0.25, 0.25, 0, 1.25});
  for (size_t n = 0; n < images.size(); ++n) {
    const std::vector<double> a = net.features(images[n]);
    std::vector<double> expected(static_cast<size_t>(plane), 0.0);
    for (int k = 0; k < net.filters; ++k) {
      const double* ak = a.data() + k * plane;
      std::vector<double> up(static_cast<size_t>(input_plane), 0.0);
      for (int y = 0; y < net.size; ++y)
        for (int x = 0; x < net.size; ++x)
          for (int i = 0; i < o; ++i)
            for (int j = 0; j < o; ++j) up[static_cast<size_t>(y * net.size + x)] += upsample[y][i] * upsample[x][j] * ak[i * o + j];
      const double low = *std::min_element(up.begin(), up.end()), high = *std::max_element(up.begin(), up.end());
      REQUIRE(high > low);
      std::vector<double> masked = images[n];
      for (int i = 0; i < input_plane; ++i) masked[static_cast<size_t>(i)] *= (up[static_cast<size_t>(i)] - low) / (high - low);
      const double score = net.probability(masked, targets[n]);
      for (int i = 0; i < plane; ++i) expected[static_cast<size_t>(i)] += score * ak[i];
    }
    INFO("image " << n);
    check_map(maps[n], o, o, expected);
  }
  check_map(maps[0], 3, 3, {1.9473787, 3.3880915, 0.4418224, 0.1800891, 6.3656026, 2.8310234, 1.0637339, 0.8836448, 4.4350246});
}

TEST_CASE("SmoothGrad matches the mean of max-over-channels |gradient|, by hand", "[cam][hand]") {
  // cam/gradients.cpp: SmoothGrad averages, over noisy copies of the image,
  // each copy's saliency max_c |d logit_t / d x_c| (the vanilla saliency's
  // convention). Without relu the network is linear, so the input gradient is
  // the same for every noisy copy and the mean is exact whatever the noise:
  // with v_c = sum_k w_tk K_k[c] (the class's effective 2x2 kernel),
  // d logit_t / d x[c, y, x] = 1/4 * sum of the taps of v_c that cover (y, x).
  // Image 1, class 0 (w = [1, 0.5]): v_0 = [1.25 -1; 1 1.5], v_1 = [1 0.5; -1 1]
  //   gradient channel 0 = [1.25 0.25 -1; 2.25 2.75 0.5; 1 2.5 1.5] / 4
  //   gradient channel 1 = [1 1.5 0.5; 0 1.5 1.5; -1 0 1] / 4
  //   map = [1.25 1.5 1; 2.25 2.75 1.5; 1 2.5 1.5] / 4 (the top-right pixel's 1 is |-1|)
  TinyNet net;
  net.channels = 2;
  net.relu = false;
  net.conv_weight = {1, -1, 0.5, 2, /* channel 1 */ 0, 1, -1, 0.5,   // filter 0
                     0.5, 0, 1, -1, /* channel 1 */ 2, -1, 0, 1};    // filter 1
  net.conv_bias = {0.1, -0.3};
  net.dense_weight = {1, 0.5, -1, 2};
  net.dense_bias = {0, 0.5};
  Model model = net.build();
  std::vector<double> image1(18), image2(18);
  for (size_t i = 0; i < 18; ++i) {
    image1[i] = 0.1 * static_cast<double>(i) - 0.8;
    image2[i] = std::sin(static_cast<double>(i));
  }
  const std::vector<int> targets = {0, 1};

  MethodOptions options;
  options.method = Method::smoothgrad;
  options.smoothgrad_samples = 5;
  options.smoothgrad_sigma = 0.2f;
  options.seed = 9;
  const std::vector<Map> maps = compute_maps(model, batch_of(net, {image1, image2}), targets, options);
  REQUIRE(maps.size() == 2);

  const int k = net.kernel, o = net.out();
  for (size_t n = 0; n < 2; ++n) {
    std::vector<double> expected(static_cast<size_t>(net.size * net.size), 0.0);
    for (int c = 0; c < net.channels; ++c)
      for (int y = 0; y < net.size; ++y)
        for (int x = 0; x < net.size; ++x) {
          double gradient = 0;
          for (int i = 0; i < o; ++i)
            for (int j = 0; j < o; ++j) {
              const int u = y - i, v = x - j;
              if (u < 0 || u >= k || v < 0 || v >= k) continue;
              for (int f = 0; f < net.filters; ++f)
                gradient += net.w(targets[n], f) / (o * o) *
                            net.conv_weight[static_cast<size_t>(((f * net.channels + c) * k + u) * k + v)];
            }
          double& pixel = expected[static_cast<size_t>(y * net.size + x)];
          pixel = std::max(pixel, std::abs(gradient));
        }
    INFO("image " << n);
    check_map(maps[n], net.size, net.size, expected);
  }
  check_map(maps[0], 3, 3, {1.25 / 4, 1.5 / 4, 1.0 / 4, 2.25 / 4, 2.75 / 4, 1.5 / 4, 1.0 / 4, 2.5 / 4, 1.5 / 4});
}
