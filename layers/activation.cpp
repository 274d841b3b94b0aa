#include "layers/activation.h"

#include "core/ops.h"

namespace gaze {

ReLU::ReLU(const std::string& name, const LayerParams& p) : Layer(name) { p.reject_unknown({}); }
Shape ReLU::build(const std::vector<Shape>& in, Rng&) { return in[0]; }
Tensor ReLU::forward(const std::vector<Tensor>& inputs, const ForwardContext&) {
  return ops::relu(inputs[0]);
}

LeakyReLU::LeakyReLU(const std::string& name, const LayerParams& p) : Layer(name) {
  p.reject_unknown({"slope"});
  slope_ = static_cast<float>(p.number("slope", 0.01));
}
Shape LeakyReLU::build(const std::vector<Shape>& in, Rng&) { return in[0]; }
Tensor LeakyReLU::forward(const std::vector<Tensor>& inputs, const ForwardContext&) {
  return ops::leaky_relu(inputs[0], slope_);
}

ReLU6::ReLU6(const std::string& name, const LayerParams& p) : Layer(name) { p.reject_unknown({}); }
Shape ReLU6::build(const std::vector<Shape>& in, Rng&) { return in[0]; }
Tensor ReLU6::forward(const std::vector<Tensor>& inputs, const ForwardContext&) {
  return ops::clamp(inputs[0], 0.0f, 6.0f);
}

}  // namespace gaze
