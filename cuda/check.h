#pragma once
// Error checks for every CUDA, cuDNN, cuBLAS and NCCL call: a failure throws
// gaze::Error naming the call, the library's error string and the gaze op
// that made it, e.g.
//   CUDA call cudaMalloc(&p, bytes) failed in allocate: out of memory (cudaErrorMemoryAllocation)
// Kernel launches are checked with GAZE_CUDA_CHECK_LAUNCH right after the
// launch; errors inside a running kernel surface at the next synchronizing
// call, whose message says so.
#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cudnn.h>

namespace gaze::cuda::detail {

[[noreturn]] void throw_failure(const char* library, const char* call, const char* op,
                                const char* message, const char* file, int line);

inline void check(cudaError_t status, const char* call, const char* op, const char* file, int line) {
  if (status != cudaSuccess) {
    cudaGetLastError();  // reset the last-error state so the next check does not report it again
    throw_failure("CUDA", call, op, cudaGetErrorString(status), file, line);
  }
}
inline void check(cudnnStatus_t status, const char* call, const char* op, const char* file, int line) {
  if (status != CUDNN_STATUS_SUCCESS) throw_failure("cuDNN", call, op, cudnnGetErrorString(status), file, line);
}
inline void check(cublasStatus_t status, const char* call, const char* op, const char* file, int line) {
  if (status != CUBLAS_STATUS_SUCCESS) throw_failure("cuBLAS", call, op, cublasGetStatusString(status), file, line);
}

}  // namespace gaze::cuda::detail

// GAZE_CUDA_CHECK(call, op): `op` is the gaze operation name ("conv2d_forward").
#define GAZE_CUDA_CHECK(call, op) ::gaze::cuda::detail::check((call), #call, (op), __FILE__, __LINE__)
#define GAZE_CUDA_CHECK_LAUNCH(kernel, op) \
  ::gaze::cuda::detail::check(cudaGetLastError(), "launch of " kernel, (op), __FILE__, __LINE__)
