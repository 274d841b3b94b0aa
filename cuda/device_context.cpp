// Device discovery and the per-device stream and library handles.
#include "cuda/device_context.h"

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/error.h"
#include "cuda/check.h"
#include "cuda/cuda.h"

namespace gaze::cuda {

namespace {

struct Discovery {
  int count = 0;
  cudaError_t status = cudaSuccess;  // why count is 0, when it is
};

const Discovery& discovery() {
  static const Discovery found = [] {
    Discovery d;
    d.status = cudaGetDeviceCount(&d.count);
    if (d.status != cudaSuccess) {
      cudaGetLastError();
      d.count = 0;
    }
    return d;
  }();
  return found;
}

std::mutex g_contexts_mutex;
std::vector<std::unique_ptr<DeviceContext>> g_contexts;

DeviceContext* create_context(int index, const char* op) {
  auto context = std::make_unique<DeviceContext>();
  context->index = index;
  // A blocking stream: it still orders with the legacy default stream, so a
  // library call that uses stream 0 internally cannot overtake our work.
  GAZE_CUDA_CHECK(cudaStreamCreate(&context->stream), op);
  GAZE_CUDA_CHECK(cudnnCreate(&context->cudnn), op);
  GAZE_CUDA_CHECK(cudnnSetStream(context->cudnn, context->stream), op);
  GAZE_CUDA_CHECK(cublasCreate(&context->cublas), op);
  GAZE_CUDA_CHECK(cublasSetStream(context->cublas, context->stream), op);
  return context.release();
}

}  // namespace

int device_count() { return discovery().count; }

void require_device(int index) {
  const Discovery& d = discovery();
  if (d.count == 0) {
    const std::string why = d.status == cudaSuccess
                                ? "no CUDA GPU is visible"
                                : "no usable NVIDIA driver or GPU (CUDA reports: " +
                                      std::string(cudaGetErrorString(d.status)) + ")";
    throw Error("cuda:" + std::to_string(index) + " was requested but CUDA cannot be used on this machine: " +
                why + " (check nvidia-smi and CUDA_VISIBLE_DEVICES, or use --device cpu)");
  }
  GAZE_CHECK(index >= 0 && index < d.count, "cuda:", index, " was requested but only ", d.count,
             " CUDA device(s) are visible (cuda:0 to cuda:", d.count - 1, ")");
}

DeviceContext& device_context(int index, const char* op) {
  require_device(index);
  GAZE_CUDA_CHECK(cudaSetDevice(index), op);
  std::lock_guard<std::mutex> lock(g_contexts_mutex);
  if (g_contexts.empty()) g_contexts.resize(static_cast<size_t>(device_count()));
  auto& slot = g_contexts[static_cast<size_t>(index)];
  if (!slot) slot.reset(create_context(index, op));
  return *slot;
}

int device_of(const void* pointer, const char* op) {
  cudaPointerAttributes attributes{};
  GAZE_CUDA_CHECK(cudaPointerGetAttributes(&attributes, pointer), op);
  GAZE_CHECK(attributes.type == cudaMemoryTypeDevice, op, ": pointer ", pointer,
             " is not CUDA device memory");
  return attributes.device;
}

cudaStream_t stream(int index) { return device_context(index, "stream").stream; }

}  // namespace gaze::cuda
