#pragma once
// Internal to cam/: one backward pass from the target logits through a
// model, shared by the gradient methods (gradients.cpp, guided_relu.cpp,
// layer_cams.cpp).
#include <string>
#include <vector>

#include "core/tensor.h"
#include "layers/model.h"

namespace gaze::cam::detail {

// Turns parameter gradients off for its lifetime: attribution needs only
// activation gradients, and skipping dW halves the backward work.
class FrozenParameters {
 public:
  explicit FrozenParameters(const Model& model);
  ~FrozenParameters();
  FrozenParameters(const FrozenParameters&) = delete;
  FrozenParameters& operator=(const FrozenParameters&) = delete;

 private:
  NamedTensors parameters_;
  std::vector<bool> was_trainable_;
};

struct GradientPass {
  std::vector<float> input_gradient;       // d z / d x, [N, C, H, W]
  std::vector<float> activation;           // A at `layer`, [N, K, h, w] (empty without a layer)
  std::vector<float> activation_gradient;  // d z / d A
  Shape input_shape, activation_shape;
};

// Forward x with gradients on, then backward from sum_n logit[n, targets[n]]
// (images do not interact in eval mode, so each image gets its own
// gradient). Parameters are frozen for the pass: only activation and input
// gradients are computed, and the model's .grad() stay untouched.
GradientPass backprop_targets(Model& model, const Tensor& x, const std::vector<int>& targets,
                              const std::string& layer);

// max over channels of |g| per pixel, for image n of an [N, C, H, W] buffer.
std::vector<float> max_abs_over_channels(const std::vector<float>& values, const Shape& shape, int64_t n);

// Image n of x replicated `copies` times, as host floats [copies, C, H, W].
std::vector<float> replicate_image(const std::vector<float>& x, const Shape& shape, int64_t n, int64_t copies);

}  // namespace gaze::cam::detail
