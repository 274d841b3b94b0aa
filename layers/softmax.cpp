#include "layers/softmax.h"

#include "core/ops.h"

namespace gaze {

Softmax::Softmax(const std::string& name, const LayerParams& p) : Layer(name) { p.reject_unknown({}); }

Shape Softmax::build(const std::vector<Shape>& in, Rng&) {
  expect_inputs(in, 1, "a [classes]");
  return in[0];
}

Tensor Softmax::forward(const std::vector<Tensor>& inputs, const ForwardContext&) {
  return ops::softmax(inputs[0]);
}

}  // namespace gaze
