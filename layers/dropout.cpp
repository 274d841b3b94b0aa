#include "layers/dropout.h"

#include "core/error.h"
#include "core/ops.h"

namespace gaze {

Dropout::Dropout(const std::string& name, const LayerParams& p) : Layer(name) {
  p.reject_unknown({"rate"});
  rate_ = static_cast<float>(p.number("rate", 0.5));
  GAZE_CHECK(rate_ >= 0 && rate_ < 1, p.context("rate"), ": must be in [0, 1), got ", rate_);
}

Shape Dropout::build(const std::vector<Shape>& in, Rng&) { return in[0]; }

Tensor Dropout::forward(const std::vector<Tensor>& inputs, const ForwardContext& context) {
  if (!context.training || rate_ == 0) return inputs[0];
  const uint64_t seed = splitmix64(context.seed ^ hash_string(name().c_str()));
  return ops::dropout(inputs[0], rate_, seed);
}

}  // namespace gaze
