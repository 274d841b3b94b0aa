#pragma once
// Windowed pooling over each channel.
// MaxPool2d: y = max over the window;  AvgPool2d: y = mean over the window
// (padding counts toward the divisor, as PyTorch's default).
// Keys: kernel (2), stride (= kernel), padding (0).
// GlobalAvgPool: y[n, c] = mean over (h, w) of x[n, c]: [C, H, W] -> [C].
#include "core/backend.h"
#include "layers/layer.h"

namespace gaze {

class Pool2d : public Layer {
 public:
  Pool2d(const std::string& name, const LayerParams& params);
  Shape build(const std::vector<Shape>& input_shapes, Rng& rng) override;
  nlohmann::json hyperparameters() const override;

 protected:
  Pool2dGeometry geometry_;
};

class MaxPool2d final : public Pool2d {
 public:
  using Pool2d::Pool2d;
  static constexpr const char* kType = "maxpool";
  std::string type() const override { return kType; }
  Tensor forward(const std::vector<Tensor>& inputs, const ForwardContext& context) override;
};

class AvgPool2d final : public Pool2d {
 public:
  using Pool2d::Pool2d;
  static constexpr const char* kType = "avgpool";
  std::string type() const override { return kType; }
  Tensor forward(const std::vector<Tensor>& inputs, const ForwardContext& context) override;
};

class GlobalAvgPool final : public Layer {
 public:
  GlobalAvgPool(const std::string& name, const LayerParams& params);
  static constexpr const char* kType = "gap";
  std::string type() const override { return kType; }
  LayerTraits traits() const override { return {.global_average_pool = true}; }
  Shape build(const std::vector<Shape>& input_shapes, Rng& rng) override;
  Tensor forward(const std::vector<Tensor>& inputs, const ForwardContext& context) override;
  nlohmann::json hyperparameters() const override { return nlohmann::json::object(); }
};

}  // namespace gaze
