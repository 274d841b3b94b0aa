#include "cuda/check.h"

#include <string>

#include "core/error.h"

namespace gaze::cuda::detail {

void throw_failure(const char* library, const char* call, const char* op, const char* message,
                   const char* file, int line) {
  std::string text = std::string(library) + " call " + call + " failed in " + op + ": " + message +
                     " (" + file + ":" + std::to_string(line) + ")";
  if (std::string(library) == "CUDA")
    text += "; errors of earlier asynchronous kernels are reported here too: rerun with "
            "CUDA_LAUNCH_BLOCKING=1 to find the kernel";
  throw Error(text);
}

}  // namespace gaze::cuda::detail
