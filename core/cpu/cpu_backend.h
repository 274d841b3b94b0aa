#pragma once
// The reference backend: OpenMP loops and BLAS GEMMs on host memory.
#include "core/backend.h"

namespace gaze {

class CpuBackend final : public Backend {
 public:
  float* allocate(int64_t count, int device_index) override;
  void release(float* data, int device_index) override;
  void copy_host(float* device_data, const float* host_data, int64_t count, bool to_device) override;
  void copy(float* dst, const float* src, int64_t count) override;
  void make_contiguous(const Tensor& src, Tensor& dst) override;
  void fill(Tensor& t, float value) override;

  void add(const Tensor& a, const Tensor& b, Tensor& out) override;
  void mul(const Tensor& a, const Tensor& b, Tensor& out) override;
  void axpy(float alpha, const Tensor& x, Tensor& y) override;
  void scale(Tensor& x, float alpha) override;
  void leaky_relu_forward(const Tensor& x, float slope, Tensor& y) override;
  void leaky_relu_backward(const Tensor& x, const Tensor& grad_y, float slope, Tensor& grad_x) override;
  void clamp_forward(const Tensor& x, float low, float high, Tensor& y) override;
  void clamp_backward(const Tensor& y, const Tensor& grad_y, float low, float high, Tensor& grad_x) override;
  void dropout_mask(Tensor& mask, float drop, uint64_t seed) override;
  float sum(const Tensor& x) override;

  void conv2d_forward(const Tensor& x, const Tensor& w, const Tensor& b, const Conv2dGeometry& g,
                      Tensor& y) override;
  void conv2d_backward(const Tensor& x, const Tensor& w, const Tensor& grad_y,
                       const Conv2dGeometry& g, Tensor& grad_x, Tensor& grad_w,
                       Tensor& grad_b) override;

  void max_pool2d_forward(const Tensor& x, const Pool2dGeometry& g, Tensor& y) override;
  void max_pool2d_backward(const Tensor& x, const Tensor& y, const Tensor& grad_y,
                           const Pool2dGeometry& g, Tensor& grad_x) override;
  void avg_pool2d_forward(const Tensor& x, const Pool2dGeometry& g, Tensor& y) override;
  void avg_pool2d_backward(const Tensor& grad_y, const Pool2dGeometry& g, Tensor& grad_x) override;
  void global_avg_pool_forward(const Tensor& x, Tensor& y) override;
  void global_avg_pool_backward(const Tensor& grad_y, Tensor& grad_x) override;

  void dense_forward(const Tensor& x, const Tensor& w, const Tensor& b, Tensor& y) override;
  void dense_backward(const Tensor& x, const Tensor& w, const Tensor& grad_y, Tensor& grad_x,
                      Tensor& grad_w, Tensor& grad_b) override;

  void batch_norm_forward_train(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                                float momentum, float eps, Tensor& running_mean,
                                Tensor& running_var, Tensor& y, Tensor& saved_mean,
                                Tensor& saved_inv_std) override;
  void batch_norm_forward_eval(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                               const Tensor& running_mean, const Tensor& running_var, float eps,
                               Tensor& y) override;
  void batch_norm_backward(const Tensor& x, const Tensor& gamma, const Tensor& grad_y,
                           const Tensor& saved_mean, const Tensor& saved_inv_std, float eps, Tensor& grad_x,
                           Tensor& grad_gamma, Tensor& grad_beta) override;
  void batch_norm_relu_forward_train(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                                     float momentum, float eps, Tensor& running_mean,
                                     Tensor& running_var, Tensor& z, Tensor& saved_mean,
                                     Tensor& saved_inv_std) override;
  void batch_norm_relu_backward(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                                const Tensor& z, const Tensor& grad_z, const Tensor& saved_mean,
                                const Tensor& saved_inv_std, float eps, Tensor& grad_x, Tensor& grad_gamma,
                                Tensor& grad_beta) override;
  void batch_norm_backward_eval(const Tensor& grad_y, const Tensor& gamma,
                                const Tensor& running_var, float eps, const Tensor& x,
                                const Tensor& running_mean, Tensor& grad_x, Tensor& grad_gamma,
                                Tensor& grad_beta) override;

  void softmax_forward(const Tensor& x, Tensor& y) override;
  void softmax_backward(const Tensor& y, const Tensor& grad_y, Tensor& grad_x) override;
  void log_softmax_forward(const Tensor& x, Tensor& y) override;
  void log_softmax_backward(const Tensor& y, const Tensor& grad_y, Tensor& grad_x) override;
  float nll_loss_forward(const Tensor& log_probs, const Tensor& labels, float smoothing) override;
  void nll_loss_backward(const Tensor& labels, float smoothing, float grad_loss,
                         Tensor& grad_log_probs) override;

  void sgd_update(Tensor& param, const Tensor& grad, Tensor& velocity, float lr, float momentum,
                  float weight_decay, bool nesterov) override;
  void adam_update(Tensor& param, const Tensor& grad, Tensor& m, Tensor& v, float lr, float beta1,
                   float beta2, float eps, float weight_decay, bool decoupled,
                   float bias_correction1, float bias_correction2) override;

  void copy_channels(const Tensor& part, Tensor& whole, int64_t offset) override;
  void extract_channels(const Tensor& whole, int64_t offset, Tensor& part) override;
};

}  // namespace gaze
