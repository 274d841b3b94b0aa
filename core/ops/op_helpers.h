#pragma once
// Small helpers shared by the op implementations in core/ops/.
#include <string>

#include "core/autograd.h"
#include "core/backend.h"
#include "core/error.h"
#include "core/tensor.h"

namespace gaze::ops::detail {

inline void check_defined(const Tensor& t, const std::string& op, const std::string& what) {
  GAZE_CHECK(t.defined(), op, ": ", what, " is an undefined tensor");
}

inline void check_same_device(const Tensor& a, const Tensor& b, const std::string& op) {
  GAZE_CHECK(a.device() == b.device(), op, ": tensors on different devices (", a.device().str(),
             " and ", b.device().str(), ")");
}

inline void check_rank(const Tensor& t, int rank, const std::string& op, const std::string& what) {
  GAZE_CHECK(t.ndim() == rank, op, ": ", what, " must have ", rank, " dimensions, got shape ",
             to_string(t.shape()));
}

inline Backend& backend(const Tensor& t) { return backend_for(t.device()); }

inline bool wants_grad(const Tensor& t) { return t.defined() && t.requires_grad() && grad_enabled(); }

// An empty tensor like `t` when `wanted`, else undefined (the kernel skips it).
inline Tensor grad_buffer(const Tensor& t, bool wanted) {
  return wanted ? Tensor::empty(t.shape(), t.device()) : Tensor();
}

}  // namespace gaze::ops::detail
