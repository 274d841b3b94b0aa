#pragma once
// WeightEma: an exponential moving average of a model's weights, kept next
// to the live weights while training (Polyak averaging; timm's ModelEmaV2,
// TensorFlow's ExponentialMovingAverage). After every optimizer update
//   shadow = d_t * shadow + (1 - d_t) * w,   d_t = min(decay, (1 + t) / (10 + t))
// for every trainable parameter and every buffer (BatchNorm's running
// statistics), where t is the number of updates before this one (0 for the
// first). The warm-up d_t keeps a short run's average from being dominated
// by the random initialization: the first update keeps only 10% of it.
//
// Validating or saving "the EMA model" means swapping the shadow values into
// the model (swap()), using it, and swapping back (swap() again): two swaps
// restore the live weights bit for bit.
//
// Use from a custom loop:
//   WeightEma ema(model, 0.999);
//   ... step.run(group, lr); ema.update();
//   ema.swap(); evaluate(model); ema.swap();
#include <cstdint>
#include <string>

#include "layers/layer.h"
#include "layers/model.h"
#include "train/communicator.h"

namespace gaze::train {

class WeightEma {
 public:
  // Starts the average at the model's current values. The model must outlive
  // this object and keep its tensors (build it after ParameterArena, which
  // rebinds the parameters). decay in (0, 1).
  WeightEma(Model& model, double decay);

  // The decay of update number t (0-based): min(decay, (1 + t) / (10 + t)).
  static double decay_at(double decay, int64_t t);

  // Folds the model's current values into the average; call after every
  // optimizer update.
  void update();
  // Exchanges the model's values with the average's.
  void swap();
  // Data-parallel: BatchNorm statistics differ between replicas; averaging
  // the shadow buffers over ranks gives every rank the EMA of the averaged
  // statistics (the average is linear). Parameters are identical on every
  // rank already.
  void average_buffers(Communicator& comm);

  int64_t updates() const { return updates_; }
  double decay() const { return decay_; }
  // The shadow tensors for last.safetensors, named "state/ema/<tensor>", and
  // the update count as "state/ema_updates".
  NamedTensors state() const;
  // Restores state(): every tensor must be present with its shape.
  void load_state(const NamedTensors& state, const std::string& source);
  // The average of one model tensor ("<layer>.<param>"); throws if not tracked.
  const Tensor& shadow(const std::string& name) const;

 private:
  struct Entry {
    std::string name;
    Tensor live, shadow;
    bool buffer = false;
  };
  std::vector<Entry> entries_;
  double decay_;
  int64_t updates_ = 0;
};

}  // namespace gaze::train
