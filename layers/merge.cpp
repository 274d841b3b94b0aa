#include "layers/merge.h"

#include "core/error.h"
#include "core/ops.h"

namespace gaze {

Add::Add(const std::string& name, const LayerParams& p) : Layer(name) { p.reject_unknown({}); }

Shape Add::build(const std::vector<Shape>& in, Rng&) {
  for (const Shape& s : in)
    GAZE_CHECK(s == in[0], where(), ": inputs must have the same shape, got ", to_string(in[0]),
               " and ", to_string(s));
  return in[0];
}

Tensor Add::forward(const std::vector<Tensor>& inputs, const ForwardContext&) {
  Tensor total = inputs[0];
  for (size_t i = 1; i < inputs.size(); ++i) total = ops::add(total, inputs[i]);
  return total;
}

Concat::Concat(const std::string& name, const LayerParams& p) : Layer(name) { p.reject_unknown({}); }

Shape Concat::build(const std::vector<Shape>& in, Rng&) {
  Shape out = in[0];
  for (size_t i = 1; i < in.size(); ++i) {
    bool compatible = in[i].size() == out.size() && !out.empty();
    for (size_t d = 1; compatible && d < out.size(); ++d) compatible = in[i][d] == out[d];
    GAZE_CHECK(compatible, where(), ": inputs must match apart from channels, got ", to_string(in[0]),
               " and ", to_string(in[i]));
    out[0] += in[i][0];
  }
  return out;
}

Tensor Concat::forward(const std::vector<Tensor>& inputs, const ForwardContext&) {
  return ops::concat(inputs, 1);
}

}  // namespace gaze
