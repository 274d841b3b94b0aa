// Optimizers and learning-rate schedules against torch.optim, from fixtures
// that scripts/make_optimizer_fixtures.py wrote with PyTorch 1.13
// (tests/fixtures/torch_optim.safetensors): the same start, gradients and
// learning rates must give the same parameters after every step, and the
// schedules the same rate at every epoch.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>

#include "core/core.h"
#include "train/optimizer.h"
#include "train/schedule.h"

using namespace gaze;
using namespace gaze::train;

namespace {

const TensorFile& fixture() {
  static const TensorFile file =
      load_safetensors(std::string(GAZE_SOURCE_DIR) + "/tests/fixtures/torch_optim.safetensors");
  return file;
}

std::vector<float> values(const std::string& name) {
  const Tensor* t = fixture().find(name);
  REQUIRE(t != nullptr);
  return t->to_vector();
}

// Runs gaze's optimizer over the fixture's gradients and learning rates and
// compares the parameter after every step with torch.optim's.
void compare(const std::string& name, const OptimizerConfig& config) {
  const std::vector<float> start = values("start"), gradients = values("gradients"), lrs = values("lrs"),
                           expected = values(name + ".after");
  const size_t size = start.size(), steps = lrs.size();
  Tensor param = Tensor::from_vector({static_cast<int64_t>(size)}, start).set_requires_grad(true);
  Optimizer optimizer(config, {{"p", param}});
  for (size_t step = 0; step < steps; ++step) {
    // The gradient backward would leave: d(sum(p * g))/dp = g.
    param.zero_grad();
    const Tensor g = Tensor::from_vector({static_cast<int64_t>(size)},
                                         std::vector<float>(gradients.begin() + static_cast<long>(step * size),
                                                            gradients.begin() + static_cast<long>((step + 1) * size)));
    ops::sum(ops::mul(param, g)).backward();
    optimizer.step(lrs[step]);
    const std::vector<float> got = param.to_vector();
    for (size_t i = 0; i < size; ++i) {
      INFO(name << ", step " << step + 1 << ", element " << i);
      const float want = expected[step * size + i];
      CHECK(std::abs(got[i] - want) <= 1e-5f * (1.0f + std::abs(want)));
    }
  }
}

}  // namespace

TEST_CASE("SGD with momentum, Nesterov and weight decay follows torch.optim.SGD", "[train][optimizer]") {
  compare("sgd_momentum", {"sgd", 0.1, 0.9, false, 0.0});
  compare("sgd_nesterov_decay", {"sgd", 0.1, 0.8, true, 0.05});
  compare("sgd_plain_decay", {"sgd", 0.1, 0.0, false, 0.1});
}

TEST_CASE("Adam and AdamW follow torch.optim.Adam and AdamW", "[train][optimizer]") {
  compare("adam", {"adam", 0.1, 0.9, false, 0.0, 0.9, 0.999, 1e-8});
  compare("adam_decay", {"adam", 0.1, 0.9, false, 0.1, 0.8, 0.99, 1e-6});
  compare("adamw", {"adamw", 0.1, 0.9, false, 0.01, 0.9, 0.999, 1e-8});
}

TEST_CASE("step and cosine schedules follow torch.optim.lr_scheduler at every epoch", "[train][schedule]") {
  const std::vector<float> step = values("schedule.step"), cosine = values("schedule.cosine");
  const int epochs = static_cast<int>(step.size());
  ScheduleConfig s;
  s.type = "step";
  s.step_size = 3;
  s.gamma = 0.5;
  for (int e = 0; e < epochs; ++e) {
    INFO("StepLR, epoch " << e);
    CHECK(learning_rate(s, 0.4, e, epochs) == Approx(step[static_cast<size_t>(e)]).epsilon(1e-6));
  }
  ScheduleConfig c;
  c.type = "cosine";
  c.min_lr = 0.01;
  for (int e = 0; e < epochs; ++e) {
    INFO("CosineAnnealingLR, epoch " << e);
    CHECK(learning_rate(c, 0.4, e, epochs) == Approx(cosine[static_cast<size_t>(e)]).epsilon(1e-6));
  }
}

TEST_CASE("warmup ramps linearly to the base rate, then the schedule starts", "[train][schedule]") {
  // Hand values: gaze's warmup is base * (epoch + 0.001) / warmup_epochs, so a
  // rate is never exactly 0, and the cosine then spans the epochs after it.
  ScheduleConfig s;
  s.type = "cosine";
  s.warmup_epochs = 2;
  CHECK(learning_rate(s, 0.4, 0.0, 10) == Approx(0.4 * 0.001 / 2));
  CHECK(learning_rate(s, 0.4, 1.0, 10) == Approx(0.4 * 1.001 / 2));
  CHECK(learning_rate(s, 0.4, 2.0, 10) == Approx(0.4));
  CHECK(learning_rate(s, 0.4, 6.0, 10) == Approx(0.2));  // halfway through the 8 cosine epochs
  CHECK(learning_rate(s, 0.4, 10.0, 10) == Approx(0.0).margin(1e-12));
  ScheduleConfig constant;
  constant.type = "constant";
  CHECK(learning_rate(constant, 0.3, 7.5, 10) == 0.3);
}

TEST_CASE("onecycle rises from lr/div_factor to lr, then falls to lr/(div_factor*final_div_factor)",
          "[train][schedule]") {
  // Hand values for lr 0.4 over 10 epochs, pct_start 0.3, div 25, final div 1e4:
  // start 0.016, peak 0.4 at epoch 3, end 1.6e-6 at epoch 10.
  ScheduleConfig s;
  s.type = "onecycle";
  CHECK(learning_rate(s, 0.4, 0.0, 10) == Approx(0.016));
  CHECK(learning_rate(s, 0.4, 1.5, 10) == Approx(0.016 + (0.4 - 0.016) * 0.5));  // halfway up: cos(pi/2) = 0
  CHECK(learning_rate(s, 0.4, 3.0, 10) == Approx(0.4));
  CHECK(learning_rate(s, 0.4, 6.5, 10) == Approx(1.6e-6 + (0.4 - 1.6e-6) * 0.5));  // halfway down
  CHECK(learning_rate(s, 0.4, 10.0, 10) == Approx(1.6e-6));
  // A quarter of the way up: (1 + cos(pi/4)) / 2 of the way from the peak back to the start.
  CHECK(learning_rate(s, 0.4, 0.75, 10) == Approx(0.4 + (0.016 - 0.4) * 0.5 * (1 + std::cos(3.14159265358979 / 4))));
  // Per batch: the rate moves within an epoch.
  CHECK(learning_rate(s, 0.4, 0.5, 10) > learning_rate(s, 0.4, 0.25, 10));
}
