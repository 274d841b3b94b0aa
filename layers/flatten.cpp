#include "layers/flatten.h"

#include "core/ops.h"

namespace gaze {

Flatten::Flatten(const std::string& name, const LayerParams& p) : Layer(name) { p.reject_unknown({}); }

Shape Flatten::build(const std::vector<Shape>& in, Rng&) { return {numel(in[0])}; }

Tensor Flatten::forward(const std::vector<Tensor>& inputs, const ForwardContext&) {
  return ops::flatten(inputs[0]);
}

}  // namespace gaze
