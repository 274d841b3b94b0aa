#include "core/cpu/conv_depthwise.h"

#include <algorithm>

namespace gaze::cpu {

namespace {

// The output columns [begin, end) of kernel column kj whose input column
// ox * stride + kj - pad lies inside the image (the others read zero padding).
struct Columns {
  int64_t begin, end, offset;
};

Columns inside_columns(const DepthwiseShape& s, int64_t kj) {
  const Conv2dGeometry& g = s.geometry;
  const int64_t offset = kj - g.pad_w;
  const int64_t begin = offset >= 0 ? 0 : (-offset + g.stride_w - 1) / g.stride_w;
  const int64_t end = s.width - offset <= 0 ? 0 : (s.width - offset + g.stride_w - 1) / g.stride_w;
  const int64_t clamped_begin = std::min(begin, s.out_w);
  return {clamped_begin, std::clamp(end, clamped_begin, s.out_w), offset};
}

}  // namespace

void depthwise_forward(const float* x, const float* w, const float* b, const DepthwiseShape& s, float* y) {
  const Conv2dGeometry& g = s.geometry;
  const int64_t plane = s.height * s.width, out_plane = s.out_h * s.out_w;
  const int64_t taps = s.kernel_h * s.kernel_w;
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t n = 0; n < s.batch; ++n)
    for (int64_t o = 0; o < s.out_channels; ++o) {
      const float* image = x + (n * s.channels + o / s.multiplier()) * plane;
      const float* kernel = w + o * taps;
      float* out = y + (n * s.out_channels + o) * out_plane;
      std::fill(out, out + out_plane, b ? b[o] : 0.0f);
      for (int64_t ki = 0; ki < s.kernel_h; ++ki)
        for (int64_t kj = 0; kj < s.kernel_w; ++kj) {
          const float weight = kernel[ki * s.kernel_w + kj];
          const Columns cols = inside_columns(s, kj);
          for (int64_t oy = 0; oy < s.out_h; ++oy) {
            const int64_t iy = oy * g.stride_h + ki - g.pad_h;
            if (iy < 0 || iy >= s.height) continue;
            const float* src = image + iy * s.width;
            float* dst = out + oy * s.out_w;
            for (int64_t ox = cols.begin; ox < cols.end; ++ox)
              dst[ox] += weight * src[ox * g.stride_w + cols.offset];
          }
        }
    }
}

void depthwise_backward(const float* x, const float* w, const float* grad_y, const DepthwiseShape& s,
                        float* grad_x, float* grad_w) {
  const Conv2dGeometry& g = s.geometry;
  const int64_t plane = s.height * s.width, out_plane = s.out_h * s.out_w;
  const int64_t taps = s.kernel_h * s.kernel_w, multiplier = s.multiplier();
  if (grad_x) {
    // One input plane per iteration gathers from its `multiplier` output
    // planes, so no two threads write the same element.
#pragma omp parallel for collapse(2) schedule(static)
    for (int64_t n = 0; n < s.batch; ++n)
      for (int64_t c = 0; c < s.channels; ++c) {
        float* gx = grad_x + (n * s.channels + c) * plane;
        std::fill(gx, gx + plane, 0.0f);
        for (int64_t o = c * multiplier; o < (c + 1) * multiplier; ++o) {
          const float* gy = grad_y + (n * s.out_channels + o) * out_plane;
          for (int64_t ki = 0; ki < s.kernel_h; ++ki)
            for (int64_t kj = 0; kj < s.kernel_w; ++kj) {
              const float weight = w[o * taps + ki * s.kernel_w + kj];
              const Columns cols = inside_columns(s, kj);
              for (int64_t oy = 0; oy < s.out_h; ++oy) {
                const int64_t iy = oy * g.stride_h + ki - g.pad_h;
                if (iy < 0 || iy >= s.height) continue;
                float* dst = gx + iy * s.width;
                const float* src = gy + oy * s.out_w;
                for (int64_t ox = cols.begin; ox < cols.end; ++ox)
                  dst[ox * g.stride_w + cols.offset] += weight * src[ox];
              }
            }
        }
      }
  }
  if (grad_w) {
    // Each tap's gradient is a sum over images and pixels in a fixed order
    // (row sums in float, rows accumulated in double): deterministic for
    // any thread count.
#pragma omp parallel for collapse(2) schedule(static)
    for (int64_t o = 0; o < s.out_channels; ++o)
      for (int64_t tap = 0; tap < taps; ++tap) {
        const int64_t ki = tap / s.kernel_w, kj = tap % s.kernel_w;
        const Columns cols = inside_columns(s, kj);
        double total = 0;
        for (int64_t n = 0; n < s.batch; ++n) {
          const float* image = x + (n * s.channels + o / multiplier) * plane;
          const float* gy = grad_y + (n * s.out_channels + o) * out_plane;
          for (int64_t oy = 0; oy < s.out_h; ++oy) {
            const int64_t iy = oy * g.stride_h + ki - g.pad_h;
            if (iy < 0 || iy >= s.height) continue;
            const float* src = image + iy * s.width;
            const float* dy = gy + oy * s.out_w;
            float row = 0;
            for (int64_t ox = cols.begin; ox < cols.end; ++ox) row += dy[ox] * src[ox * g.stride_w + cols.offset];
            total += row;
          }
        }
        grad_w[o * taps + tap] = static_cast<float>(total);
      }
  }
}

}  // namespace gaze::cpu
