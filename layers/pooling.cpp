#include "layers/pooling.h"

#include "core/error.h"
#include "core/ops.h"

namespace gaze {

Pool2d::Pool2d(const std::string& name, const LayerParams& p) : Layer(name) {
  p.reject_unknown({"kernel", "stride", "padding"});
  const auto kernel = p.pair("kernel", {2, 2});
  const auto stride = p.pair("stride", kernel);
  const auto padding = p.pair("padding", {0, 0});
  GAZE_CHECK(kernel.first > 0 && kernel.second > 0, p.context("kernel"), ": must be positive");
  GAZE_CHECK(stride.first > 0 && stride.second > 0, p.context("stride"), ": must be positive");
  GAZE_CHECK(padding.first >= 0 && 2 * padding.first <= kernel.first && padding.second >= 0 &&
                 2 * padding.second <= kernel.second,
             p.context("padding"), ": must be between 0 and half the kernel");
  geometry_ = {kernel.first, kernel.second, stride.first, stride.second, padding.first, padding.second};
}

Shape Pool2d::build(const std::vector<Shape>& in, Rng&) {
  expect_inputs(in, 3, "a [channels, height, width]");
  const auto& g = geometry_;
  const int64_t out_h = ops::conv_output_size(in[0][1], g.kernel_h, g.stride_h, g.pad_h);
  const int64_t out_w = ops::conv_output_size(in[0][2], g.kernel_w, g.stride_w, g.pad_w);
  GAZE_CHECK(out_h > 0 && out_w > 0, where(), ": input ", to_string(in[0]), " is smaller than the ",
             g.kernel_h, "x", g.kernel_w, " window");
  return {in[0][0], out_h, out_w};
}

nlohmann::json Pool2d::hyperparameters() const {
  return {{"kernel", {geometry_.kernel_h, geometry_.kernel_w}},
          {"stride", {geometry_.stride_h, geometry_.stride_w}},
          {"padding", {geometry_.pad_h, geometry_.pad_w}}};
}

Tensor MaxPool2d::forward(const std::vector<Tensor>& inputs, const ForwardContext&) {
  return ops::max_pool2d(inputs[0], geometry_);
}

Tensor AvgPool2d::forward(const std::vector<Tensor>& inputs, const ForwardContext&) {
  return ops::avg_pool2d(inputs[0], geometry_);
}

GlobalAvgPool::GlobalAvgPool(const std::string& name, const LayerParams& p) : Layer(name) {
  p.reject_unknown({});
}

Shape GlobalAvgPool::build(const std::vector<Shape>& in, Rng&) {
  expect_inputs(in, 3, "a [channels, height, width]");
  return {in[0][0]};
}

Tensor GlobalAvgPool::forward(const std::vector<Tensor>& inputs, const ForwardContext&) {
  return ops::global_avg_pool(inputs[0]);
}

}  // namespace gaze
