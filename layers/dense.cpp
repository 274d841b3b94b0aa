#include "layers/dense.h"

#include <cmath>

#include "core/error.h"
#include "core/ops.h"

namespace gaze {

Dense::Dense(const std::string& name, const LayerParams& p) : Layer(name) {
  p.reject_unknown({"units", "bias"});
  units_ = p.integer("units");
  bias_ = p.boolean("bias", true);
  GAZE_CHECK(units_ > 0, p.context("units"), ": must be positive, got ", units_);
}

Shape Dense::build(const std::vector<Shape>& in, Rng& rng) {
  GAZE_CHECK(in[0].size() == 1, where(), ": expected a [features] input (add a gap or flatten layer "
             "before it), got ", to_string(in[0]));
  const int64_t features = in[0][0];
  if (parameters().empty()) {
    const float bound = 1.0f / std::sqrt(static_cast<float>(features));
    add_parameter("weight", Tensor::uniform({units_, features}, rng, -bound, bound));
    if (bias_) add_parameter("bias", Tensor::uniform({units_}, rng, -bound, bound));
  }
  GAZE_CHECK(tensor("weight").dim(1) == features, where(), ": built for ", tensor("weight").dim(1),
             " features, now given ", features);
  return {units_};
}

Tensor Dense::forward(const std::vector<Tensor>& inputs, const ForwardContext&) {
  return ops::dense(inputs[0], tensor("weight"), bias_ ? tensor("bias") : Tensor());
}

nlohmann::json Dense::hyperparameters() const { return {{"units", units_}, {"bias", bias_}}; }

}  // namespace gaze
