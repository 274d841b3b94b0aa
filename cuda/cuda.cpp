// Registration of the CUDA backend with the core, and the TF32 switch.
#include "cuda/cuda.h"

#include <atomic>
#include <mutex>

#include "core/backend.h"
#include "cuda/cuda_backend.h"

namespace gaze::cuda {

namespace {
std::atomic<bool> g_tf32{false};
std::atomic<bool> g_deterministic{true};
}

void register_backend() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (device_count() == 0) return;
    // Never deleted: tensors in static storage are freed through the backend
    // after main returns.
    register_cuda_backend(new CudaBackend);
  });
}

void set_tf32(bool enabled) { g_tf32 = enabled; }
bool tf32_enabled() { return g_tf32; }
void set_deterministic(bool enabled) { g_deterministic = enabled; }
bool deterministic_enabled() { return g_deterministic; }

}  // namespace gaze::cuda
