#pragma once
// Flatten: [C, H, W] -> [C * H * W] (the batch dimension is kept).
#include "layers/layer.h"

namespace gaze {

class Flatten final : public Layer {
 public:
  Flatten(const std::string& name, const LayerParams& params);
  static constexpr const char* kType = "flatten";
  std::string type() const override { return kType; }
  LayerTraits traits() const override { return {.identity_at_inference = true}; }
  Shape build(const std::vector<Shape>& input_shapes, Rng& rng) override;
  Tensor forward(const std::vector<Tensor>& inputs, const ForwardContext& context) override;
  nlohmann::json hyperparameters() const override { return nlohmann::json::object(); }
};

}  // namespace gaze
