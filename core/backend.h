#pragma once
// Backend: the kernels one device type provides. Ops (core/ops.h) compute
// shapes, record autograd nodes and call these kernels; they never touch
// device memory themselves. The CPU backend (core/cpu/) is the reference;
// a CUDA build registers a second backend from cuda/ at start-up.
//
// Conventions: every tensor argument is contiguous and on this backend's
// device; outputs are preallocated by the caller with the right shape.
// Activations are NCHW, conv weights [out, in, kh, kw], dense weights [out, in].
#include <cstdint>

#include "core/tensor.h"

namespace gaze {

// groups > 1 splits the channels into that many independent convolutions:
// input channels [g*in/groups, (g+1)*in/groups) feed output channels
// [g*out/groups, (g+1)*out/groups), and the weight is [out, in/groups, kh, kw]
// (PyTorch's layout). groups == in channels is a depthwise convolution.
struct Conv2dGeometry {
  int stride_h = 1, stride_w = 1;
  int pad_h = 0, pad_w = 0;
  int groups = 1;
};

struct Pool2dGeometry {
  int kernel_h = 2, kernel_w = 2;
  int stride_h = 2, stride_w = 2;
  int pad_h = 0, pad_w = 0;
};

class Backend {
 public:
  virtual ~Backend() = default;

  // ---- memory ----
  virtual float* allocate(int64_t count, int device_index) = 0;
  virtual void release(float* data, int device_index) = 0;
  // Copies count floats; either side may be host memory (the backend knows
  // its own device; `to_device` says which way).
  virtual void copy_host(float* device_data, const float* host_data, int64_t count,
                         bool to_device) = 0;
  virtual void copy(float* dst, const float* src, int64_t count) = 0;
  // dst = src gathered through (shape, strides, offset) into contiguous order.
  virtual void make_contiguous(const Tensor& src, Tensor& dst) = 0;
  virtual void fill(Tensor& t, float value) = 0;

  // ---- element-wise (same shapes) ----
  virtual void add(const Tensor& a, const Tensor& b, Tensor& out) = 0;
  virtual void mul(const Tensor& a, const Tensor& b, Tensor& out) = 0;
  virtual void axpy(float alpha, const Tensor& x, Tensor& y) = 0;  // y += alpha x
  virtual void scale(Tensor& x, float alpha) = 0;                  // x *= alpha
  virtual void leaky_relu_forward(const Tensor& x, float slope, Tensor& y) = 0;
  virtual void leaky_relu_backward(const Tensor& x, const Tensor& grad_y, float slope,
                                   Tensor& grad_x) = 0;
  // y = min(max(x, low), high); backward passes grad_y where low < y < high,
  // reading the output y (the same set as low < x < high).
  virtual void clamp_forward(const Tensor& x, float low, float high, Tensor& y) = 0;
  virtual void clamp_backward(const Tensor& y, const Tensor& grad_y, float low, float high,
                              Tensor& grad_x) = 0;
  // mask[i] = (u(seed, i) >= drop) / (1 - drop): the scaled keep mask.
  virtual void dropout_mask(Tensor& mask, float drop, uint64_t seed) = 0;
  virtual float sum(const Tensor& x) = 0;

  // ---- convolution: y = conv(x, w) + b; b may be undefined ----
  virtual void conv2d_forward(const Tensor& x, const Tensor& w, const Tensor& b,
                              const Conv2dGeometry& g, Tensor& y) = 0;
  // Any of grad_x, grad_w, grad_b may be undefined: not wanted.
  virtual void conv2d_backward(const Tensor& x, const Tensor& w, const Tensor& grad_y,
                               const Conv2dGeometry& g, Tensor& grad_x, Tensor& grad_w,
                               Tensor& grad_b) = 0;

  // ---- pooling ----
  virtual void max_pool2d_forward(const Tensor& x, const Pool2dGeometry& g, Tensor& y) = 0;
  virtual void max_pool2d_backward(const Tensor& x, const Tensor& y, const Tensor& grad_y,
                                   const Pool2dGeometry& g, Tensor& grad_x) = 0;
  // Padding counts toward the divisor, as PyTorch's default count_include_pad.
  virtual void avg_pool2d_forward(const Tensor& x, const Pool2dGeometry& g, Tensor& y) = 0;
  virtual void avg_pool2d_backward(const Tensor& grad_y, const Pool2dGeometry& g,
                                   Tensor& grad_x) = 0;
  virtual void global_avg_pool_forward(const Tensor& x, Tensor& y) = 0;  // [N,C,H,W]->[N,C]
  virtual void global_avg_pool_backward(const Tensor& grad_y, Tensor& grad_x) = 0;

  // ---- dense: y = x w^T + b; x [N, in], w [out, in], b [out] or undefined ----
  virtual void dense_forward(const Tensor& x, const Tensor& w, const Tensor& b,
                             Tensor& y) = 0;
  virtual void dense_backward(const Tensor& x, const Tensor& w, const Tensor& grad_y,
                              Tensor& grad_x, Tensor& grad_w, Tensor& grad_b) = 0;

  // ---- batch norm over N, H, W per channel (x is [N,C] or [N,C,H,W]) ----
  // Training: normalizes with the biased batch variance, stores the batch mean
  // and 1/sqrt(var+eps) for backward, and updates the running statistics with
  // the unbiased variance: running = (1-momentum) running + momentum batch.
  virtual void batch_norm_forward_train(const Tensor& x, const Tensor& gamma,
                                        const Tensor& beta, float momentum, float eps,
                                        Tensor& running_mean, Tensor& running_var,
                                        Tensor& y, Tensor& saved_mean,
                                        Tensor& saved_inv_std) = 0;
  virtual void batch_norm_forward_eval(const Tensor& x, const Tensor& gamma,
                                       const Tensor& beta, const Tensor& running_mean,
                                       const Tensor& running_var, float eps, Tensor& y) = 0;
  // `eps` is the forward's: backends that recompute from saved statistics
  // (cuDNN requires the forward's value) get the layer's own, never a default.
  virtual void batch_norm_backward(const Tensor& x, const Tensor& gamma,
                                   const Tensor& grad_y, const Tensor& saved_mean,
                                   const Tensor& saved_inv_std, float eps, Tensor& grad_x,
                                   Tensor& grad_gamma, Tensor& grad_beta) = 0;
  // Eval-mode backward (statistics are constants): grad_x = grad_y gamma inv_std.
  virtual void batch_norm_backward_eval(const Tensor& grad_y, const Tensor& gamma,
                                        const Tensor& running_var, float eps,
                                        const Tensor& x, const Tensor& running_mean,
                                        Tensor& grad_x, Tensor& grad_gamma,
                                        Tensor& grad_beta) = 0;

  // Training-mode batch norm followed by ReLU, z = max(0, y), as one
  // kernel: saves the pass that ReLU would make over y, and y itself. The
  // defaults run the two kernels (core/backend.cpp); the CPU backend fuses.
  virtual void batch_norm_relu_forward_train(const Tensor& x, const Tensor& gamma,
                                             const Tensor& beta, float momentum, float eps,
                                             Tensor& running_mean, Tensor& running_var,
                                             Tensor& z, Tensor& saved_mean, Tensor& saved_inv_std);
  // Gradients through both, from grad_z and the forward's z (or, equivalently,
  // y recomputed from x and the saved statistics).
  virtual void batch_norm_relu_backward(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                                        const Tensor& z, const Tensor& grad_z,
                                        const Tensor& saved_mean, const Tensor& saved_inv_std, float eps,
                                        Tensor& grad_x, Tensor& grad_gamma, Tensor& grad_beta);

  // ---- softmax family over dim 1 of [N, C] ----
  virtual void softmax_forward(const Tensor& x, Tensor& y) = 0;
  virtual void softmax_backward(const Tensor& y, const Tensor& grad_y, Tensor& grad_x) = 0;
  virtual void log_softmax_forward(const Tensor& x, Tensor& y) = 0;
  virtual void log_softmax_backward(const Tensor& y, const Tensor& grad_y,
                                    Tensor& grad_x) = 0;
  // Mean over the batch of the label-smoothed negative log-likelihood.
  // labels holds class indices as floats, shape [N].
  virtual float nll_loss_forward(const Tensor& log_probs, const Tensor& labels,
                                 float smoothing) = 0;
  virtual void nll_loss_backward(const Tensor& labels, float smoothing, float grad_loss,
                                 Tensor& grad_log_probs) = 0;

  // ---- optimizer updates, element by element (see core/kernels/elementwise_math.h) ----
  virtual void sgd_update(Tensor& param, const Tensor& grad, Tensor& velocity, float lr,
                          float momentum, float weight_decay, bool nesterov) = 0;
  // bias_correction1/2 = 1 - beta1^t and 1 - beta2^t for step t.
  virtual void adam_update(Tensor& param, const Tensor& grad, Tensor& m, Tensor& v, float lr,
                           float beta1, float beta2, float eps, float weight_decay,
                           bool decoupled, float bias_correction1, float bias_correction2) = 0;

  // ---- channel concatenation of NC... tensors ----
  // Copies `part` into channels [offset, offset + part.C) of `whole` (or back).
  virtual void copy_channels(const Tensor& part, Tensor& whole, int64_t offset) = 0;
  virtual void extract_channels(const Tensor& whole, int64_t offset, Tensor& part) = 0;
};

Backend& cpu_backend();
// The backend owning tensors on `device`; throws gaze::Error when this build
// or machine has none (for example cuda:0 in a CPU-only build).
Backend& backend_for(Device device);
// Called once by the CUDA module at start-up.
void register_cuda_backend(Backend* backend);
bool cuda_backend_available();

}  // namespace gaze
