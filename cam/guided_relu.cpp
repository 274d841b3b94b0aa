// Guided backpropagation (Springenberg et al. 2015, "Striving for
// simplicity: the all convolutional net", ICLR workshop): the input gradient
// with every ReLU's backward replaced by grad_x = (x > 0) * max(grad_y, 0).
// DeConvNet (Zeiler & Fergus 2014, "Visualizing and understanding
// convolutional networks", ECCV): the ReLU's backward is the ReLU of the
// signal itself, grad_x = max(grad_y, 0), whatever the sign of the forward
// input; max pooling uses the forward pass's switches (its gradient). The
// model itself is left alone: a copy is built from its description with each
// relu swapped for a guided or deconvnet one (layer types private to cam/)
// and its state copied in.
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
const char* kDeconvReluType = "cam_deconvnet_relu";

template <bool kDeconvnet>
class ModifiedReLU final : public Layer {
 public:
  ModifiedReLU(const std::string& name, const LayerParams&) : Layer(name) {}
  std::string type() const override { return kDeconvnet ? kDeconvReluType : kGuidedReluType; }
  Shape build(const std::vector<Shape>& input_shapes, Rng&) override { return input_shapes[0]; }
  nlohmann::json hyperparameters() const override { return nlohmann::json::object(); }

  Tensor forward(const std::vector<Tensor>& inputs, const ForwardContext&) override {
    const Tensor x = inputs[0].contiguous();
    Tensor y;
    {
      NoGradGuard plain;
      y = ops::relu(x);
    }
    return record(type(), y, {inputs[0]}, [x](const Tensor& grad_y) {
      Backend& backend = backend_for(x.device());
      Tensor positive = Tensor::empty(x.shape(), x.device());
      backend.leaky_relu_forward(grad_y.contiguous(), 0.0f, positive);
      if constexpr (kDeconvnet) return std::vector<Tensor>{positive};
      Tensor grad_x = Tensor::empty(x.shape(), x.device());
      backend.leaky_relu_backward(x, positive, 0.0f, grad_x);
      return std::vector<Tensor>{grad_x};
    });
  }
};

Model modified_copy(const Model& model, bool deconvnet) {
  static std::once_flag registered;
  std::call_once(registered, [] {
    LayerRegistry::instance().add<ModifiedReLU<false>>(kGuidedReluType);
    LayerRegistry::instance().add<ModifiedReLU<true>>(kDeconvReluType);
  });
  nlohmann::json description = model.to_json();
  for (size_t i = 0; i < model.size(); ++i)
    if (model.layer(i).traits().relu)
      description.at("layers").at(i)["type"] = deconvnet ? kDeconvReluType : kGuidedReluType;
  return copy_model(model, description);
}
}  // namespace

std::vector<Map> guided_backprop_maps(const Model& model, const Tensor& x, const std::vector<int>& targets) {
  // Guided backprop is the input gradient of the copy whose ReLUs pass only
  // positive gradients: saliency on that copy.
  Model guided = modified_copy(model, false);
  return saliency_maps(guided, x, targets);
}

std::vector<Map> deconvnet_maps(const Model& model, const Tensor& x, const std::vector<int>& targets) {
  Model deconvnet = modified_copy(model, true);
  return saliency_maps(deconvnet, x, targets);
}

}  // namespace gaze::cam
