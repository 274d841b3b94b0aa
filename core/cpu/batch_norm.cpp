// Batch normalization on the CPU, one channel per OpenMP iteration. Each
// (image, channel) plane is summed in float with `omp simd` (vector lanes, a
// fixed order) and the plane sums are accumulated in double, so large batches
// keep their precision while the loops run at memory speed.
#include <algorithm>
#include <cmath>

#include "core/cpu/cpu_backend.h"
#include "core/kernels/elementwise_math.h"

namespace gaze {

namespace {

struct ChannelLayout {
  int64_t batch, channels, area;  // x viewed as [batch, channels, area]
  int64_t at(int64_t n, int64_t c) const { return (n * channels + c) * area; }
};

ChannelLayout layout(const Tensor& x) {
  const int64_t area = x.ndim() == 4 ? x.dim(2) * x.dim(3) : 1;
  return {x.dim(0), x.dim(1), area};
}

// The affine map y = x scale + offset of channel c in training mode, from
// the saved statistics: forward and the fused backward's ReLU mask use the
// same floats and the same `affine` below, so the mask is exactly where the
// forward's y was positive.
struct ChannelAffine {
  float scale, offset;
};

// x scale + offset, rounded the same way wherever it is used: one fused
// multiply-add where the CPU has one (written out, not left to the
// compiler's contraction, which could differ between two loops), and where
// it has none, a product and a sum, which the compiler cannot fuse.
inline float affine(float x, float scale, float offset) {
#ifdef __FMA__
  return std::fma(x, scale, offset);
#else
  return x * scale + offset;
#endif
}

inline ChannelAffine train_affine(float gamma, float beta, float mean, float inv_std) {
  const float scale = gamma * inv_std;
  return {scale, beta - mean * scale};
}

// Training forward; with `kRelu`, writes max(0, y) instead of y.
template <bool kRelu>
void batch_norm_train(const Tensor& x, const Tensor& gamma, const Tensor& beta, float momentum, float eps,
                      Tensor& running_mean, Tensor& running_var, Tensor& y, Tensor& saved_mean,
                      Tensor& saved_inv_std) {
  const ChannelLayout s = layout(x);
  const double count = static_cast<double>(s.batch * s.area);
#pragma omp parallel for schedule(static)
  for (int64_t c = 0; c < s.channels; ++c) {
    // One pass for both moments. Sums of x - shift, with shift a sample of
    // the channel, keep E[x^2] - E[x]^2 from cancelling when |mean| >> std.
    const float shift = x.data()[s.at(0, c)];
    double total = 0, squares = 0;
    for (int64_t n = 0; n < s.batch; ++n) {
      const float* in = x.data() + s.at(n, c);
      float plane_total = 0, plane_squares = 0;
#pragma omp simd reduction(+ : plane_total, plane_squares)
      for (int64_t i = 0; i < s.area; ++i) {
        const float d = in[i] - shift;
        plane_total += d;
        plane_squares += d * d;
      }
      total += plane_total;
      squares += plane_squares;
    }
    const double shifted_mean = total / count;
    const double mean = shift + shifted_mean;
    const double centered_squares = std::max(0.0, squares - total * shifted_mean);
    const double var = centered_squares / count;
    const float inv_std = static_cast<float>(1.0 / std::sqrt(var + eps));
    // Plain variables, not a structured binding: Clang 14 cannot use a
    // binding inside the omp simd loop below.
    const ChannelAffine channel = train_affine(gamma.data()[c], beta.data()[c], static_cast<float>(mean), inv_std);
    const float scale = channel.scale, offset = channel.offset;
    for (int64_t n = 0; n < s.batch; ++n) {
      const float* in = x.data() + s.at(n, c);
      float* out = y.data() + s.at(n, c);
#pragma omp simd
      for (int64_t i = 0; i < s.area; ++i) {
        const float v = affine(in[i], scale, offset);
        // ReLU as the separate layer computes it (NaN stays NaN, so a NaN in
        // training still reaches the loss and the trainer's NaN guard).
        out[i] = kRelu ? math::leaky_relu(v, 0.0f) : v;
      }
    }
    saved_mean.data()[c] = static_cast<float>(mean);
    saved_inv_std.data()[c] = inv_std;
    const double unbiased = count > 1 ? centered_squares / (count - 1) : var;
    running_mean.data()[c] = (1 - momentum) * running_mean.data()[c] + momentum * static_cast<float>(mean);
    running_var.data()[c] = (1 - momentum) * running_var.data()[c] + momentum * static_cast<float>(unbiased);
  }
}

}  // namespace

void CpuBackend::batch_norm_forward_train(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                                          float momentum, float eps, Tensor& running_mean,
                                          Tensor& running_var, Tensor& y, Tensor& saved_mean,
                                          Tensor& saved_inv_std) {
  batch_norm_train<false>(x, gamma, beta, momentum, eps, running_mean, running_var, y, saved_mean,
                          saved_inv_std);
}

void CpuBackend::batch_norm_relu_forward_train(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                                               float momentum, float eps, Tensor& running_mean,
                                               Tensor& running_var, Tensor& z, Tensor& saved_mean,
                                               Tensor& saved_inv_std) {
  batch_norm_train<true>(x, gamma, beta, momentum, eps, running_mean, running_var, z, saved_mean,
                         saved_inv_std);
}

void CpuBackend::batch_norm_forward_eval(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                                         const Tensor& running_mean, const Tensor& running_var,
                                         float eps, Tensor& y) {
  const ChannelLayout s = layout(x);
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t n = 0; n < s.batch; ++n)
    for (int64_t c = 0; c < s.channels; ++c) {
      const float scale = gamma.data()[c] / std::sqrt(running_var.data()[c] + eps);
      const float shift = beta.data()[c] - running_mean.data()[c] * scale;
      const float* in = x.data() + s.at(n, c);
      float* out = y.data() + s.at(n, c);
      for (int64_t i = 0; i < s.area; ++i) out[i] = in[i] * scale + shift;
    }
}

namespace {

// Training backward. With `kRelu` (beta defined), grad_y is the gradient of
// z = max(0, y) and is masked by y > 0 on the fly, y recomputed from x.
template <bool kRelu>
void batch_norm_train_backward(const Tensor& x, const Tensor& gamma, const Tensor& beta, const Tensor& grad_y,
                               const Tensor& saved_mean, const Tensor& saved_inv_std, Tensor& grad_x,
                               Tensor& grad_gamma, Tensor& grad_beta) {
  const ChannelLayout s = layout(x);
  const double count = static_cast<double>(s.batch * s.area);
#pragma omp parallel for schedule(static)
  for (int64_t c = 0; c < s.channels; ++c) {
    const float mean = saved_mean.data()[c], inv_std = saved_inv_std.data()[c];
    const auto [scale, offset] =
        kRelu ? train_affine(gamma.data()[c], beta.data()[c], mean, inv_std) : ChannelAffine{0, 0};
    // The gradient reaching y: grad_y itself, or times 0 where ReLU cut y
    // (a product rather than a select, so a NaN gradient stays NaN as in
    // the separate ReLU's backward).
    auto gradient = [&, scale = scale, offset = offset](const float* gy, const float* in, int64_t i) {
      if constexpr (kRelu) return (affine(in[i], scale, offset) > 0 ? 1.0f : 0.0f) * gy[i];
      return gy[i];
    };
    double sum_gy = 0, sum_gy_centered = 0;
    for (int64_t n = 0; n < s.batch; ++n) {
      const float* in = x.data() + s.at(n, c);
      const float* gy = grad_y.data() + s.at(n, c);
      float plane_gy = 0, plane_gy_centered = 0;
#pragma omp simd reduction(+ : plane_gy, plane_gy_centered)
      for (int64_t i = 0; i < s.area; ++i) {
        const float g = gradient(gy, in, i);
        plane_gy += g;
        plane_gy_centered += g * (in[i] - mean);
      }
      sum_gy += plane_gy;
      sum_gy_centered += plane_gy_centered;
    }
    const double sum_gy_xhat = sum_gy_centered * inv_std;
    if (grad_gamma.defined()) grad_gamma.data()[c] = static_cast<float>(sum_gy_xhat);
    if (grad_beta.defined()) grad_beta.data()[c] = static_cast<float>(sum_gy);
    if (!grad_x.defined()) continue;
    // dx = gamma inv_std (dy - mean(dy) - xhat mean(dy xhat)), xhat = (x - mean) inv_std,
    // as dx = k dy + a (x - mean) + b.
    const float k = gamma.data()[c] * inv_std;
    const float mean_gy = static_cast<float>(sum_gy / count);
    const float xhat_scale = static_cast<float>(sum_gy_xhat / count) * inv_std;  // on (x - mean)
    const float a = -k * xhat_scale, b = -k * mean_gy;
    for (int64_t n = 0; n < s.batch; ++n) {
      const float* in = x.data() + s.at(n, c);
      const float* gy = grad_y.data() + s.at(n, c);
      float* gx = grad_x.data() + s.at(n, c);
#pragma omp simd
      for (int64_t i = 0; i < s.area; ++i) gx[i] = k * gradient(gy, in, i) + a * (in[i] - mean) + b;
    }
  }
}

}  // namespace

// The CPU kernels work from the saved inverse std, which already holds eps.
void CpuBackend::batch_norm_backward(const Tensor& x, const Tensor& gamma, const Tensor& grad_y,
                                     const Tensor& saved_mean, const Tensor& saved_inv_std, float,
                                     Tensor& grad_x, Tensor& grad_gamma, Tensor& grad_beta) {
  batch_norm_train_backward<false>(x, gamma, Tensor(), grad_y, saved_mean, saved_inv_std, grad_x,
                                   grad_gamma, grad_beta);
}

void CpuBackend::batch_norm_relu_backward(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                                          const Tensor&, const Tensor& grad_z, const Tensor& saved_mean,
                                          const Tensor& saved_inv_std, float, Tensor& grad_x, Tensor& grad_gamma,
                                          Tensor& grad_beta) {
  batch_norm_train_backward<true>(x, gamma, beta, grad_z, saved_mean, saved_inv_std, grad_x, grad_gamma,
                                  grad_beta);
}

void CpuBackend::batch_norm_backward_eval(const Tensor& grad_y, const Tensor& gamma,
                                          const Tensor& running_var, float eps, const Tensor& x,
                                          const Tensor& running_mean, Tensor& grad_x,
                                          Tensor& grad_gamma, Tensor& grad_beta) {
  const ChannelLayout s = layout(x);
#pragma omp parallel for schedule(static)
  for (int64_t c = 0; c < s.channels; ++c) {
    const float inv_std = 1.0f / std::sqrt(running_var.data()[c] + eps);
    const float mean = running_mean.data()[c];
    const float k = gamma.data()[c] * inv_std;
    double sum_gy = 0, sum_gy_xhat = 0;
    for (int64_t n = 0; n < s.batch; ++n) {
      const float* in = x.data() + s.at(n, c);
      const float* gy = grad_y.data() + s.at(n, c);
      float* gx = grad_x.defined() ? grad_x.data() + s.at(n, c) : nullptr;
      for (int64_t i = 0; i < s.area; ++i) {
        sum_gy += gy[i];
        sum_gy_xhat += gy[i] * (in[i] - mean) * inv_std;
        if (gx) gx[i] = gy[i] * k;
      }
    }
    if (grad_gamma.defined()) grad_gamma.data()[c] = static_cast<float>(sum_gy_xhat);
    if (grad_beta.defined()) grad_beta.data()[c] = static_cast<float>(sum_gy);
  }
}

}  // namespace gaze
