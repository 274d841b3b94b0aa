#pragma once
// Point-wise activations.
// ReLU:      y = max(0, x)
// LeakyReLU: y = max(0, x) + slope * min(0, x); key: slope (0.01, as PyTorch)
// ReLU6:     y = min(max(0, x), 6) (MobileNet's bounded activation)
#include "layers/layer.h"

namespace gaze {

class ReLU final : public Layer {
 public:
  ReLU(const std::string& name, const LayerParams& params);
  static constexpr const char* kType = "relu";
  std::string type() const override { return kType; }
  LayerTraits traits() const override { return {.relu = true}; }
  Shape build(const std::vector<Shape>& input_shapes, Rng& rng) override;
  Tensor forward(const std::vector<Tensor>& inputs, const ForwardContext& context) override;
  nlohmann::json hyperparameters() const override { return nlohmann::json::object(); }
};

class LeakyReLU final : public Layer {
 public:
  LeakyReLU(const std::string& name, const LayerParams& params);
  static constexpr const char* kType = "leaky_relu";
  std::string type() const override { return kType; }
  Shape build(const std::vector<Shape>& input_shapes, Rng& rng) override;
  Tensor forward(const std::vector<Tensor>& inputs, const ForwardContext& context) override;
  nlohmann::json hyperparameters() const override { return {{"slope", slope_}}; }

 private:
  float slope_;
};

class ReLU6 final : public Layer {
 public:
  ReLU6(const std::string& name, const LayerParams& params);
  static constexpr const char* kType = "relu6";
  std::string type() const override { return kType; }
  Shape build(const std::vector<Shape>& input_shapes, Rng& rng) override;
  Tensor forward(const std::vector<Tensor>& inputs, const ForwardContext& context) override;
  nlohmann::json hyperparameters() const override { return nlohmann::json::object(); }
};

}  // namespace gaze
