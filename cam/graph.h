#pragma once
// Reading a Model's graph for attribution: where the CAM structure is
// (feature map -> global average pooling -> dense -> optional softmax) and
// which layers a gradient method can explain.
#include <optional>
#include <string>
#include <vector>

#include "layers/model.h"

namespace gaze::cam {

// The three layers a class activation map is read from. The feature map is
// the output of `feature_layer` (the gap layer's input, i.e. the last conv
// block), the class weights are `dense_layer`'s weight [classes, channels].
struct CamGraph {
  std::string feature_layer;
  std::string pool_layer;
  std::string dense_layer;
};

// Finds the CAM structure from the logits backwards: the logits come from a
// dense layer whose input (through identity-at-inference layers: dropout,
// flatten) is a gap layer. Empty when the network has no such ending.
std::optional<CamGraph> find_cam_graph_if_any(const Model& model);

// As above, but explains why a network cannot give a CAM and suggests
// gradcam (which works on any conv layer).
CamGraph find_cam_graph(const Model& model);

// Layers whose output is a spatial map [C, H, W], in model order.
std::vector<std::string> spatial_layers(const Model& model);

// The layer gradient methods explain by default: the CAM feature map when
// the network has one, else the last spatial layer.
std::string default_target_layer(const Model& model);

// A layer's parameter ("weight") from a const model; throws naming both when absent.
Tensor layer_parameter(const Model& model, const std::string& layer, const std::string& param);

// Checks that `name` exists and has a [C, H, W] output; the error lists the
// candidates.
void check_target_layer(const Model& model, const std::string& name);

}  // namespace gaze::cam
