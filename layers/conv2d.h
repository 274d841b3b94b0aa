#pragma once
// Conv2d: y[n, o] = b[o] + sum_c w[o, c] * x[n, c] (2-D cross-correlation),
// weight [out, in / groups, kh, kw], optional bias [out]. Keys: filters,
// kernel, stride (1), padding (0, or "same" for stride 1 and odd kernels),
// bias (true), groups (1): with G groups, c runs over the input channels of
// o's group only (in / G of them); G = in channels is a depthwise
// convolution. Weights start He-normal (std sqrt(2 / fan_in)), biases zero.
#include "core/backend.h"
#include "layers/layer.h"

namespace gaze {

class Conv2d final : public Layer {
 public:
  Conv2d(const std::string& name, const LayerParams& params);
  static constexpr const char* kType = "conv";
  std::string type() const override { return kType; }
  LayerTraits traits() const override { return {.weighted = true}; }
  Shape build(const std::vector<Shape>& input_shapes, Rng& rng) override;
  Tensor forward(const std::vector<Tensor>& inputs, const ForwardContext& context) override;
  nlohmann::json hyperparameters() const override;

  int filters() const { return filters_; }

 private:
  int filters_;
  std::pair<int, int> kernel_;
  Conv2dGeometry geometry_;
  bool bias_;
};

}  // namespace gaze
