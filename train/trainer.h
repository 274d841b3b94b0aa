#pragma once
// The training loop: data -> model -> loss -> backward -> all-reduce ->
// optimizer, validation after every epoch, best/last checkpoints, metrics,
// report, resume, early stopping, NaN guard and clean stops on signals; and
// the optional extras: Mixup/CutMix (train/mix.h), a weight EMA that is
// validated and saved (train/ema.h), the CAM strip of report.html
// (train/cam_strip.h), the run ETA, the overfitting warning and the closing
// summary (train/run_summary.h).
#include <cstdint>
#include <string>
#include <vector>

#include "train/communicator.h"
#include "train/config.h"
#include "train/report.h"

namespace gaze::train {

struct TrainOptions {
  std::string out_dir;  // default: runs/<config name>
  std::string resume;   // a last.safetensors to continue from
  std::string device;   // overrides train.devices when set
  bool verbose = true;  // progress lines (rank 0 only)
  int64_t max_steps = 0;  // stop (as on SIGINT, writing last) after this many steps; 0 = no limit
  int workers_on_machine = 1;  // training processes on this machine, which share its cores
};

struct TrainResult {
  std::vector<EpochMetrics> history;
  double best_val_acc = -1;
  int best_epoch = 0;
  bool stopped_early = false;
  bool interrupted = false;  // a stop was requested (SIGINT/SIGTERM)
  std::string out_dir;
};

TrainResult run_training(const TrainConfig& config, const TrainOptions& options, Communicator& comm);

// Asks a running training to stop after its current step (signal-safe).
void request_stop();
bool stop_requested();
void clear_stop_request();
// Installs SIGINT/SIGTERM handlers calling request_stop(); a second signal kills.
void install_stop_handlers();

}  // namespace gaze::train
