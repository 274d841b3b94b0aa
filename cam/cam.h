#pragma once
// gaze::cam owns everything after training that shows where a network looks:
// class activation maps read straight from the model graph (the gap layer's
// input A and the dense weights w, in place: M_c = sum_k w_ck A_k), the other
// attribution methods (cam/methods.h: contrastive CAM, Grad-CAM, Grad-CAM++,
// HiResCAM, XGrad-CAM, LayerCAM, Score-CAM, Ablation-CAM, EigenCAM, saliency,
// SmoothGrad, guided backpropagation, DeConvNet, input x gradient,
// integrated gradients, DeepLift, LRP-epsilon, LRP-alpha-beta, deep Taylor,
// PatternAttribution, occlusion), colormaps, overlays, boxes, faithfulness
// metrics, the HTML report, .npy output and the cam-infer pipeline. It knows
// checkpoints only through their metadata contract, never training internals.
//
// Display conventions (those of pytorch-grad-cam and Captum, so pictures
// compare; where a method's numbers differ from pytorch-grad-cam's, the
// method's source says how, and MethodOptions::compat reproduces them):
// - target class: top-1 unless one is asked for; methods explain its logit;
// - display: ReLU, then per-image min-max to [0, 1] (an all-zero or constant
//   map stays zero, with a warning, never NaN); contrastive CAM instead
//   divides by its largest magnitude and clips to [0, 1];
// - bilinear upsampling (align_corners = false) to the network input, then
//   onto the original image through the preprocessing crop;
// - jet colormap; overlay 0.5 * heat + 0.5 * image;
// - boxes: the largest 4-connected region at >= 20% of the map's maximum.
//
// Typical use:
//   InferenceCheckpoint checkpoint = load_inference_checkpoint("best.safetensors");
//   std::vector<Prediction> p = predict(checkpoint.model, x);
//   std::vector<std::vector<Map>> maps = all_class_activation_maps(checkpoint.model);
#include "cam/box.h"
#include "cam/checkpoint_input.h"
#include "cam/colormap.h"
#include "cam/graph.h"
#include "cam/image_io.h"
#include "cam/infer.h"
#include "cam/map.h"
#include "cam/methods.h"
#include "cam/metrics.h"
#include "core/npy.h"
#include "cam/report.h"
