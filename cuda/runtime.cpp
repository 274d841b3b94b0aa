// gaze_runtime in CUDA builds.
#include "cuda/runtime.h"

#include "cuda/cuda.h"

namespace gaze {

void init_runtime() { cuda::register_backend(); }
int cuda_device_count() { return cuda::device_count(); }
void require_cuda_device(int index) { cuda::require_device(index); }
void set_cuda_deterministic(bool deterministic) { cuda::set_deterministic(deterministic); }

}  // namespace gaze
