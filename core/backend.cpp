#include "core/backend.h"

#include "core/cpu/cpu_backend.h"
#include "core/error.h"

namespace gaze {

namespace {
Backend* g_cuda_backend = nullptr;
}

Backend& cpu_backend() {
  static CpuBackend backend;
  return backend;
}

void register_cuda_backend(Backend* backend) { g_cuda_backend = backend; }
bool cuda_backend_available() { return g_cuda_backend != nullptr; }

Backend& backend_for(Device device) {
  if (device.is_cpu()) return cpu_backend();
  GAZE_CHECK(g_cuda_backend != nullptr, "tensor on ", device.str(),
             " but no CUDA backend is registered: this build has none (configure with -DGAZE_CUDA=ON), "
             "no GPU or driver was found, or the program did not call gaze::init_runtime()");
  return *g_cuda_backend;
}

}  // namespace gaze
