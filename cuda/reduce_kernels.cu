// Reductions: whole-tensor sums (deterministic two-pass, in double like the
// CPU), per-channel sums for bias gradients, global average pooling and the
// eval-mode batch norm backward.
#include "cuda/caching_allocator.h"
#include "cuda/kernels.h"
#include "cuda/launch.cuh"

namespace gaze::cuda::kernels {

namespace {

constexpr int kReduceThreads = 256;
constexpr int kPartials = 512;  // blocks of the first pass, and partial sums

// Sum of `value` over the block, valid in thread 0. All threads must call it.
__device__ double block_sum(double value) {
  __shared__ double shared[kReduceThreads];
  shared[threadIdx.x] = value;
  __syncthreads();
  for (int half = kReduceThreads / 2; half > 0; half /= 2) {
    if (static_cast<int>(threadIdx.x) < half) shared[threadIdx.x] += shared[threadIdx.x + half];
    __syncthreads();
  }
  const double total = shared[0];
  __syncthreads();  // lets the caller reuse block_sum right away
  return total;
}

// Pass 1 and 2 of a deterministic sum: fixed grid, fixed order per thread.
template <typename T>
__global__ void partial_sums_kernel(const T* x, int64_t n, double* partials) {
  double acc = 0;
  GAZE_GRID_STRIDE_LOOP(i, n) acc += static_cast<double>(x[i]);
  const double total = block_sum(acc);
  if (threadIdx.x == 0) partials[blockIdx.x] = total;
}

__global__ void nll_row_loss_kernel(const float* log_probs, const float* labels, int64_t rows,
                                    int64_t cols, float smoothing, double* row_loss) {
  GAZE_GRID_STRIDE_LOOP(r, rows) {
    const float* lp = log_probs + r * cols;
    double mean_lp = 0;
    for (int64_t c = 0; c < cols; ++c) mean_lp += lp[c];
    mean_lp /= static_cast<double>(cols);
    const auto target = static_cast<int64_t>(labels[r]);
    row_loss[r] = -(1.0 - smoothing) * lp[target] - smoothing * mean_lp;
  }
}

// One block per channel c of x viewed as [outer, channels, inner].
__global__ void channel_sums_kernel(const float* x, int64_t outer, int64_t channels, int64_t inner,
                                    float* out) {
  const int64_t c = blockIdx.x, count = outer * inner;
  double acc = 0;
  for (int64_t j = threadIdx.x; j < count; j += blockDim.x)
    acc += x[((j / inner) * channels + c) * inner + j % inner];
  const double total = block_sum(acc);
  if (threadIdx.x == 0) out[c] = static_cast<float>(total);
}

// One warp per plane; planes are small (the last feature map) in CAM networks.
__global__ void global_avg_pool_kernel(const float* x, float* y, int64_t planes, int64_t area) {
  const int64_t warp = (static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x) / 32;
  const int lane = static_cast<int>(threadIdx.x % 32);
  if (warp >= planes) return;
  const float* in = x + warp * area;
  float acc = 0;
  for (int64_t i = lane; i < area; i += 32) acc += in[i];
  for (int offset = 16; offset > 0; offset /= 2) acc += __shfl_down_sync(0xffffffffu, acc, offset);
  if (lane == 0) y[warp] = acc / static_cast<float>(area);
}

__global__ void batch_norm_backward_eval_kernel(const float* grad_y, const float* x, const float* gamma,
                                                const float* running_mean, const float* running_var,
                                                float eps, int64_t outer, int64_t channels,
                                                int64_t inner, float* grad_x, float* grad_gamma,
                                                float* grad_beta) {
  const int64_t c = blockIdx.x, count = outer * inner;
  const float inv_std = 1.0f / sqrtf(running_var[c] + eps);
  const float mean = running_mean[c];
  const float k = gamma[c] * inv_std;
  double sum_gy = 0, sum_gy_xhat = 0;
  for (int64_t j = threadIdx.x; j < count; j += blockDim.x) {
    const int64_t i = ((j / inner) * channels + c) * inner + j % inner;
    sum_gy += grad_y[i];
    sum_gy_xhat += grad_y[i] * (x[i] - mean) * inv_std;
    if (grad_x) grad_x[i] = grad_y[i] * k;
  }
  const double total_gy = block_sum(sum_gy);
  const double total_gy_xhat = block_sum(sum_gy_xhat);
  if (threadIdx.x == 0) {
    if (grad_gamma) grad_gamma[c] = static_cast<float>(total_gy_xhat);
    if (grad_beta) grad_beta[c] = static_cast<float>(total_gy);
  }
}

template <typename T>
double device_sum(const T* x, int64_t n, int device, cudaStream_t stream, const char* op) {
  DeviceBuffer partials(sizeof(double) * (kPartials + 1), device, op);
  double* first = partials.as<double>();
  const auto blocks = static_cast<unsigned>(std::clamp<int64_t>((n + kReduceThreads - 1) / kReduceThreads, 1, kPartials));
  partial_sums_kernel<T><<<blocks, kReduceThreads, 0, stream>>>(x, n, first);
  GAZE_CUDA_CHECK_LAUNCH("partial_sums_kernel", op);
  partial_sums_kernel<double><<<1, kReduceThreads, 0, stream>>>(first, blocks, first + kPartials);
  GAZE_CUDA_CHECK_LAUNCH("partial_sums_kernel", op);
  double total = 0;
  GAZE_CUDA_CHECK(cudaMemcpyAsync(&total, first + kPartials, sizeof(double), cudaMemcpyDeviceToHost, stream), op);
  GAZE_CUDA_CHECK(cudaStreamSynchronize(stream), op);
  return total;
}

}  // namespace

double sum(const float* x, int64_t n, int device, cudaStream_t stream) {
  return device_sum(x, n, device, stream, "sum");
}

double nll_loss_total(const float* log_probs, const float* labels, int64_t rows, int64_t cols,
                      float smoothing, int device, cudaStream_t stream) {
  DeviceBuffer row_loss(sizeof(double) * static_cast<size_t>(rows), device, "nll_loss_forward");
  launch_elementwise("nll_loss_forward", nll_row_loss_kernel, rows, stream, log_probs, labels, rows, cols,
                     smoothing, row_loss.as<double>());
  return device_sum(row_loss.as<double>(), rows, device, stream, "nll_loss_forward");
}

void channel_sums(const float* x, int64_t outer, int64_t channels, int64_t inner, float* out,
                  cudaStream_t stream) {
  if (channels == 0) return;
  channel_sums_kernel<<<static_cast<unsigned>(channels), kReduceThreads, 0, stream>>>(x, outer, channels,
                                                                                      inner, out);
  GAZE_CUDA_CHECK_LAUNCH("channel_sums_kernel", "bias gradient");
}

void global_avg_pool_forward(const float* x, float* y, int64_t planes, int64_t area, cudaStream_t stream) {
  if (planes == 0) return;
  const int64_t warps_per_block = kReduceThreads / 32;
  const auto blocks = static_cast<unsigned>((planes + warps_per_block - 1) / warps_per_block);
  global_avg_pool_kernel<<<blocks, kReduceThreads, 0, stream>>>(x, y, planes, area);
  GAZE_CUDA_CHECK_LAUNCH("global_avg_pool_kernel", "global_avg_pool_forward");
}

void batch_norm_backward_eval(const float* grad_y, const float* x, const float* gamma,
                              const float* running_mean, const float* running_var, float eps,
                              int64_t outer, int64_t channels, int64_t inner, float* grad_x,
                              float* grad_gamma, float* grad_beta, cudaStream_t stream) {
  if (channels == 0) return;
  batch_norm_backward_eval_kernel<<<static_cast<unsigned>(channels), kReduceThreads, 0, stream>>>(
      grad_y, x, gamma, running_mean, running_var, eps, outer, channels, inner, grad_x, grad_gamma,
      grad_beta);
  GAZE_CUDA_CHECK_LAUNCH("batch_norm_backward_eval_kernel", "batch_norm_backward_eval");
}

}  // namespace gaze::cuda::kernels
