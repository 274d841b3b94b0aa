#include "train/output_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>

#include "core/error.h"

namespace gaze::train {

OutputLock::OutputLock(const std::string& folder) {
  std::error_code error;
  std::filesystem::create_directories(folder, error);
  GAZE_CHECK(!error, "cannot create the output folder '", folder, "': ", error.message());
  const std::string path = (std::filesystem::path(folder) / ".lock").string();
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  GAZE_CHECK(fd_ >= 0, "cannot write in the output folder '", folder, "' (", path, "): ", std::strerror(errno));
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int reason = errno;
    char owner[32] = {};
    const ssize_t n = ::pread(fd_, owner, sizeof owner - 1, 0);
    ::close(fd_);
    fd_ = -1;
    GAZE_CHECK(reason != EWOULDBLOCK, "the output folder '", folder, "' is in use by another train process",
               n > 0 ? " (pid " + std::string(owner, static_cast<size_t>(n)) + ")" : std::string(),
               "; wait for it, or give this run another folder with --out");
    throw Error("cannot lock the output folder '" + folder + "': " + std::strerror(reason));
  }
  const std::string pid = std::to_string(::getpid());
  if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    // The pid is only for messages; the lock itself holds.
  }
}

OutputLock::~OutputLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the flock
}

}  // namespace gaze::train
