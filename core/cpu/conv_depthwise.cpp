#include "core/cpu/conv_depthwise.h"

#include <algorithm>
#include <vector>

namespace gaze::cpu {

namespace {

// Each image plane is first copied into a zero-bordered buffer, so that the
// loops below index without bounds checks; with stride 1 their innermost
// loops run over consecutive floats and vectorize.
struct Padded {
  int64_t height, width;  // with the border
  int64_t size() const { return height * width; }
};

Padded padded_shape(const DepthwiseShape& s) {
  return {s.height + 2 * s.geometry.pad_h, s.width + 2 * s.geometry.pad_w};
}

void pad_plane(const float* plane, const DepthwiseShape& s, const Padded& p, float* out) {
  const int64_t top = s.geometry.pad_h, left = s.geometry.pad_w;
  std::fill(out, out + p.size(), 0.0f);
  for (int64_t y = 0; y < s.height; ++y)
    std::copy(plane + y * s.width, plane + (y + 1) * s.width, out + (y + top) * p.width + left);
}

// out[oy, ox] = bias + sum_{ki, kj} kernel[ki, kj] * padded[oy * sh + ki, ox * sw + kj].
// K > 0 fixes a KxK kernel at compile time: all taps of one output are then
// summed in a register (the tap loops unroll), which is what small planes
// (7x7, 14x14) need; K = 0 reads the kernel size from s and walks the taps
// along whole output rows. S = 1 fixes stride 1 (unit-stride loads, which
// vectorize); S = 0 reads the stride from s.
template <int K, int S = 0>
void plane_forward(const float* __restrict__ padded, const float* __restrict__ kernel, float bias,
                   const DepthwiseShape& s, const Padded& p, float* __restrict__ out) {
  const int64_t sh = s.geometry.stride_h, sw = S > 0 ? S : s.geometry.stride_w;
  for (int64_t oy = 0; oy < s.out_h; ++oy) {
    float* __restrict__ dst = out + oy * s.out_w;
    const float* rows = padded + oy * sh * p.width;
    if constexpr (K > 0) {
      for (int64_t ox = 0; ox < s.out_w; ++ox) {
        float acc = bias;
        for (int ki = 0; ki < K; ++ki)
          for (int kj = 0; kj < K; ++kj) acc += kernel[ki * K + kj] * rows[ki * p.width + ox * sw + kj];
        dst[ox] = acc;
      }
    } else {
      std::fill(dst, dst + s.out_w, bias);
      for (int64_t ki = 0; ki < s.kernel_h; ++ki)
        for (int64_t kj = 0; kj < s.kernel_w; ++kj) {
          const float weight = kernel[ki * s.kernel_w + kj];
          const float* __restrict__ src = rows + ki * p.width + kj;
          for (int64_t ox = 0; ox < s.out_w; ++ox) dst[ox] += weight * src[ox * sw];
        }
    }
  }
}

// The adjoint: grad_padded[oy * sh + ki, ox * sw + kj] += kernel[ki, kj] * grad_out[oy, ox].
template <int K>
void plane_backward_data(const float* __restrict__ grad_out, const float* __restrict__ kernel,
                         const DepthwiseShape& s, const Padded& p, float* __restrict__ grad_padded) {
  const int64_t sh = s.geometry.stride_h, sw = s.geometry.stride_w;
  for (int64_t oy = 0; oy < s.out_h; ++oy) {
    const float* __restrict__ src = grad_out + oy * s.out_w;
    float* rows = grad_padded + oy * sh * p.width;
    if constexpr (K > 0) {
      for (int64_t ox = 0; ox < s.out_w; ++ox) {
        const float g = src[ox];
        for (int ki = 0; ki < K; ++ki)
          for (int kj = 0; kj < K; ++kj) rows[ki * p.width + ox * sw + kj] += kernel[ki * K + kj] * g;
      }
    } else {
      for (int64_t ki = 0; ki < s.kernel_h; ++ki)
        for (int64_t kj = 0; kj < s.kernel_w; ++kj) {
          const float weight = kernel[ki * s.kernel_w + kj];
          float* __restrict__ dst = rows + ki * p.width + kj;
          for (int64_t ox = 0; ox < s.out_w; ++ox) dst[ox * sw] += weight * src[ox];
        }
    }
  }
}

// The same for stride 1 as a gather, which vectorizes like the forward pass:
// grad_x[iy, ix] += sum_{ki, kj} kernel[ki, kj] * grad_out[iy + pad - ki, ix + pad - kj],
// reading grad_out from a copy with a zero border of K - 1 (`bordered`, row
// length `bordered_width`), which covers every index since pad < K.
template <int K>
void plane_backward_data_stride1(const float* __restrict__ bordered, int64_t bordered_width,
                                 const float* __restrict__ kernel, const DepthwiseShape& s,
                                 float* __restrict__ grad_x) {
  const int64_t top = s.geometry.pad_h + K - 1, left = s.geometry.pad_w + K - 1;
  for (int64_t iy = 0; iy < s.height; ++iy) {
    float* __restrict__ dst = grad_x + iy * s.width;
    for (int64_t ix = 0; ix < s.width; ++ix) {
      float acc = 0;
      for (int ki = 0; ki < K; ++ki)
        for (int kj = 0; kj < K; ++kj)
          acc += kernel[ki * K + kj] * bordered[(iy + top - ki) * bordered_width + ix + left - kj];
      dst[ix] += acc;
    }
  }
}

// grad_kernel[ki, kj] += sum_{oy, ox} grad_out[oy, ox] * padded[oy * sh + ki, ox * sw + kj],
// summed over the plane in float and added to the double total once per
// plane, always in the same order (deterministic for any thread count).
template <int K, int S = 0>
void plane_backward_weights(const float* __restrict__ grad_out, const float* __restrict__ padded,
                            const DepthwiseShape& s, const Padded& p, double* grad_kernel) {
  const int64_t sh = s.geometry.stride_h, sw = S > 0 ? S : s.geometry.stride_w;
  if constexpr (K > 0) {
    // Eight partial sums per tap, one per lane of a vector register (for
    // stride 1, where the loads are contiguous), plus one for the columns
    // past the last full group of eight.
    constexpr int kLanes = 8;
    float lanes[K * K][kLanes] = {};
    float rest[K * K] = {};
    const int64_t full = S == 1 ? s.out_w / kLanes * kLanes : 0;
    for (int64_t oy = 0; oy < s.out_h; ++oy) {
      const float* __restrict__ dy = grad_out + oy * s.out_w;
      const float* rows = padded + oy * sh * p.width;
      for (int64_t ox = 0; ox < full; ox += kLanes)
        for (int ki = 0; ki < K; ++ki)
          for (int kj = 0; kj < K; ++kj) {
            const float* __restrict__ src = rows + ki * p.width + ox + kj;
            float* acc = lanes[ki * K + kj];
            for (int l = 0; l < kLanes; ++l) acc[l] += dy[ox + l] * src[l];
          }
      for (int64_t ox = full; ox < s.out_w; ++ox) {
        const float g = dy[ox];
        for (int ki = 0; ki < K; ++ki)
          for (int kj = 0; kj < K; ++kj) rest[ki * K + kj] += g * rows[ki * p.width + ox * sw + kj];
      }
    }
    for (int t = 0; t < K * K; ++t) {
      float sum = rest[t];
      for (int l = 0; l < kLanes; ++l) sum += lanes[t][l];
      grad_kernel[t] += sum;
    }
  } else {
    for (int64_t oy = 0; oy < s.out_h; ++oy) {
      const float* __restrict__ dy = grad_out + oy * s.out_w;
      const float* rows = padded + oy * sh * p.width;
      for (int64_t ki = 0; ki < s.kernel_h; ++ki)
        for (int64_t kj = 0; kj < s.kernel_w; ++kj) {
          const float* __restrict__ src = rows + ki * p.width + kj;
          float dot = 0;
          for (int64_t ox = 0; ox < s.out_w; ++ox) dot += dy[ox] * src[ox * sw];
          grad_kernel[ki * s.kernel_w + kj] += dot;
        }
    }
  }
}

bool is_3x3(const DepthwiseShape& s) { return s.kernel_h == 3 && s.kernel_w == 3; }

}  // namespace

bool depthwise_applies(const DepthwiseShape& s) {
  // The padded plane stays within the input plane plus a kernel-wide border.
  return s.geometry.pad_h < s.kernel_h && s.geometry.pad_w < s.kernel_w;
}

void depthwise_forward(const float* x, const float* w, const float* b, const DepthwiseShape& s, float* y) {
  const Padded p = padded_shape(s);
  const int64_t plane = s.height * s.width, out_plane = s.out_h * s.out_w;
  const int64_t taps = s.kernel_h * s.kernel_w, multiplier = s.multiplier();
#pragma omp parallel
  {
    std::vector<float> padded(static_cast<size_t>(p.size()));
#pragma omp for collapse(2) schedule(static)
    for (int64_t n = 0; n < s.batch; ++n)
      for (int64_t c = 0; c < s.channels; ++c) {
        pad_plane(x + (n * s.channels + c) * plane, s, p, padded.data());
        for (int64_t o = c * multiplier; o < (c + 1) * multiplier; ++o) {
          float* out = y + (n * s.out_channels + o) * out_plane;
          const float bias = b ? b[o] : 0.0f;
          if (is_3x3(s) && s.geometry.stride_w == 1)
            plane_forward<3, 1>(padded.data(), w + o * taps, bias, s, p, out);
          else if (is_3x3(s))
            plane_forward<3>(padded.data(), w + o * taps, bias, s, p, out);
          else
            plane_forward<0>(padded.data(), w + o * taps, bias, s, p, out);
        }
      }
  }
}

void depthwise_backward(const float* x, const float* w, const float* grad_y, const DepthwiseShape& s,
                        float* grad_x, float* grad_w) {
  const Padded p = padded_shape(s);
  const int64_t plane = s.height * s.width, out_plane = s.out_h * s.out_w;
  const int64_t taps = s.kernel_h * s.kernel_w, multiplier = s.multiplier();
  const int64_t top = s.geometry.pad_h, left = s.geometry.pad_w;
  const bool gather = is_3x3(s) && s.geometry.stride_h == 1 && s.geometry.stride_w == 1;
  if (grad_x && gather) {
    // One input plane per iteration gathers from its `multiplier` output
    // planes, so no two threads write the same element.
    const int64_t border = 2, bordered_width = s.out_w + 2 * border;
    const int64_t bordered_size = (s.out_h + 2 * border) * bordered_width;
#pragma omp parallel
    {
      std::vector<float> bordered(static_cast<size_t>(bordered_size), 0.0f);
#pragma omp for collapse(2) schedule(static)
      for (int64_t n = 0; n < s.batch; ++n)
        for (int64_t c = 0; c < s.channels; ++c) {
          float* gx = grad_x + (n * s.channels + c) * plane;
          std::fill(gx, gx + plane, 0.0f);
          for (int64_t o = c * multiplier; o < (c + 1) * multiplier; ++o) {
            const float* gy = grad_y + (n * s.out_channels + o) * out_plane;
            for (int64_t oy = 0; oy < s.out_h; ++oy)  // the border stays zero
              std::copy(gy + oy * s.out_w, gy + (oy + 1) * s.out_w,
                        bordered.data() + (oy + border) * bordered_width + border);
            plane_backward_data_stride1<3>(bordered.data(), bordered_width, w + o * taps, s, gx);
          }
        }
    }
  } else if (grad_x) {
#pragma omp parallel
    {
      std::vector<float> grad_padded(static_cast<size_t>(p.size()));
#pragma omp for collapse(2) schedule(static)
      for (int64_t n = 0; n < s.batch; ++n)
        for (int64_t c = 0; c < s.channels; ++c) {
          std::fill(grad_padded.begin(), grad_padded.end(), 0.0f);
          for (int64_t o = c * multiplier; o < (c + 1) * multiplier; ++o) {
            const float* gy = grad_y + (n * s.out_channels + o) * out_plane;
            if (is_3x3(s))
              plane_backward_data<3>(gy, w + o * taps, s, p, grad_padded.data());
            else
              plane_backward_data<0>(gy, w + o * taps, s, p, grad_padded.data());
          }
          float* gx = grad_x + (n * s.channels + c) * plane;
          for (int64_t iy = 0; iy < s.height; ++iy) {
            const float* src = grad_padded.data() + (iy + top) * p.width + left;
            std::copy(src, src + s.width, gx + iy * s.width);
          }
        }
    }
  }
  if (grad_w) {
    // Per input channel: its padded planes, image by image, feed the
    // gradients of its `multiplier` kernels; the sums run in a fixed order,
    // so the result does not depend on the thread count.
#pragma omp parallel
    {
      std::vector<float> padded(static_cast<size_t>(p.size()));
      std::vector<double> totals(static_cast<size_t>(multiplier * taps));
#pragma omp for schedule(static)
      for (int64_t c = 0; c < s.channels; ++c) {
        std::fill(totals.begin(), totals.end(), 0.0);
        for (int64_t n = 0; n < s.batch; ++n) {
          pad_plane(x + (n * s.channels + c) * plane, s, p, padded.data());
          for (int64_t j = 0; j < multiplier; ++j) {
            const int64_t o = c * multiplier + j;
            const float* gy = grad_y + (n * s.out_channels + o) * out_plane;
            double* total = totals.data() + j * taps;
            if (is_3x3(s) && s.geometry.stride_w == 1)
              plane_backward_weights<3, 1>(gy, padded.data(), s, p, total);
            else if (is_3x3(s))
              plane_backward_weights<3>(gy, padded.data(), s, p, total);
            else
              plane_backward_weights<0>(gy, padded.data(), s, p, total);
          }
        }
        for (int64_t i = 0; i < multiplier * taps; ++i)
          grad_w[c * multiplier * taps + i] = static_cast<float>(totals[static_cast<size_t>(i)]);
      }
    }
  }
}

}  // namespace gaze::cpu
