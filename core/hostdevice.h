#pragma once
// GAZE_HOST_DEVICE marks per-element math shared by the CPU and CUDA backends,
// so the math is unit-tested on the CPU even where no GPU exists.
#if defined(__CUDACC__)
#define GAZE_HOST_DEVICE __host__ __device__
#else
#define GAZE_HOST_DEVICE
#endif
