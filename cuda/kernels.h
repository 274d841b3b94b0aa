#pragma once
// Launchers of gaze's own CUDA kernels: the operations cuDNN and cuBLAS do
// not cover. Each takes raw device pointers and the device's stream, checks
// its launch, and computes per element exactly what core/cpu/ computes (the
// math itself comes from core/kernels/elementwise_math.h where it exists).
#include <cuda_runtime.h>

#include <cstdint>

namespace gaze::cuda::kernels {

// ---- element-wise (elementwise_kernels.cu) ----
void fill(float* data, int64_t n, float value, cudaStream_t stream);
void add(const float* a, const float* b, float* out, int64_t n, cudaStream_t stream);
void mul(const float* a, const float* b, float* out, int64_t n, cudaStream_t stream);
void axpy(float alpha, const float* x, float* y, int64_t n, cudaStream_t stream);
void scale(float* x, float alpha, int64_t n, cudaStream_t stream);
void leaky_relu_forward(const float* x, float slope, float* y, int64_t n, cudaStream_t stream);
void leaky_relu_backward(const float* x, const float* grad_y, float slope, float* grad_x, int64_t n,
                         cudaStream_t stream);
void clamp_forward(const float* x, float low, float high, float* y, int64_t n, cudaStream_t stream);
void clamp_backward(const float* y, const float* grad_y, float low, float high, float* grad_x, int64_t n,
                    cudaStream_t stream);
void dropout_mask(float* mask, int64_t n, float drop, uint64_t seed, cudaStream_t stream);
void sgd_update(float* param, const float* grad, float* velocity, int64_t n, float lr, float momentum,
                float weight_decay, bool nesterov, cudaStream_t stream);
void adam_update(float* param, const float* grad, float* m, float* v, int64_t n, float lr, float beta1,
                 float beta2, float eps, float weight_decay, bool decoupled, float bias_correction1,
                 float bias_correction2, cudaStream_t stream);

// A strided view (shape, strides in elements), gathered into contiguous order.
constexpr int kMaxGatherDims = 8;
struct StridedLayout {
  int ndim = 0;
  int64_t shape[kMaxGatherDims] = {};
  int64_t strides[kMaxGatherDims] = {};
};
void strided_gather(const float* src, const StridedLayout& layout, float* dst, int64_t n,
                    cudaStream_t stream);

// whole is [batch, whole_channels * inner], part is [batch, part_channels * inner];
// copies part <-> channels [offset, offset + part_channels) of whole.
void channel_copy(float* part, float* whole, int64_t batch, int64_t part_block, int64_t whole_block,
                  int64_t offset_elements, bool into_whole, cudaStream_t stream);
// y[n, c, i] += bias[c] for y viewed as [outer, channels, inner].
void add_channel_bias(float* y, const float* bias, int64_t n, int64_t channels, int64_t inner,
                      cudaStream_t stream);
// grad[r, c] = per_row * math::nll_grad(c == labels[r], smoothing, cols).
void nll_loss_backward(const float* labels, int64_t rows, int64_t cols, float smoothing, float per_row,
                       float* grad, cudaStream_t stream);
void global_avg_pool_backward(const float* grad_y, float* grad_x, int64_t planes, int64_t area,
                              cudaStream_t stream);

// ---- reductions (reduce_kernels.cu); results in double as on the CPU ----
// Sum of x, copied back to the host (synchronizes the stream). Deterministic.
double sum(const float* x, int64_t n, int device, cudaStream_t stream);
// Sum over rows of -(1-s) lp[r, label_r] - s mean_c lp[r, c] (synchronizes).
double nll_loss_total(const float* log_probs, const float* labels, int64_t rows, int64_t cols,
                      float smoothing, int device, cudaStream_t stream);
// out[c] = sum over outer and inner of x viewed as [outer, channels, inner].
void channel_sums(const float* x, int64_t outer, int64_t channels, int64_t inner, float* out,
                  cudaStream_t stream);
void global_avg_pool_forward(const float* x, float* y, int64_t planes, int64_t area,
                             cudaStream_t stream);
// Eval-mode batch norm backward over x viewed as [outer, channels, inner];
// any of grad_x, grad_gamma, grad_beta may be null (not wanted).
void batch_norm_backward_eval(const float* grad_y, const float* x, const float* gamma,
                              const float* running_mean, const float* running_var, float eps,
                              int64_t outer, int64_t channels, int64_t inner, float* grad_x,
                              float* grad_gamma, float* grad_beta, cudaStream_t stream);

// ---- pooling over NCHW planes (pool_kernels.cu) ----
struct PoolShape {
  int64_t planes, in_h, in_w, out_h, out_w;
  int kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w;
};
void max_pool_forward(const float* x, float* y, const PoolShape& s, cudaStream_t stream);
void max_pool_backward(const float* x, const float* y, const float* grad_y, float* grad_x,
                       const PoolShape& s, cudaStream_t stream);
void avg_pool_forward(const float* x, float* y, const PoolShape& s, cudaStream_t stream);
void avg_pool_backward(const float* grad_y, float* grad_x, const PoolShape& s, cudaStream_t stream);

}  // namespace gaze::cuda::kernels
