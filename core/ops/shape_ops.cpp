// Reshaping and concatenation.
#include "core/ops.h"
#include "core/ops/op_helpers.h"

namespace gaze::ops {

using namespace detail;

Tensor reshape(const Tensor& x, const Shape& shape) {
  check_defined(x, "reshape", "input");
  Tensor y = x.contiguous().view(shape);
  const Shape original = x.shape();
  // A view shares storage: give the output its own impl so it can carry a node.
  return record("reshape", y.detach(), {x}, [original](const Tensor& g) {
    return std::vector<Tensor>{g.contiguous().view(original)};
  });
}

Tensor flatten(const Tensor& x) {
  check_defined(x, "flatten", "input");
  GAZE_CHECK(x.ndim() >= 1, "flatten: input must have a batch dimension, got a scalar");
  return reshape(x, {x.dim(0), -1});
}

Tensor concat(const std::vector<Tensor>& xs, int axis) {
  GAZE_CHECK(!xs.empty(), "concat: no inputs");
  GAZE_CHECK(axis == 1, "concat: only axis 1 (channels) is supported, got ", axis);
  int64_t channels = 0;
  for (const Tensor& x : xs) {
    check_defined(x, "concat", "input");
    check_same_device(x, xs[0], "concat");
    GAZE_CHECK(x.ndim() >= 2 && x.ndim() == xs[0].ndim(), "concat: inputs ", to_string(xs[0].shape()),
               " and ", to_string(x.shape()), " differ in rank or have no channel axis");
    for (int d = 0; d < x.ndim(); ++d)
      GAZE_CHECK(d == 1 || x.dim(d) == xs[0].dim(d), "concat: inputs ", to_string(xs[0].shape()),
                 " and ", to_string(x.shape()), " differ outside the channel axis");
    channels += x.dim(1);
  }
  Shape out_shape = xs[0].shape();
  out_shape[1] = channels;
  Tensor y = Tensor::empty(out_shape, xs[0].device());
  std::vector<Shape> shapes;
  int64_t offset = 0;
  for (const Tensor& x : xs) {
    backend(y).copy_channels(x.contiguous(), y, offset);
    offset += x.dim(1);
    shapes.push_back(x.shape());
  }
  return record("concat", y, xs, [shapes](const Tensor& g_in) {
    const Tensor g = g_in.contiguous();
    std::vector<Tensor> grads;
    int64_t at = 0;
    for (const Shape& s : shapes) {
      Tensor part = Tensor::empty(s, g.device());
      backend(g).extract_channels(g, at, part);
      at += s[1];
      grads.push_back(part);
    }
    return grads;
  });
}

}  // namespace gaze::ops
