#pragma once
// The gradient checker of core/gradcheck.h with Catch2 assertions, for the
// tests: check_gradients fails the test case and reports the worst element.
// The layer tests include it as "tests/core/gradcheck.h".
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "core/gradcheck.h"

namespace gaze::testing {

// Asserts that every checked element matches; on failure reports the worst.
inline void check_gradients(const TensorFunction& f, const std::vector<Tensor>& inputs,
                            const GradCheckOptions& options = {}) {
  const GradCheckReport report = compute_gradient_check(f, inputs, options);
  INFO("gradient check " << report.summary());
  CHECK(report.checked > 0);
  CHECK(report.passed);
}

// Element-wise comparison with an absolute tolerance, reporting the first mismatch.
inline void check_close(const std::vector<float>& actual, const std::vector<float>& expected,
                        double tolerance = 1e-5) {
  REQUIRE(actual.size() == expected.size());
  for (size_t i = 0; i < actual.size(); ++i) {
    INFO("element " << i << ": got " << actual[i] << ", expected " << expected[i]);
    REQUIRE(std::abs(static_cast<double>(actual[i]) - expected[i]) <= tolerance);
  }
}

}  // namespace gaze::testing
