#pragma once
// What a user reads while and after training: the overfitting warning after
// an epoch, and the closing paragraph of a run (where the files are, what to
// run next). Plain functions of the run's records, so tests read the text.
#include <string>
#include <vector>

#include "train/report.h"

namespace gaze::train {

// The warning printed after an epoch when, for the last `epochs` epochs in a
// row, the validation loss rose while the training loss fell; empty
// otherwise (and for epochs == 0). Said once per streak: only on the epoch
// where the streak reaches `epochs`.
std::string overfit_warning(const std::vector<EpochMetrics>& history, int epochs);

// Time left for the run: the epochs still to run at the measured wall time
// per epoch (training and validation).
double run_eta_seconds(int epochs_done, int epochs_total, double seconds_this_run, int epochs_this_run);

struct RunSummary {
  std::vector<EpochMetrics> history;
  int best_epoch = 0;
  double best_val_acc = 0;
  double wall_seconds = 0;   // the whole run_training call
  // A resumed run: the epochs finished before it resumed and the training
  // and validation seconds spent before (earlier epochs and the interrupted
  // epoch's part), so the total covers the whole run.
  bool resumed = false;
  int epochs_before_resume = 0;
  double seconds_before_resume = 0;
  std::string out_dir;
  std::string data_root;     // data.root
  std::string val_root;      // data.val_root ("" when the validation images are split from data.root)
  std::vector<std::string> val_files;  // the first lines of val_files.txt
  bool ema = false;          // validation and best.safetensors used the EMA weights
  bool stopped_early = false;
};

// The closing paragraph: best epoch and accuracy, total time, mean images/s,
// the output files, and the evaluate and cam-infer commands to run next.
std::string run_summary_text(const RunSummary& summary);

}  // namespace gaze::train
