#include "train/schedule.h"

#include <algorithm>
#include <cmath>

namespace gaze::train {

namespace {

constexpr double kPi = 3.14159265358979323846;

// Cosine interpolation from `from` (t = 0) to `to` (t = 1).
double cosine_between(double from, double to, double t) {
  return to + (from - to) * 0.5 * (1.0 + std::cos(kPi * std::clamp(t, 0.0, 1.0)));
}

}  // namespace

double learning_rate(const ScheduleConfig& s, double base_lr, double epoch, int total_epochs) {
  if (s.type == "onecycle") {
    const double t = epoch / std::max(1, total_epochs);
    const double start = base_lr / s.div_factor, end = start / s.final_div_factor;
    return t < s.pct_start ? cosine_between(start, base_lr, t / s.pct_start)
                           : cosine_between(base_lr, end, (t - s.pct_start) / (1 - s.pct_start));
  }
  if (s.warmup_epochs > 0 && epoch < s.warmup_epochs) return base_lr * (epoch + 1e-3) / s.warmup_epochs;
  if (s.type == "step") return base_lr * std::pow(s.gamma, std::floor(epoch / s.step_size));
  if (s.type == "cosine") {
    const double span = std::max(1e-9, total_epochs - s.warmup_epochs);
    const double t = std::clamp((epoch - s.warmup_epochs) / span, 0.0, 1.0);
    return cosine_between(base_lr, s.min_lr, t);
  }
  return base_lr;
}

}  // namespace gaze::train
