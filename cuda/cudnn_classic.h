#pragma once
// The cuDNN calls of gaze that use cuDNN's classic (descriptor-based) API:
// convolution forward / backward data / backward filter with algorithm
// selection, and batch norm. Plain pointers and shapes in, so that no other
// file touches a deprecated cuDNN declaration (see cudnn_classic.cpp).
#include <cstdint>

#include "core/backend.h"
#include "cuda/device_context.h"

namespace gaze::cuda::cudnn {

struct ConvShape {
  int64_t batch, channels, height, width;  // x
  int64_t out_channels, kernel_h, kernel_w;
  int64_t out_h, out_w;  // y
  Conv2dGeometry geometry;  // groups divides channels and out_channels (checked by ops::conv2d)
};

// y = conv(x, w) (no bias; the backend adds it).
void conv_forward(DeviceContext& ctx, const ConvShape& s, const float* x, const float* w, float* y);
void conv_backward_data(DeviceContext& ctx, const ConvShape& s, const float* w, const float* grad_y,
                        float* grad_x);
void conv_backward_filter(DeviceContext& ctx, const ConvShape& s, const float* x, const float* grad_y,
                          float* grad_w);

// x viewed as [n, c, h, w] (h = w = 1 for [N, C] inputs); statistics per channel.
struct NormShape {
  int64_t n, c, h, w;
};
void batch_norm_train(DeviceContext& ctx, const NormShape& s, const float* x, const float* gamma,
                      const float* beta, float momentum, float eps, float* running_mean,
                      float* running_var, float* y, float* saved_mean, float* saved_inv_std);
void batch_norm_eval(DeviceContext& ctx, const NormShape& s, const float* x, const float* gamma,
                     const float* beta, const float* running_mean, const float* running_var, float eps,
                     float* y);
// All three outputs are required (the backend passes scratch for unwanted ones).
void batch_norm_backward(DeviceContext& ctx, const NormShape& s, const float* x, const float* gamma,
                         const float* grad_y, const float* saved_mean, const float* saved_inv_std, float eps,
                         float* grad_x, float* grad_gamma, float* grad_beta);

}  // namespace gaze::cuda::cudnn
