#pragma once
// Winograd convolution for 3x3, stride 1, padding 1 layers. Two variants:
//  - F(4x4, 3x3) (core/cpu/winograd_f4x4.cpp): 36 multiplications per 4x4
//    output tile and (in, out) channel pair instead of 144 (4x fewer);
//  - F(2x2, 3x3) (core/cpu/winograd_f2x2.cpp): 16 per 2x2 tile instead of
//    36 (2.25x fewer).
// F(4x4) is used for images at least 16 pixels wide (4 tiles): rows of 8
// tiles or more are transformed 8 tiles at a time along the row, narrower
// images through the tile stack of core/cpu/winograd_stack.h, 8 tiles of a
// block at a time. Images narrower than 16 pixels (the late, small,
// channel-heavy layers) are faster with F(2x2), whose patches are smaller
// (measured in docs/performance.md).
// Both turn the element-wise products of all tiles into one GEMM over
// channels per transformed position, on blocks of tiles that stay in cache,
// and compute weight gradients with the adjoint transforms. F(2x2)'s
// transforms use only 0, +-1 and 1/2 and match direct convolution to float
// rounding; F(4x4)'s have coefficients up to 8 and match it to a few float
// roundings of the largest terms (about 3e-6 relative in the tests).
#include <cstdint>

#include "core/backend.h"

namespace gaze::cpu {

struct WinogradShape {
  int64_t batch, in_channels, out_channels, height, width;
};

// True when w is 3x3 and g is stride 1, padding 1, one group: output size = input size.
bool winograd_applies(const Tensor& w, const Conv2dGeometry& g);

// y[n, o] = sum_c x[n, c] (*) w[o, c]; x [N, C, H, W], w [O, C, 3, 3], y [N, O, H, W].
void winograd_forward(const float* x, const float* w, const WinogradShape& s, float* y);

// grad_x[n, c] = sum_o grad_y[n, o] (*) flip(w[o, c]): the forward pass with
// transposed, rotated weights. s describes the forward convolution.
void winograd_backward_data(const float* grad_y, const float* w, const WinogradShape& s,
                            float* grad_x);

// grad_w[o, c] = sum_n grad_y[n, o] correlated with x[n, c]; overwrites grad_w.
void winograd_backward_weights(const float* x, const float* grad_y, const WinogradShape& s,
                               float* grad_w);

}  // namespace gaze::cpu
