// gaze_runtime in CPU-only builds: there is no CUDA backend to register.
#include "core/error.h"
#include "cuda/runtime.h"

namespace gaze {

void init_runtime() {}
int cuda_device_count() { return 0; }
void require_cuda_device(int index) {
  throw Error("cuda:" + std::to_string(index) +
              " was requested but this gaze build has no CUDA backend: reconfigure with -DGAZE_CUDA=ON on a "
              "machine with the CUDA toolkit, or use --device cpu");
}
void set_cuda_deterministic(bool) {}

}  // namespace gaze
