#pragma once
// Squeeze-and-excitation (Hu et al. 2018), the "feature attention" block:
//   s = sigmoid(W2 relu(W1 gap(x) + b1) + b2)   per image, one weight per channel
//   y = x * s                                   each channel scaled by its weight
// Keys: reduction (4): the hidden width is channels / reduction.
#include "layers/layer.h"

class SqueezeExcitation final : public gaze::Layer {
 public:
  static constexpr const char* kType = "squeeze_excitation";
  SqueezeExcitation(const std::string& name, const gaze::LayerParams& params);
  std::string type() const override { return kType; }
  gaze::Shape build(const std::vector<gaze::Shape>& input_shapes, gaze::Rng& rng) override;
  gaze::Tensor forward(const std::vector<gaze::Tensor>& inputs, const gaze::ForwardContext& context) override;
  nlohmann::json hyperparameters() const override { return {{"reduction", reduction_}}; }

 private:
  int reduction_;
};

// The two ops the block needs that gaze does not have, written on the host
// with their gradients through gaze::record (the autograd tape's public API).
gaze::Tensor sigmoid(const gaze::Tensor& x);
gaze::Tensor scale_channels(const gaze::Tensor& x, const gaze::Tensor& scale);  // [N,C,H,W] * [N,C]
