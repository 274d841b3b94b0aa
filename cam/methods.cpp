#include "cam/methods.h"

#include <utility>

#include "cam/graph.h"
#include "core/autograd.h"
#include "core/error.h"

namespace gaze::cam {

namespace {
const std::vector<std::pair<Method, std::string>>& method_table() {
  static const std::vector<std::pair<Method, std::string>> table = {
      {Method::cam, "cam"},
      {Method::contrastive, "contrastive"},
      {Method::gradcam, "gradcam"},
      {Method::gradcam_plus_plus, "gradcam++"},
      {Method::scorecam, "scorecam"},
      {Method::saliency, "saliency"},
      {Method::guided_backprop, "guided-backprop"},
      {Method::smoothgrad, "smoothgrad"},
      {Method::integrated_gradients, "integrated-gradients"},
      {Method::occlusion, "occlusion"}};
  return table;
}
}  // namespace

Method parse_method(const std::string& name) {
  for (const auto& [method, text] : method_table())
    if (text == name) return method;
  std::string valid;
  for (const auto& [method, text] : method_table()) valid += (valid.empty() ? "" : ", ") + text;
  throw Error("unknown method '" + name + "'; expected one of: " + valid);
}

std::string to_string(Method method) {
  for (const auto& [m, text] : method_table())
    if (m == method) return text;
  throw Error("to_string: unknown method value " + std::to_string(static_cast<int>(method)));
}

std::vector<std::string> method_names() {
  std::vector<std::string> names;
  for (const auto& entry : method_table()) names.push_back(entry.second);
  return names;
}

bool uses_target_layer(Method method) {
  return method == Method::gradcam || method == Method::gradcam_plus_plus || method == Method::scorecam;
}

std::vector<Map> compute_maps(Model& model, const Tensor& x, const std::vector<int>& targets,
                              const MethodOptions& options) {
  GAZE_CHECK(static_cast<int64_t>(targets.size()) == x.dim(0), to_string(options.method), ": ", targets.size(),
             " target classes for ", x.dim(0), " images");
  const std::string layer = !uses_target_layer(options.method) ? ""
                            : options.layer.empty()               ? default_target_layer(model)
                                                                  : options.layer;
  switch (options.method) {
    case Method::cam:
    case Method::contrastive: {
      find_cam_graph(model);  // refuse before spending a forward pass
      {
        NoGradGuard no_grad;
        model.forward(x);
      }
      return options.method == Method::cam ? class_activation_maps(model, targets) : contrastive_maps(model, targets);
    }
    case Method::gradcam: return gradcam_maps(model, x, targets, layer, false);
    case Method::gradcam_plus_plus: return gradcam_maps(model, x, targets, layer, true);
    case Method::scorecam: return scorecam_maps(model, x, targets, layer, options.batch);
    case Method::saliency: return saliency_maps(model, x, targets);
    case Method::guided_backprop: return guided_backprop_maps(model, x, targets);
    case Method::smoothgrad:
      return smoothgrad_maps(model, x, targets, options.smoothgrad_samples, options.smoothgrad_sigma, options.seed);
    case Method::integrated_gradients:
      return integrated_gradients_maps(model, x, targets, options.integrated_gradients_steps);
    case Method::occlusion:
      return occlusion_maps(model, x, targets, options.occlusion_window, options.occlusion_stride, options.batch);
  }
  throw Error("compute_maps: unhandled method " + to_string(options.method));
}

}  // namespace gaze::cam
