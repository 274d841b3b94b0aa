#pragma once
// BatchNorm2d: y = (x - mean) / sqrt(var + eps) * weight + bias per channel.
// Training uses the batch's biased variance and updates running_mean and
// running_var (unbiased) with `momentum`, exactly as PyTorch; evaluation uses
// the running statistics. Works on [C, H, W] and on [F] features.
// Keys: eps (1e-5), momentum (0.1).
#include "layers/layer.h"

namespace gaze {

class BatchNorm2d final : public Layer {
 public:
  BatchNorm2d(const std::string& name, const LayerParams& params);
  static constexpr const char* kType = "batchnorm";
  std::string type() const override { return kType; }
  LayerTraits traits() const override { return {.fuses_following_relu = true, .running_statistics = true}; }
  Shape build(const std::vector<Shape>& input_shapes, Rng& rng) override;
  Tensor forward(const std::vector<Tensor>& inputs, const ForwardContext& context) override;
  // relu(forward(inputs)), fused in training (ops::batch_norm_relu): Model
  // calls it for a batchnorm whose output only a ReLU layer reads.
  Tensor forward_relu(const std::vector<Tensor>& inputs, const ForwardContext& context) override;
  nlohmann::json hyperparameters() const override;
  // running_var must be >= 0: a negative one gives NaN (sqrt) in evaluation.
  void check_state(const std::string& source) const override;

 private:
  float eps_;
  float momentum_;
};

}  // namespace gaze
