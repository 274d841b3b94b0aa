// cuDNN's classic API for convolution and batch norm, relied on as of cuDNN
// 9.19 (built and linked against it; any cuDNN 9.x should do).
//
// Why the classic API: in cuDNN 9 the descriptor-based convolution and batch
// norm calls (cudnnConvolutionForward, cudnnFind*AlgorithmEx,
// cudnnBatchNormalization*, filter and convolution descriptors) are marked
// deprecated in favour of the graph (backend) API, but they still work, are
// documented, and express gaze's fixed NCHW float32 ops in a fraction of the
// code the graph API needs (operation graphs, engine heuristics, execution
// plans, variant packs) -- code that nobody could run on the machines gaze is
// developed on. So this one file uses them, with the deprecation warnings
// silenced here only; the gaze_cuda target defines CUDNN_WARN_DEPRECATED so
// that a deprecated call anywhere else fails the build.
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

#include "cuda/cudnn_classic.h"

#include <algorithm>
#include <array>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "core/error.h"
#include "cuda/caching_allocator.h"
#include "cuda/check.h"
#include "cuda/cuda.h"
#include "cuda/cudnn_tensor.h"

namespace gaze::cuda::cudnn {

namespace {

class FilterDescriptor {
 public:
  FilterDescriptor(const ConvShape& s, const char* op) {
    GAZE_CUDA_CHECK(cudnnCreateFilterDescriptor(&descriptor_), op);
    // With G groups the filter holds in / G input channels (the weight's own
    // shape); the convolution descriptor carries G.
    GAZE_CUDA_CHECK(cudnnSetFilter4dDescriptor(descriptor_, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW,
                                               static_cast<int>(s.out_channels),
                                               static_cast<int>(s.channels / s.geometry.groups),
                                               static_cast<int>(s.kernel_h), static_cast<int>(s.kernel_w)),
                    op);
  }
  ~FilterDescriptor() { cudnnDestroyFilterDescriptor(descriptor_); }
  FilterDescriptor(const FilterDescriptor&) = delete;
  FilterDescriptor& operator=(const FilterDescriptor&) = delete;
  cudnnFilterDescriptor_t get() const { return descriptor_; }

 private:
  cudnnFilterDescriptor_t descriptor_ = nullptr;
};

class ConvolutionDescriptor {
 public:
  ConvolutionDescriptor(const Conv2dGeometry& g, cudnnMathType_t math, const char* op) {
    GAZE_CUDA_CHECK(cudnnCreateConvolutionDescriptor(&descriptor_), op);
    // Cross-correlation, as the CPU backend and PyTorch compute "convolution".
    GAZE_CUDA_CHECK(cudnnSetConvolution2dDescriptor(descriptor_, g.pad_h, g.pad_w, g.stride_h, g.stride_w,
                                                    1, 1, CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT),
                    op);
    GAZE_CUDA_CHECK(cudnnSetConvolutionGroupCount(descriptor_, g.groups), op);
    set_math(math, op);
  }
  ~ConvolutionDescriptor() { cudnnDestroyConvolutionDescriptor(descriptor_); }
  ConvolutionDescriptor(const ConvolutionDescriptor&) = delete;
  ConvolutionDescriptor& operator=(const ConvolutionDescriptor&) = delete;
  void set_math(cudnnMathType_t math, const char* op) {
    GAZE_CUDA_CHECK(cudnnSetConvolutionMathType(descriptor_, math), op);
  }
  cudnnConvolutionDescriptor_t get() const { return descriptor_; }

 private:
  cudnnConvolutionDescriptor_t descriptor_ = nullptr;
};

// CUDNN_DEFAULT_MATH permits TF32 tensor cores on Ampere and newer;
// CUDNN_FMA_MATH restricts cuDNN to plain FP32 FMA kernels.
cudnnMathType_t requested_math(bool tf32) { return tf32 ? CUDNN_DEFAULT_MATH : CUDNN_FMA_MATH; }

bool uses_tensor_cores(cudnnMathType_t math) {
  return math == CUDNN_TENSOR_OP_MATH || math == CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION;
}

// How an algorithm is chosen. Deterministic (cuda.deterministic, the
// default): among the algorithms cuDNN marks CUDNN_DETERMINISTIC, the first
// of its heuristic ranking, which depends only on the shape, the GPU and the
// cuDNN version -- timing-based choices could differ between two runs and so
// give different bits even among deterministic algorithms. Otherwise: the
// fastest that cudnnFind measured, deterministic or not.
struct Policy {
  bool tf32 = false;
  bool deterministic = true;
};

Policy current_policy() { return {tf32_enabled(), deterministic_enabled()}; }

struct Descriptors {
  TensorDescriptor x, y;
  FilterDescriptor w;
  ConvolutionDescriptor conv;
  Descriptors(const ConvShape& s, bool tf32, const char* op)
      : x(s.batch, s.channels, s.height, s.width, op),
        y(s.batch, s.out_channels, s.out_h, s.out_w, op),
        w(s, op),
        conv(s.geometry, requested_math(tf32), op) {}
};

enum class Pass { forward, backward_data, backward_filter };

struct Choice {
  int algorithm = 0;
  size_t workspace = 0;
  cudnnMathType_t math = CUDNN_FMA_MATH;
};

using Key = std::array<int64_t, 16>;

Key key_of(int device, Pass pass, const ConvShape& s, Policy policy) {
  const Conv2dGeometry& g = s.geometry;
  return {device, static_cast<int64_t>(pass), s.batch, s.channels, s.height, s.width, s.out_channels,
          s.kernel_h, s.kernel_w, g.stride_h, g.stride_w, g.pad_h, g.pad_w, g.groups, policy.tf32 ? 1 : 0,
          policy.deterministic ? 1 : 0};
}

std::string describe(const ConvShape& s) {
  return ::gaze::detail::concat("x [", s.batch, ", ", s.channels, ", ", s.height, ", ", s.width, "], w [",
                        s.out_channels, ", ", s.channels / s.geometry.groups, ", ", s.kernel_h, ", ", s.kernel_w,
                        "], stride ", s.geometry.stride_h, "x", s.geometry.stride_w, ", pad ", s.geometry.pad_h, "x",
                        s.geometry.pad_w, ", groups ", s.geometry.groups);
}

// The first of cuDNN's ranked results (cudnnFind's sorted by time, the
// heuristics' by expected speed) that is usable: it succeeded, uses no
// tensor cores with TF32 off, is deterministic when the policy asks, and its
// workspace fits (`workspace_of` returns its size, or nothing when it does not).
template <typename Perf, typename Workspace>
Choice pick(const Perf* results, int count, Policy policy, const ConvShape& s, const char* op,
            Workspace workspace_of) {
  for (int i = 0; i < count; ++i) {
    const Perf& r = results[i];
    if (r.status != CUDNN_STATUS_SUCCESS || (!policy.tf32 && uses_tensor_cores(r.mathType))) continue;
    if (policy.deterministic && r.determinism != CUDNN_DETERMINISTIC) continue;
    const std::optional<size_t> workspace = workspace_of(r);
    if (!workspace) continue;
    return {static_cast<int>(r.algo), *workspace, r.mathType};
  }
  throw Error(::gaze::detail::concat(op, ": cuDNN has no usable ", policy.deterministic ? "deterministic " : "",
                                     "algorithm for ", describe(s),
                                     policy.deterministic ? " (cuda.deterministic: false allows the others)" : ""));
}

// cudnnFind ran each algorithm with the workspace it was offered: what it reports fits.
template <typename Perf>
std::optional<size_t> measured_workspace(const Perf& r) {
  return r.memory;
}

// The workspace a heuristic candidate needs, from `query(algo, &bytes)`, when
// it fits in `limit`. A candidate cuDNN cannot size (status other than
// success) is skipped; the next one is tried.
template <typename Perf, typename Query>
std::optional<size_t> queried_workspace(const Perf& r, Descriptors& d, Policy policy, size_t limit, const char* op,
                                        Query query) {
  if (policy.tf32) d.conv.set_math(r.mathType, op);
  size_t bytes = 0;
  if (query(r.algo, &bytes) != CUDNN_STATUS_SUCCESS || bytes > limit) return std::nullopt;
  return bytes;
}

// Algorithm choices per (device, pass, shape, TF32, determinism): cudnnFind benchmarks
// every algorithm, which is worth it once per shape, never per step.
std::mutex& cache_mutex() {
  static auto* mutex = new std::mutex;
  return *mutex;
}
std::map<Key, Choice>& choice_cache() {
  static auto* cache = new std::map<Key, Choice>;
  return *cache;
}

// Workspace offered to cudnnFind or allowed to a heuristic candidate:
// algorithms that need more are skipped.
// Bounded so that the search cannot starve the activations of memory.
size_t search_workspace_limit(const char* op) {
  size_t free_bytes = 0, total_bytes = 0;
  GAZE_CUDA_CHECK(cudaMemGetInfo(&free_bytes, &total_bytes), op);
  return std::min(free_bytes / 4, size_t{1} << 30);
}

// The cached choice; otherwise `heuristic(limit)`'s (deterministic policy)
// or `search(workspace, limit)`'s, run once.
template <typename Heuristic, typename Search>
Choice choose(DeviceContext& ctx, Pass pass, const ConvShape& s, Policy policy, const char* op,
              Heuristic heuristic, Search search) {
  std::lock_guard<std::mutex> lock(cache_mutex());
  const Key key = key_of(ctx.index, pass, s, policy);
  auto found = choice_cache().find(key);
  if (found != choice_cache().end()) return found->second;
  const size_t limit = search_workspace_limit(op);
  Choice choice;
  if (policy.deterministic) {
    choice = heuristic(limit);
  } else {
    DeviceBuffer workspace(limit, ctx.index, op);
    choice = search(workspace.as<void>(), limit);
  }
  choice_cache().emplace(key, choice);
  return choice;
}

const float kOne = 1.0f, kZero = 0.0f;

}  // namespace

void conv_forward(DeviceContext& ctx, const ConvShape& s, const float* x, const float* w, float* y) {
  const char* op = "conv2d_forward";
  const Policy policy = current_policy();
  const bool tf32 = policy.tf32;
  Descriptors d(s, tf32, op);
  using Perf = cudnnConvolutionFwdAlgoPerf_t;
  auto heuristic = [&](size_t limit) {
    Perf results[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
    int count = 0;
    GAZE_CUDA_CHECK(cudnnGetConvolutionForwardAlgorithm_v7(ctx.cudnn, d.x.get(), d.w.get(), d.conv.get(), d.y.get(),
                                                           CUDNN_CONVOLUTION_FWD_ALGO_COUNT, &count, results),
                    op);
    return pick(results, count, policy, s, op, [&](const Perf& r) {
      return queried_workspace(r, d, policy, limit, op, [&](cudnnConvolutionFwdAlgo_t algo, size_t* bytes) {
        return cudnnGetConvolutionForwardWorkspaceSize(ctx.cudnn, d.x.get(), d.w.get(), d.conv.get(), d.y.get(),
                                                       algo, bytes);
      });
    });
  };
  auto search = [&](void* workspace, size_t bytes) {
    Perf results[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
    int count = 0;
    GAZE_CUDA_CHECK(cudnnFindConvolutionForwardAlgorithmEx(ctx.cudnn, d.x.get(), x, d.w.get(), w, d.conv.get(),
                                                           d.y.get(), y, CUDNN_CONVOLUTION_FWD_ALGO_COUNT,
                                                           &count, results, workspace, bytes),
                    op);
    return pick(results, count, policy, s, op, measured_workspace<Perf>);
  };
  const Choice c = choose(ctx, Pass::forward, s, policy, op, heuristic, search);
  if (tf32) d.conv.set_math(c.math, op);
  DeviceBuffer workspace(c.workspace, ctx.index, op);
  GAZE_CUDA_CHECK(cudnnConvolutionForward(ctx.cudnn, &kOne, d.x.get(), x, d.w.get(), w, d.conv.get(),
                                          static_cast<cudnnConvolutionFwdAlgo_t>(c.algorithm),
                                          workspace.as<void>(), c.workspace, &kZero, d.y.get(), y),
                  op);
}

void conv_backward_data(DeviceContext& ctx, const ConvShape& s, const float* w, const float* grad_y,
                        float* grad_x) {
  const char* op = "conv2d_backward (data)";
  const Policy policy = current_policy();
  const bool tf32 = policy.tf32;
  Descriptors d(s, tf32, op);
  using Perf = cudnnConvolutionBwdDataAlgoPerf_t;
  auto heuristic = [&](size_t limit) {
    Perf results[CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT];
    int count = 0;
    GAZE_CUDA_CHECK(cudnnGetConvolutionBackwardDataAlgorithm_v7(ctx.cudnn, d.w.get(), d.y.get(), d.conv.get(),
                                                                d.x.get(), CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT,
                                                                &count, results),
                    op);
    return pick(results, count, policy, s, op, [&](const Perf& r) {
      return queried_workspace(r, d, policy, limit, op, [&](cudnnConvolutionBwdDataAlgo_t algo, size_t* bytes) {
        return cudnnGetConvolutionBackwardDataWorkspaceSize(ctx.cudnn, d.w.get(), d.y.get(), d.conv.get(),
                                                            d.x.get(), algo, bytes);
      });
    });
  };
  auto search = [&](void* workspace, size_t bytes) {
    Perf results[CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT];
    int count = 0;
    GAZE_CUDA_CHECK(cudnnFindConvolutionBackwardDataAlgorithmEx(
                        ctx.cudnn, d.w.get(), w, d.y.get(), grad_y, d.conv.get(), d.x.get(), grad_x,
                        CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT, &count, results, workspace, bytes),
                    op);
    return pick(results, count, policy, s, op, measured_workspace<Perf>);
  };
  const Choice c = choose(ctx, Pass::backward_data, s, policy, op, heuristic, search);
  if (tf32) d.conv.set_math(c.math, op);
  DeviceBuffer workspace(c.workspace, ctx.index, op);
  GAZE_CUDA_CHECK(cudnnConvolutionBackwardData(ctx.cudnn, &kOne, d.w.get(), w, d.y.get(), grad_y, d.conv.get(),
                                               static_cast<cudnnConvolutionBwdDataAlgo_t>(c.algorithm),
                                               workspace.as<void>(), c.workspace, &kZero, d.x.get(), grad_x),
                  op);
}

void conv_backward_filter(DeviceContext& ctx, const ConvShape& s, const float* x, const float* grad_y,
                          float* grad_w) {
  const char* op = "conv2d_backward (filter)";
  const Policy policy = current_policy();
  const bool tf32 = policy.tf32;
  Descriptors d(s, tf32, op);
  using Perf = cudnnConvolutionBwdFilterAlgoPerf_t;
  auto heuristic = [&](size_t limit) {
    Perf results[CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT];
    int count = 0;
    GAZE_CUDA_CHECK(cudnnGetConvolutionBackwardFilterAlgorithm_v7(ctx.cudnn, d.x.get(), d.y.get(), d.conv.get(),
                                                                  d.w.get(), CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT,
                                                                  &count, results),
                    op);
    return pick(results, count, policy, s, op, [&](const Perf& r) {
      return queried_workspace(r, d, policy, limit, op, [&](cudnnConvolutionBwdFilterAlgo_t algo, size_t* bytes) {
        return cudnnGetConvolutionBackwardFilterWorkspaceSize(ctx.cudnn, d.x.get(), d.y.get(), d.conv.get(),
                                                              d.w.get(), algo, bytes);
      });
    });
  };
  auto search = [&](void* workspace, size_t bytes) {
    Perf results[CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT];
    int count = 0;
    GAZE_CUDA_CHECK(cudnnFindConvolutionBackwardFilterAlgorithmEx(
                        ctx.cudnn, d.x.get(), x, d.y.get(), grad_y, d.conv.get(), d.w.get(), grad_w,
                        CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT, &count, results, workspace, bytes),
                    op);
    return pick(results, count, policy, s, op, measured_workspace<Perf>);
  };
  const Choice c = choose(ctx, Pass::backward_filter, s, policy, op, heuristic, search);
  if (tf32) d.conv.set_math(c.math, op);
  DeviceBuffer workspace(c.workspace, ctx.index, op);
  GAZE_CUDA_CHECK(cudnnConvolutionBackwardFilter(ctx.cudnn, &kOne, d.x.get(), x, d.y.get(), grad_y,
                                                 d.conv.get(),
                                                 static_cast<cudnnConvolutionBwdFilterAlgo_t>(c.algorithm),
                                                 workspace.as<void>(), c.workspace, &kZero, d.w.get(), grad_w),
                  op);
}

// Spatial batch norm: statistics per channel over N, H and W, as the CPU.
// cuDNN's saved inverse variance is 1/sqrt(var + eps) (our saved_inv_std),
// and it updates the running variance with the unbiased batch variance and
// running = (1 - factor) running + factor batch, so factor = momentum.
void batch_norm_train(DeviceContext& ctx, const NormShape& s, const float* x, const float* gamma,
                      const float* beta, float momentum, float eps, float* running_mean, float* running_var,
                      float* y, float* saved_mean, float* saved_inv_std) {
  const char* op = "batch_norm_forward_train";
  // The unbiased variance divides by count - 1; PyTorch refuses this case too.
  GAZE_CHECK(s.n * s.h * s.w > 1, op, ": training batch norm needs more than one value per channel, got x [",
             s.n, ", ", s.c, ", ", s.h, ", ", s.w, "]");
  TensorDescriptor data(s.n, s.c, s.h, s.w, op), channel(1, s.c, 1, 1, op);
  GAZE_CUDA_CHECK(cudnnBatchNormalizationForwardTraining(ctx.cudnn, CUDNN_BATCHNORM_SPATIAL, &kOne, &kZero,
                                                         data.get(), x, data.get(), y, channel.get(), gamma,
                                                         beta, momentum, running_mean, running_var, eps,
                                                         saved_mean, saved_inv_std),
                  op);
}

void batch_norm_eval(DeviceContext& ctx, const NormShape& s, const float* x, const float* gamma,
                     const float* beta, const float* running_mean, const float* running_var, float eps,
                     float* y) {
  const char* op = "batch_norm_forward_eval";
  TensorDescriptor data(s.n, s.c, s.h, s.w, op), channel(1, s.c, 1, 1, op);
  GAZE_CUDA_CHECK(cudnnBatchNormalizationForwardInference(ctx.cudnn, CUDNN_BATCHNORM_SPATIAL, &kOne, &kZero,
                                                          data.get(), x, data.get(), y, channel.get(), gamma,
                                                          beta, running_mean, running_var, eps),
                  op);
}

void batch_norm_backward(DeviceContext& ctx, const NormShape& s, const float* x, const float* gamma,
                         const float* grad_y, const float* saved_mean, const float* saved_inv_std, float eps,
                         float* grad_x, float* grad_gamma, float* grad_beta) {
  const char* op = "batch_norm_backward";
  TensorDescriptor data(s.n, s.c, s.h, s.w, op), channel(1, s.c, 1, 1, op);
  // cuDNN asks for the forward's epsilon in backward too (its documentation:
  // "the same epsilon value should be used in forward and backward").
  GAZE_CUDA_CHECK(cudnnBatchNormalizationBackward(ctx.cudnn, CUDNN_BATCHNORM_SPATIAL, &kOne, &kZero, &kOne,
                                                  &kZero, data.get(), x, data.get(), grad_y, data.get(), grad_x,
                                                  channel.get(), gamma, grad_gamma, grad_beta,
                                                  static_cast<double>(eps), saved_mean, saved_inv_std),
                  op);
}

}  // namespace gaze::cuda::cudnn
