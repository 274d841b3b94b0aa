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
  void update(size_t batch, double loss, double accuracy, size_t images);
  void finish();  // ends the live line

 private:
  bool enabled_, terminal_;
  std::string label_;
  size_t total_, last_printed_ = 0;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

std::string format_duration(double seconds);  // "1m05s"

}  // namespace gaze::train
