#pragma once
// Dense: y = x w^T + b, weight [units, in], bias [units]. Takes [features]
// (after gap or flatten). Keys: units, bias (true). Weights and bias start
// uniform in +-1/sqrt(in), as PyTorch's nn.Linear.
#include "layers/layer.h"

namespace gaze {

class Dense final : public Layer {
 public:
  Dense(const std::string& name, const LayerParams& params);
  static constexpr const char* kType = "dense";
  std::string type() const override { return kType; }
  LayerTraits traits() const override { return {.weighted = true, .linear = true}; }
  Shape build(const std::vector<Shape>& input_shapes, Rng& rng) override;
  Tensor forward(const std::vector<Tensor>& inputs, const ForwardContext& context) override;
  nlohmann::json hyperparameters() const override;

  int units() const { return units_; }

 private:
  int units_;
  bool bias_;
};

}  // namespace gaze
