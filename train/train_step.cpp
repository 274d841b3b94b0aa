#include "train/train_step.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "core/autograd.h"
#include "core/backend.h"
#include "core/error.h"
#include "core/ops.h"

namespace gaze::train {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Cross-entropy against the batch's labels, or for a mixed batch the two
// labels' cross-entropies weighted by lambda and 1 - lambda.
Tensor mixed_loss(const Tensor& logits, const MicroBatch& batch, float label_smoothing) {
  const Tensor loss_a = ops::cross_entropy(logits, batch.labels, label_smoothing);
  if (!batch.labels_b.defined()) return loss_a;
  GAZE_CHECK(batch.lambda >= 0 && batch.lambda <= 1 && batch.classes_b.size() == batch.classes.size(),
             "a mixed MicroBatch needs lambda in [0, 1] and one label b per image, got lambda ", batch.lambda, " and ",
             batch.classes_b.size(), " labels b for ", batch.classes.size(), " images");
  const Tensor loss_b = ops::cross_entropy(logits, batch.labels_b, label_smoothing);
  return ops::add(ops::scale(loss_a, batch.lambda), ops::scale(loss_b, 1.0f - batch.lambda));
}

}  // namespace

double count_correct(const Tensor& logits, const std::vector<int>& classes) {
  const std::vector<float> values = logits.to_vector();
  const auto width = static_cast<size_t>(logits.dim(1));
  double correct = 0;
  for (size_t i = 0; i < classes.size(); ++i) {
    const float* row = values.data() + i * width;
    correct += static_cast<size_t>(std::max_element(row, row + width) - row) == static_cast<size_t>(classes[i]);
  }
  return correct;
}

double clip_by_global_norm(Tensor& gradients, float max_norm) {
  GAZE_CHECK(max_norm > 0, "clip_by_global_norm: max_norm must be positive, got ", max_norm);
  double norm = 0;
  {
    NoGradGuard no_grad;
    norm = std::sqrt(static_cast<double>(ops::sum(ops::mul(gradients, gradients)).item()));
  }
  const double factor = max_norm / (norm + 1e-6);
  if (factor < 1) backend_for(gradients.device()).scale(gradients, static_cast<float>(factor));
  return norm;
}

TrainStep::TrainStep(Model& model, ParameterArena& arena, Optimizer& optimizer, Communicator& comm,
                     StepSettings settings)
    : model_(model),
      arena_(arena),
      optimizer_(optimizer),
      comm_(comm),
      settings_(settings),
      reducer_(arena, comm, settings.reducer),
      logits_(model.logits_name()) {
  GAZE_CHECK(settings_.clip_norm >= 0 && std::isfinite(settings_.clip_norm),
             "train.clip_norm must be a finite number >= 0 (0: no clipping), got ", settings_.clip_norm);
}

StepResult TrainStep::run(const std::vector<MicroBatch>& group, float lr, bool stop, ForwardObserver* observer) {
  GAZE_CHECK(!group.empty(), "TrainStep::run needs at least one micro-batch");
  StepResult result;
  Backend& backend = backend_for(model_.device());
  arena_.zero_grad();
  Tensor control = arena_.control();
  Tensor loss_slot = control.narrow(0, 0, 1);
  if (stop) control.narrow(0, 1, 1).fill_(1.0f);
  const float share = 1.0f / static_cast<float>(group.size());
  for (size_t m = 0; m < group.size(); ++m) {
    const MicroBatch& batch = group[m];
    const auto forward_start = Clock::now();
    model_.forward(batch.images, ForwardContext{true, batch.seed, observer});
    const Tensor logits = model_.activation(logits_);
    const Tensor loss = mixed_loss(logits, batch, settings_.label_smoothing);
    result.forward_seconds += seconds_since(forward_start);
    // The loss rides in the control values: its mean over ranks is
    // non-finite exactly when some rank's is.
    backend.axpy(share, loss.view({1}), loss_slot);
    // The group's gradient is the mean of its micro-batches' gradients.
    const Tensor objective = group.size() > 1 ? ops::scale(loss, share) : loss;
    const auto backward_start = Clock::now();
    if (m + 1 == group.size()) reducer_.arm();
    objective.backward();
    result.backward_end = Clock::now();
    result.backward_seconds += seconds_since(backward_start);
    const auto images = batch.images.dim(0);
    result.loss_sum += static_cast<double>(loss.item()) * static_cast<double>(images);
    result.correct += count_correct(logits, batch.labels_b.defined() && batch.lambda < 0.5f ? batch.classes_b
                                                                                             : batch.classes);
    result.images += images;
  }
  result.reduce_wait_seconds = reducer_.finish();
  const std::vector<float> reduced = control.to_vector();
  result.mean_loss = reduced[0];
  result.finite = std::isfinite(reduced[0]);
  result.stop = reduced[1] > 0;
  if (!result.finite) return result;
  const auto update_start = Clock::now();
  if (settings_.clip_norm > 0) {
    Tensor gradients = arena_.gradients();
    result.grad_norm = clip_by_global_norm(gradients, settings_.clip_norm);
  }
  optimizer_.step(lr);
  result.update_seconds = seconds_since(update_start);
  return result;
}

}  // namespace gaze::train
