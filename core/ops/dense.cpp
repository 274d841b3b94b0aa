// Dense (fully connected) op: y = x w^T + b.
#include "core/ops.h"
#include "core/ops/op_helpers.h"

namespace gaze::ops {

using namespace detail;

Tensor dense(const Tensor& x_in, const Tensor& w_in, const Tensor& b_in) {
  const std::string op = "dense";
  check_defined(x_in, op, "input");
  check_defined(w_in, op, "weight");
  check_rank(x_in, 2, op, "input");
  check_rank(w_in, 2, op, "weight");
  check_same_device(x_in, w_in, op);
  GAZE_CHECK(x_in.dim(1) == w_in.dim(1), op, ": input ", to_string(x_in.shape()), " has ",
             x_in.dim(1), " features but weight ", to_string(w_in.shape()), " expects ", w_in.dim(1));
  if (b_in.defined())
    GAZE_CHECK(b_in.ndim() == 1 && b_in.dim(0) == w_in.dim(0), op, ": bias ", to_string(b_in.shape()),
               " does not match ", w_in.dim(0), " outputs");
  const Tensor x = x_in.contiguous(), w = w_in.contiguous();
  const Tensor b = b_in.defined() ? b_in.contiguous() : Tensor();
  Tensor y = Tensor::empty({x.dim(0), w.dim(0)}, x.device());
  backend(x).dense_forward(x, w, b, y);
  const bool gx = wants_grad(x_in), gw = wants_grad(w_in), gb = wants_grad(b_in);
  return record(op, y, {x_in, w_in, b_in}, [x, w, b, gx, gw, gb](const Tensor& grad_y) {
    Tensor grad_x = grad_buffer(x, gx), grad_w = grad_buffer(w, gw), grad_b = grad_buffer(b, gb);
    backend(x).dense_backward(x, w, grad_y.contiguous(), grad_x, grad_w, grad_b);
    return std::vector<Tensor>{grad_x, grad_w, grad_b};
  });
}

}  // namespace gaze::ops
