#include "layers/residual_dense.h"

#include <cmath>

#include "core/error.h"
#include "core/ops.h"

namespace gaze {

ResidualDense::ResidualDense(const std::string& name, const LayerParams& params) : Layer(name) {
  params.reject_unknown({"bias"});  // typos in configs become errors naming this layer
  bias_ = params.boolean("bias", true);
}

Shape ResidualDense::build(const std::vector<Shape>& in, Rng& rng) {
  expect_inputs(in, 1, "a [features]");
  const int64_t features = in[0][0];
  if (parameters().empty()) {  // first build: create parameters in PyTorch's layout
    const float bound = 1.0f / std::sqrt(static_cast<float>(features));
    add_parameter("weight", Tensor::uniform({features, features}, rng, -bound, bound));
    if (bias_) add_parameter("bias", Tensor::zeros({features}));
  }
  GAZE_CHECK(tensor("weight").dim(1) == features, where(), ": built for ", tensor("weight").dim(1),
             " features, now given ", features);
  return in[0];
}

Tensor ResidualDense::forward(const std::vector<Tensor>& inputs, const ForwardContext&) {
  const Tensor& x = inputs[0];
  return ops::add(x, ops::dense(x, tensor("weight"), bias_ ? tensor("bias") : Tensor()));
}

}  // namespace gaze
