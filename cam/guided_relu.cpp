// Guided backpropagation (Springenberg et al. 2015): the input gradient with
// every ReLU's backward replaced by grad_x = (x > 0) * max(grad_y, 0). The
// model itself is left alone: a copy is built from its description with each
// relu swapped for a guided one (a layer type private to cam/) and its state
// copied in.
#include <mutex>

#include "cam/checkpoint_input.h"
#include "cam/methods.h"
#include "core/autograd.h"
#include "core/backend.h"
#include "core/ops.h"
#include "layers/registry.h"

namespace gaze::cam {

namespace {
const char* kGuidedReluType = "cam_guided_relu";

class GuidedReLU final : public Layer {
 public:
  GuidedReLU(const std::string& name, const LayerParams&) : Layer(name) {}
  std::string type() const override { return kGuidedReluType; }
  Shape build(const std::vector<Shape>& input_shapes, Rng&) override { return input_shapes[0]; }
  nlohmann::json hyperparameters() const override { return nlohmann::json::object(); }

  Tensor forward(const std::vector<Tensor>& inputs, const ForwardContext&) override {
    const Tensor x = inputs[0].contiguous();
    Tensor y;
    {
      NoGradGuard plain;
      y = ops::relu(x);
    }
    return record("guided_relu", y, {inputs[0]}, [x](const Tensor& grad_y) {
      Backend& backend = backend_for(x.device());
      Tensor positive = Tensor::empty(x.shape(), x.device());
      backend.leaky_relu_forward(grad_y.contiguous(), 0.0f, positive);
      Tensor grad_x = Tensor::empty(x.shape(), x.device());
      backend.leaky_relu_backward(x, positive, 0.0f, grad_x);
      return std::vector<Tensor>{grad_x};
    });
  }
};

Model guided_copy(const Model& model) {
  static std::once_flag registered;
  std::call_once(registered, [] { LayerRegistry::instance().add<GuidedReLU>(kGuidedReluType); });
  nlohmann::json description = model.to_json();
  for (size_t i = 0; i < model.size(); ++i)
    if (model.layer(i).traits().relu) description.at("layers").at(i)["type"] = kGuidedReluType;
  return copy_model(model, description);
}
}  // namespace

std::vector<Map> guided_backprop_maps(const Model& model, const Tensor& x, const std::vector<int>& targets) {
  // Guided backprop is the input gradient of the copy whose ReLUs pass only
  // positive gradients: saliency on that copy.
  Model guided = guided_copy(model);
  return saliency_maps(guided, x, targets);
}

}  // namespace gaze::cam
