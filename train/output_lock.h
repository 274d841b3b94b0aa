#pragma once
// OutputLock: one training run per output folder. Two `train` processes with
// the same --out would overwrite each other's checkpoints and each report the
// other's file, so the run takes an exclusive flock(2) on <folder>/.lock for
// its whole life. The lock file holds the owner's pid for the error message;
// the kernel releases the lock when the process ends, however it ends.
#include <string>

namespace gaze::train {

class OutputLock {
 public:
  // Creates the folder if needed; throws gaze::Error naming the folder (and
  // the pid holding it) when another process has it.
  explicit OutputLock(const std::string& folder);
  ~OutputLock();
  OutputLock(const OutputLock&) = delete;
  OutputLock& operator=(const OutputLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace gaze::train
