#pragma once
// CPU-vs-GPU parity checks. The CPU backend is the reference: an op passes
// when, on the same random inputs, its cuda:0 output and the gradients of
// every input agree with the CPU's to a relative error of 1e-4 (TF32 off),
// measured as max |gpu - cpu| / max |cpu| over the whole tensor.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "core/core.h"
#include "cuda/cuda.h"
#include "cuda/runtime.h"

namespace gaze::testing {

inline bool gpu_available() {
  static const bool available = [] {
    init_runtime();
    cuda::set_tf32(false);
    return cuda_device_count() > 0;
  }();
  return available;
}

inline const Device kGpu = Device::cuda(0);

// Set by scripts/gpu-check: a GPU case that finds too few GPUs fails
// instead of skipping, so that a run on a GPU machine cannot pass by skipping.
inline bool gpus_expected() {
  const char* value = std::getenv("GAZE_EXPECT_GPU");
  return value && std::string(value) == "1";
}

}  // namespace gaze::testing

// Catch2 v2 has no SKIP: a GPU case on a machine with fewer than `count`
// GPUs warns "no GPU: skipped" and passes, unless GAZE_EXPECT_GPU=1, where
// it fails. Tags: every case using it is tagged [gpu] ([multi-gpu] when it
// needs two), which is what scripts/gpu-check counts.
#define GAZE_REQUIRE_GPUS(count)                                                                        \
  do {                                                                                                  \
    const bool enough_gpus = ::gaze::testing::gpu_available() && ::gaze::cuda_device_count() >= (count); \
    if (!enough_gpus && ::gaze::testing::gpus_expected())                                               \
      FAIL("GAZE_EXPECT_GPU=1 but " << ::gaze::cuda_device_count() << " GPU(s) visible, " << (count)    \
                                    << " needed");                                                     \
    if (!enough_gpus) {                                                                                 \
      WARN("[skipped] no GPU: skipped");                                                                \
      return;                                                                                           \
    }                                                                                                   \
  } while (0)
#define GAZE_REQUIRE_GPU() GAZE_REQUIRE_GPUS(1)

namespace gaze::testing {

inline double relative_error(const std::vector<float>& reference, const std::vector<float>& value) {
  double scale = 1e-12, worst = 0;
  for (size_t i = 0; i < reference.size(); ++i) {
    scale = std::max(scale, static_cast<double>(std::fabs(reference[i])));
    worst = std::max(worst, static_cast<double>(std::fabs(reference[i] - value[i])));
  }
  return worst / scale;
}

inline void check_parity(const std::string& what, const Tensor& cpu, const Tensor& gpu, double tolerance = 1e-4) {
  INFO(what << ": cpu " << describe(cpu) << ", gpu " << describe(gpu));
  REQUIRE(cpu.defined());
  REQUIRE(gpu.defined());
  REQUIRE(cpu.device().is_cpu());
  REQUIRE(gpu.device() == kGpu);
  REQUIRE(cpu.shape() == gpu.shape());
  const double error = relative_error(cpu.to_vector(), gpu.to_vector());
  INFO("relative error " << error);
  CHECK(error <= tolerance);
}

using TensorFunction = std::function<Tensor(const std::vector<Tensor>&)>;

// Runs f on copies of `inputs` on the CPU and on cuda:0, compares the
// outputs, then back-propagates L = sum(f * r) (r fixed random, so every
// output element matters) and compares the gradients of the inputs marked in
// `wants_grad`.
inline void check_op_parity(const std::string& name, const std::vector<Tensor>& inputs,
                            const std::vector<bool>& wants_grad, const TensorFunction& f,
                            double tolerance = 1e-4) {
  REQUIRE(inputs.size() == wants_grad.size());
  std::vector<Tensor> cpu, gpu;
  for (size_t i = 0; i < inputs.size(); ++i) {
    cpu.push_back(inputs[i].clone());
    gpu.push_back(inputs[i].to(kGpu));
    if (wants_grad[i]) {
      cpu.back().set_requires_grad();
      gpu.back().set_requires_grad();
    }
  }
  const Tensor cpu_out = f(cpu), gpu_out = f(gpu);
  check_parity(name + " output", cpu_out, gpu_out, tolerance);
  if (std::find(wants_grad.begin(), wants_grad.end(), true) == wants_grad.end()) return;
  Rng rng(99);
  const Tensor weights = Tensor::randn(cpu_out.shape(), rng);
  ops::sum(ops::mul(cpu_out, weights)).backward();
  ops::sum(ops::mul(gpu_out, weights.to(kGpu))).backward();
  for (size_t i = 0; i < inputs.size(); ++i)
    if (wants_grad[i])
      check_parity(name + " gradient of input " + std::to_string(i), cpu[i].grad(), gpu[i].grad(), tolerance);
}

inline Tensor random(const Shape& shape, uint64_t seed, float stddev = 1.0f) {
  Rng rng(seed);
  return Tensor::randn(shape, rng, stddev);
}

}  // namespace gaze::testing
