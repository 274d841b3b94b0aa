// CudaBackend: convolution (cuDNN, see cudnn_classic.cpp) and pooling (own
// kernels, see pool_kernels.cu for why not cuDNN's).
#include "cuda/cuda_backend.h"
#include "cuda/cudnn_classic.h"
#include "cuda/kernels.h"

namespace gaze::cuda {

namespace {

cudnn::ConvShape conv_shape(const Tensor& x, const Tensor& w, const Tensor& y, const Conv2dGeometry& g) {
  return {x.dim(0), x.dim(1), x.dim(2), x.dim(3), w.dim(0), w.dim(2), w.dim(3), y.dim(2), y.dim(3), g};
}

kernels::PoolShape pool_shape(const Tensor& x, const Tensor& y, const Pool2dGeometry& g) {
  return {x.dim(0) * x.dim(1), x.dim(2), x.dim(3), y.dim(2), y.dim(3),
          g.kernel_h, g.kernel_w, g.stride_h, g.stride_w, g.pad_h, g.pad_w};
}

}  // namespace

void CudaBackend::conv2d_forward(const Tensor& x, const Tensor& w, const Tensor& b, const Conv2dGeometry& g,
                                 Tensor& y) {
  DeviceContext& ctx = context_of(x, "conv2d_forward");
  cudnn::conv_forward(ctx, conv_shape(x, w, y, g), x.data(), w.data(), y.data());
  if (b.defined())
    kernels::add_channel_bias(y.data(), b.data(), y.numel(), y.dim(1), y.dim(2) * y.dim(3), ctx.stream);
}

void CudaBackend::conv2d_backward(const Tensor& x, const Tensor& w, const Tensor& grad_y,
                                  const Conv2dGeometry& g, Tensor& grad_x, Tensor& grad_w, Tensor& grad_b) {
  DeviceContext& ctx = context_of(x, "conv2d_backward");
  const cudnn::ConvShape s = conv_shape(x, w, grad_y, g);
  if (grad_x.defined()) cudnn::conv_backward_data(ctx, s, w.data(), grad_y.data(), grad_x.data());
  if (grad_w.defined()) cudnn::conv_backward_filter(ctx, s, x.data(), grad_y.data(), grad_w.data());
  if (grad_b.defined())
    kernels::channel_sums(grad_y.data(), grad_y.dim(0), grad_y.dim(1), grad_y.dim(2) * grad_y.dim(3),
                          grad_b.data(), ctx.stream);
}

void CudaBackend::max_pool2d_forward(const Tensor& x, const Pool2dGeometry& g, Tensor& y) {
  kernels::max_pool_forward(x.data(), y.data(), pool_shape(x, y, g), context_of(x, "max_pool2d_forward").stream);
}

void CudaBackend::max_pool2d_backward(const Tensor& x, const Tensor& y, const Tensor& grad_y,
                                      const Pool2dGeometry& g, Tensor& grad_x) {
  kernels::max_pool_backward(x.data(), y.data(), grad_y.data(), grad_x.data(), pool_shape(x, y, g),
                             context_of(x, "max_pool2d_backward").stream);
}

void CudaBackend::avg_pool2d_forward(const Tensor& x, const Pool2dGeometry& g, Tensor& y) {
  kernels::avg_pool_forward(x.data(), y.data(), pool_shape(x, y, g), context_of(x, "avg_pool2d_forward").stream);
}

void CudaBackend::avg_pool2d_backward(const Tensor& grad_y, const Pool2dGeometry& g, Tensor& grad_x) {
  kernels::avg_pool_backward(grad_y.data(), grad_x.data(), pool_shape(grad_x, grad_y, g),
                             context_of(grad_x, "avg_pool2d_backward").stream);
}

void CudaBackend::global_avg_pool_forward(const Tensor& x, Tensor& y) {
  kernels::global_avg_pool_forward(x.data(), y.data(), x.dim(0) * x.dim(1), x.dim(2) * x.dim(3),
                                   context_of(x, "global_avg_pool_forward").stream);
}

void CudaBackend::global_avg_pool_backward(const Tensor& grad_y, Tensor& grad_x) {
  kernels::global_avg_pool_backward(grad_y.data(), grad_x.data(), grad_x.dim(0) * grad_x.dim(1),
                                    grad_x.dim(2) * grad_x.dim(3), context_of(grad_x, "global_avg_pool_backward").stream);
}

}  // namespace gaze::cuda
