// CPU memory management and element-wise kernels.
#include <cstdlib>
#include <cstring>
#include <new>

#include "core/cpu/block_cache.h"
#include "core/cpu/cpu_backend.h"
#include "core/error.h"
#include "core/shape.h"
#include "core/kernels/elementwise_math.h"

namespace gaze {

float* CpuBackend::allocate(int64_t count, int) {
  const auto bytes = static_cast<size_t>(checked_multiply(count, sizeof(float), "tensor allocation in bytes"));
  try {
    return static_cast<float*>(cpu::host_block_cache().acquire(bytes));
  } catch (const std::bad_alloc&) {
    throw Error("out of host memory allocating " + std::to_string(bytes) + " bytes");
  }
}

void CpuBackend::release(float* data, int) { cpu::host_block_cache().release(data); }

void CpuBackend::copy_host(float* device_data, const float* host_data, int64_t count, bool to_device) {
  if (to_device) {
    std::memcpy(device_data, host_data, static_cast<size_t>(count) * sizeof(float));
  } else {
    std::memcpy(const_cast<float*>(host_data), device_data, static_cast<size_t>(count) * sizeof(float));
  }
}

void CpuBackend::copy(float* dst, const float* src, int64_t count) {
  if (dst != src) std::memmove(dst, src, static_cast<size_t>(count) * sizeof(float));
}

void CpuBackend::make_contiguous(const Tensor& src, Tensor& dst) {
  const Shape& shape = src.shape();
  const Shape& strides = src.strides();
  const int nd = src.ndim();
  const float* in = src.data();
  float* out = dst.data();
  const int64_t n = src.numel();
  std::vector<int64_t> index(static_cast<size_t>(nd), 0);
  int64_t offset = 0;
  for (int64_t i = 0; i < n; ++i) {
    out[i] = in[offset];
    for (int d = nd - 1; d >= 0; --d) {  // odometer increment over the source strides
      const auto u = static_cast<size_t>(d);
      offset += strides[u];
      if (++index[u] < shape[u]) break;
      offset -= strides[u] * shape[u];
      index[u] = 0;
    }
  }
}

void CpuBackend::fill(Tensor& t, float value) {
  float* p = t.data();
  const int64_t n = t.numel();
#pragma omp parallel for simd schedule(static) if (n > 65536)
  for (int64_t i = 0; i < n; ++i) p[i] = value;
}

void CpuBackend::add(const Tensor& a, const Tensor& b, Tensor& out) {
  const float *pa = a.data(), *pb = b.data();
  float* po = out.data();
  const int64_t n = out.numel();
#pragma omp parallel for simd schedule(static) if (n > 65536)
  for (int64_t i = 0; i < n; ++i) po[i] = pa[i] + pb[i];
}

void CpuBackend::mul(const Tensor& a, const Tensor& b, Tensor& out) {
  const float *pa = a.data(), *pb = b.data();
  float* po = out.data();
  const int64_t n = out.numel();
#pragma omp parallel for simd schedule(static) if (n > 65536)
  for (int64_t i = 0; i < n; ++i) po[i] = pa[i] * pb[i];
}

void CpuBackend::axpy(float alpha, const Tensor& x, Tensor& y) {
  const float* px = x.data();
  float* py = y.data();
  const int64_t n = y.numel();
#pragma omp parallel for simd schedule(static) if (n > 65536)
  for (int64_t i = 0; i < n; ++i) py[i] += alpha * px[i];
}

void CpuBackend::scale(Tensor& x, float alpha) {
  float* p = x.data();
  const int64_t n = x.numel();
#pragma omp parallel for simd schedule(static) if (n > 65536)
  for (int64_t i = 0; i < n; ++i) p[i] *= alpha;
}

void CpuBackend::leaky_relu_forward(const Tensor& x, float slope, Tensor& y) {
  const float* px = x.data();
  float* py = y.data();
  const int64_t n = x.numel();
#pragma omp parallel for simd schedule(static) firstprivate(slope) if (n > 65536)
  for (int64_t i = 0; i < n; ++i) {
    // math::leaky_relu with the product computed unconditionally, so that
    // the ternaries are selects of registers and vectorize (GCC compiles the
    // plain form to a scalar branch, since trapping math forbids speculating
    // the product); firstprivate keeps slope in a register.
    const float v = px[i], scaled = slope * v;
    const float negative = slope == 0 ? 0.0f : scaled;
    py[i] = v < 0 ? negative : v;
  }
}

void CpuBackend::leaky_relu_backward(const Tensor& x, const Tensor& grad_y, float slope,
                                     Tensor& grad_x) {
  const float *px = x.data(), *pg = grad_y.data();
  float* po = grad_x.data();
  const int64_t n = x.numel();
#pragma omp parallel for simd schedule(static) firstprivate(slope) if (n > 65536)
  for (int64_t i = 0; i < n; ++i) {
    const float factor = px[i] > 0 ? 1.0f : slope;  // a select of registers vectorizes
    po[i] = factor * pg[i];
  }
}

void CpuBackend::clamp_forward(const Tensor& x, float low, float high, Tensor& y) {
  const float* px = x.data();
  float* py = y.data();
  const int64_t n = x.numel();
#pragma omp parallel for simd schedule(static) firstprivate(low, high) if (n > 65536)
  for (int64_t i = 0; i < n; ++i) py[i] = math::clamp(px[i], low, high);
}

void CpuBackend::clamp_backward(const Tensor& y, const Tensor& grad_y, float low, float high,
                                Tensor& grad_x) {
  const float *py = y.data(), *pg = grad_y.data();
  float* po = grad_x.data();
  const int64_t n = y.numel();
#pragma omp parallel for simd schedule(static) firstprivate(low, high) if (n > 65536)
  for (int64_t i = 0; i < n; ++i) po[i] = math::clamp_grad(py[i], pg[i], low, high);
}

void CpuBackend::dropout_mask(Tensor& mask, float drop, uint64_t seed) {
  float* p = mask.data();
  const int64_t n = mask.numel();
#pragma omp parallel for simd schedule(static) if (n > 65536)
  for (int64_t i = 0; i < n; ++i) p[i] = math::dropout_keep(seed, static_cast<uint64_t>(i), drop);
}

float CpuBackend::sum(const Tensor& x) {
  const float* p = x.data();
  const int64_t n = x.numel();
  double total = 0;  // double: a loss summed over many elements keeps its digits
#pragma omp parallel for reduction(+ : total) schedule(static) if (n > 65536)
  for (int64_t i = 0; i < n; ++i) total += p[i];
  return static_cast<float>(total);
}

void CpuBackend::sgd_update(Tensor& param, const Tensor& grad, Tensor& velocity, float lr,
                            float momentum, float weight_decay, bool nesterov) {
  float* p = param.data();
  float* vel = velocity.data();
  const float* g = grad.data();
  const int64_t n = param.numel();
#pragma omp parallel for simd schedule(static) if (n > 65536)
  for (int64_t i = 0; i < n; ++i) math::sgd_update(p[i], g[i], vel[i], lr, momentum, weight_decay, nesterov);
}

void CpuBackend::adam_update(Tensor& param, const Tensor& grad, Tensor& m, Tensor& v, float lr,
                             float beta1, float beta2, float eps, float weight_decay, bool decoupled,
                             float bias_correction1, float bias_correction2) {
  float* p = param.data();
  float* pm = m.data();
  float* pv = v.data();
  const float* g = grad.data();
  const int64_t n = param.numel();
#pragma omp parallel for simd schedule(static) if (n > 65536)
  for (int64_t i = 0; i < n; ++i)
    math::adam_update(p[i], g[i], pm[i], pv[i], lr, beta1, beta2, eps, weight_decay, decoupled,
                      bias_correction1, bias_correction2);
}

}  // namespace gaze
