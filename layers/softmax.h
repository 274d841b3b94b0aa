#pragma once
// Softmax: y[n, c] = exp(x[n, c]) / sum_k exp(x[n, k]) over [classes].
// A model that ends in softmax is trained on the logits that feed it (the
// loss applies log-softmax itself, which is more accurate).
#include "layers/layer.h"

namespace gaze {

class Softmax final : public Layer {
 public:
  Softmax(const std::string& name, const LayerParams& params);
  static constexpr const char* kType = "softmax";
  std::string type() const override { return kType; }
  LayerTraits traits() const override { return {.probabilities = true}; }
  Shape build(const std::vector<Shape>& input_shapes, Rng& rng) override;
  Tensor forward(const std::vector<Tensor>& inputs, const ForwardContext& context) override;
  nlohmann::json hyperparameters() const override { return nlohmann::json::object(); }
};

}  // namespace gaze
