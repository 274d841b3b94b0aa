#pragma once
// A finite-difference gradient checker in the spirit of Caffe's
// GradientChecker, for anyone adding an op or a layer (gaze's own tests and
// user code alike; installed as "core/gradcheck.h"). For f(inputs) -> out it
// forms the scalar
//   L = sum_i out_i * r_i
// with fixed random weights r (so every output element and every path
// matters, and a gradient that is right only "on average" still fails),
// back-propagates L through the tape for the analytic gradients, and compares
// them with central differences of L (evaluated in double on the host) for
// every element of every input that requires a gradient.
//
// An element passes when |analytic - numeric| <= atol + rtol * max(|a|, |n|).
// With the defaults (step 1e-2, atol 2e-3, rtol 2e-2) a wrong sign, a missing
// term of the chain rule or a wrong scale factor (x2, 1/N) fails; the
// self-test in tests/core/test_gradcheck_ops.cpp checks exactly that.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "core/autograd.h"
#include "core/error.h"
#include "core/ops.h"
#include "core/random.h"
#include "core/tensor.h"

namespace gaze::testing {

using TensorFunction = std::function<Tensor(const std::vector<Tensor>&)>;

struct GradCheckOptions {
  float step = 1e-2f;
  double atol = 2e-3;
  double rtol = 2e-2;
  uint64_t seed = 1234;  // of the output weights r
};

struct GradCheckReport {
  bool passed = true;
  int64_t checked = 0;   // elements compared
  int64_t failures = 0;  // elements over tolerance
  // The worst element: the largest |a - n| / (atol + rtol max(|a|, |n|)).
  double worst_ratio = 0;
  size_t worst_input = 0;
  int64_t worst_element = -1;
  double worst_analytic = 0, worst_numeric = 0;
  std::string summary() const {
    std::ostringstream out;
    out << (passed ? "passed" : "FAILED") << ": " << failures << " of " << checked
        << " elements over tolerance; worst is input " << worst_input << " element "
        << worst_element << ": analytic " << worst_analytic << " vs numeric " << worst_numeric
        << " (error / tolerance = " << worst_ratio << ")";
    return out.str();
  }
};

namespace detail {

inline double weighted_sum(const Tensor& out, const std::vector<double>& weights) {
  const std::vector<float> values = out.to_vector();
  double total = 0;
  for (size_t i = 0; i < values.size(); ++i) total += static_cast<double>(values[i]) * weights[i];
  return total;
}

}  // namespace detail

// Compares analytic and numerical gradients; report.passed says whether every
// element is within tolerance (tests assert on it, e.g. tests/core/gradcheck.h). `inputs` are CPU float tensors; those with
// requires_grad set are checked, and their data is perturbed in place (and
// restored), so the function must read them through the tensors it is given
// or through tensors sharing their storage (a layer's own parameters).
inline GradCheckReport compute_gradient_check(const TensorFunction& f,
                                              const std::vector<Tensor>& inputs,
                                              const GradCheckOptions& options = {}) {
  GradCheckReport report;
  for (const Tensor& t : inputs) {
    GAZE_CHECK(t.defined() && t.is_contiguous(), "gradient check: every input must be a defined, contiguous tensor");
    if (t.requires_grad()) Tensor(t).zero_grad();
  }

  // Analytic: backward of sum(out * r).
  const Tensor out = f(inputs);
  GAZE_CHECK(out.defined() && out.requires_grad(),
             "gradient check: the function's output must depend on an input that requires a gradient");
  Rng rng(options.seed);
  std::vector<double> weights(static_cast<size_t>(out.numel()));
  std::vector<float> weights_f(weights.size());
  for (size_t i = 0; i < weights.size(); ++i) {
    weights_f[i] = rng.uniform(-1.0f, 1.0f);
    weights[i] = weights_f[i];
  }
  const Tensor r = Tensor::from_vector(out.shape(), weights_f);
  ops::sum(ops::mul(out, r)).backward();

  // Numerical: central differences of the same L, in double.
  NoGradGuard no_grad;
  for (size_t k = 0; k < inputs.size(); ++k) {
    Tensor input = inputs[k];
    if (!input.requires_grad()) continue;
    const Tensor grad = input.grad();
    const std::vector<float> analytic =
        grad.defined() ? grad.to_vector() : std::vector<float>(static_cast<size_t>(input.numel()), 0.0f);
    float* data = input.data();
    for (int64_t i = 0; i < input.numel(); ++i) {
      const float original = data[i];
      const float plus = original + options.step, minus = original - options.step;
      data[i] = plus;
      const double loss_plus = detail::weighted_sum(f(inputs), weights);
      data[i] = minus;
      const double loss_minus = detail::weighted_sum(f(inputs), weights);
      data[i] = original;
      // The actual float step, not the nominal one.
      const double numeric = (loss_plus - loss_minus) / (static_cast<double>(plus) - minus);
      const double a = analytic[static_cast<size_t>(i)];
      const double tolerance = options.atol + options.rtol * std::max(std::abs(a), std::abs(numeric));
      const double ratio = std::abs(a - numeric) / tolerance;
      ++report.checked;
      if (!(ratio <= 1.0)) ++report.failures;  // NaN fails too
      if (!(ratio <= report.worst_ratio)) {
        report.worst_ratio = std::isnan(ratio) ? std::numeric_limits<double>::infinity() : ratio;
        report.worst_input = k;
        report.worst_element = i;
        report.worst_analytic = a;
        report.worst_numeric = numeric;
      }
    }
  }
  report.passed = report.failures == 0;
  return report;
}

// Values in [low, high) whose magnitude stays >= `gap`: inputs for ReLU-family
// ops that keep every element away from the kink at 0 by more than the step.
inline Tensor away_from_zero(const Shape& shape, Rng& rng, float gap = 0.1f, float high = 1.0f) {
  std::vector<float> values(static_cast<size_t>(gaze::numel(shape)));
  for (float& v : values) {
    const float magnitude = rng.uniform(gap, high);
    v = rng.uniform() < 0.5f ? -magnitude : magnitude;
  }
  return Tensor::from_vector(shape, values);
}

// A random permutation of 0..n-1 scaled by `spacing`: distinct values with
// gaps larger than the finite-difference step, so max-pool windows have no ties.
inline Tensor distinct_values(const Shape& shape, Rng& rng, float spacing = 0.1f) {
  const auto n = static_cast<size_t>(gaze::numel(shape));
  std::vector<float> values(n);
  for (size_t i = 0; i < n; ++i) values[i] = static_cast<float>(i) * spacing;
  for (size_t i = n; i > 1; --i) std::swap(values[i - 1], values[static_cast<size_t>(rng.below(static_cast<int64_t>(i)))]);
  return Tensor::from_vector(shape, values);
}

inline Tensor random_input(const Shape& shape, Rng& rng, float stddev = 1.0f) {
  return Tensor::randn(shape, rng, stddev);
}

}  // namespace gaze::testing
