// Max and average pooling with exactly the CPU's semantics: windows clipped to
// the input, the average divided by the full kernel area (count_include_pad),
// and the max-pool gradient routed to the FIRST maximum of each window in
// row-major order. cuDNN does not document which of several equal maxima gets
// the gradient, and after a ReLU ties (zeros) are common, so gradients would
// differ from the CPU's (and PyTorch's); hence own kernels, gather-style so
// that each input sums its contributions in a fixed order without atomics.
#include <cfloat>

#include "cuda/kernels.h"
#include "cuda/launch.cuh"

namespace gaze::cuda::kernels {

namespace {

struct Window {
  int64_t y0, y1, x0, x1;
};

__device__ Window window(int64_t oy, int64_t ox, const PoolShape& s) {
  const int64_t y0 = oy * s.stride_h - s.pad_h, x0 = ox * s.stride_w - s.pad_w;
  return {y0 > 0 ? y0 : 0, y0 + s.kernel_h < s.in_h ? y0 + s.kernel_h : s.in_h, x0 > 0 ? x0 : 0,
          x0 + s.kernel_w < s.in_w ? x0 + s.kernel_w : s.in_w};
}

// The output rows (or columns) whose windows contain input row `i`: [first, last].
__device__ void covering(int64_t i, int kernel, int stride, int pad, int64_t out, int64_t& first,
                         int64_t& last) {
  const int64_t low = i + pad - kernel + 1;
  first = low <= 0 ? 0 : (low + stride - 1) / stride;
  last = (i + pad) / stride;
  if (last > out - 1) last = out - 1;
}

__global__ void max_pool_forward_kernel(const float* x, float* y, PoolShape s, int64_t n) {
  GAZE_GRID_STRIDE_LOOP(o, n) {
    const int64_t plane = o / (s.out_h * s.out_w), oy = (o / s.out_w) % s.out_h, ox = o % s.out_w;
    const float* in = x + plane * s.in_h * s.in_w;
    const Window w = window(oy, ox, s);
    float best = -INFINITY;
    for (int64_t iy = w.y0; iy < w.y1; ++iy)
      for (int64_t ix = w.x0; ix < w.x1; ++ix) {
        const float v = in[iy * s.in_w + ix];
        best = best < v ? v : best;  // std::max(best, v), as the CPU
      }
    y[o] = best;
  }
}

__global__ void max_pool_backward_kernel(const float* x, const float* y, const float* grad_y,
                                         float* grad_x, PoolShape s, int64_t n) {
  GAZE_GRID_STRIDE_LOOP(i, n) {
    const int64_t plane = i / (s.in_h * s.in_w), iy = (i / s.in_w) % s.in_h, ix = i % s.in_w;
    const float* in = x + plane * s.in_h * s.in_w;
    const int64_t out_base = plane * s.out_h * s.out_w;
    int64_t oy0, oy1, ox0, ox1;
    covering(iy, s.kernel_h, s.stride_h, s.pad_h, s.out_h, oy0, oy1);
    covering(ix, s.kernel_w, s.stride_w, s.pad_w, s.out_w, ox0, ox1);
    float acc = 0;
    for (int64_t oy = oy0; oy <= oy1; ++oy)
      for (int64_t ox = ox0; ox <= ox1; ++ox) {
        const float best = y[out_base + oy * s.out_w + ox];
        const Window w = window(oy, ox, s);
        int64_t first = -1;  // flat index of the window's first maximum
        for (int64_t wy = w.y0; wy < w.y1 && first < 0; ++wy)
          for (int64_t wx = w.x0; wx < w.x1 && first < 0; ++wx)
            if (in[wy * s.in_w + wx] == best) first = wy * s.in_w + wx;
        if (first == iy * s.in_w + ix) acc += grad_y[out_base + oy * s.out_w + ox];
      }
    grad_x[i] = acc;
  }
}

__global__ void avg_pool_forward_kernel(const float* x, float* y, PoolShape s, int64_t n) {
  const float divisor = 1.0f / static_cast<float>(s.kernel_h * s.kernel_w);
  GAZE_GRID_STRIDE_LOOP(o, n) {
    const int64_t plane = o / (s.out_h * s.out_w), oy = (o / s.out_w) % s.out_h, ox = o % s.out_w;
    const float* in = x + plane * s.in_h * s.in_w;
    const Window w = window(oy, ox, s);
    float acc = 0;
    for (int64_t iy = w.y0; iy < w.y1; ++iy)
      for (int64_t ix = w.x0; ix < w.x1; ++ix) acc += in[iy * s.in_w + ix];
    y[o] = acc * divisor;
  }
}

__global__ void avg_pool_backward_kernel(const float* grad_y, float* grad_x, PoolShape s, int64_t n) {
  const float divisor = 1.0f / static_cast<float>(s.kernel_h * s.kernel_w);
  GAZE_GRID_STRIDE_LOOP(i, n) {
    const int64_t plane = i / (s.in_h * s.in_w), iy = (i / s.in_w) % s.in_h, ix = i % s.in_w;
    const int64_t out_base = plane * s.out_h * s.out_w;
    int64_t oy0, oy1, ox0, ox1;
    covering(iy, s.kernel_h, s.stride_h, s.pad_h, s.out_h, oy0, oy1);
    covering(ix, s.kernel_w, s.stride_w, s.pad_w, s.out_w, ox0, ox1);
    float acc = 0;
    for (int64_t oy = oy0; oy <= oy1; ++oy)
      for (int64_t ox = ox0; ox <= ox1; ++ox) acc += grad_y[out_base + oy * s.out_w + ox] * divisor;
    grad_x[i] = acc;
  }
}

}  // namespace

void max_pool_forward(const float* x, float* y, const PoolShape& s, cudaStream_t stream) {
  const int64_t n = s.planes * s.out_h * s.out_w;
  launch_elementwise("max_pool2d_forward", max_pool_forward_kernel, n, stream, x, y, s, n);
}
void max_pool_backward(const float* x, const float* y, const float* grad_y, float* grad_x,
                       const PoolShape& s, cudaStream_t stream) {
  const int64_t n = s.planes * s.in_h * s.in_w;
  launch_elementwise("max_pool2d_backward", max_pool_backward_kernel, n, stream, x, y, grad_y, grad_x, s, n);
}
void avg_pool_forward(const float* x, float* y, const PoolShape& s, cudaStream_t stream) {
  const int64_t n = s.planes * s.out_h * s.out_w;
  launch_elementwise("avg_pool2d_forward", avg_pool_forward_kernel, n, stream, x, y, s, n);
}
void avg_pool_backward(const float* grad_y, float* grad_x, const PoolShape& s, cudaStream_t stream) {
  const int64_t n = s.planes * s.in_h * s.in_w;
  launch_elementwise("avg_pool2d_backward", avg_pool_backward_kernel, n, stream, grad_y, grad_x, s, n);
}

}  // namespace gaze::cuda::kernels
