// Pooling on the CPU, one (image, channel) plane per OpenMP iteration.
#include <algorithm>
#include <limits>

#include "core/cpu/cpu_backend.h"

namespace gaze {

namespace {

struct Planes {
  int64_t count, in_h, in_w, out_h, out_w;
};

Planes planes(const Tensor& x, const Tensor& y) {
  return {x.dim(0) * x.dim(1), x.dim(2), x.dim(3), y.dim(2), y.dim(3)};
}

// The clipped window of output pixel (oy, ox) in input coordinates.
struct Window {
  int64_t y0, y1, x0, x1;
};

Window window(int64_t oy, int64_t ox, const Pool2dGeometry& g, int64_t in_h, int64_t in_w) {
  const int64_t y0 = oy * g.stride_h - g.pad_h, x0 = ox * g.stride_w - g.pad_w;
  return {std::max<int64_t>(y0, 0), std::min<int64_t>(y0 + g.kernel_h, in_h),
          std::max<int64_t>(x0, 0), std::min<int64_t>(x0 + g.kernel_w, in_w)};
}

// The common max-pool: non-overlapping 2x2 windows. Each input pixel is in at
// most one window, so backward writes every gradient once instead of
// zero-filling the plane and scattering into it.
bool is_2x2_tiling(const Pool2dGeometry& g) {
  return g.kernel_h == 2 && g.kernel_w == 2 && g.stride_h == 2 && g.stride_w == 2 && g.pad_h == 0 &&
         g.pad_w == 0;
}

// One plane of 2x2 max-pool forward, in the generic loop's order of
// comparisons (so NaN handling matches): max(max(max(-inf, a), b), c), d).
void max_pool_2x2_forward_plane(const float* in, const Planes& s, float* out) {
  for (int64_t oy = 0; oy < s.out_h; ++oy) {
    const float* top = in + 2 * oy * s.in_w;
    const float* bottom = top + s.in_w;
    for (int64_t ox = 0; ox < s.out_w; ++ox) {
      float best = std::max(-std::numeric_limits<float>::infinity(), top[2 * ox]);
      best = std::max(best, top[2 * ox + 1]);
      best = std::max(best, bottom[2 * ox]);
      out[oy * s.out_w + ox] = std::max(best, bottom[2 * ox + 1]);
    }
  }
}

// One plane of 2x2 max-pool backward: the gradient goes to the first of
// (top-left, top-right, bottom-left, bottom-right) equal to the max.
void max_pool_2x2_backward_plane(const float* in, const float* out, const float* gy, const Planes& s,
                                 float* gx) {
  for (int64_t oy = 0; oy < s.out_h; ++oy) {
    const float* top = in + 2 * oy * s.in_w;
    const float* bottom = top + s.in_w;
    float* gtop = gx + 2 * oy * s.in_w;
    float* gbottom = gtop + s.in_w;
    const float* best_row = out + oy * s.out_w;
    const float* grad_row = gy + oy * s.out_w;
    // Bitwise rather than short-circuit logic: no branches, so GCC vectorizes.
    for (int64_t ox = 0; ox < s.out_w; ++ox) {
      const float best = best_row[ox], grad = grad_row[ox];
      const bool a = top[2 * ox] == best;
      const bool b = !a & (top[2 * ox + 1] == best);
      const bool c = !(a | b) & (bottom[2 * ox] == best);
      const bool d = !(a | b | c) & (bottom[2 * ox + 1] == best);
      gtop[2 * ox] = a ? grad : 0.0f;
      gtop[2 * ox + 1] = b ? grad : 0.0f;
      gbottom[2 * ox] = c ? grad : 0.0f;
      gbottom[2 * ox + 1] = d ? grad : 0.0f;
    }
    for (int64_t ix = 2 * s.out_w; ix < s.in_w; ++ix) gtop[ix] = gbottom[ix] = 0.0f;  // odd width
  }
  std::fill(gx + 2 * s.out_h * s.in_w, gx + s.in_h * s.in_w, 0.0f);  // odd height
}

}  // namespace

void CpuBackend::max_pool2d_forward(const Tensor& x, const Pool2dGeometry& g, Tensor& y) {
  const Planes s = planes(x, y);
#pragma omp parallel for schedule(static)
  for (int64_t plane = 0; plane < s.count; ++plane) {
    const float* in = x.data() + plane * s.in_h * s.in_w;
    float* out = y.data() + plane * s.out_h * s.out_w;
    if (is_2x2_tiling(g)) {
      max_pool_2x2_forward_plane(in, s, out);
      continue;
    }
    for (int64_t oy = 0; oy < s.out_h; ++oy)
      for (int64_t ox = 0; ox < s.out_w; ++ox) {
        const Window win = window(oy, ox, g, s.in_h, s.in_w);
        float best = -std::numeric_limits<float>::infinity();
        for (int64_t iy = win.y0; iy < win.y1; ++iy)
          for (int64_t ix = win.x0; ix < win.x1; ++ix) best = std::max(best, in[iy * s.in_w + ix]);
        out[oy * s.out_w + ox] = best;
      }
  }
}

void CpuBackend::max_pool2d_backward(const Tensor& x, const Tensor& y, const Tensor& grad_y,
                                     const Pool2dGeometry& g, Tensor& grad_x) {
  const Planes s = planes(x, y);
#pragma omp parallel for schedule(static)
  for (int64_t plane = 0; plane < s.count; ++plane) {
    const float* in = x.data() + plane * s.in_h * s.in_w;
    const float* out = y.data() + plane * s.out_h * s.out_w;
    const float* gy = grad_y.data() + plane * s.out_h * s.out_w;
    float* gx = grad_x.data() + plane * s.in_h * s.in_w;
    if (is_2x2_tiling(g)) {
      max_pool_2x2_backward_plane(in, out, gy, s, gx);
      continue;
    }
    std::fill(gx, gx + s.in_h * s.in_w, 0.0f);
    for (int64_t oy = 0; oy < s.out_h; ++oy)
      for (int64_t ox = 0; ox < s.out_w; ++ox) {
        // The gradient goes to the first input equal to the max, as PyTorch does.
        const Window win = window(oy, ox, g, s.in_h, s.in_w);
        const float best = out[oy * s.out_w + ox];
        bool routed = false;
        for (int64_t iy = win.y0; iy < win.y1 && !routed; ++iy)
          for (int64_t ix = win.x0; ix < win.x1 && !routed; ++ix)
            if (in[iy * s.in_w + ix] == best) {
              gx[iy * s.in_w + ix] += gy[oy * s.out_w + ox];
              routed = true;
            }
      }
  }
}

void CpuBackend::avg_pool2d_forward(const Tensor& x, const Pool2dGeometry& g, Tensor& y) {
  const Planes s = planes(x, y);
  const float divisor = 1.0f / static_cast<float>(g.kernel_h * g.kernel_w);
#pragma omp parallel for schedule(static)
  for (int64_t plane = 0; plane < s.count; ++plane) {
    const float* in = x.data() + plane * s.in_h * s.in_w;
    float* out = y.data() + plane * s.out_h * s.out_w;
    for (int64_t oy = 0; oy < s.out_h; ++oy)
      for (int64_t ox = 0; ox < s.out_w; ++ox) {
        const Window win = window(oy, ox, g, s.in_h, s.in_w);
        float acc = 0;
        for (int64_t iy = win.y0; iy < win.y1; ++iy)
          for (int64_t ix = win.x0; ix < win.x1; ++ix) acc += in[iy * s.in_w + ix];
        out[oy * s.out_w + ox] = acc * divisor;
      }
  }
}

void CpuBackend::avg_pool2d_backward(const Tensor& grad_y, const Pool2dGeometry& g, Tensor& grad_x) {
  const Planes s = planes(grad_x, grad_y);
  const float divisor = 1.0f / static_cast<float>(g.kernel_h * g.kernel_w);
#pragma omp parallel for schedule(static)
  for (int64_t plane = 0; plane < s.count; ++plane) {
    const float* gy = grad_y.data() + plane * s.out_h * s.out_w;
    float* gx = grad_x.data() + plane * s.in_h * s.in_w;
    std::fill(gx, gx + s.in_h * s.in_w, 0.0f);
    for (int64_t oy = 0; oy < s.out_h; ++oy)
      for (int64_t ox = 0; ox < s.out_w; ++ox) {
        const Window win = window(oy, ox, g, s.in_h, s.in_w);
        const float share = gy[oy * s.out_w + ox] * divisor;
        for (int64_t iy = win.y0; iy < win.y1; ++iy)
          for (int64_t ix = win.x0; ix < win.x1; ++ix) gx[iy * s.in_w + ix] += share;
      }
  }
}

void CpuBackend::global_avg_pool_forward(const Tensor& x, Tensor& y) {
  const int64_t count = x.dim(0) * x.dim(1), area = x.dim(2) * x.dim(3);
#pragma omp parallel for schedule(static)
  for (int64_t plane = 0; plane < count; ++plane) {
    const float* in = x.data() + plane * area;
    float acc = 0;
    for (int64_t i = 0; i < area; ++i) acc += in[i];
    y.data()[plane] = acc / static_cast<float>(area);
  }
}

void CpuBackend::global_avg_pool_backward(const Tensor& grad_y, Tensor& grad_x) {
  const int64_t count = grad_x.dim(0) * grad_x.dim(1), area = grad_x.dim(2) * grad_x.dim(3);
#pragma omp parallel for schedule(static)
  for (int64_t plane = 0; plane < count; ++plane) {
    const float share = grad_y.data()[plane] / static_cast<float>(area);
    float* gx = grad_x.data() + plane * area;
    std::fill(gx, gx + area, share);
  }
}

}  // namespace gaze
