// Softmax, log-softmax, the label-smoothed NLL loss and channel copies on the CPU.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/cpu/cpu_backend.h"
#include "core/kernels/elementwise_math.h"

namespace gaze {

void CpuBackend::softmax_forward(const Tensor& x, Tensor& y) {
  const int64_t rows = x.dim(0), cols = x.dim(1);
  for (int64_t r = 0; r < rows; ++r) {
    const float* in = x.data() + r * cols;
    float* out = y.data() + r * cols;
    const float top = *std::max_element(in, in + cols);  // shift for stability
    double total = 0;
    for (int64_t c = 0; c < cols; ++c) total += out[c] = std::exp(in[c] - top);
    for (int64_t c = 0; c < cols; ++c) out[c] = static_cast<float>(out[c] / total);
  }
}

void CpuBackend::softmax_backward(const Tensor& y, const Tensor& grad_y, Tensor& grad_x) {
  const int64_t rows = y.dim(0), cols = y.dim(1);
  for (int64_t r = 0; r < rows; ++r) {
    const float* p = y.data() + r * cols;
    const float* gy = grad_y.data() + r * cols;
    float* gx = grad_x.data() + r * cols;
    double dot = 0;
    for (int64_t c = 0; c < cols; ++c) dot += p[c] * gy[c];
    for (int64_t c = 0; c < cols; ++c) gx[c] = p[c] * (gy[c] - static_cast<float>(dot));
  }
}

void CpuBackend::log_softmax_forward(const Tensor& x, Tensor& y) {
  const int64_t rows = x.dim(0), cols = x.dim(1);
  for (int64_t r = 0; r < rows; ++r) {
    const float* in = x.data() + r * cols;
    float* out = y.data() + r * cols;
    const float top = *std::max_element(in, in + cols);
    double total = 0;
    for (int64_t c = 0; c < cols; ++c) total += std::exp(static_cast<double>(in[c] - top));
    // (x - top) - log(total), not x - (top + log(total)): adding a large top
    // to log(total) first would round away its digits.
    const float log_total = static_cast<float>(std::log(total));
    for (int64_t c = 0; c < cols; ++c) out[c] = (in[c] - top) - log_total;
  }
}

void CpuBackend::log_softmax_backward(const Tensor& y, const Tensor& grad_y, Tensor& grad_x) {
  const int64_t rows = y.dim(0), cols = y.dim(1);
  for (int64_t r = 0; r < rows; ++r) {
    const float* lp = y.data() + r * cols;
    const float* gy = grad_y.data() + r * cols;
    float* gx = grad_x.data() + r * cols;
    double total = 0;
    for (int64_t c = 0; c < cols; ++c) total += gy[c];
    for (int64_t c = 0; c < cols; ++c) gx[c] = gy[c] - std::exp(lp[c]) * static_cast<float>(total);
  }
}

float CpuBackend::nll_loss_forward(const Tensor& log_probs, const Tensor& labels, float smoothing) {
  const int64_t rows = log_probs.dim(0), cols = log_probs.dim(1);
  double loss = 0;
  for (int64_t r = 0; r < rows; ++r) {
    const float* lp = log_probs.data() + r * cols;
    const auto target = static_cast<int64_t>(labels.data()[r]);
    double mean_lp = 0;
    for (int64_t c = 0; c < cols; ++c) mean_lp += lp[c];
    mean_lp /= static_cast<double>(cols);
    loss += -(1.0 - smoothing) * lp[target] - smoothing * mean_lp;
  }
  return static_cast<float>(loss / static_cast<double>(rows));
}

void CpuBackend::nll_loss_backward(const Tensor& labels, float smoothing, float grad_loss,
                                   Tensor& grad_log_probs) {
  const int64_t rows = grad_log_probs.dim(0), cols = grad_log_probs.dim(1);
  const float per_row = grad_loss / static_cast<float>(rows);
  for (int64_t r = 0; r < rows; ++r) {
    const auto target = static_cast<int64_t>(labels.data()[r]);
    float* g = grad_log_probs.data() + r * cols;
    for (int64_t c = 0; c < cols; ++c)
      g[c] = per_row * math::nll_grad(c == target, smoothing, static_cast<int>(cols));
  }
}

namespace {
// Views an N C ... tensor as [N, C, inner] and copies a channel range.
void channel_copy(const Tensor& part, const Tensor& whole, int64_t offset, bool into_whole) {
  const int64_t batch = whole.dim(0);
  const int64_t inner = whole.numel() / (batch * whole.dim(1));
  const int64_t part_block = part.dim(1) * inner, whole_block = whole.dim(1) * inner;
  for (int64_t n = 0; n < batch; ++n) {
    float* w = const_cast<float*>(whole.data()) + n * whole_block + offset * inner;
    float* p = const_cast<float*>(part.data()) + n * part_block;
    if (into_whole) {
      std::memcpy(w, p, static_cast<size_t>(part_block) * sizeof(float));
    } else {
      std::memcpy(p, w, static_cast<size_t>(part_block) * sizeof(float));
    }
  }
}
}  // namespace

void CpuBackend::copy_channels(const Tensor& part, Tensor& whole, int64_t offset) {
  channel_copy(part, whole, offset, true);
}

void CpuBackend::extract_channels(const Tensor& whole, int64_t offset, Tensor& part) {
  channel_copy(part, whole, offset, false);
}

}  // namespace gaze
