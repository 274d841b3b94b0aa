#pragma once
// Depthwise convolution on the CPU (groups == input channels, as in
// MobileNet): output channel o reads only input channel o / multiplier, with
// multiplier = out / in. Im2col + GEMM would run one GEMM per channel with a
// single output row, all overhead; these direct loops copy each plane once
// into a zero-bordered buffer and accumulate the kernel taps along output
// rows (vectorized for stride 1; the 3x3 kernel unrolled).
#include <cstdint>

#include "core/backend.h"

namespace gaze::cpu {

struct DepthwiseShape {
  int64_t batch, channels, height, width;  // x
  int64_t out_channels, kernel_h, kernel_w, out_h, out_w;
  Conv2dGeometry geometry;
  int64_t multiplier() const { return out_channels / channels; }
};

// True when the padding is smaller than the kernel (every real network), so
// the bordered plane stays within the input plus a kernel-wide border; other
// geometries take the general grouped path.
bool depthwise_applies(const DepthwiseShape& s);

// y = depthwise conv(x, w) + b; w [out, 1, kh, kw]; b may be null.
void depthwise_forward(const float* x, const float* w, const float* b, const DepthwiseShape& s, float* y);
// Either output may be null (not wanted); both are overwritten.
void depthwise_backward(const float* x, const float* w, const float* grad_y, const DepthwiseShape& s,
                        float* grad_x, float* grad_w);

}  // namespace gaze::cpu
