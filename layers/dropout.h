#pragma once
// Dropout: in training, y = x * m / (1 - rate) with m ~ Bernoulli(1 - rate);
// in evaluation, y = x. Key: rate (0.5). The mask is a pure function of the
// step seed and the layer name, so runs are reproducible.
#include "layers/layer.h"

namespace gaze {

class Dropout final : public Layer {
 public:
  Dropout(const std::string& name, const LayerParams& params);
  static constexpr const char* kType = "dropout";
  std::string type() const override { return kType; }
  LayerTraits traits() const override { return {.identity_at_inference = true}; }
  Shape build(const std::vector<Shape>& input_shapes, Rng& rng) override;
  Tensor forward(const std::vector<Tensor>& inputs, const ForwardContext& context) override;
  nlohmann::json hyperparameters() const override { return {{"rate", rate_}}; }

 private:
  float rate_;
};

}  // namespace gaze
