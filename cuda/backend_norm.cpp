// CudaBackend: batch norm. Training forward, eval forward and the training
// backward are cuDNN's (cudnn_classic.cpp); the eval-mode backward, where the
// running statistics are constants, has no cuDNN call and is an own kernel.
#include "cuda/caching_allocator.h"
#include "cuda/cuda_backend.h"
#include "cuda/cudnn_classic.h"
#include "cuda/kernels.h"

namespace gaze::cuda {

namespace {

cudnn::NormShape norm_shape(const Tensor& x) {
  return {x.dim(0), x.dim(1), x.ndim() == 4 ? x.dim(2) : 1, x.ndim() == 4 ? x.dim(3) : 1};
}

float* data_or_null(Tensor& t) { return t.defined() ? t.data() : nullptr; }

}  // namespace

void CudaBackend::batch_norm_forward_train(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                                           float momentum, float eps, Tensor& running_mean, Tensor& running_var,
                                           Tensor& y, Tensor& saved_mean, Tensor& saved_inv_std) {
  cudnn::batch_norm_train(context_of(x, "batch_norm_forward_train"), norm_shape(x), x.data(), gamma.data(),
                          beta.data(), momentum, eps, running_mean.data(), running_var.data(), y.data(),
                          saved_mean.data(), saved_inv_std.data());
}

void CudaBackend::batch_norm_forward_eval(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                                          const Tensor& running_mean, const Tensor& running_var, float eps,
                                          Tensor& y) {
  cudnn::batch_norm_eval(context_of(x, "batch_norm_forward_eval"), norm_shape(x), x.data(), gamma.data(),
                         beta.data(), running_mean.data(), running_var.data(), eps, y.data());
}

void CudaBackend::batch_norm_backward(const Tensor& x, const Tensor& gamma, const Tensor& grad_y,
                                      const Tensor& saved_mean, const Tensor& saved_inv_std, float eps,
                                      Tensor& grad_x, Tensor& grad_gamma, Tensor& grad_beta) {
  const char* op = "batch_norm_backward";
  DeviceContext& ctx = context_of(x, op);
  // cuDNN always writes all three gradients: unwanted ones go to scratch.
  const size_t channel_bytes = static_cast<size_t>(x.dim(1)) * sizeof(float);
  DeviceBuffer scratch_x(grad_x.defined() ? 0 : static_cast<size_t>(x.numel()) * sizeof(float), ctx.index, op);
  DeviceBuffer scratch_gamma(grad_gamma.defined() ? 0 : channel_bytes, ctx.index, op);
  DeviceBuffer scratch_beta(grad_beta.defined() ? 0 : channel_bytes, ctx.index, op);
  cudnn::batch_norm_backward(ctx, norm_shape(x), x.data(), gamma.data(), grad_y.data(), saved_mean.data(),
                             saved_inv_std.data(), eps, grad_x.defined() ? grad_x.data() : scratch_x.as<float>(),
                             grad_gamma.defined() ? grad_gamma.data() : scratch_gamma.as<float>(),
                             grad_beta.defined() ? grad_beta.data() : scratch_beta.as<float>());
}

void CudaBackend::batch_norm_backward_eval(const Tensor& grad_y, const Tensor& gamma, const Tensor& running_var,
                                           float eps, const Tensor& x, const Tensor& running_mean,
                                           Tensor& grad_x, Tensor& grad_gamma, Tensor& grad_beta) {
  const cudnn::NormShape s = norm_shape(x);
  kernels::batch_norm_backward_eval(grad_y.data(), x.data(), gamma.data(), running_mean.data(), running_var.data(),
                                    eps, s.n, s.c, s.h * s.w, data_or_null(grad_x), data_or_null(grad_gamma),
                                    data_or_null(grad_beta), context_of(x, "batch_norm_backward_eval").stream);
}

}  // namespace gaze::cuda
