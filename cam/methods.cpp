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
      {Method::occlusion, "occlusion"},
      {Method::input_x_gradient, "input-x-gradient"},
      {Method::deconvnet, "deconvnet"},
      {Method::lrp_epsilon, "lrp-epsilon"},
      {Method::lrp_alpha_beta, "lrp-alpha-beta"},
      {Method::deep_taylor, "deep-taylor"},
      {Method::deeplift, "deeplift"},
      {Method::pattern_attribution, "pattern-attribution"},
      {Method::hirescam, "hirescam"},
      {Method::xgradcam, "xgradcam"},
      {Method::layercam, "layercam"},
      {Method::eigencam, "eigencam"},
      {Method::ablationcam, "ablationcam"}};
  return table;
}
}  // namespace

Compat parse_compat(const std::string& name) {
  if (name == "gaze") return Compat::gaze;
  if (name == "pytorch-grad-cam") return Compat::pytorch_grad_cam;
  throw Error("unknown --compat '" + name + "'; expected gaze or pytorch-grad-cam");
}

std::string to_string(Compat compat) { return compat == Compat::gaze ? "gaze" : "pytorch-grad-cam"; }

Baseline parse_baseline(const std::string& name) {
  if (name == "zero") return Baseline::zero;
  if (name == "blur") return Baseline::blur;
  throw Error("unknown baseline '" + name + "'; expected zero or blur");
}

std::string to_string(Baseline baseline) { return baseline == Baseline::zero ? "zero" : "blur"; }

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
  switch (method) {
    case Method::gradcam:
    case Method::gradcam_plus_plus:
    case Method::scorecam:
    case Method::hirescam:
    case Method::xgradcam:
    case Method::layercam:
    case Method::eigencam:
    case Method::ablationcam: return true;
    default: return false;
  }
}

bool input_resolution(Method method) {
  return !uses_target_layer(method) && method != Method::cam && method != Method::contrastive;
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
    case Method::gradcam: return gradcam_maps(model, x, targets, layer, false, options.compat);
    case Method::gradcam_plus_plus: return gradcam_maps(model, x, targets, layer, true, options.compat);
    case Method::scorecam: return scorecam_maps(model, x, targets, layer, options.batch, options.compat);
    case Method::saliency: return saliency_maps(model, x, targets);
    case Method::guided_backprop: return guided_backprop_maps(model, x, targets);
    case Method::smoothgrad:
      return smoothgrad_maps(model, x, targets, options.smoothgrad_samples, options.smoothgrad_sigma, options.seed);
    case Method::integrated_gradients:
      return integrated_gradients_maps(model, x, targets, options.integrated_gradients_steps);
    case Method::occlusion:
      return occlusion_maps(model, x, targets, options.occlusion_window, options.occlusion_stride, options.batch);
    case Method::input_x_gradient: return input_x_gradient_maps(model, x, targets);
    case Method::deconvnet: return deconvnet_maps(model, x, targets);
    case Method::lrp_epsilon: return lrp_epsilon_maps(model, x, targets, options.lrp_epsilon);
    case Method::lrp_alpha_beta: return lrp_alpha_beta_maps(model, x, targets, options.lrp_alpha, options.lrp_beta);
    case Method::deep_taylor: return deep_taylor_maps(model, x, targets, options.pixel_low, options.pixel_high);
    case Method::deeplift:
      return deeplift_maps(model, x, targets, options.deeplift_baseline, options.deeplift_blur_sigma);
    case Method::pattern_attribution:
      GAZE_CHECK(options.patterns, "method 'pattern-attribution' needs patterns estimated from a folder of images "
                 "(cam-infer --patterns-from DIR; estimate_patterns in cam/patterns.h)");
      return pattern_attribution_maps(model, x, targets, *options.patterns);
    case Method::hirescam: return hirescam_maps(model, x, targets, layer);
    case Method::xgradcam: return xgradcam_maps(model, x, targets, layer, options.compat);
    case Method::layercam: return layercam_maps(model, x, targets, layer);
    case Method::eigencam: return eigencam_maps(model, x, layer);
    case Method::ablationcam: return ablationcam_maps(model, x, targets, layer, options.batch, options.compat);
  }
  throw Error("compute_maps: unhandled method " + to_string(options.method));
}

}  // namespace gaze::cam
