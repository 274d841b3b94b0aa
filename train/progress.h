#pragma once
// Progress output while training: a live line rewritten in place on a
// terminal, plain lines every ~10% of an epoch otherwise (logs, CI).
#include <chrono>
#include <cstddef>
#include <string>

namespace gaze::train {

class Progress {
 public:
  Progress(bool enabled, std::string label, size_t total_batches);
  // The line also shows the ETA of the whole run: this epoch's, plus
  // `epochs_after` more epochs of `seconds_per_epoch` each (measured whole
  // epochs, validation included; 0 while none has been measured: this
  // epoch's projected training time stands in).
  void set_run(int epochs_after, double seconds_per_epoch);
  void update(size_t batch, double loss, double accuracy, size_t images);
  void finish();  // ends the live line
  // The run's ETA given this epoch's ETA and its projected training time.
  static double run_eta(double epoch_eta, double epoch_projected, int epochs_after, double seconds_per_epoch);

 private:
  bool enabled_, terminal_;
  std::string label_;
  size_t total_, last_printed_ = 0;
  int epochs_after_ = 0;
  double seconds_per_epoch_ = 0;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

std::string format_duration(double seconds);  // "1m05s"

}  // namespace gaze::train
