#include "train/ema.h"

#include <algorithm>
#include <cmath>

#include "core/backend.h"
#include "core/error.h"

namespace gaze::train {

namespace {
constexpr const char* kShadowPrefix = "state/ema/";
constexpr const char* kUpdatesName = "state/ema_updates";
// The update count is stored in float tensors: as two 24-bit halves, each exact.
constexpr int64_t kHalf = int64_t{1} << 24;
}  // namespace

WeightEma::WeightEma(Model& model, double decay) : decay_(decay) {
  GAZE_CHECK(decay > 0 && decay < 1, "train.ema: the decay must be in (0, 1) (0 turns the EMA off), got ", decay);
  for (const auto& [name, tensor] : model.trainable_parameters()) entries_.push_back({name, tensor, tensor.clone(), false});
  for (const auto& [name, tensor] : model.named_buffers()) entries_.push_back({name, tensor, tensor.clone(), true});
}

double WeightEma::decay_at(double decay, int64_t t) {
  return std::min(decay, (1.0 + static_cast<double>(t)) / (10.0 + static_cast<double>(t)));
}

void WeightEma::update() {
  const auto d = static_cast<float>(decay_at(decay_, updates_));
  for (Entry& e : entries_) {
    Backend& backend = backend_for(e.shadow.device());
    backend.scale(e.shadow, d);
    backend.axpy(1.0f - d, e.live, e.shadow);
  }
  ++updates_;
}

void WeightEma::swap() {
  for (Entry& e : entries_) {
    const Tensor live = e.live.clone();
    e.live.copy_from(e.shadow);
    e.shadow.copy_from(live);
  }
}

void WeightEma::average_buffers(Communicator& comm) {
  if (comm.size() == 1) return;
  for (Entry& e : entries_)
    if (e.buffer) comm.all_reduce_average(e.shadow);
}

NamedTensors WeightEma::state() const {
  NamedTensors state;
  state.emplace_back(kUpdatesName, Tensor::from_vector({2}, {static_cast<float>(updates_ / kHalf),
                                                              static_cast<float>(updates_ % kHalf)}));
  for (const Entry& e : entries_) state.emplace_back(kShadowPrefix + e.name, e.shadow);
  return state;
}

void WeightEma::load_state(const NamedTensors& state, const std::string& source) {
  auto find = [&](const std::string& name) -> const Tensor& {
    for (const auto& [key, tensor] : state)
      if (key == name) return tensor;
    throw Error("'" + source + "' has no EMA state '" + name +
                "': was it written by a run without train.ema? Resume with the same train.ema");
  };
  const std::vector<float> count = find(kUpdatesName).to_vector();
  GAZE_CHECK(count.size() == 2 && count[0] >= 0 && count[1] >= 0 && count[1] < static_cast<float>(kHalf) &&
                 count[0] == std::floor(count[0]) && count[1] == std::floor(count[1]) && count[0] < 1e6f,
             "'", source, "': ", kUpdatesName, " is not an update count");
  for (Entry& e : entries_) {
    const Tensor& saved = find(kShadowPrefix + e.name);
    GAZE_CHECK(saved.shape() == e.shadow.shape(), "'", source, "': EMA tensor '", e.name, "' has shape ",
               to_string(saved.shape()), ", the model's has ", to_string(e.shadow.shape()));
    e.shadow.copy_from(saved);
  }
  updates_ = static_cast<int64_t>(count[0]) * kHalf + static_cast<int64_t>(count[1]);
}

const Tensor& WeightEma::shadow(const std::string& name) const {
  for (const Entry& e : entries_)
    if (e.name == name) return e.shadow;
  throw Error("WeightEma: no tensor '" + name + "' is averaged (trainable parameters and buffers only)");
}

}  // namespace gaze::train
