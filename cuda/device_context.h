#pragma once
// Per-device state: the one stream every gaze kernel, cuDNN and cuBLAS call
// and NCCL collective of that device runs on (so they are ordered without
// events), and the library handles bound to it. Created on first use and kept
// for the life of the process: tearing them down at exit would race with the
// CUDA runtime's own shutdown.
#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cudnn.h>

namespace gaze::cuda {

struct DeviceContext {
  int index = 0;
  cudaStream_t stream = nullptr;
  cudnnHandle_t cudnn = nullptr;
  cublasHandle_t cublas = nullptr;
};

// Makes `index` the calling thread's current device and returns its context.
// `op` names the gaze operation for error messages.
DeviceContext& device_context(int index, const char* op);

// The device owning `pointer` (device memory from the caching allocator).
int device_of(const void* pointer, const char* op);

// The device's stream, for code outside the backend (the NCCL communicator).
cudaStream_t stream(int index);

}  // namespace gaze::cuda
