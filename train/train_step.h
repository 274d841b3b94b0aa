#pragma once
// TrainStep: the one training step of gaze. The trainer, gaze-bench and user
// loops (examples/custom_loop) all run it; there is no other copy.
//
// One step is one optimizer update over a group of micro-batches (gradient
// accumulation; usually a group of one):
//   for each micro-batch: forward, cross-entropy / group size (for a mixed
//     batch, train/mix.h: lambda CE(labels) + (1 - lambda) CE(labels_b)), backward
//     (gradients accumulate in the arena; on the last micro-batch the
//     reducer all-reduces each bucket as soon as backward has finished it)
//   wait for the last bucket; read the control values that rode along
//     (the mean loss over ranks, and whether any rank asked to stop)
//   if the loss is finite on every rank: clip by global norm (optional), update.
// A non-finite loss on any rank leaves the parameters untouched on every
// rank, at the same step, and is reported in the result.
#include <chrono>
#include <cstdint>
#include <vector>

#include "layers/model.h"
#include "train/communicator.h"
#include "train/gradient_reducer.h"
#include "train/optimizer.h"
#include "train/parameter_arena.h"

namespace gaze::train {

struct StepSettings {
  float label_smoothing = 0;
  float clip_norm = 0;  // > 0: scale the averaged gradients to at most this global L2 norm
  ReducerOptions reducer;
};

struct MicroBatch {
  Tensor images;            // [N, C, H, W] on the model's device
  Tensor labels;            // [N] class indices as floats, on the model's device
  std::vector<int> classes;  // the same labels on the host (for counting correct predictions)
  uint64_t seed = 0;        // dropout and other per-step randomness
  // Mixed batches (train/mix.h): when labels_b is defined the loss is
  // lambda * CE(logits, labels) + (1 - lambda) * CE(logits, labels_b), and a
  // prediction counts as correct against the label with the larger weight.
  Tensor labels_b;             // [N] the partners' labels, on the model's device
  std::vector<int> classes_b;  // the same on the host
  float lambda = 1;
};

struct StepResult {
  double loss_sum = 0;  // this rank: sum over its micro-batches of mean loss x images
  double correct = 0;   // this rank: correct top-1 predictions
  int64_t images = 0;   // this rank: images seen
  double mean_loss = 0;  // mean of the group's loss over every rank (the reduced control value)
  bool finite = true;    // false: some rank's loss was NaN or infinite; nothing was updated
  bool stop = false;     // some rank asked to stop (the same answer on every rank)
  double grad_norm = -1;  // global L2 norm of the averaged gradients before clipping (when clipping)
  // Host-side wall times (on a GPU the kernels run asynchronously to these).
  double forward_seconds = 0, backward_seconds = 0, reduce_wait_seconds = 0, update_seconds = 0;
  std::chrono::steady_clock::time_point backward_end;  // when the last backward() returned
};

class TrainStep {
 public:
  // The arena must own the model's parameters (built after Model::to) and
  // the optimizer must have been built on them.
  TrainStep(Model& model, ParameterArena& arena, Optimizer& optimizer, Communicator& comm, StepSettings settings);

  // One update over `group` (at least one micro-batch) at learning rate lr.
  // `stop` is this rank's wish to stop after this step; result.stop is
  // whether any rank had it. `observer` (optional) sees every forward pass.
  StepResult run(const std::vector<MicroBatch>& group, float lr, bool stop = false,
                 ForwardObserver* observer = nullptr);

  GradientReducer& reducer() { return reducer_; }

 private:
  Model& model_;
  ParameterArena& arena_;
  Optimizer& optimizer_;
  Communicator& comm_;
  StepSettings settings_;
  GradientReducer reducer_;
  std::string logits_;
};

// Correct top-1 predictions of [N, classes] logits against N class indices.
double count_correct(const Tensor& logits, const std::vector<int>& classes);

// Scales `gradients` in place to a global L2 norm of at most max_norm, as
// torch.nn.utils.clip_grad_norm_ does (factor max_norm / (norm + 1e-6),
// applied only when below 1). Returns the norm before clipping.
double clip_by_global_norm(Tensor& gradients, float max_norm);

}  // namespace gaze::train
