// Element-wise ops and reductions.
#include "core/ops.h"
#include "core/ops/op_helpers.h"

namespace gaze::ops {

using namespace detail;

namespace {
void check_same_shape(const Tensor& a, const Tensor& b, const std::string& op) {
  check_defined(a, op, "first input");
  check_defined(b, op, "second input");
  check_same_device(a, b, op);
  GAZE_CHECK(a.shape() == b.shape(), op, ": shapes ", to_string(a.shape()), " and ",
             to_string(b.shape()), " differ (no broadcasting)");
}
}  // namespace

Tensor add(const Tensor& a_in, const Tensor& b_in) {
  check_same_shape(a_in, b_in, "add");
  const Tensor a = a_in.contiguous(), b = b_in.contiguous();
  Tensor out = Tensor::empty(a.shape(), a.device());
  backend(a).add(a, b, out);
  return record("add", out, {a_in, b_in}, [](const Tensor& g) { return std::vector<Tensor>{g, g}; });
}

Tensor mul(const Tensor& a_in, const Tensor& b_in) {
  check_same_shape(a_in, b_in, "mul");
  const Tensor a = a_in.contiguous(), b = b_in.contiguous();
  Tensor out = Tensor::empty(a.shape(), a.device());
  backend(a).mul(a, b, out);
  const bool ga = wants_grad(a_in), gb = wants_grad(b_in);
  return record("mul", out, {a_in, b_in}, [a, b, ga, gb](const Tensor& g_in) {
    const Tensor g = g_in.contiguous();
    Tensor grad_a = grad_buffer(a, ga), grad_b = grad_buffer(b, gb);
    if (ga) backend(g).mul(g, b, grad_a);
    if (gb) backend(g).mul(g, a, grad_b);
    return std::vector<Tensor>{grad_a, grad_b};
  });
}

Tensor scale(const Tensor& x, float alpha) {
  check_defined(x, "scale", "input");
  Tensor out = x.clone();
  backend(out).scale(out, alpha);
  return record("scale", out, {x}, [alpha](const Tensor& g) {
    Tensor grad = g.clone();
    backend(grad).scale(grad, alpha);
    return std::vector<Tensor>{grad};
  });
}

Tensor leaky_relu(const Tensor& x_in, float negative_slope) {
  check_defined(x_in, "leaky_relu", "input");
  const Tensor x = x_in.contiguous();
  Tensor y = Tensor::empty(x.shape(), x.device());
  backend(x).leaky_relu_forward(x, negative_slope, y);
  // For slope >= 0, y > 0 exactly where x > 0, so backward can read the
  // output instead of the input: the input (often a BatchNorm output) is then
  // freed after forward, as with PyTorch's in-place ReLU.
  const Tensor saved = negative_slope >= 0 ? y.detach() : x;
  return record(negative_slope == 0 ? "relu" : "leaky_relu", y, {x_in},
                [saved, negative_slope](const Tensor& g) {
                  Tensor grad = Tensor::empty(saved.shape(), saved.device());
                  backend(saved).leaky_relu_backward(saved, g.contiguous(), negative_slope, grad);
                  return std::vector<Tensor>{grad};
                });
}

Tensor relu(const Tensor& x) { return leaky_relu(x, 0.0f); }

Tensor clamp(const Tensor& x_in, float low, float high) {
  check_defined(x_in, "clamp", "input");
  GAZE_CHECK(low < high, "clamp: the lower bound ", low, " must be below the upper bound ", high);
  const Tensor x = x_in.contiguous();
  Tensor y = Tensor::empty(x.shape(), x.device());
  backend(x).clamp_forward(x, low, high, y);
  // Backward reads the output (see Backend::clamp_backward), so the input
  // can be freed after forward.
  const Tensor saved = y.detach();
  return record("clamp", y, {x_in}, [saved, low, high](const Tensor& g) {
    Tensor grad = Tensor::empty(saved.shape(), saved.device());
    backend(saved).clamp_backward(saved, g.contiguous(), low, high, grad);
    return std::vector<Tensor>{grad};
  });
}

Tensor dropout(const Tensor& x_in, float drop, uint64_t seed) {
  check_defined(x_in, "dropout", "input");
  GAZE_CHECK(drop >= 0 && drop < 1, "dropout: rate must be in [0, 1), got ", drop);
  const Tensor x = x_in.contiguous();
  Tensor mask = Tensor::empty(x.shape(), x.device());
  backend(x).dropout_mask(mask, drop, seed);
  Tensor y = Tensor::empty(x.shape(), x.device());
  backend(x).mul(x, mask, y);
  return record("dropout", y, {x_in}, [mask](const Tensor& g) {
    Tensor grad = Tensor::empty(mask.shape(), mask.device());
    backend(mask).mul(g.contiguous(), mask, grad);
    return std::vector<Tensor>{grad};
  });
}

Tensor sum(const Tensor& x_in) {
  check_defined(x_in, "sum", "input");
  const Tensor x = x_in.contiguous();
  Tensor out = Tensor::scalar(backend(x).sum(x), x.device());
  const Shape shape = x.shape();
  const Device device = x.device();
  return record("sum", out, {x_in}, [shape, device](const Tensor& g) {
    return std::vector<Tensor>{Tensor::full(shape, g.item(), device)};
  });
}

Tensor mean(const Tensor& x) {
  GAZE_CHECK(x.defined() && x.numel() > 0, "mean of an empty tensor");
  return scale(sum(x), 1.0f / static_cast<float>(x.numel()));
}

}  // namespace gaze::ops
