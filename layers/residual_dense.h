#pragma once
// ResidualDense: y = x + (x w^T + b), w [features, features], b [features].
// A dense layer with a skip connection, kept as the worked example of adding
// a layer (README, "Adding a layer"): it is built from existing ops, so its
// backward comes from the autograd tape. Keys: bias (true).
#include "layers/layer.h"

namespace gaze {

class ResidualDense final : public Layer {
 public:
  ResidualDense(const std::string& name, const LayerParams& params);
  static constexpr const char* kType = "residual_dense";
  std::string type() const override { return kType; }
  LayerTraits traits() const override { return {.weighted = true}; }
  Shape build(const std::vector<Shape>& input_shapes, Rng& rng) override;
  Tensor forward(const std::vector<Tensor>& inputs, const ForwardContext& context) override;
  nlohmann::json hyperparameters() const override { return {{"bias", bias_}}; }

 private:
  bool bias_;
};

}  // namespace gaze
