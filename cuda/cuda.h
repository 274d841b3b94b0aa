#pragma once
// cuda/: gaze's CUDA backend. It owns the CUDA devices (one stream, one cuDNN
// and one cuBLAS handle per device), a caching allocator on cudaMalloc, the
// cuDNN/cuBLAS calls and the own kernels behind core/backend.h, and the NCCL
// communicator (cuda/nccl_communicator.h). Layers, models, autograd and
// optimizers do not know it exists: ops dispatch on the tensor's device.
//
// Programs do not call register_backend() themselves: they call
// gaze::init_runtime() (cuda/runtime.h), which works in CPU-only builds too.
// Versions relied on: CUDA 12+ runtime (built against 13.0), cuDNN 9 (9.19),
// cuBLAS 12+ (cublasGetStatusString), NCCL 2.18+ (ncclAvg, ncclGetLastError).

namespace gaze::cuda {

// Visible CUDA devices; 0 when there is no GPU or no driver (never throws).
int device_count();
// Throws gaze::Error saying why cuda:`index` cannot be used (no driver, no
// GPU, index out of range); returns normally when it can.
void require_device(int index);
// Constructs the backend and registers it with the core when at least one GPU
// is present; a no-op otherwise. Idempotent, never throws for a missing GPU.
void register_backend();
// TF32 tensor-core math for convolutions and GEMMs. Off by default so that
// GPU results match the CPU to ~1e-6; on trades ~1e-3 relative error for speed.
void set_tf32(bool enabled);
bool tf32_enabled();
// Deterministic cuDNN convolution algorithms only, chosen by heuristics
// (on by default; see gaze::set_cuda_deterministic in cuda/runtime.h).
void set_deterministic(bool enabled);
bool deterministic_enabled();

}  // namespace gaze::cuda
