#pragma once
// Winograd F(2x2, 3x3) convolution for 3x3, stride 1, padding 1 layers: each
// 2x2 output tile costs 16 multiplications per (in, out) channel pair instead
// of 36. The 16 element-wise products of all tiles become 16 GEMMs over
// channels, run on blocks of tiles small enough to stay in cache. The
// transforms use only 0, +-1 and 1/2, so results match direct convolution
// to float rounding. Weight gradients use the adjoint of the same transforms.
#include <cstdint>

#include "core/backend.h"

namespace gaze::cpu {

struct WinogradShape {
  int64_t batch, in_channels, out_channels, height, width;
};

// True when w is 3x3 and g is stride 1, padding 1: output size = input size.
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
