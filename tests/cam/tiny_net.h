#pragma once
// TinyNet: conv (stride, no padding) -> optional relu -> gap -> dense ->
// softmax with every weight given, and its forward pass in plain double
// loops that never touch gaze's ops, for tests that work maps out by hand
// (test_cam_hand.cpp, test_compat.cpp).
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "cam/map.h"
#include "layers/model.h"

namespace gaze::cam::testing {

// conv (stride, no padding) -> optional relu -> gap -> dense -> softmax, every
// weight given. Layouts are PyTorch's: conv [filters, channels, k, k], dense
// [classes, filters].
struct TinyNet {
  int channels = 1, size = 3, filters = 2, kernel = 2, stride = 1, classes = 2;
  bool relu = true;
  std::vector<double> conv_weight, conv_bias, dense_weight, dense_bias;

  int out() const { return (size - kernel) / stride + 1; }

  Model build() const {
    nlohmann::json layers = nlohmann::json::array();
    layers.push_back({{"type", "conv"}, {"name", "conv"}, {"filters", filters}, {"kernel", kernel}, {"stride", stride}});
    if (relu) layers.push_back({{"type", "relu"}, {"name", "relu"}});
    layers.push_back({{"type", "gap"}, {"name", "gap"}});
    layers.push_back({{"type", "dense"}, {"name", "fc"}, {"units", classes}});
    layers.push_back({{"type", "softmax"}, {"name", "probs"}});
    Model model = Model::from_json({{"input", {channels, size, size}}, {"layers", layers}}, 1);
    const std::map<std::string, const std::vector<double>*> values = {
        {"conv.weight", &conv_weight}, {"conv.bias", &conv_bias}, {"fc.weight", &dense_weight}, {"fc.bias", &dense_bias}};
    for (auto& [name, tensor] : model.named_parameters()) {
      const std::vector<double>& v = *values.at(name);
      REQUIRE(static_cast<int64_t>(v.size()) == tensor.numel());
      Tensor target = tensor;
      target.copy_from(Tensor::from_vector(tensor.shape(), std::vector<float>(v.begin(), v.end())));
    }
    return model;
  }

  // The conv output before any relu, [filters][out][out], for one image [channels][size][size].
  std::vector<double> conv(const std::vector<double>& image) const {
    const int o = out();
    std::vector<double> y(static_cast<size_t>(filters * o * o));
    for (int f = 0; f < filters; ++f)
      for (int i = 0; i < o; ++i)
        for (int j = 0; j < o; ++j) {
          double sum = conv_bias[static_cast<size_t>(f)];
          for (int c = 0; c < channels; ++c)
            for (int u = 0; u < kernel; ++u)
              for (int v = 0; v < kernel; ++v)
                sum += conv_weight[static_cast<size_t>(((f * channels + c) * kernel + u) * kernel + v)] *
                       image[static_cast<size_t>((c * size + i * stride + u) * size + j * stride + v)];
          y[static_cast<size_t>((f * o + i) * o + j)] = sum;
        }
    return y;
  }

  // The feature map gap reads: the conv output, through relu when there is one.
  std::vector<double> features(const std::vector<double>& image) const {
    std::vector<double> a = conv(image);
    if (relu)
      for (double& v : a) v = std::max(v, 0.0);
    return a;
  }

  std::vector<double> logits(const std::vector<double>& image) const {
    const std::vector<double> a = features(image);
    const int plane = out() * out();
    std::vector<double> z(dense_bias);
    for (int t = 0; t < classes; ++t)
      for (int f = 0; f < filters; ++f) {
        double mean = 0;
        for (int i = 0; i < plane; ++i) mean += a[static_cast<size_t>(f * plane + i)];
        z[static_cast<size_t>(t)] += dense_weight[static_cast<size_t>(t * filters + f)] * mean / plane;
      }
    return z;
  }

  double probability(const std::vector<double>& image, int target) const {
    const std::vector<double> z = logits(image);
    double total = 0;
    for (double v : z) total += std::exp(v);
    return std::exp(z[static_cast<size_t>(target)]) / total;
  }

  double w(int target, int filter) const { return dense_weight[static_cast<size_t>(target * filters + filter)]; }
};

// The images of a test as one batch tensor [N, C, H, W].
inline Tensor batch_of(const TinyNet& net, const std::vector<std::vector<double>>& images) {
  std::vector<float> flat;
  for (const auto& image : images) flat.insert(flat.end(), image.begin(), image.end());
  return Tensor::from_vector({static_cast<int64_t>(images.size()), net.channels, net.size, net.size}, flat);
}

inline void check_map(const Map& map, int height, int width, const std::vector<double>& expected) {
  REQUIRE(map.height == height);
  REQUIRE(map.width == width);
  REQUIRE(map.values.size() == expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    INFO("pixel " << i);
    CHECK(map.values[i] == Approx(expected[i]).epsilon(1e-5).margin(1e-6));
  }
}

}  // namespace gaze::cam::testing
