#include "train/schedule.h"

#include <algorithm>
#include <cmath>

namespace gaze::train {

double learning_rate(const ScheduleConfig& s, double base_lr, double epoch, int total_epochs) {
  if (s.warmup_epochs > 0 && epoch < s.warmup_epochs) return base_lr * (epoch + 1e-3) / s.warmup_epochs;
  if (s.type == "step") return base_lr * std::pow(s.gamma, std::floor(epoch / s.step_size));
  if (s.type == "cosine") {
    const double span = std::max(1e-9, total_epochs - s.warmup_epochs);
    const double t = std::clamp((epoch - s.warmup_epochs) / span, 0.0, 1.0);
    return s.min_lr + (base_lr - s.min_lr) * 0.5 * (1.0 + std::cos(3.14159265358979323846 * t));
  }
  return base_lr;
}

}  // namespace gaze::train
