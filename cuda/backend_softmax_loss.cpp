// CudaBackend: softmax and log-softmax with cuDNN (cudnnSoftmaxForward and
// cudnnSoftmaxBackward are not deprecated in cuDNN 9), and the label-smoothed
// NLL loss with own kernels.
#include "cuda/check.h"
#include "cuda/cuda_backend.h"
#include "cuda/cudnn_tensor.h"
#include "cuda/kernels.h"

namespace gaze::cuda {

namespace {

const float kOne = 1.0f, kZero = 0.0f;

// [N, C] as N x C x 1 x 1 with MODE_INSTANCE: one softmax per row over C.
// ACCURATE subtracts the row maximum first, as the CPU does; LOG gives
// log-softmax forward and, from y = log p, its backward dy - exp(y) sum(dy).
void run_softmax_forward(const Tensor& x, Tensor& y, cudnnSoftmaxAlgorithm_t algorithm, const char* op) {
  DeviceContext& ctx = context_of(x, op);
  TensorDescriptor d(x.dim(0), x.dim(1), 1, 1, op);
  GAZE_CUDA_CHECK(cudnnSoftmaxForward(ctx.cudnn, algorithm, CUDNN_SOFTMAX_MODE_INSTANCE, &kOne, d.get(), x.data(),
                                      &kZero, d.get(), y.data()),
                  op);
}

void run_softmax_backward(const Tensor& y, const Tensor& grad_y, Tensor& grad_x, cudnnSoftmaxAlgorithm_t algorithm,
                      const char* op) {
  DeviceContext& ctx = context_of(y, op);
  TensorDescriptor d(y.dim(0), y.dim(1), 1, 1, op);
  GAZE_CUDA_CHECK(cudnnSoftmaxBackward(ctx.cudnn, algorithm, CUDNN_SOFTMAX_MODE_INSTANCE, &kOne, d.get(), y.data(),
                                       d.get(), grad_y.data(), &kZero, d.get(), grad_x.data()),
                  op);
}

}  // namespace

void CudaBackend::softmax_forward(const Tensor& x, Tensor& y) {
  run_softmax_forward(x, y, CUDNN_SOFTMAX_ACCURATE, "softmax_forward");
}

void CudaBackend::softmax_backward(const Tensor& y, const Tensor& grad_y, Tensor& grad_x) {
  run_softmax_backward(y, grad_y, grad_x, CUDNN_SOFTMAX_ACCURATE, "softmax_backward");
}

void CudaBackend::log_softmax_forward(const Tensor& x, Tensor& y) {
  run_softmax_forward(x, y, CUDNN_SOFTMAX_LOG, "log_softmax_forward");
}

void CudaBackend::log_softmax_backward(const Tensor& y, const Tensor& grad_y, Tensor& grad_x) {
  run_softmax_backward(y, grad_y, grad_x, CUDNN_SOFTMAX_LOG, "log_softmax_backward");
}

float CudaBackend::nll_loss_forward(const Tensor& log_probs, const Tensor& labels, float smoothing) {
  DeviceContext& ctx = context_of(log_probs, "nll_loss_forward");
  const int64_t rows = log_probs.dim(0), cols = log_probs.dim(1);
  const double total =
      kernels::nll_loss_total(log_probs.data(), labels.data(), rows, cols, smoothing, ctx.index, ctx.stream);
  return static_cast<float>(total / static_cast<double>(rows));
}

void CudaBackend::nll_loss_backward(const Tensor& labels, float smoothing, float grad_loss,
                                    Tensor& grad_log_probs) {
  const int64_t rows = grad_log_probs.dim(0), cols = grad_log_probs.dim(1);
  kernels::nll_loss_backward(labels.data(), rows, cols, smoothing, grad_loss / static_cast<float>(rows),
                             grad_log_probs.data(), context_of(grad_log_probs, "nll_loss_backward").stream);
}

}  // namespace gaze::cuda
