#include "train/optimizer.h"

#include <cmath>

#include "core/backend.h"
#include "core/error.h"

namespace gaze::train {

namespace {
const char* kPrefix = "state/optimizer/";
}

Optimizer::Optimizer(const OptimizerConfig& config, const NamedTensors& parameters) : config_(config) {
  const bool adam = config.type != "sgd";
  for (const auto& [name, param] : parameters) {
    Slot slot{name, param, Tensor::zeros(param.shape(), param.device()), Tensor()};
    if (adam) slot.second = Tensor::zeros(param.shape(), param.device());
    slots_.push_back(std::move(slot));
  }
}

void Optimizer::step(float lr) {
  ++steps_;
  const auto beta1 = static_cast<float>(config_.beta1), beta2 = static_cast<float>(config_.beta2);
  const float correction1 = 1.0f - std::pow(beta1, static_cast<float>(steps_));
  const float correction2 = 1.0f - std::pow(beta2, static_cast<float>(steps_));
  for (Slot& slot : slots_) {
    const Tensor grad = slot.param.grad();
    if (!grad.defined()) continue;
    Backend& backend = backend_for(slot.param.device());
    if (config_.type == "sgd") {
      backend.sgd_update(slot.param, grad, slot.first, lr * slot.lr_scale, static_cast<float>(config_.momentum),
                         static_cast<float>(config_.weight_decay), config_.nesterov);
    } else {
      backend.adam_update(slot.param, grad, slot.first, slot.second, lr * slot.lr_scale, beta1, beta2,
                          static_cast<float>(config_.eps), static_cast<float>(config_.weight_decay),
                          config_.type == "adamw", correction1, correction2);
    }
  }
}

void Optimizer::set_lr_scale(const std::string& parameter, float scale) {
  GAZE_CHECK(scale >= 0 && std::isfinite(scale), "learning-rate scale of '", parameter, "' must be >= 0, got ", scale);
  for (Slot& slot : slots_)
    if (slot.name == parameter) {
      slot.lr_scale = scale;
      return;
    }
  throw Error("optimizer: no trainable parameter '" + parameter + "'");
}

NamedTensors Optimizer::state() const {
  NamedTensors state;
  state.emplace_back(std::string(kPrefix) + "steps", Tensor::scalar(static_cast<float>(steps_)));
  for (const Slot& slot : slots_) {
    state.emplace_back(kPrefix + slot.name + "/first", slot.first);
    if (slot.second.defined()) state.emplace_back(kPrefix + slot.name + "/second", slot.second);
  }
  return state;
}

void Optimizer::load_state(const NamedTensors& state, const std::string& source) {
  auto find = [&](const std::string& name) -> const Tensor& {
    for (const auto& [key, tensor] : state)
      if (key == name) return tensor;
    throw Error("'" + source + "' has no optimizer state '" + name + "' (was it written by another optimizer?)");
  };
  steps_ = static_cast<int64_t>(find(std::string(kPrefix) + "steps").item());
  for (Slot& slot : slots_) {
    slot.first.copy_from(find(kPrefix + slot.name + "/first"));
    if (slot.second.defined()) slot.second.copy_from(find(kPrefix + slot.name + "/second"));
  }
}

}  // namespace gaze::train
