#pragma once
// The attribution methods and the one entry point that runs any of them on a
// batch. Every method explains the target class's logit (pre-softmax score),
// except scorecam, whose channel weights are softmax probabilities (its paper's
// definition), and eigencam, which has no class. Raw maps are unnormalized
// and signed; see cam/map.h for the display conventions. Each method's
// source file cites its paper and states where pytorch-grad-cam differs.
//
// Map resolution: the layer methods (cam, contrastive, gradcam, gradcam++,
// scorecam, hirescam, xgradcam, layercam, eigencam, ablationcam) give the
// target layer's resolution; every other method gives the network input's.
//
// Signs: saliency, guided-backprop, deconvnet and smoothgrad give magnitudes
// (max over channels of |gradient|); input-x-gradient, integrated-gradients,
// the LRP family, deeplift and pattern-attribution give signed attributions
// summed over the input channels (positive: evidence for the class), so the
// display (ReLU, min-max) shows the evidence for it.
#include <memory>
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
  occlusion,
  input_x_gradient,
  deconvnet,
  lrp_epsilon,
  lrp_alpha_beta,
  deep_taylor,
  deeplift,
  pattern_attribution,
  hirescam,
  xgradcam,
  layercam,
  eigencam,
  ablationcam
};

// Whose numbers a method reproduces where the papers and pytorch-grad-cam
// differ (README, "Conventions"): gaze's own (the papers'), or
// pytorch-grad-cam's (cam-infer --compat pytorch-grad-cam): 1e-6 in
// Grad-CAM++'s denominator, Score-CAM's softmax over channels of the target
// logit and align_corners=True masks, 1e-7 in XGrad-CAM's denominator,
// Ablation-CAM's drop divided by the score, and maps min-max normalized again
// after resizing.
enum class Compat { gaze, pytorch_grad_cam };
Compat parse_compat(const std::string& name);  // "gaze" or "pytorch-grad-cam"
std::string to_string(Compat compat);

// DeepLift's reference input: all zeros (the normalized mean pixel), or the
// image under a Gaussian blur (information removed, colours kept).
enum class Baseline { zero, blur };
Baseline parse_baseline(const std::string& name);  // "zero" or "blur"
std::string to_string(Baseline baseline);

// PatternAttribution's signal directions, one tensor per conv or dense layer
// shaped like its weight (cam/patterns.h estimates them).
struct Patterns;

// "cam", "gradcam++", ...; parse_method's error lists the valid names.
Method parse_method(const std::string& name);
std::string to_string(Method method);
std::vector<std::string> method_names();
// Whether the method reads a conv layer (--layer) rather than the input.
bool uses_target_layer(Method method);
// Whether the raw map has the network input's resolution (else the layer's).
bool input_resolution(Method method);

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
  Compat compat = Compat::gaze;
  float lrp_epsilon = 1e-6f;     // lrp-epsilon's stabilizer
  float lrp_alpha = 1, lrp_beta = 0;  // lrp-alpha-beta; alpha - beta must be 1
  Baseline deeplift_baseline = Baseline::zero;
  float deeplift_blur_sigma = 0;  // pixels; 0: a tenth of the shorter input side
  std::shared_ptr<const Patterns> patterns;  // pattern-attribution (cam/patterns.h)
  // The normalized pixel range per input channel, (0 - mean) / std to
  // (1 - mean) / std: deep-taylor's z^B rule at the input (empty: z+ there).
  std::vector<float> pixel_low, pixel_high;
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
                              const std::string& layer, bool plus_plus, Compat compat = Compat::gaze);
std::vector<Map> scorecam_maps(Model& model, const Tensor& x, const std::vector<int>& targets,
                               const std::string& layer, int batch, Compat compat = Compat::gaze);
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
// x times its gradient, summed over channels (Shrikumar et al. 2016).
std::vector<Map> input_x_gradient_maps(Model& model, const Tensor& x, const std::vector<int>& targets);
// The DeConvNet reconstruction (Zeiler & Fergus 2014): the input gradient
// with each ReLU passing relu(gradient), whatever its input's sign; max over
// channels of its magnitude.
std::vector<Map> deconvnet_maps(const Model& model, const Tensor& x, const std::vector<int>& targets);

// ---- layer-wise relevance propagation (cam/lrp.cpp) ----
// Relevance starts as the target logit and flows back layer by layer; the
// map is the input relevance summed over channels. Handles conv, dense,
// batchnorm (folded into the conv or dense before it), maxpool, avgpool, gap,
// relu, flatten, dropout, add and concat; any other layer is an error that
// names it.
std::vector<Map> lrp_epsilon_maps(Model& model, const Tensor& x, const std::vector<int>& targets, float epsilon);
std::vector<Map> lrp_alpha_beta_maps(Model& model, const Tensor& x, const std::vector<int>& targets, float alpha,
                                     float beta);
// Deep Taylor: z+ behind the ReLUs; at a layer reading the pixels the z^B
// rule for the box pixel_low <= x <= pixel_high (per channel) when given,
// else z+ there too.
std::vector<Map> deep_taylor_maps(Model& model, const Tensor& x, const std::vector<int>& targets,
                                  const std::vector<float>& pixel_low = {}, const std::vector<float>& pixel_high = {});
// DeepLift's rescale rule (cam/deeplift.cpp): the map sums to
// logit(x) - logit(baseline) (summation-to-delta).
std::vector<Map> deeplift_maps(Model& model, const Tensor& x, const std::vector<int>& targets, Baseline baseline,
                               float blur_sigma);
// The reference input deeplift uses for x (blur_sigma 0: a tenth of the shorter side).
Tensor deeplift_baseline(const Tensor& x, Baseline baseline, float blur_sigma);
// PatternAttribution (cam/patterns.cpp).
std::vector<Map> pattern_attribution_maps(Model& model, const Tensor& x, const std::vector<int>& targets,
                                          const Patterns& patterns);

// ---- more layer methods (cam/layer_cams.cpp, cam/ablation_cam.cpp) ----
std::vector<Map> hirescam_maps(Model& model, const Tensor& x, const std::vector<int>& targets,
                               const std::string& layer);
std::vector<Map> xgradcam_maps(Model& model, const Tensor& x, const std::vector<int>& targets,
                               const std::string& layer, Compat compat = Compat::gaze);
std::vector<Map> layercam_maps(Model& model, const Tensor& x, const std::vector<int>& targets,
                               const std::string& layer);
// Class-agnostic: the same map for every target.
std::vector<Map> eigencam_maps(Model& model, const Tensor& x, const std::string& layer);
std::vector<Map> ablationcam_maps(Model& model, const Tensor& x, const std::vector<int>& targets,
                                  const std::string& layer, int batch, Compat compat = Compat::gaze);

}  // namespace gaze::cam
