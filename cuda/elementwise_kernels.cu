// Element-wise kernels: one thread per element, math from elementwise_math.h.
#include "core/kernels/elementwise_math.h"
#include "cuda/kernels.h"
#include "cuda/launch.cuh"

namespace gaze::cuda::kernels {

namespace {

__global__ void fill_kernel(float* data, int64_t n, float value) {
  GAZE_GRID_STRIDE_LOOP(i, n) data[i] = value;
}
__global__ void add_kernel(const float* a, const float* b, float* out, int64_t n) {
  GAZE_GRID_STRIDE_LOOP(i, n) out[i] = a[i] + b[i];
}
__global__ void mul_kernel(const float* a, const float* b, float* out, int64_t n) {
  GAZE_GRID_STRIDE_LOOP(i, n) out[i] = a[i] * b[i];
}
__global__ void axpy_kernel(float alpha, const float* x, float* y, int64_t n) {
  GAZE_GRID_STRIDE_LOOP(i, n) y[i] += alpha * x[i];
}
__global__ void scale_kernel(float* x, float alpha, int64_t n) {
  GAZE_GRID_STRIDE_LOOP(i, n) x[i] *= alpha;
}
__global__ void leaky_relu_forward_kernel(const float* x, float slope, float* y, int64_t n) {
  GAZE_GRID_STRIDE_LOOP(i, n) y[i] = math::leaky_relu(x[i], slope);
}
__global__ void leaky_relu_backward_kernel(const float* x, const float* grad_y, float slope,
                                           float* grad_x, int64_t n) {
  GAZE_GRID_STRIDE_LOOP(i, n) grad_x[i] = math::leaky_relu_grad(x[i], grad_y[i], slope);
}
__global__ void clamp_forward_kernel(const float* x, float low, float high, float* y, int64_t n) {
  GAZE_GRID_STRIDE_LOOP(i, n) y[i] = math::clamp(x[i], low, high);
}
__global__ void clamp_backward_kernel(const float* y, const float* grad_y, float low, float high,
                                      float* grad_x, int64_t n) {
  GAZE_GRID_STRIDE_LOOP(i, n) grad_x[i] = math::clamp_grad(y[i], grad_y[i], low, high);
}
__global__ void dropout_mask_kernel(float* mask, int64_t n, float drop, uint64_t seed) {
  GAZE_GRID_STRIDE_LOOP(i, n) mask[i] = math::dropout_keep(seed, static_cast<uint64_t>(i), drop);
}
__global__ void sgd_kernel(float* param, const float* grad, float* velocity, int64_t n, float lr,
                           float momentum, float weight_decay, bool nesterov) {
  GAZE_GRID_STRIDE_LOOP(i, n)
  math::sgd_update(param[i], grad[i], velocity[i], lr, momentum, weight_decay, nesterov);
}
__global__ void adam_kernel(float* param, const float* grad, float* m, float* v, int64_t n, float lr,
                            float beta1, float beta2, float eps, float weight_decay, bool decoupled,
                            float bias_correction1, float bias_correction2) {
  GAZE_GRID_STRIDE_LOOP(i, n)
  math::adam_update(param[i], grad[i], m[i], v[i], lr, beta1, beta2, eps, weight_decay, decoupled,
                    bias_correction1, bias_correction2);
}
__global__ void strided_gather_kernel(const float* src, StridedLayout layout, float* dst, int64_t n) {
  GAZE_GRID_STRIDE_LOOP(i, n) {
    int64_t rest = i, offset = 0;
    for (int d = layout.ndim - 1; d >= 0; --d) {
      offset += (rest % layout.shape[d]) * layout.strides[d];
      rest /= layout.shape[d];
    }
    dst[i] = src[offset];
  }
}
__global__ void channel_copy_kernel(float* part, float* whole, int64_t n, int64_t part_block,
                                    int64_t whole_block, int64_t offset_elements, bool into_whole) {
  GAZE_GRID_STRIDE_LOOP(i, n) {
    const int64_t w = (i / part_block) * whole_block + offset_elements + i % part_block;
    if (into_whole) {
      whole[w] = part[i];
    } else {
      part[i] = whole[w];
    }
  }
}
__global__ void add_channel_bias_kernel(float* y, const float* bias, int64_t n, int64_t channels,
                                        int64_t inner) {
  GAZE_GRID_STRIDE_LOOP(i, n) y[i] += bias[(i / inner) % channels];
}
__global__ void nll_loss_backward_kernel(const float* labels, int64_t n, int64_t cols, float smoothing,
                                         float per_row, float* grad) {
  GAZE_GRID_STRIDE_LOOP(i, n) {
    const auto target = static_cast<int64_t>(labels[i / cols]);
    grad[i] = per_row * math::nll_grad(i % cols == target, smoothing, static_cast<int>(cols));
  }
}
__global__ void global_avg_pool_backward_kernel(const float* grad_y, float* grad_x, int64_t n,
                                                int64_t area) {
  GAZE_GRID_STRIDE_LOOP(i, n) grad_x[i] = grad_y[i / area] / static_cast<float>(area);
}

}  // namespace

void fill(float* data, int64_t n, float value, cudaStream_t stream) {
  launch_elementwise("fill", fill_kernel, n, stream, data, n, value);
}
void add(const float* a, const float* b, float* out, int64_t n, cudaStream_t stream) {
  launch_elementwise("add", add_kernel, n, stream, a, b, out, n);
}
void mul(const float* a, const float* b, float* out, int64_t n, cudaStream_t stream) {
  launch_elementwise("mul", mul_kernel, n, stream, a, b, out, n);
}
void axpy(float alpha, const float* x, float* y, int64_t n, cudaStream_t stream) {
  launch_elementwise("axpy", axpy_kernel, n, stream, alpha, x, y, n);
}
void scale(float* x, float alpha, int64_t n, cudaStream_t stream) {
  launch_elementwise("scale", scale_kernel, n, stream, x, alpha, n);
}
void leaky_relu_forward(const float* x, float slope, float* y, int64_t n, cudaStream_t stream) {
  launch_elementwise("leaky_relu_forward", leaky_relu_forward_kernel, n, stream, x, slope, y, n);
}
void leaky_relu_backward(const float* x, const float* grad_y, float slope, float* grad_x, int64_t n,
                         cudaStream_t stream) {
  launch_elementwise("leaky_relu_backward", leaky_relu_backward_kernel, n, stream, x, grad_y, slope,
                     grad_x, n);
}
void clamp_forward(const float* x, float low, float high, float* y, int64_t n, cudaStream_t stream) {
  launch_elementwise("clamp_forward", clamp_forward_kernel, n, stream, x, low, high, y, n);
}
void clamp_backward(const float* y, const float* grad_y, float low, float high, float* grad_x, int64_t n,
                    cudaStream_t stream) {
  launch_elementwise("clamp_backward", clamp_backward_kernel, n, stream, y, grad_y, low, high, grad_x, n);
}
void dropout_mask(float* mask, int64_t n, float drop, uint64_t seed, cudaStream_t stream) {
  launch_elementwise("dropout_mask", dropout_mask_kernel, n, stream, mask, n, drop, seed);
}
void sgd_update(float* param, const float* grad, float* velocity, int64_t n, float lr, float momentum,
                float weight_decay, bool nesterov, cudaStream_t stream) {
  launch_elementwise("sgd_update", sgd_kernel, n, stream, param, grad, velocity, n, lr, momentum,
                     weight_decay, nesterov);
}
void adam_update(float* param, const float* grad, float* m, float* v, int64_t n, float lr, float beta1,
                 float beta2, float eps, float weight_decay, bool decoupled, float bias_correction1,
                 float bias_correction2, cudaStream_t stream) {
  launch_elementwise("adam_update", adam_kernel, n, stream, param, grad, m, v, n, lr, beta1, beta2, eps,
                     weight_decay, decoupled, bias_correction1, bias_correction2);
}
void strided_gather(const float* src, const StridedLayout& layout, float* dst, int64_t n,
                    cudaStream_t stream) {
  launch_elementwise("make_contiguous", strided_gather_kernel, n, stream, src, layout, dst, n);
}
void channel_copy(float* part, float* whole, int64_t batch, int64_t part_block, int64_t whole_block,
                  int64_t offset_elements, bool into_whole, cudaStream_t stream) {
  const int64_t n = batch * part_block;
  launch_elementwise(into_whole ? "copy_channels" : "extract_channels", channel_copy_kernel, n, stream,
                     part, whole, n, part_block, whole_block, offset_elements, into_whole);
}
void add_channel_bias(float* y, const float* bias, int64_t n, int64_t channels, int64_t inner,
                      cudaStream_t stream) {
  launch_elementwise("add_channel_bias", add_channel_bias_kernel, n, stream, y, bias, n, channels, inner);
}
void nll_loss_backward(const float* labels, int64_t rows, int64_t cols, float smoothing, float per_row,
                       float* grad, cudaStream_t stream) {
  const int64_t n = rows * cols;
  launch_elementwise("nll_loss_backward", nll_loss_backward_kernel, n, stream, labels, n, cols, smoothing,
                     per_row, grad);
}
void global_avg_pool_backward(const float* grad_y, float* grad_x, int64_t planes, int64_t area,
                              cudaStream_t stream) {
  const int64_t n = planes * area;
  launch_elementwise("global_avg_pool_backward", global_avg_pool_backward_kernel, n, stream, grad_y,
                     grad_x, n, area);
}

}  // namespace gaze::cuda::kernels
