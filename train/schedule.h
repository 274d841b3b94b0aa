#pragma once
// Learning-rate schedules as a pure function of progress, so a resumed run
// gets exactly the rate an uninterrupted one would.
//   constant: lr
//   step:     lr * gamma^floor(epoch / step_size)
//   cosine:   min_lr + (lr - min_lr) (1 + cos(pi t)) / 2, t = progress after warmup
//   onecycle: t = epoch / epochs; for t < pct_start a cosine rise from
//             lr / div_factor to lr, then a cosine fall to
//             lr / (div_factor * final_div_factor) at t = 1 (OneCycleLR's
//             shape, continuous in t; its momentum cycling is not done)
// A linear warmup from ~0 to lr over warmup_epochs comes first when set.
#include "train/config.h"

namespace gaze::train {

// `epoch` is fractional: 2.5 is halfway through the third epoch.
double learning_rate(const ScheduleConfig& schedule, double base_lr, double epoch, int total_epochs);

}  // namespace gaze::train
