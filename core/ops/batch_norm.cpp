// Batch normalization op.
#include "core/ops.h"
#include "core/ops/op_helpers.h"

namespace gaze::ops {

using namespace detail;

namespace {

void check_batch_norm(const std::string& op, const Tensor& x_in, const Tensor& gamma_in, const Tensor& beta_in,
                      const Tensor& running_mean, const Tensor& running_var, bool training, float momentum,
                      float eps) {
  check_defined(x_in, op, "input");
  GAZE_CHECK(x_in.ndim() == 2 || x_in.ndim() == 4, op, ": input must be [N, C] or [N, C, H, W], got ",
             to_string(x_in.shape()));
  const int64_t channels = x_in.dim(1);
  for (const Tensor* t : {&gamma_in, &beta_in, &running_mean, &running_var}) {
    check_defined(*t, op, "parameter or statistic");
    check_same_device(x_in, *t, op);
    GAZE_CHECK(t->ndim() == 1 && t->dim(0) == channels, op, ": per-channel tensor ",
               to_string(t->shape()), " does not match the input's ", channels, " channels");
  }
  GAZE_CHECK(eps > 0, op, ": eps must be positive, got ", eps);
  GAZE_CHECK(momentum >= 0 && momentum <= 1, op, ": momentum must be in [0, 1], got ", momentum);
  GAZE_CHECK(!training || x_in.numel() / channels > 1, op,
             ": training needs more than one value per channel, got input ", to_string(x_in.shape()));
}

}  // namespace

Tensor batch_norm(const Tensor& x_in, const Tensor& gamma_in, const Tensor& beta_in,
                  Tensor& running_mean, Tensor& running_var, bool training, float momentum,
                  float eps) {
  const std::string op = "batch_norm";
  check_batch_norm(op, x_in, gamma_in, beta_in, running_mean, running_var, training, momentum, eps);
  const int64_t channels = x_in.dim(1);
  const Tensor x = x_in.contiguous(), gamma = gamma_in.contiguous(), beta = beta_in.contiguous();
  Tensor y = Tensor::empty(x.shape(), x.device());
  const bool gg = wants_grad(gamma_in), gb = wants_grad(beta_in), gx = wants_grad(x_in);
  if (training) {
    Tensor saved_mean = Tensor::empty({channels}, x.device());
    Tensor saved_inv_std = Tensor::empty({channels}, x.device());
    backend(x).batch_norm_forward_train(x, gamma, beta, momentum, eps, running_mean, running_var, y,
                                        saved_mean, saved_inv_std);
    return record(op, y, {x_in, gamma_in, beta_in},
                  [x, gamma, saved_mean, saved_inv_std, eps, gx, gg, gb](const Tensor& grad_y) {
                    Tensor grad_x = grad_buffer(x, gx), grad_gamma = grad_buffer(gamma, gg),
                           grad_beta = grad_buffer(gamma, gb);
                    backend(x).batch_norm_backward(x, gamma, grad_y.contiguous(), saved_mean,
                                                   saved_inv_std, eps, grad_x, grad_gamma, grad_beta);
                    return std::vector<Tensor>{grad_x, grad_gamma, grad_beta};
                  });
  }
  backend(x).batch_norm_forward_eval(x, gamma, beta, running_mean, running_var, eps, y);
  // Snapshot the statistics: later training steps update the buffers in place.
  const Tensor mean = running_mean.clone(), var = running_var.clone();
  return record(op, y, {x_in, gamma_in, beta_in},
                [x, gamma, mean, var, eps, gx, gg, gb](const Tensor& grad_y) {
                  Tensor grad_x = grad_buffer(x, gx), grad_gamma = grad_buffer(gamma, gg),
                         grad_beta = grad_buffer(gamma, gb);
                  backend(x).batch_norm_backward_eval(grad_y.contiguous(), gamma, var, eps, x, mean,
                                                      grad_x, grad_gamma, grad_beta);
                  return std::vector<Tensor>{grad_x, grad_gamma, grad_beta};
                });
}

Tensor batch_norm_relu(const Tensor& x_in, const Tensor& gamma_in, const Tensor& beta_in,
                       Tensor& running_mean, Tensor& running_var, bool training, float momentum,
                       float eps) {
  if (!training)
    return relu(batch_norm(x_in, gamma_in, beta_in, running_mean, running_var, training, momentum, eps));
  const std::string op = "batch_norm_relu";
  check_batch_norm(op, x_in, gamma_in, beta_in, running_mean, running_var, training, momentum, eps);
  const int64_t channels = x_in.dim(1);
  const Tensor x = x_in.contiguous(), gamma = gamma_in.contiguous(), beta = beta_in.contiguous();
  Tensor z = Tensor::empty(x.shape(), x.device());
  Tensor saved_mean = Tensor::empty({channels}, x.device());
  Tensor saved_inv_std = Tensor::empty({channels}, x.device());
  backend(x).batch_norm_relu_forward_train(x, gamma, beta, momentum, eps, running_mean, running_var, z,
                                           saved_mean, saved_inv_std);
  const bool gg = wants_grad(gamma_in), gb = wants_grad(beta_in), gx = wants_grad(x_in);
  // z is saved detached, like ReLU's output: the next layer keeps it anyway.
  const Tensor saved_z = z.detach();
  return record(op, z, {x_in, gamma_in, beta_in},
                [x, gamma, beta, saved_z, saved_mean, saved_inv_std, eps, gx, gg, gb](const Tensor& grad_z) {
                  Tensor grad_x = grad_buffer(x, gx), grad_gamma = grad_buffer(gamma, gg),
                         grad_beta = grad_buffer(gamma, gb);
                  backend(x).batch_norm_relu_backward(x, gamma, beta, saved_z, grad_z.contiguous(), saved_mean,
                                                      saved_inv_std, eps, grad_x, grad_gamma, grad_beta);
                  return std::vector<Tensor>{grad_x, grad_gamma, grad_beta};
                });
}

}  // namespace gaze::ops
