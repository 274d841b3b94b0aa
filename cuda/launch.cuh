#pragma once
// The one launch shape of gaze's element-wise kernels: a grid-stride loop
// over n elements with 64-bit indices, so any tensor size works with a
// bounded grid.
#include <algorithm>
#include <cstdint>

#include "cuda/check.h"

namespace gaze::cuda::kernels {

constexpr int kThreads = 256;

inline unsigned grid_for(int64_t n) {
  const int64_t blocks = (n + kThreads - 1) / kThreads;
  return static_cast<unsigned>(std::clamp<int64_t>(blocks, 1, int64_t{1} << 16));
}

#define GAZE_GRID_STRIDE_LOOP(i, n)                                                          \
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < (n); \
       i += static_cast<int64_t>(blockDim.x) * gridDim.x)

// Launches `kernel` over n elements (nothing for n == 0) and checks the launch.
template <typename Kernel, typename... Args>
void launch_elementwise(const char* name, Kernel kernel, int64_t n, cudaStream_t stream, Args... args) {
  if (n <= 0) return;
  kernel<<<grid_for(n), kThreads, 0, stream>>>(args...);
  ::gaze::cuda::detail::check(cudaGetLastError(), "kernel launch", name, __FILE__, __LINE__);
}

}  // namespace gaze::cuda::kernels
