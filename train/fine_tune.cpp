#include "train/fine_tune.h"

#include <map>

#include "core/error.h"
#include "layers/model_file.h"

namespace gaze::train {

Model with_new_head(const Model& model, int64_t classes, uint64_t seed) {
  GAZE_CHECK(classes > 0, "replace_head: the data has no classes");
  const std::string head = model.logits_name();
  nlohmann::json description = model.to_json();
  bool replaced = false;
  for (nlohmann::json& layer : description["layers"])
    if (layer.value("name", "") == head) {
      GAZE_CHECK(layer.contains("units"), "model.replace_head: the logits layer '", head, "' is a '",
                 layer.value("type", "?"), "' layer; replace_head needs a dense layer (units) there");
      layer["units"] = classes;
      replaced = true;
    }
  GAZE_CHECK(replaced, "model.replace_head: the logits layer '", head, "' is not in the model description");
  return Model::from_json(description, seed);
}

namespace {
std::string list_some(const std::vector<std::string>& names) {
  std::string text;
  const size_t shown = std::min<size_t>(names.size(), 6);
  for (size_t i = 0; i < shown; ++i) text += (i ? ", " : "") + names[i];
  if (names.size() > shown) text += ", ... (" + std::to_string(names.size() - shown) + " more)";
  return text;
}

bool in_layers(const std::string& tensor_name, const std::vector<std::string>& layers) {
  for (const std::string& layer : layers)
    if (tensor_name.rfind(layer + ".", 0) == 0) return true;
  return false;
}
}  // namespace

std::string InitFromReport::summary(const std::string& path) const {
  std::string text = "init_from " + path + ": copied " + std::to_string(copied.size()) + " tensor(s)";
  if (!kept.empty()) text += "; fresh (replace_head): " + list_some(kept);
  if (!different.empty()) text += "; other shape, left at their initial values: " + list_some(different);
  if (!missing.empty()) text += "; not in the checkpoint: " + list_some(missing);
  if (!unused.empty()) text += "; in the checkpoint but not in this model: " + list_some(unused);
  return text;
}

InitFromReport init_from_checkpoint(Model& model, const std::string& path, const std::vector<std::string>& fresh_layers) {
  const LoadedModel source = load_model_file(path);
  std::map<std::string, Tensor> available;
  for (const auto& [name, tensor] : source.model.named_state()) available.emplace(name, tensor);
  InitFromReport report;
  for (auto& [name, tensor] : model.named_state()) {
    const auto found = available.find(name);
    if (found == available.end()) {
      report.missing.push_back(name);
      continue;
    }
    const Tensor from = found->second;
    available.erase(found);
    if (in_layers(name, fresh_layers)) {
      report.kept.push_back(name);
    } else if (from.shape() != tensor.shape()) {
      report.different.push_back(name + " (" + to_string(from.shape()) + " vs " + to_string(tensor.shape()) + ")");
    } else {
      Tensor target = tensor;
      target.copy_from(from);
      report.copied.push_back(name);
    }
  }
  for (const auto& [name, tensor] : available) report.unused.push_back(name);
  GAZE_CHECK(!report.copied.empty(), "model.init_from '", path, "': no tensor of the checkpoint matches this model's "
             "names and shapes (", report.summary(path), ")");
  return report;
}

void apply_lr_groups(Optimizer& optimizer, const Model& model, const std::vector<TrainConfig::LrGroup>& groups) {
  std::vector<bool> used(groups.size(), false);
  for (size_t i = 0; i < model.size(); ++i) {
    const Layer& layer = model.layer(i);
    if (layer.frozen()) continue;
    for (size_t g = 0; g < groups.size(); ++g) {
      bool matches = false;
      for (const std::string& pattern : groups[g].layers) matches = matches || matches_layer_pattern(pattern, layer.name());
      if (!matches) continue;
      used[g] = true;
      for (const auto& [key, tensor] : layer.parameters())
        optimizer.set_lr_scale(layer.name() + "." + key, static_cast<float>(groups[g].lr_scale));
      break;
    }
  }
  for (size_t g = 0; g < groups.size(); ++g)
    GAZE_CHECK(used[g], "train.lr_groups[", g, "]: no trainable layer matches ", list_some(groups[g].layers));
}

}  // namespace gaze::train
