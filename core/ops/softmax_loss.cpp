// Softmax, log-softmax and the classification losses.
#include <cmath>

#include "core/ops.h"
#include "core/ops/op_helpers.h"

namespace gaze::ops {

using namespace detail;

Tensor softmax(const Tensor& x_in) {
  check_defined(x_in, "softmax", "input");
  check_rank(x_in, 2, "softmax", "input");
  const Tensor x = x_in.contiguous();
  Tensor y = Tensor::empty(x.shape(), x.device());
  backend(x).softmax_forward(x, y);
  const Tensor y_saved = y.detach();
  return record("softmax", y, {x_in}, [y_saved](const Tensor& grad_y) {
    Tensor grad_x = Tensor::empty(y_saved.shape(), y_saved.device());
    backend(y_saved).softmax_backward(y_saved, grad_y.contiguous(), grad_x);
    return std::vector<Tensor>{grad_x};
  });
}

Tensor log_softmax(const Tensor& x_in) {
  check_defined(x_in, "log_softmax", "input");
  check_rank(x_in, 2, "log_softmax", "input");
  const Tensor x = x_in.contiguous();
  Tensor y = Tensor::empty(x.shape(), x.device());
  backend(x).log_softmax_forward(x, y);
  const Tensor y_saved = y.detach();
  return record("log_softmax", y, {x_in}, [y_saved](const Tensor& grad_y) {
    Tensor grad_x = Tensor::empty(y_saved.shape(), y_saved.device());
    backend(y_saved).log_softmax_backward(y_saved, grad_y.contiguous(), grad_x);
    return std::vector<Tensor>{grad_x};
  });
}

Tensor nll_loss(const Tensor& log_probs_in, const Tensor& labels_in, float label_smoothing) {
  const std::string op = "nll_loss";
  check_defined(log_probs_in, op, "log-probabilities");
  check_defined(labels_in, op, "labels");
  check_rank(log_probs_in, 2, op, "log-probabilities");
  GAZE_CHECK(labels_in.ndim() == 1 && labels_in.dim(0) == log_probs_in.dim(0), op, ": labels ",
             to_string(labels_in.shape()), " do not match a batch of ", log_probs_in.dim(0));
  GAZE_CHECK(log_probs_in.dim(0) > 0, op, ": empty batch");
  GAZE_CHECK(label_smoothing >= 0 && label_smoothing < 1, op,
             ": label smoothing must be in [0, 1), got ", label_smoothing);
  const int64_t classes = log_probs_in.dim(1);
  for (float label : labels_in.to_vector())
    GAZE_CHECK(label >= 0 && label < static_cast<float>(classes) && label == std::floor(label), op,
               ": label ", label, " is not a class index in [0, ", classes, ")");
  const Tensor log_probs = log_probs_in.contiguous();
  const Tensor labels = labels_in.contiguous().to(log_probs.device());
  const float loss = backend(log_probs).nll_loss_forward(log_probs, labels, label_smoothing);
  const Shape shape = log_probs.shape();
  return record(op, Tensor::scalar(loss, log_probs.device()), {log_probs_in},
                [labels, label_smoothing, shape](const Tensor& g) {
                  Tensor grad = Tensor::empty(shape, labels.device());
                  backend(labels).nll_loss_backward(labels, label_smoothing, g.item(), grad);
                  return std::vector<Tensor>{grad};
                });
}

Tensor cross_entropy(const Tensor& logits, const Tensor& labels, float label_smoothing) {
  return nll_loss(log_softmax(logits), labels, label_smoothing);
}

}  // namespace gaze::ops
