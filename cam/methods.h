#pragma once
// The attribution methods and the one entry point that runs any of them on a
// batch. Every method explains the target class's logit (pre-softmax score),
// except scorecam, whose channel weights are softmax probabilities (its paper's
// definition). Raw maps are unnormalized and signed; see cam/map.h for the
// display conventions.
//
// Map resolution: cam, contrastive, gradcam, gradcam++ and scorecam give the
// target layer's resolution; saliency, guided-backprop, smoothgrad,
// integrated-gradients and occlusion give the network input's.
#include <string>
#include <vector>

#include "cam/map.h"
#include "core/tensor.h"
#include "layers/model.h"

namespace gaze::cam {

enum class Method {
  cam,
  contrastive,
  gradcam,
  gradcam_plus_plus,
  scorecam,
  saliency,
  guided_backprop,
  smoothgrad,
  integrated_gradients,
  occlusion
};

// "cam", "gradcam++", ...; parse_method's error lists the valid names.
Method parse_method(const std::string& name);
std::string to_string(Method method);
std::vector<std::string> method_names();
// Whether the method reads a conv layer (--layer) rather than the input.
bool uses_target_layer(Method method);

struct MethodOptions {
  Method method = Method::cam;
  std::string layer;             // gradient/score methods; empty: default_target_layer
  int smoothgrad_samples = 16;
  float smoothgrad_sigma = 0.15f;  // noise std as a fraction of each image's own value range
  int integrated_gradients_steps = 32;
  int occlusion_window = 0;      // pixels; 0: a quarter of the shorter input side
  int occlusion_stride = 0;      // pixels; 0: half the window
  int batch = 32;                // images per forward for the perturbation methods
  uint64_t seed = 0;             // smoothgrad noise
};

struct Prediction {
  std::vector<float> logits;
  std::vector<float> probabilities;
  int top = 0;  // index of the largest logit
};

// Forward pass without gradients. x: [N, C, H, W] on the model's device.
std::vector<Prediction> predict(Model& model, const Tensor& x);

// The raw map of class targets[n] for image n of x, for any method.
std::vector<Map> compute_maps(Model& model, const Tensor& x, const std::vector<int>& targets,
                              const MethodOptions& options);

// ---- the methods, each on its own (compute_maps dispatches to these) ----
// CAM and contrastive CAM read the activations of the model's last forward().
std::vector<Map> class_activation_maps(const Model& model, const std::vector<int>& targets);
std::vector<Map> contrastive_maps(const Model& model, const std::vector<int>& targets);
// Every class's CAM for every image of the last forward(): [image][class].
std::vector<std::vector<Map>> all_class_activation_maps(const Model& model);

std::vector<Map> gradcam_maps(Model& model, const Tensor& x, const std::vector<int>& targets,
                              const std::string& layer, bool plus_plus);
std::vector<Map> scorecam_maps(Model& model, const Tensor& x, const std::vector<int>& targets,
                               const std::string& layer, int batch);
std::vector<Map> saliency_maps(Model& model, const Tensor& x, const std::vector<int>& targets);
std::vector<Map> guided_backprop_maps(const Model& model, const Tensor& x, const std::vector<int>& targets);
std::vector<Map> smoothgrad_maps(Model& model, const Tensor& x, const std::vector<int>& targets, int samples,
                                 float sigma, uint64_t seed);
// Attributions (x - baseline) * mean gradient along the straight path from a
// zero baseline (Captum's default), summed over channels: the map sums to
// about logit(x) - logit(baseline) (completeness).
std::vector<Map> integrated_gradients_maps(Model& model, const Tensor& x, const std::vector<int>& targets,
                                           int steps);
// Logit drop when a window is replaced by 0 (the normalized mean pixel),
// averaged over the windows covering each pixel.
std::vector<Map> occlusion_maps(Model& model, const Tensor& x, const std::vector<int>& targets, int window,
                                int stride, int batch);

}  // namespace gaze::cam
