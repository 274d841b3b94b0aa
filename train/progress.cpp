#include "train/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace gaze::train {

std::string format_duration(double seconds) {
  // Clamped so that a NaN, negative or absurd figure (e.g. from a hostile
  // resume state) prints instead of overflowing the conversion.
  const double clamped = seconds >= 0 ? std::min(seconds, 1e12) : 0.0;
  const long total = static_cast<long>(clamped + 0.5);
  char text[32];
  if (total >= 3600) {
    std::snprintf(text, sizeof text, "%ldh%02ldm", total / 3600, (total / 60) % 60);
  } else {
    std::snprintf(text, sizeof text, "%ldm%02lds", total / 60, total % 60);
  }
  return text;
}

Progress::Progress(bool enabled, std::string label, size_t total_batches)
    : enabled_(enabled), terminal_(::isatty(STDOUT_FILENO) != 0), label_(std::move(label)), total_(total_batches),
      start_(std::chrono::steady_clock::now()), last_draw_(start_) {}

void Progress::set_run(int epochs_after, double seconds_per_epoch) {
  epochs_after_ = epochs_after;
  seconds_per_epoch_ = seconds_per_epoch;
}

double Progress::run_eta(double epoch_eta, double epoch_projected, int epochs_after, double seconds_per_epoch) {
  return epoch_eta + epochs_after * (seconds_per_epoch > 0 ? seconds_per_epoch : epoch_projected);
}

void Progress::update(size_t batch, double loss, double accuracy, size_t images) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const bool last = batch == total_;
  if (terminal_) {
    if (!last && now - last_draw_ < std::chrono::milliseconds(200)) return;
  } else {
    const size_t step = std::max<size_t>(1, total_ / 10);
    if (!last && batch - last_printed_ < step) return;
  }
  last_draw_ = now;
  last_printed_ = batch;
  const double rate = elapsed > 0 ? static_cast<double>(images) / elapsed : 0;
  const double eta = batch > 0 ? elapsed * static_cast<double>(total_ - batch) / static_cast<double>(batch) : 0;
  const double projected = batch > 0 ? elapsed * static_cast<double>(total_) / static_cast<double>(batch) : 0;
  const double run = run_eta(eta, projected, epochs_after_, seconds_per_epoch_);
  std::printf("%s%s batch %zu/%zu  loss %.4f  acc %.2f%%  %.1f img/s  ETA %s (run %s)%s", terminal_ ? "\r" : "",
              label_.c_str(), batch, total_, loss, 100 * accuracy, rate, format_duration(eta).c_str(),
              format_duration(run).c_str(), terminal_ ? "   " : "\n");
  std::fflush(stdout);
}

void Progress::finish() {
  if (enabled_ && terminal_) std::printf("\r%80s\r", "");
  std::fflush(stdout);
}

}  // namespace gaze::train
