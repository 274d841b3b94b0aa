// CudaBackend: dense layers with cuBLAS SGEMM (cuBLAS 12+; built against the
// cuBLAS of CUDA 13.0). gaze stores matrices row-major and cuBLAS reads them
// column-major, and a row-major [r, c] matrix is its column-major transpose
// [c, r]; so each row-major product C = A B is computed as C^T = B^T A^T
// with the operands' roles swapped and every leading dimension the row length.
#include "cuda/check.h"
#include "cuda/cuda.h"
#include "cuda/cuda_backend.h"
#include "cuda/kernels.h"

namespace gaze::cuda {

namespace {

const float kOne = 1.0f, kZero = 0.0f;

// CUBLAS_DEFAULT_MATH never uses TF32 for SGEMM unless asked (or forced by
// the NVIDIA_TF32_OVERRIDE environment variable).
void set_math(DeviceContext& ctx, const char* op) {
  GAZE_CUDA_CHECK(cublasSetMathMode(ctx.cublas, tf32_enabled() ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH),
                  op);
}

}  // namespace

void CudaBackend::dense_forward(const Tensor& x, const Tensor& w, const Tensor& b, Tensor& y) {
  const char* op = "dense_forward";
  DeviceContext& ctx = context_of(x, op);
  set_math(ctx, op);
  const int n = static_cast<int>(x.dim(0)), in = static_cast<int>(x.dim(1)), out = static_cast<int>(w.dim(0));
  // y[N, out] = x[N, in] w[out, in]^T  <=>  y^T[out, N] = w[out, in] x^T[in, N] (column-major views).
  GAZE_CUDA_CHECK(cublasSgemm(ctx.cublas, CUBLAS_OP_T, CUBLAS_OP_N, out, n, in, &kOne, w.data(), in, x.data(),
                              in, &kZero, y.data(), out),
                  op);
  if (b.defined()) kernels::add_channel_bias(y.data(), b.data(), y.numel(), out, 1, ctx.stream);
}

void CudaBackend::dense_backward(const Tensor& x, const Tensor& w, const Tensor& grad_y, Tensor& grad_x,
                                 Tensor& grad_w, Tensor& grad_b) {
  const char* op = "dense_backward";
  DeviceContext& ctx = context_of(x, op);
  set_math(ctx, op);
  const int n = static_cast<int>(x.dim(0)), in = static_cast<int>(x.dim(1)), out = static_cast<int>(w.dim(0));
  if (grad_x.defined())  // dx[N, in] = dy[N, out] w[out, in]  <=>  dx^T = w^T dy^T
    GAZE_CUDA_CHECK(cublasSgemm(ctx.cublas, CUBLAS_OP_N, CUBLAS_OP_N, in, n, out, &kOne, w.data(), in,
                                grad_y.data(), out, &kZero, grad_x.data(), in),
                    op);
  if (grad_w.defined())  // dw[out, in] = dy[N, out]^T x[N, in]  <=>  dw^T = x^T dy
    GAZE_CUDA_CHECK(cublasSgemm(ctx.cublas, CUBLAS_OP_N, CUBLAS_OP_T, in, out, n, &kOne, x.data(), in,
                                grad_y.data(), out, &kZero, grad_w.data(), in),
                    op);
  if (grad_b.defined()) kernels::channel_sums(grad_y.data(), n, out, 1, grad_b.data(), ctx.stream);
}

}  // namespace gaze::cuda
