// Convolution and pooling ops (NCHW).
#include "core/ops.h"
#include "core/ops/op_helpers.h"

namespace gaze::ops {

using namespace detail;

int64_t conv_output_size(int64_t input, int kernel, int stride, int pad) {
  // A window larger than the padded input fits nowhere: 0, not the 1 that
  // C++'s truncating division of a negative span would give.
  const int64_t span = input + 2 * pad - kernel;
  return span < 0 ? 0 : span / stride + 1;
}

Tensor conv2d(const Tensor& x_in, const Tensor& w_in, const Tensor& b_in, const Conv2dGeometry& g) {
  const std::string op = "conv2d";
  check_defined(x_in, op, "input");
  check_defined(w_in, op, "weight");
  check_rank(x_in, 4, op, "input");
  check_rank(w_in, 4, op, "weight");
  check_same_device(x_in, w_in, op);
  GAZE_CHECK(g.groups > 0 && x_in.dim(1) % g.groups == 0 && w_in.dim(0) % g.groups == 0, op, ": groups ",
             g.groups, " must be positive and divide both the input channels of ", to_string(x_in.shape()),
             " and the output channels of weight ", to_string(w_in.shape()));
  GAZE_CHECK(x_in.dim(1) == w_in.dim(1) * g.groups, op, ": input ", to_string(x_in.shape()), " has ",
             x_in.dim(1), " channels but weight ", to_string(w_in.shape()), " with groups ", g.groups,
             " expects ", w_in.dim(1) * g.groups);
  GAZE_CHECK(g.stride_h > 0 && g.stride_w > 0 && g.pad_h >= 0 && g.pad_w >= 0, op,
             ": stride must be positive and padding non-negative");
  if (b_in.defined())
    GAZE_CHECK(b_in.ndim() == 1 && b_in.dim(0) == w_in.dim(0), op, ": bias ", to_string(b_in.shape()),
               " does not match ", w_in.dim(0), " output channels");
  const int kh = static_cast<int>(w_in.dim(2)), kw = static_cast<int>(w_in.dim(3));
  const int64_t out_h = conv_output_size(x_in.dim(2), kh, g.stride_h, g.pad_h);
  const int64_t out_w = conv_output_size(x_in.dim(3), kw, g.stride_w, g.pad_w);
  GAZE_CHECK(out_h > 0 && out_w > 0, op, ": input ", to_string(x_in.shape()), " is smaller than the ",
             kh, "x", kw, " kernel with padding ", g.pad_h, "x", g.pad_w);
  const Tensor x = x_in.contiguous(), w = w_in.contiguous();
  const Tensor b = b_in.defined() ? b_in.contiguous() : Tensor();
  Tensor y = Tensor::empty({x.dim(0), w.dim(0), out_h, out_w}, x.device());
  backend(x).conv2d_forward(x, w, b, g, y);
  const bool gx = wants_grad(x_in), gw = wants_grad(w_in), gb = wants_grad(b_in);
  return record(op, y, {x_in, w_in, b_in}, [x, w, b, g, gx, gw, gb](const Tensor& grad_y) {
    Tensor grad_x = grad_buffer(x, gx), grad_w = grad_buffer(w, gw), grad_b = grad_buffer(b, gb);
    backend(x).conv2d_backward(x, w, grad_y.contiguous(), g, grad_x, grad_w, grad_b);
    return std::vector<Tensor>{grad_x, grad_w, grad_b};
  });
}

namespace {
Shape pool_output_shape(const Tensor& x, const Pool2dGeometry& g, const std::string& op) {
  check_defined(x, op, "input");
  check_rank(x, 4, op, "input");
  GAZE_CHECK(g.kernel_h > 0 && g.kernel_w > 0 && g.stride_h > 0 && g.stride_w > 0, op,
             ": kernel and stride must be positive");
  GAZE_CHECK(g.pad_h >= 0 && 2 * g.pad_h <= g.kernel_h && g.pad_w >= 0 && 2 * g.pad_w <= g.kernel_w,
             op, ": padding must be at most half the kernel, got padding ", g.pad_h, "x", g.pad_w,
             " for kernel ", g.kernel_h, "x", g.kernel_w);
  const int64_t out_h = conv_output_size(x.dim(2), g.kernel_h, g.stride_h, g.pad_h);
  const int64_t out_w = conv_output_size(x.dim(3), g.kernel_w, g.stride_w, g.pad_w);
  GAZE_CHECK(out_h > 0 && out_w > 0, op, ": input ", to_string(x.shape()), " is smaller than the ",
             g.kernel_h, "x", g.kernel_w, " window");
  return {x.dim(0), x.dim(1), out_h, out_w};
}
}  // namespace

Tensor max_pool2d(const Tensor& x_in, const Pool2dGeometry& g) {
  const Shape shape = pool_output_shape(x_in, g, "max_pool2d");
  const Tensor x = x_in.contiguous();
  Tensor y = Tensor::empty(shape, x.device());
  backend(x).max_pool2d_forward(x, g, y);
  const Tensor y_saved = y.detach();
  return record("max_pool2d", y, {x_in}, [x, y_saved, g](const Tensor& grad_y) {
    Tensor grad_x = Tensor::empty(x.shape(), x.device());
    backend(x).max_pool2d_backward(x, y_saved, grad_y.contiguous(), g, grad_x);
    return std::vector<Tensor>{grad_x};
  });
}

Tensor avg_pool2d(const Tensor& x_in, const Pool2dGeometry& g) {
  const Shape shape = pool_output_shape(x_in, g, "avg_pool2d");
  const Tensor x = x_in.contiguous();
  Tensor y = Tensor::empty(shape, x.device());
  backend(x).avg_pool2d_forward(x, g, y);
  const Shape in_shape = x.shape();
  const Device device = x.device();
  return record("avg_pool2d", y, {x_in}, [in_shape, device, g](const Tensor& grad_y) {
    Tensor grad_x = Tensor::empty(in_shape, device);
    backend_for(device).avg_pool2d_backward(grad_y.contiguous(), g, grad_x);
    return std::vector<Tensor>{grad_x};
  });
}

Tensor global_avg_pool(const Tensor& x_in) {
  check_defined(x_in, "global_avg_pool", "input");
  check_rank(x_in, 4, "global_avg_pool", "input");
  const Tensor x = x_in.contiguous();
  Tensor y = Tensor::empty({x.dim(0), x.dim(1)}, x.device());
  backend(x).global_avg_pool_forward(x, y);
  const Shape in_shape = x.shape();
  const Device device = x.device();
  return record("global_avg_pool", y, {x_in}, [in_shape, device](const Tensor& grad_y) {
    Tensor grad_x = Tensor::empty(in_shape, device);
    backend_for(device).global_avg_pool_backward(grad_y.contiguous(), grad_x);
    return std::vector<Tensor>{grad_x};
  });
}

}  // namespace gaze::ops
