#include "layers/batch_norm.h"

#include "core/error.h"
#include "core/ops.h"

namespace gaze {

BatchNorm2d::BatchNorm2d(const std::string& name, const LayerParams& p) : Layer(name) {
  p.reject_unknown({"eps", "momentum"});
  eps_ = static_cast<float>(p.number("eps", 1e-5));
  momentum_ = static_cast<float>(p.number("momentum", 0.1));
  GAZE_CHECK(eps_ > 0, p.context("eps"), ": must be positive");
  GAZE_CHECK(momentum_ >= 0 && momentum_ <= 1, p.context("momentum"), ": must be in [0, 1]");
}

Shape BatchNorm2d::build(const std::vector<Shape>& in, Rng&) {
  GAZE_CHECK(in[0].size() == 3 || in[0].size() == 1, where(),
             ": expected a [channels, height, width] or [features] input, got ", to_string(in[0]));
  const int64_t channels = in[0][0];
  if (parameters().empty()) {
    add_parameter("weight", Tensor::full({channels}, 1.0f));
    add_parameter("bias", Tensor::zeros({channels}));
    add_buffer("running_mean", Tensor::zeros({channels}));
    add_buffer("running_var", Tensor::full({channels}, 1.0f));
  }
  return in[0];
}

Tensor BatchNorm2d::forward(const std::vector<Tensor>& inputs, const ForwardContext& context) {
  return ops::batch_norm(inputs[0], tensor("weight"), tensor("bias"), tensor("running_mean"),
                         tensor("running_var"), context.training && !frozen(), momentum_, eps_);
}

Tensor BatchNorm2d::forward_relu(const std::vector<Tensor>& inputs, const ForwardContext& context) {
  return ops::batch_norm_relu(inputs[0], tensor("weight"), tensor("bias"), tensor("running_mean"),
                              tensor("running_var"), context.training && !frozen(), momentum_, eps_);
}

void BatchNorm2d::check_state(const std::string& source) const {
  for (const auto& [local_name, buffer] : buffers()) {
    if (local_name != "running_var") continue;
    const std::vector<float> variance = buffer.to_vector();
    for (size_t c = 0; c < variance.size(); ++c)
      GAZE_CHECK(!(variance[c] < 0), "'", source, "': tensor '", name(), ".running_var' has the negative variance ",
                 variance[c], " for channel ", c, "; a variance must be >= 0");
  }
}

nlohmann::json BatchNorm2d::hyperparameters() const { return {{"eps", eps_}, {"momentum", momentum_}}; }

}  // namespace gaze
