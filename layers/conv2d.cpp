#include "layers/conv2d.h"

#include <cmath>

#include "core/error.h"
#include "core/ops.h"

namespace gaze {

Conv2d::Conv2d(const std::string& name, const LayerParams& p) : Layer(name) {
  p.reject_unknown({"filters", "kernel", "stride", "padding", "bias", "groups"});
  filters_ = p.integer("filters");
  kernel_ = p.pair("kernel", {3, 3});
  const auto stride = p.pair("stride", {1, 1});
  std::pair<int, int> padding{0, 0};
  if (p.has("padding") && p.values().at("padding").is_string()) {
    GAZE_CHECK(p.text("padding", "") == "same", p.context("padding"),
               ": expected an integer, [h, w] or \"same\"");
    GAZE_CHECK(stride == std::make_pair(1, 1) && kernel_.first % 2 == 1 && kernel_.second % 2 == 1,
               p.context("padding"), ": \"same\" needs stride 1 and an odd kernel");
    padding = {kernel_.first / 2, kernel_.second / 2};
  } else {
    padding = p.pair("padding", {0, 0});
  }
  bias_ = p.boolean("bias", true);
  const int groups = p.integer("groups", 1);
  GAZE_CHECK(filters_ > 0, p.context("filters"), ": must be positive, got ", filters_);
  GAZE_CHECK(groups > 0 && filters_ % groups == 0, p.context("groups"), ": must be positive and divide filters (",
             filters_, "), got ", groups);
  GAZE_CHECK(kernel_.first > 0 && kernel_.second > 0, p.context("kernel"), ": must be positive");
  GAZE_CHECK(stride.first > 0 && stride.second > 0, p.context("stride"), ": must be positive");
  GAZE_CHECK(padding.first >= 0 && padding.second >= 0, p.context("padding"), ": must be non-negative");
  geometry_ = {stride.first, stride.second, padding.first, padding.second, groups};
}

Shape Conv2d::build(const std::vector<Shape>& in, Rng& rng) {
  expect_inputs(in, 3, "a [channels, height, width]");
  const int64_t channels = in[0][0];
  GAZE_CHECK(channels % geometry_.groups == 0, where(), ": groups (", geometry_.groups,
             ") must divide the input channels, got input ", to_string(in[0]));
  const int64_t group_channels = channels / geometry_.groups;
  const int64_t out_h = ops::conv_output_size(in[0][1], kernel_.first, geometry_.stride_h, geometry_.pad_h);
  const int64_t out_w = ops::conv_output_size(in[0][2], kernel_.second, geometry_.stride_w, geometry_.pad_w);
  GAZE_CHECK(out_h > 0 && out_w > 0, where(), ": input ", to_string(in[0]), " is smaller than the ",
             kernel_.first, "x", kernel_.second, " kernel");
  if (parameters().empty()) {
    const float fan_in = static_cast<float>(group_channels * kernel_.first * kernel_.second);
    add_parameter("weight", Tensor::randn({filters_, group_channels, kernel_.first, kernel_.second}, rng,
                                          std::sqrt(2.0f / fan_in)));
    if (bias_) add_parameter("bias", Tensor::zeros({filters_}));
  }
  GAZE_CHECK(tensor("weight").dim(1) == group_channels, where(), ": built for ",
             tensor("weight").dim(1) * geometry_.groups, " input channels, now given ", to_string(in[0]));
  return {filters_, out_h, out_w};
}

Tensor Conv2d::forward(const std::vector<Tensor>& inputs, const ForwardContext&) {
  return ops::conv2d(inputs[0], tensor("weight"), bias_ ? tensor("bias") : Tensor(), geometry_);
}

nlohmann::json Conv2d::hyperparameters() const {
  return {{"filters", filters_},
          {"kernel", {kernel_.first, kernel_.second}},
          {"stride", {geometry_.stride_h, geometry_.stride_w}},
          {"padding", {geometry_.pad_h, geometry_.pad_w}},
          {"bias", bias_},
          {"groups", geometry_.groups}};
}

}  // namespace gaze
