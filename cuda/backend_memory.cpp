// CudaBackend: memory, copies and the element-wise kernels.
#include "core/error.h"
#include "cuda/caching_allocator.h"
#include "cuda/check.h"
#include "cuda/cuda_backend.h"
#include "cuda/kernels.h"

namespace gaze::cuda {

float* CudaBackend::allocate(int64_t count, int device_index) {
  const auto bytes = static_cast<size_t>(checked_multiply(count, sizeof(float), "tensor allocation in bytes"));
  return static_cast<float*>(allocate_bytes(bytes, device_index, "allocate"));
}

void CudaBackend::release(float* data, int device_index) { release_bytes(data, device_index); }

// Synchronous, as the core expects: the host buffer may be read or freed as
// soon as this returns.
void CudaBackend::copy_host(float* device_data, const float* host_data, int64_t count, bool to_device) {
  const char* op = to_device ? "copy to device" : "copy to host";
  DeviceContext& ctx = device_context(device_of(device_data, op), op);
  const size_t bytes = static_cast<size_t>(count) * sizeof(float);
  if (to_device) {
    GAZE_CUDA_CHECK(cudaMemcpyAsync(device_data, host_data, bytes, cudaMemcpyHostToDevice, ctx.stream), op);
  } else {
    GAZE_CUDA_CHECK(cudaMemcpyAsync(const_cast<float*>(host_data), device_data, bytes, cudaMemcpyDeviceToHost,
                                    ctx.stream),
                    op);
  }
  GAZE_CUDA_CHECK(cudaStreamSynchronize(ctx.stream), op);
}

void CudaBackend::copy(float* dst, const float* src, int64_t count) {
  if (dst == src || count == 0) return;
  DeviceContext& ctx = device_context(device_of(dst, "copy"), "copy");
  GAZE_CUDA_CHECK(cudaMemcpyAsync(dst, src, static_cast<size_t>(count) * sizeof(float),
                                  cudaMemcpyDeviceToDevice, ctx.stream),
                  "copy");
}

void CudaBackend::make_contiguous(const Tensor& src, Tensor& dst) {
  const char* op = "make_contiguous";
  GAZE_CHECK(src.ndim() <= kernels::kMaxGatherDims, op, ": tensors of up to ", kernels::kMaxGatherDims,
             " dimensions are supported on CUDA, got shape ", to_string(src.shape()));
  kernels::StridedLayout layout;
  layout.ndim = src.ndim();
  for (int d = 0; d < src.ndim(); ++d) {
    layout.shape[d] = src.shape()[static_cast<size_t>(d)];
    layout.strides[d] = src.strides()[static_cast<size_t>(d)];
  }
  kernels::strided_gather(src.data(), layout, dst.data(), dst.numel(), context_of(dst, op).stream);
}

void CudaBackend::fill(Tensor& t, float value) {
  kernels::fill(t.data(), t.numel(), value, context_of(t, "fill").stream);
}

void CudaBackend::add(const Tensor& a, const Tensor& b, Tensor& out) {
  kernels::add(a.data(), b.data(), out.data(), out.numel(), context_of(out, "add").stream);
}

void CudaBackend::mul(const Tensor& a, const Tensor& b, Tensor& out) {
  kernels::mul(a.data(), b.data(), out.data(), out.numel(), context_of(out, "mul").stream);
}

void CudaBackend::axpy(float alpha, const Tensor& x, Tensor& y) {
  kernels::axpy(alpha, x.data(), y.data(), y.numel(), context_of(y, "axpy").stream);
}

void CudaBackend::scale(Tensor& x, float alpha) {
  kernels::scale(x.data(), alpha, x.numel(), context_of(x, "scale").stream);
}

void CudaBackend::leaky_relu_forward(const Tensor& x, float slope, Tensor& y) {
  kernels::leaky_relu_forward(x.data(), slope, y.data(), x.numel(), context_of(x, "leaky_relu_forward").stream);
}

void CudaBackend::leaky_relu_backward(const Tensor& x, const Tensor& grad_y, float slope, Tensor& grad_x) {
  kernels::leaky_relu_backward(x.data(), grad_y.data(), slope, grad_x.data(), x.numel(),
                               context_of(x, "leaky_relu_backward").stream);
}

void CudaBackend::clamp_forward(const Tensor& x, float low, float high, Tensor& y) {
  kernels::clamp_forward(x.data(), low, high, y.data(), x.numel(), context_of(x, "clamp_forward").stream);
}

void CudaBackend::clamp_backward(const Tensor& y, const Tensor& grad_y, float low, float high, Tensor& grad_x) {
  kernels::clamp_backward(y.data(), grad_y.data(), low, high, grad_x.data(), y.numel(),
                          context_of(y, "clamp_backward").stream);
}

void CudaBackend::dropout_mask(Tensor& mask, float drop, uint64_t seed) {
  kernels::dropout_mask(mask.data(), mask.numel(), drop, seed, context_of(mask, "dropout_mask").stream);
}

float CudaBackend::sum(const Tensor& x) {
  DeviceContext& ctx = context_of(x, "sum");
  return static_cast<float>(kernels::sum(x.data(), x.numel(), ctx.index, ctx.stream));
}

void CudaBackend::sgd_update(Tensor& param, const Tensor& grad, Tensor& velocity, float lr, float momentum,
                             float weight_decay, bool nesterov) {
  kernels::sgd_update(param.data(), grad.data(), velocity.data(), param.numel(), lr, momentum, weight_decay,
                      nesterov, context_of(param, "sgd_update").stream);
}

void CudaBackend::adam_update(Tensor& param, const Tensor& grad, Tensor& m, Tensor& v, float lr, float beta1,
                              float beta2, float eps, float weight_decay, bool decoupled,
                              float bias_correction1, float bias_correction2) {
  kernels::adam_update(param.data(), grad.data(), m.data(), v.data(), param.numel(), lr, beta1, beta2, eps,
                       weight_decay, decoupled, bias_correction1, bias_correction2,
                       context_of(param, "adam_update").stream);
}

namespace {
// Views N C ... tensors as [N, C, inner] and copies a channel range.
void channel_copy(const Tensor& part, const Tensor& whole, int64_t offset, bool into_whole) {
  const int64_t batch = whole.dim(0);
  const int64_t inner = whole.numel() / (batch * whole.dim(1));
  kernels::channel_copy(const_cast<float*>(part.data()), const_cast<float*>(whole.data()), batch,
                        part.dim(1) * inner, whole.dim(1) * inner, offset * inner, into_whole,
                        context_of(whole, into_whole ? "copy_channels" : "extract_channels").stream);
}
}  // namespace

void CudaBackend::copy_channels(const Tensor& part, Tensor& whole, int64_t offset) {
  channel_copy(part, whole, offset, true);
}

void CudaBackend::extract_channels(const Tensor& whole, int64_t offset, Tensor& part) {
  channel_copy(part, whole, offset, false);
}

}  // namespace gaze::cuda
