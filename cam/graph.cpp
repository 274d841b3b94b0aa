#include "cam/graph.h"

#include "core/error.h"

namespace gaze::cam {

namespace {
// Layers that are the identity at inference keep the CAM algebra exact.
std::string skip_pass_through(const Model& model, std::string name) {
  while (name != "input" && model.layer(name).traits().identity_at_inference && model.inputs_of(name).size() == 1)
    name = model.inputs_of(name).front();
  return name;
}

std::string join(const std::vector<std::string>& names) {
  std::string text;
  for (const std::string& name : names) text += (text.empty() ? "" : ", ") + name;
  return text.empty() ? "(none)" : text;
}

// Why find_cam_graph_if_any failed, for the error message.
std::string missing_structure(const Model& model) {
  const std::string logits = model.logits_name();
  const Layer& head = model.layer(logits);
  if (!head.traits().linear)
    return "its logits come from layer '" + logits + "' (" + head.type() + "), not from a dense layer";
  const std::string pooled = skip_pass_through(model, model.inputs_of(logits).front());
  const std::string type = pooled == "input" ? "the model input" : model.layer(pooled).type();
  return "the dense layer '" + logits + "' reads '" + pooled + "' (" + type +
         "), not a global average pooling (gap) layer";
}
}  // namespace

std::optional<CamGraph> find_cam_graph_if_any(const Model& model) {
  const std::string logits = model.logits_name();
  if (!model.layer(logits).traits().linear) return std::nullopt;
  const std::string pooled = skip_pass_through(model, model.inputs_of(logits).front());
  if (pooled == "input" || !model.layer(pooled).traits().global_average_pool) return std::nullopt;
  const std::string features = model.inputs_of(pooled).front();
  if (model.output_shape(features).size() != 3) return std::nullopt;
  return CamGraph{features, pooled, logits};
}

CamGraph find_cam_graph(const Model& model) {
  if (auto graph = find_cam_graph_if_any(model)) return *graph;
  throw Error("method 'cam' needs a network that ends in conv -> global average pooling (gap) -> dense "
              "(-> softmax), but " + missing_structure(model) +
              ". Use --method gradcam instead: it works on any conv layer (choose one with --layer; "
              "candidates: " + join(spatial_layers(model)) + ").");
}

std::vector<std::string> spatial_layers(const Model& model) {
  std::vector<std::string> names;
  for (size_t i = 0; i < model.size(); ++i) {
    const std::string& name = model.layer(i).name();
    if (model.output_shape(name).size() == 3) names.push_back(name);
  }
  return names;
}

std::string default_target_layer(const Model& model) {
  if (auto graph = find_cam_graph_if_any(model)) return graph->feature_layer;
  const std::vector<std::string> spatial = spatial_layers(model);
  GAZE_CHECK(!spatial.empty(), "the model has no layer with a spatial [C, H, W] output to explain");
  return spatial.back();
}

Tensor layer_parameter(const Model& model, const std::string& layer, const std::string& param) {
  for (const auto& [name, tensor] : model.layer(layer).parameters())
    if (name == param) return tensor;
  throw Error("layer '" + layer + "' has no parameter '" + param + "'");
}

void check_target_layer(const Model& model, const std::string& name) {
  GAZE_CHECK(model.has_layer(name), "--layer '", name, "': the model has no such layer; layers with a "
             "spatial output: ", join(spatial_layers(model)));
  GAZE_CHECK(model.output_shape(name).size() == 3, "--layer '", name, "': its output ",
             to_string(model.output_shape(name)), " is not a spatial [C, H, W] map; candidates: ",
             join(spatial_layers(model)));
}

}  // namespace gaze::cam
