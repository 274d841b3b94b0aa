#include "core/backend.h"

#include "core/cpu/cpu_backend.h"
#include "core/error.h"

namespace gaze {

namespace {
Backend* g_cuda_backend = nullptr;
}

Backend& cpu_backend() {
  static CpuBackend backend;
  return backend;
}

void Backend::batch_norm_relu_forward_train(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                                            float momentum, float eps, Tensor& running_mean,
                                            Tensor& running_var, Tensor& z, Tensor& saved_mean,
                                            Tensor& saved_inv_std) {
  batch_norm_forward_train(x, gamma, beta, momentum, eps, running_mean, running_var, z, saved_mean,
                           saved_inv_std);
  leaky_relu_forward(z, 0.0f, z);  // element-wise, so in place is safe
}

void Backend::batch_norm_relu_backward(const Tensor& x, const Tensor& gamma, const Tensor&,
                                       const Tensor& z, const Tensor& grad_z, const Tensor& saved_mean,
                                       const Tensor& saved_inv_std, float eps, Tensor& grad_x,
                                       Tensor& grad_gamma, Tensor& grad_beta) {
  Tensor grad_y = Tensor::empty(z.shape(), z.device());
  leaky_relu_backward(z, grad_z, 0.0f, grad_y);  // z > 0 exactly where y > 0
  batch_norm_backward(x, gamma, grad_y, saved_mean, saved_inv_std, eps, grad_x, grad_gamma, grad_beta);
}

void register_cuda_backend(Backend* backend) { g_cuda_backend = backend; }
bool cuda_backend_available() { return g_cuda_backend != nullptr; }

Backend& backend_for(Device device) {
  if (device.is_cpu()) return cpu_backend();
  GAZE_CHECK(g_cuda_backend != nullptr, "tensor on ", device.str(),
             " but no CUDA backend is registered: this build has none (configure with -DGAZE_CUDA=ON), "
             "no GPU or driver was found, or the program did not call gaze::init_runtime()");
  return *g_cuda_backend;
}

}  // namespace gaze
