#pragma once
// Optimizers with PyTorch's update rules: SGD (momentum, Nesterov, L2 weight
// decay), Adam (L2 weight decay) and AdamW (decoupled weight decay). The
// per-element math lives in core/kernels/elementwise_math.h and runs on the
// parameters' device through the backend.
#include <cstdint>
#include <vector>

#include "layers/layer.h"
#include "train/config.h"

namespace gaze::train {

class Optimizer {
 public:
  Optimizer(const OptimizerConfig& config, const NamedTensors& parameters);

  // Applies one update with learning rate `lr` (times the parameter's scale)
  // to every parameter that has a gradient.
  void step(float lr);
  // Per-parameter learning-rate multiplier (train.lr_groups); 1 by default.
  void set_lr_scale(const std::string& parameter, float scale);
  int64_t steps() const { return steps_; }

  // Optimizer state for checkpoints, named "state/optimizer/<param>/<slot>".
  NamedTensors state() const;
  // Restores state(); every slot must be present with the right shape.
  void load_state(const NamedTensors& state, const std::string& source);

 private:
  struct Slot {
    std::string name;
    Tensor param;
    Tensor first;   // SGD velocity or Adam m
    Tensor second;  // Adam v (undefined for SGD)
    float lr_scale = 1;
  };
  OptimizerConfig config_;
  std::vector<Slot> slots_;
  int64_t steps_ = 0;
};

}  // namespace gaze::train
