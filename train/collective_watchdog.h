#pragma once
// CollectiveWatchdog: bounds how long a rank may wait inside one collective.
// A peer that died or hangs leaves the others blocked in all-reduce forever;
// MPI has no per-call timeout, so a background thread watches the deadline of
// the collective in progress and ends this process with a clear message when
// it passes. Exiting non-zero is what every launcher (mpirun, srun, gaze's own)
// reacts to by stopping the whole job; the last checkpoint was written
// atomically, so it stays intact.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

namespace gaze::train {

class CollectiveWatchdog {
 public:
  // Exit status of a process ended by the watchdog.
  static constexpr int kTimeoutExitCode = 124;

  // `label` names the process in the message ("rank 1 of 2").
  CollectiveWatchdog(double timeout_seconds, std::string label);
  ~CollectiveWatchdog();
  CollectiveWatchdog(const CollectiveWatchdog&) = delete;
  CollectiveWatchdog& operator=(const CollectiveWatchdog&) = delete;

  // Marks one collective as in progress for the guard's lifetime. `what` must
  // be a string literal: the watchdog thread reads it without locking.
  class Guard {
   public:
    Guard(CollectiveWatchdog& watchdog, const char* what);
    ~Guard();
    Guard(const Guard&) = delete;
    Guard& operator=(const Guard&) = delete;

   private:
    CollectiveWatchdog& watchdog_;
  };

  double timeout_seconds() const { return timeout_.count(); }

 private:
  void watch();

  std::chrono::duration<double> timeout_;
  std::string label_;
  std::atomic<int64_t> deadline_ns_{0};  // steady_clock; 0 = no collective in progress
  std::atomic<const char*> what_{nullptr};
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace gaze::train
