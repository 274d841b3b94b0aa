#include "train/collective_watchdog.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "core/error.h"

namespace gaze::train {

namespace {

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

CollectiveWatchdog::CollectiveWatchdog(double timeout_seconds, std::string label)
    : timeout_(timeout_seconds), label_(std::move(label)) {
  GAZE_CHECK(timeout_seconds > 0, "train.collective_timeout_s must be positive, got ", timeout_seconds);
  thread_ = std::thread([this] { watch(); });
}

CollectiveWatchdog::~CollectiveWatchdog() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

CollectiveWatchdog::Guard::Guard(CollectiveWatchdog& watchdog, const char* what) : watchdog_(watchdog) {
  watchdog_.what_ = what;
  const auto timeout = std::chrono::duration_cast<std::chrono::nanoseconds>(watchdog_.timeout_);
  watchdog_.deadline_ns_ = now_ns() + timeout.count();
}

CollectiveWatchdog::Guard::~Guard() { watchdog_.deadline_ns_ = 0; }

void CollectiveWatchdog::watch() {
  // Polling a few times per timeout keeps the overshoot small without a
  // wake-up per collective (there are several per training step).
  const auto period = std::chrono::duration<double>(std::clamp(timeout_.count() / 8, 0.05, 1.0));
  std::unique_lock<std::mutex> lock(mutex_);
  while (!wake_.wait_for(lock, period, [this] { return stopping_; })) {
    const int64_t deadline = deadline_ns_;
    if (deadline == 0 || now_ns() < deadline) continue;
    std::fprintf(stderr,
                 "train: error: %s waited more than %g s (train.collective_timeout_s) in %s: another rank "
                 "died or hangs; stopping this rank so that the launcher ends the job (the last checkpoint is "
                 "intact)\n",
                 label_.c_str(), timeout_.count(), what_.load());
    std::fflush(stderr);
    std::_Exit(kTimeoutExitCode);
  }
}

}  // namespace gaze::train
