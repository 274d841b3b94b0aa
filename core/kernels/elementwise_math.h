#pragma once
// Per-element math shared by the CPU and CUDA backends. Each function is the
// whole definition of its op at one element; the backends only add indexing.
#include <cmath>
#include <cstdint>

#include "core/hostdevice.h"
#include "core/random.h"

namespace gaze::math {

// y = max(0, x) + slope * min(0, x)  (slope 0 gives ReLU). NaN stays NaN,
// and ReLU (slope 0) of -inf is 0, not 0 * -inf = NaN.
GAZE_HOST_DEVICE inline float leaky_relu(float x, float slope) {
  return x < 0 ? (slope == 0 ? 0.0f : slope * x) : x;
}
GAZE_HOST_DEVICE inline float leaky_relu_grad(float x, float grad_y, float slope) {
  return x > 0 ? grad_y : slope * grad_y;
}

// y = min(max(x, low), high) (ReLU6 is low 0, high 6). NaN stays NaN, as in
// PyTorch's hardtanh. The gradient is grad_y strictly inside (low, high),
// tested on the output y, which lies there exactly when x does.
GAZE_HOST_DEVICE inline float clamp(float x, float low, float high) {
  return x < low ? low : (x > high ? high : x);
}
GAZE_HOST_DEVICE inline float clamp_grad(float y, float grad_y, float low, float high) {
  return y > low && y < high ? grad_y : 0.0f;
}

// Scaled keep-mask of inverted dropout at element `index`.
GAZE_HOST_DEVICE inline float dropout_keep(uint64_t seed, uint64_t index, float drop) {
  return hash_uniform(seed, index) >= drop ? 1.0f / (1.0f - drop) : 0.0f;
}

// Gradient of the label-smoothed NLL at one logit, before the 1/N batch mean.
GAZE_HOST_DEVICE inline float nll_grad(bool is_target, float smoothing, int classes) {
  return -(is_target ? 1.0f - smoothing : 0.0f) - smoothing / static_cast<float>(classes);
}

// Plain SGD with momentum, Nesterov and L2 weight decay, as torch.optim.SGD.
GAZE_HOST_DEVICE inline void sgd_update(float& param, float grad, float& velocity, float lr,
                                        float momentum, float weight_decay, bool nesterov) {
  float g = grad + weight_decay * param;
  velocity = momentum * velocity + g;
  param -= lr * (nesterov ? g + momentum * velocity : velocity);
}

// Adam / AdamW (decoupled when `decoupled`), as torch.optim; step counts from 1.
GAZE_HOST_DEVICE inline void adam_update(float& param, float grad, float& m, float& v, float lr,
                                         float beta1, float beta2, float eps,
                                         float weight_decay, bool decoupled,
                                         float bias_correction1, float bias_correction2) {
  if (decoupled) {
    param -= lr * weight_decay * param;
  } else {
    grad += weight_decay * param;
  }
  m = beta1 * m + (1.0f - beta1) * grad;
  v = beta2 * v + (1.0f - beta2) * grad * grad;
  const float m_hat = m / bias_correction1;
  const float v_hat = v / bias_correction2;
  param -= lr * m_hat / (sqrtf(v_hat) + eps);
}

}  // namespace gaze::math
