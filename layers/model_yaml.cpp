#include "layers/model_yaml.h"

#include <regex>

#include "core/error.h"

namespace gaze {

nlohmann::json yaml_to_json(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return nullptr;
    case YAML::NodeType::Sequence: {
      nlohmann::json list = nlohmann::json::array();
      for (const YAML::Node& item : node) list.push_back(yaml_to_json(item));
      return list;
    }
    case YAML::NodeType::Map: {
      nlohmann::json object = nlohmann::json::object();
      for (const auto& item : node) object[item.first.as<std::string>()] = yaml_to_json(item.second);
      return object;
    }
    case YAML::NodeType::Scalar:
      break;
  }
  const std::string text = node.Scalar();
  if (node.Tag() == "!") return text;  // quoted: always a string
  static const std::regex integer(R"([-+]?[0-9]+)");
  static const std::regex real(R"([-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?)");
  if (std::regex_match(text, integer)) {
    try {
      return std::stoll(text);
    } catch (const std::out_of_range&) {
      return text;
    }
  }
  if (std::regex_match(text, real)) return std::stod(text);
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE") return false;
  if (text == "null" || text == "~") return nullptr;
  return text;
}

std::string yaml_location(const YAML::Node& node, const std::string& file) {
  const YAML::Mark mark = node.Mark();
  if (mark.line < 0) return file;
  return file + ":" + std::to_string(mark.line + 1);
}

std::vector<LayerSpec> layer_specs_from_yaml(const YAML::Node& layers, const std::string& file) {
  GAZE_CHECK(layers && layers.IsSequence(), yaml_location(layers, file),
             ": model.layers must be a list of layers");
  std::vector<LayerSpec> specs;
  for (const YAML::Node& entry : layers) {
    const std::string where = yaml_location(entry, file);
    GAZE_CHECK(entry.IsMap(), where, ": each layer must be a mapping with at least a 'type'");
    GAZE_CHECK(entry["type"] && entry["type"].IsScalar(), where, ": layer has no 'type'");
    LayerSpec spec;
    spec.type = entry["type"].Scalar();
    if (entry["name"]) {
      GAZE_CHECK(entry["name"].IsScalar(), yaml_location(entry["name"], file), ": 'name' must be a string");
      spec.name = entry["name"].Scalar();
    }
    if (entry["inputs"]) {
      const YAML::Node inputs = entry["inputs"];
      if (inputs.IsScalar()) {
        spec.inputs.push_back(inputs.Scalar());
      } else {
        GAZE_CHECK(inputs.IsSequence(), yaml_location(inputs, file), ": 'inputs' must be a list of layer names");
        for (const YAML::Node& input : inputs) spec.inputs.push_back(input.as<std::string>());
      }
    }
    nlohmann::json params = nlohmann::json::object();
    std::map<std::string, std::string> locations;
    for (const auto& item : entry) {
      const std::string key = item.first.as<std::string>();
      if (key == "type" || key == "name" || key == "inputs") continue;
      params[key] = yaml_to_json(item.second);
      locations[key] = yaml_location(item.first, file);
    }
    spec.params = LayerParams(params, spec.name.empty() ? spec.type : spec.name, locations, where);
    specs.push_back(std::move(spec));
  }
  return specs;
}

Model model_from_yaml(const YAML::Node& section, const std::string& file, uint64_t seed) {
  GAZE_CHECK(section && section.IsMap(), file, ": the 'model' section must be a mapping with input and layers");
  const YAML::Node input = section["input"];
  GAZE_CHECK(input && input.IsSequence(), yaml_location(section, file),
             ": model.input must be a list [channels, height, width]");
  Shape shape;
  for (const YAML::Node& d : input) {
    const nlohmann::json value = yaml_to_json(d);
    GAZE_CHECK(value.is_number_integer() && value.get<int64_t>() > 0, yaml_location(d, file),
               ": model.input entries must be positive integers, got '", d.Scalar(), "'");
    shape.push_back(value.get<int64_t>());
  }
  for (const auto& item : section) {
    const std::string key = item.first.as<std::string>();
    GAZE_CHECK(key == "input" || key == "layers", yaml_location(item.first, file), ": unknown key 'model.", key,
               "'; expected model.input and model.layers");
  }
  return Model(shape, layer_specs_from_yaml(section["layers"], file), seed);
}

}  // namespace gaze
