// Class activation maps straight from the graph (Zhou et al. 2016): after a
// forward pass, M_c = sum_k w_ck A_k with A the gap layer's input and w the
// dense weights, both read from the model's own tensors: no retraining, no
// model surgery, no backward. All-class maps cost K * C * H * W multiply-adds
// per image, tiny next to the forward pass that produced A.
#include <algorithm>
#include <cmath>

#include "cam/graph.h"
#include "cam/methods.h"
#include "core/autograd.h"
#include "core/error.h"

namespace gaze::cam {

namespace {
struct FeatureMaps {
  std::vector<float> values;  // [N, C, H, W]
  int64_t images = 0, channels = 0, height = 0, width = 0;
  const float* image(int64_t n) const { return values.data() + n * channels * height * width; }
};

FeatureMaps read_features(const Model& model, const std::string& layer) {
  const Tensor a = model.activation(layer);
  return {a.to_vector(), a.dim(0), a.dim(1), a.dim(2), a.dim(3)};
}

// sum_k weights[k] * A_k for one image.
Map weighted_sum(const FeatureMaps& features, int64_t n, const float* weights) {
  Map map(static_cast<int>(features.height), static_cast<int>(features.width));
  const int64_t plane = features.height * features.width;
  const float* a = features.image(n);
  for (int64_t k = 0; k < features.channels; ++k) {
    const float w = weights[k];
    const float* ak = a + k * plane;
    for (int64_t i = 0; i < plane; ++i) map.values[static_cast<size_t>(i)] += w * ak[i];
  }
  return map;
}

void check_targets(const std::vector<int>& targets, int64_t images, int64_t classes) {
  GAZE_CHECK(static_cast<int64_t>(targets.size()) == images, "CAM: ", targets.size(), " target classes for ",
             images, " images");
  for (int t : targets)
    GAZE_CHECK(t >= 0 && t < classes, "CAM: target class ", t, " is outside the model's ", classes, " classes");
}
}  // namespace

std::vector<Prediction> predict(Model& model, const Tensor& x) {
  NoGradGuard no_grad;
  model.forward(x);
  const Tensor logits = model.activation(model.logits_name());
  GAZE_CHECK(logits.ndim() == 2, "predict: the logits layer '", model.logits_name(), "' gives ",
             gaze::to_string(logits.shape()), ", expected [N, classes]");
  const std::vector<float> values = logits.to_vector();
  const int64_t classes = logits.dim(1);
  std::vector<Prediction> predictions(static_cast<size_t>(logits.dim(0)));
  for (size_t n = 0; n < predictions.size(); ++n) {
    Prediction& p = predictions[n];
    p.logits.assign(values.begin() + static_cast<int64_t>(n) * classes,
                    values.begin() + static_cast<int64_t>(n + 1) * classes);
    const float top = *std::max_element(p.logits.begin(), p.logits.end());
    double total = 0;
    for (float z : p.logits) total += std::exp(static_cast<double>(z - top));
    for (float z : p.logits) p.probabilities.push_back(static_cast<float>(std::exp(static_cast<double>(z - top)) / total));
    p.top = static_cast<int>(std::max_element(p.logits.begin(), p.logits.end()) - p.logits.begin());
  }
  return predictions;
}

std::vector<Map> class_activation_maps(const Model& model, const std::vector<int>& targets) {
  const CamGraph graph = find_cam_graph(model);
  const FeatureMaps features = read_features(model, graph.feature_layer);
  const std::vector<float> weights = layer_parameter(model, graph.dense_layer, "weight").to_vector();
  const int64_t classes = static_cast<int64_t>(weights.size()) / features.channels;
  check_targets(targets, features.images, classes);
  std::vector<Map> maps(targets.size());
#pragma omp parallel for schedule(static)
  for (int64_t n = 0; n < features.images; ++n)
    maps[static_cast<size_t>(n)] = weighted_sum(features, n, weights.data() + targets[static_cast<size_t>(n)] * features.channels);
  return maps;
}

std::vector<Map> contrastive_maps(const Model& model, const std::vector<int>& targets) {
  const CamGraph graph = find_cam_graph(model);
  const FeatureMaps features = read_features(model, graph.feature_layer);
  const std::vector<float> weights = layer_parameter(model, graph.dense_layer, "weight").to_vector();
  const int64_t channels = features.channels;
  const int64_t classes = static_cast<int64_t>(weights.size()) / channels;
  check_targets(targets, features.images, classes);
  // M_t - sum_{c != t} M_c is linear in the weights: one weighted sum per image.
  std::vector<Map> maps(targets.size());
  for (int64_t n = 0; n < features.images; ++n) {
    const int64_t t = targets[static_cast<size_t>(n)];
    std::vector<float> contrast(static_cast<size_t>(channels), 0.0f);
    for (int64_t c = 0; c < classes; ++c)
      for (int64_t k = 0; k < channels; ++k)
        contrast[static_cast<size_t>(k)] += (c == t ? 1.0f : -1.0f) * weights[static_cast<size_t>(c * channels + k)];
    maps[static_cast<size_t>(n)] = weighted_sum(features, n, contrast.data());
  }
  return maps;
}

std::vector<std::vector<Map>> all_class_activation_maps(const Model& model) {
  const CamGraph graph = find_cam_graph(model);
  const FeatureMaps features = read_features(model, graph.feature_layer);
  const std::vector<float> weights = layer_parameter(model, graph.dense_layer, "weight").to_vector();
  const int64_t classes = static_cast<int64_t>(weights.size()) / features.channels;
  std::vector<std::vector<Map>> maps(static_cast<size_t>(features.images), std::vector<Map>(static_cast<size_t>(classes)));
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t n = 0; n < features.images; ++n)
    for (int64_t c = 0; c < classes; ++c)
      maps[static_cast<size_t>(n)][static_cast<size_t>(c)] = weighted_sum(features, n, weights.data() + c * features.channels);
  return maps;
}

}  // namespace gaze::cam
