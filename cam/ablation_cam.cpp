// Ablation-CAM (Desai & Ramaswamy 2020, "Ablation-CAM: visual explanations
// for deep convolutional network via gradient-free localization", WACV):
// the weight of channel k of the target layer is how much the target logit
// y falls when that channel is set to zero, y - y_k, and M = sum_k w_k A_k.
// The paper (and pytorch-grad-cam) divide the drop by y; for y > 0 that is a
// per-image scale the display removes, but for y < 0 it flips the map, so
// gaze keeps the plain drop and --compat pytorch-grad-cam divides. Where the
// layer feeds gap -> dense the drop has a closed form, w_ck mean(A_k).
// pytorch-grad-cam zeroes a channel only when the layer's smallest
// activation is 0 (behind a ReLU) and otherwise writes a very negative value
// (min - 1e7); gaze always zeroes, the paper's ablation, in both modes.
//
// The ablation runs on a copy of the model with one extra layer after the
// target layer (a type private to cam/) that multiplies by a channel mask;
// copies of the image, one per channel, are stacked into batches of `batch`.
#include <algorithm>
#include <mutex>

#include "cam/checkpoint_input.h"
#include "cam/graph.h"
#include "cam/methods.h"
#include "core/autograd.h"
#include "core/error.h"
#include "core/ops.h"
#include "layers/registry.h"

namespace gaze::cam {

namespace {
const char* kAblationType = "cam_channel_ablation";

class ChannelAblation final : public Layer {
 public:
  ChannelAblation(const std::string& name, const LayerParams&) : Layer(name) {}
  std::string type() const override { return kAblationType; }
  Shape build(const std::vector<Shape>& input_shapes, Rng&) override { return input_shapes[0]; }
  nlohmann::json hyperparameters() const override { return nlohmann::json::object(); }
  Tensor forward(const std::vector<Tensor>& inputs, const ForwardContext&) override {
    return mask.defined() ? ops::mul(inputs[0], mask) : inputs[0];
  }
  Tensor mask;  // [N, K, h, w] of 0 and 1, or undefined: pass through
};

// The model with a ChannelAblation layer reading `layer` and every reader of
// `layer` reading it instead.
Model ablation_copy(const Model& model, const std::string& layer, std::string& ablation) {
  static std::once_flag registered;
  std::call_once(registered, [] { LayerRegistry::instance().add<ChannelAblation>(kAblationType); });
  ablation = layer + "-ablation";
  while (model.has_layer(ablation)) ablation += "_";
  nlohmann::json description = model.to_json();
  nlohmann::json layers = nlohmann::json::array();
  for (nlohmann::json entry : description.at("layers")) {
    for (auto& input : entry["inputs"])
      if (input == layer) input = ablation;
    const bool target = entry.at("name") == layer;
    layers.push_back(entry);
    if (target) layers.push_back({{"type", kAblationType}, {"name", ablation}, {"inputs", {layer}}});
  }
  description["layers"] = layers;
  return copy_model(model, description);
}
}  // namespace

std::vector<Map> ablationcam_maps(Model& model, const Tensor& x, const std::vector<int>& targets,
                                  const std::string& layer, int batch, Compat compat) {
  check_target_layer(model, layer);
  GAZE_CHECK(batch > 0, "ablationcam: the batch size must be positive, got ", batch);
  GAZE_CHECK(static_cast<int64_t>(targets.size()) == x.dim(0), "ablationcam: ", targets.size(),
             " target classes for ", x.dim(0), " images");
  std::string ablation;
  Model copy = ablation_copy(model, layer, ablation);
  auto& ablate = dynamic_cast<ChannelAblation&>(copy.layer(ablation));
  const std::vector<Prediction> original = predict(copy, x);
  const Tensor a = copy.activation(layer);
  const std::vector<float> activations = a.to_vector();
  const int64_t channels = a.dim(1), plane = a.dim(2) * a.dim(3), size = x.dim(1) * x.dim(2) * x.dim(3);
  const std::vector<float> host = x.to_vector();
  std::vector<Map> maps;
  for (int64_t n = 0; n < x.dim(0); ++n) {
    const int target = targets[static_cast<size_t>(n)];
    GAZE_CHECK(target >= 0 && target < static_cast<int>(original[0].logits.size()), "target class ", target,
               " is outside the model's ", original[0].logits.size(), " classes");
    const float score = original[static_cast<size_t>(n)].logits[static_cast<size_t>(target)];
    std::vector<float> weights;
    for (int64_t first = 0; first < channels; first += batch) {
      const int64_t count = std::min<int64_t>(batch, channels - first);
      std::vector<float> images(static_cast<size_t>(count * size)), mask(static_cast<size_t>(count * channels * plane), 1.0f);
      for (int64_t i = 0; i < count; ++i) {
        std::copy_n(host.begin() + n * size, size, images.begin() + i * size);
        std::fill_n(mask.begin() + (i * channels + first + i) * plane, plane, 0.0f);
      }
      ablate.mask = Tensor::from_vector({count, channels, a.dim(2), a.dim(3)}, mask, x.device());
      const std::vector<Prediction> ablated =
          predict(copy, Tensor::from_vector({count, x.dim(1), x.dim(2), x.dim(3)}, images, x.device()));
      for (const Prediction& p : ablated) {
        const float drop = score - p.logits[static_cast<size_t>(target)];
        weights.push_back(compat == Compat::pytorch_grad_cam ? drop / score : drop);
      }
    }
    ablate.mask = Tensor();
    Map map(static_cast<int>(a.dim(2)), static_cast<int>(a.dim(3)));
    for (int64_t k = 0; k < channels; ++k)
      for (int64_t i = 0; i < plane; ++i)
        map.values[static_cast<size_t>(i)] +=
            weights[static_cast<size_t>(k)] * activations[static_cast<size_t>((n * channels + k) * plane + i)];
    maps.push_back(std::move(map));
  }
  return maps;
}

}  // namespace gaze::cam
