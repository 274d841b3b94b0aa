// TrainStep, the one training step: gradient accumulation equals one larger
// batch, clipping by global norm equals a hand computation, a non-finite loss
// leaves the parameters untouched, and the stop wish comes back.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <vector>

#include "core/core.h"
#include "layers/model.h"
#include "train/optimizer.h"
#include "train/parameter_arena.h"
#include "train/train_step.h"

using namespace gaze;
using namespace gaze::train;

namespace {

// BatchNorm-free, so that micro-batches see the same function as one batch.
Model small_model() {
  return Model::from_json(nlohmann::json::parse(R"({"input": [2, 5, 5], "layers": [
      {"type": "conv", "name": "conv1", "filters": 4, "kernel": 3, "padding": 1},
      {"type": "relu", "name": "relu1"},
      {"type": "gap", "name": "gap"},
      {"type": "dense", "name": "fc", "units": 3}]})"),
                          9);
}

// n images starting at image `first` of a fixed random sequence.
MicroBatch images(int64_t first, int64_t n) {
  Rng rng(3);
  const Tensor all = Tensor::randn({32, 2, 5, 5}, rng);
  MicroBatch batch;
  batch.images = all.narrow(0, first, n).contiguous();
  std::vector<float> labels;
  for (int64_t i = first; i < first + n; ++i) {
    batch.classes.push_back(static_cast<int>(i % 3));
    labels.push_back(static_cast<float>(i % 3));
  }
  batch.labels = Tensor::from_vector({n}, labels);
  return batch;
}

// Everything one training run needs, on one process.
struct Run {
  explicit Run(OptimizerConfig optimizer_config = {}, StepSettings settings = {})
      : model(small_model()),
        arena(model),
        optimizer(optimizer_config, model.named_parameters()),
        step(model, arena, optimizer, alone, settings) {}
  SingleProcess alone;
  Model model;
  ParameterArena arena;
  Optimizer optimizer;
  TrainStep step;
};

double relative_difference(const std::vector<float>& a, const std::vector<float>& b) {
  double difference = 0, norm = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    difference += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
    norm += double(b[i]) * b[i];
  }
  return std::sqrt(difference / norm);
}

}  // namespace

TEST_CASE("4 accumulated micro-batches of 8 step exactly as one batch of 32", "[train][step]") {
  Run accumulated, whole;
  for (int step = 0; step < 3; ++step) {
    CAPTURE(step);
    const StepResult a = accumulated.step.run({images(0, 8), images(8, 8), images(16, 8), images(24, 8)}, 0.1f);
    const StepResult w = whole.step.run({images(0, 32)}, 0.1f);
    CHECK(a.images == 32);
    CHECK(a.correct == w.correct);
    CHECK(a.loss_sum == Approx(w.loss_sum).epsilon(1e-5));
    CHECK(a.mean_loss == Approx(w.mean_loss).epsilon(1e-5));
    CHECK(relative_difference(accumulated.arena.parameters().to_vector(), whole.arena.parameters().to_vector()) <=
          1e-5);
  }
  // They moved: equal parameters are not equal by standing still.
  Run untouched;
  CHECK(relative_difference(whole.arena.parameters().to_vector(), untouched.arena.parameters().to_vector()) > 1e-3);
}

TEST_CASE("clip_by_global_norm scales to the norm, as torch.nn.utils.clip_grad_norm_", "[train][step]") {
  Tensor g = Tensor::from_vector({4}, {3, 0, -4, 0});  // norm 5
  CHECK(clip_by_global_norm(g, 1.0f) == Approx(5.0));
  const float factor = static_cast<float>(1.0 / (5.0 + 1e-6));
  CHECK(g.to_vector() == std::vector<float>{3 * factor, 0, -4 * factor, 0});
  Tensor small = Tensor::from_vector({2}, {0.3f, 0.4f});  // norm 0.5: below the limit, untouched
  CHECK(clip_by_global_norm(small, 1.0f) == Approx(0.5));
  CHECK(small.to_vector() == std::vector<float>{0.3f, 0.4f});
}

TEST_CASE("train.clip_norm updates with the clipped gradient", "[train][step]") {
  OptimizerConfig sgd;
  sgd.momentum = 0;  // p -= lr * g: the update shows the gradient directly
  // The unclipped gradient and its norm, by hand from the same step.
  Run probe(sgd);
  probe.arena.zero_grad();
  const MicroBatch batch = images(0, 16);
  ops::cross_entropy(probe.model.forward(batch.images, true), batch.labels).backward();
  const std::vector<float> g = probe.arena.gradients().to_vector();
  double squares = 0;
  for (float v : g) squares += double(v) * v;
  const double norm = std::sqrt(squares);
  REQUIRE(norm > 0);

  StepSettings settings;
  settings.clip_norm = static_cast<float>(norm / 4);
  Run clipped(sgd, settings);
  const std::vector<float> before = clipped.arena.parameters().to_vector();
  const StepResult result = clipped.step.run({batch}, 0.5f);
  CHECK(result.grad_norm == Approx(norm).epsilon(1e-5));
  const std::vector<float> after = clipped.arena.parameters().to_vector();
  const double factor = (norm / 4) / (norm + 1e-6);
  REQUIRE(after.size() == g.size());
  for (size_t i = 0; i < g.size(); ++i)
    REQUIRE(after[i] == Approx(before[i] - 0.5 * factor * g[i]).margin(1e-6));
}

TEST_CASE("a non-finite loss leaves every parameter untouched", "[train][step]") {
  Run run;
  MicroBatch batch = images(0, 8);
  batch.images.data()[5] = std::numeric_limits<float>::quiet_NaN();
  const std::vector<float> before = run.arena.parameters().to_vector();
  const StepResult result = run.step.run({batch}, 0.1f);
  CHECK_FALSE(result.finite);
  CHECK(std::isnan(result.mean_loss));
  CHECK(run.optimizer.steps() == 0);
  CHECK(run.arena.parameters().to_vector() == before);
}

TEST_CASE("the stop wish rides along with the step", "[train][step]") {
  Run run;
  CHECK_FALSE(run.step.run({images(0, 8)}, 0.1f).stop);
  CHECK(run.step.run({images(0, 8)}, 0.1f, true).stop);
  CHECK(run.optimizer.steps() == 2);  // a stop wish still updates: the step ran
}
