// Dense (fully connected) layers on the CPU: BLAS GEMMs.
#include <cblas.h>

#include "core/cpu/cpu_backend.h"

namespace gaze {

void CpuBackend::dense_forward(const Tensor& x, const Tensor& w, const Tensor& b, Tensor& y) {
  const int n = static_cast<int>(x.dim(0)), in = static_cast<int>(x.dim(1)),
            out = static_cast<int>(w.dim(0));
  // y[N, out] = x[N, in] * w[out, in]^T
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, out, in, 1.0f, x.data(), in, w.data(), in,
              0.0f, y.data(), out);
  if (b.defined())
    for (int i = 0; i < n; ++i)
      for (int o = 0; o < out; ++o) y.data()[i * out + o] += b.data()[o];
}

void CpuBackend::dense_backward(const Tensor& x, const Tensor& w, const Tensor& grad_y,
                                Tensor& grad_x, Tensor& grad_w, Tensor& grad_b) {
  const int n = static_cast<int>(x.dim(0)), in = static_cast<int>(x.dim(1)),
            out = static_cast<int>(w.dim(0));
  if (grad_x.defined())  // dx[N, in] = dy[N, out] * w[out, in]
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, in, out, 1.0f, grad_y.data(), out,
                w.data(), in, 0.0f, grad_x.data(), in);
  if (grad_w.defined())  // dw[out, in] = dy[N, out]^T * x[N, in]
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, out, in, n, 1.0f, grad_y.data(), out,
                x.data(), in, 0.0f, grad_w.data(), in);
  if (grad_b.defined())
    for (int o = 0; o < out; ++o) {
      float acc = 0;
      for (int i = 0; i < n; ++i) acc += grad_y.data()[i * out + o];
      grad_b.data()[o] = acc;
    }
}

}  // namespace gaze
