#include "layers/model_yaml.h"

#include <cerrno>
#include <cstdlib>
#include <set>

#include "core/error.h"

namespace gaze {

void check_yaml_document(const YAML::Node& root, const std::string& file, size_t max_nodes) {
  std::vector<YAML::Node> pending{root};  // explicit stack: a document may nest (or alias) deeply
  size_t visited = 0;
  while (!pending.empty()) {
    const YAML::Node node = pending.back();
    pending.pop_back();
    GAZE_CHECK(++visited <= max_nodes, file, ": the YAML document expands to more than ", max_nodes,
               " values (aliases are counted at every use); a config is far smaller");
    if (node.IsSequence()) {
      for (const YAML::Node& item : node) pending.push_back(item);
    } else if (node.IsMap()) {
      std::set<std::string> keys;
      for (const auto& item : node) {
        GAZE_CHECK(item.first.IsScalar(), yaml_location(item.first, file),
                   ": a mapping key must be a plain name, not a list or mapping");
        GAZE_CHECK(keys.insert(item.first.Scalar()).second, yaml_location(item.first, file), ": the key '",
                   item.first.Scalar(), "' appears twice in the same mapping (the first would be silently ignored)");
        pending.push_back(item.second);
      }
    }
  }
}

namespace {

// Scanned by hand rather than with std::regex, which recurses per character:
// a config holding a megabyte-long scalar would exhaust the stack.
size_t skip_digits(const std::string& text, size_t i) {
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
  return i;
}

size_t skip_sign(const std::string& text, size_t i) {
  return i < text.size() && (text[i] == '+' || text[i] == '-') ? i + 1 : i;
}

// [-+]?[0-9]+
bool is_integer_text(const std::string& text) {
  const size_t start = skip_sign(text, 0), end = skip_digits(text, start);
  return end > start && end == text.size();
}

// [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
bool is_real_text(const std::string& text) {
  size_t i = skip_sign(text, 0);
  const size_t integer_end = skip_digits(text, i);
  if (integer_end > i) {
    i = integer_end;
    if (i < text.size() && text[i] == '.') i = skip_digits(text, i + 1);
  } else {
    if (i >= text.size() || text[i] != '.') return false;
    const size_t fraction_end = skip_digits(text, i + 1);
    if (fraction_end == i + 1) return false;
    i = fraction_end;
  }
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    const size_t exponent = skip_sign(text, i + 1), exponent_end = skip_digits(text, exponent);
    if (exponent_end == exponent) return false;
    i = exponent_end;
  }
  return i == text.size();
}

}  // namespace

nlohmann::json yaml_to_json(const YAML::Node& node, const std::string& file) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return nullptr;
    case YAML::NodeType::Sequence: {
      nlohmann::json list = nlohmann::json::array();
      for (const YAML::Node& item : node) list.push_back(yaml_to_json(item, file));
      return list;
    }
    case YAML::NodeType::Map: {
      nlohmann::json object = nlohmann::json::object();
      for (const auto& item : node) {
        GAZE_CHECK(item.first.IsScalar(), yaml_location(item.first, file),
                   ": a mapping key must be a plain name, not a list or mapping");
        object[item.first.Scalar()] = yaml_to_json(item.second, file);
      }
      return object;
    }
    case YAML::NodeType::Scalar:
      break;
  }
  const std::string text = node.Scalar();
  if (node.Tag() == "!") return text;  // quoted: always a string
  if (is_integer_text(text)) {
    try {
      return std::stoll(text);
    } catch (const std::out_of_range&) {
      return text;
    }
  }
  if (is_real_text(text)) {
    // strtod instead of stod: out of range is an error to report, not an exception to escape.
    errno = 0;
    const double value = std::strtod(text.c_str(), nullptr);
    GAZE_CHECK(errno != ERANGE, yaml_location(node, file), ": the number '", text, "' is outside the range of a double");
    return value;
  }
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE") return false;
  if (text == "null" || text == "~") return nullptr;
  return text;
}

std::string yaml_location(const YAML::Node& node, const std::string& file) {
  if (!node.IsDefined()) return file;  // a missing key's node has no mark (Mark() would throw)
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
        for (const YAML::Node& input : inputs) {
          GAZE_CHECK(input.IsScalar(), yaml_location(input, file), ": 'inputs' must be a list of layer names");
          spec.inputs.push_back(input.Scalar());
        }
      }
    }
    nlohmann::json params = nlohmann::json::object();
    std::map<std::string, std::string> locations;
    for (const auto& item : entry) {
      GAZE_CHECK(item.first.IsScalar(), yaml_location(item.first, file), ": a key must be a plain name");
      const std::string key = item.first.Scalar();
      if (key == "type" || key == "name" || key == "inputs") continue;
      params[key] = yaml_to_json(item.second, file);
      locations[key] = yaml_location(item.first, file);
    }
    spec.params = LayerParams(params, spec.name.empty() ? spec.type : spec.name, locations, where);
    specs.push_back(std::move(spec));
  }
  return specs;
}

Model model_from_yaml(const YAML::Node& section, const std::string& file, uint64_t seed) {
  GAZE_CHECK(section && section.IsMap(), file, ": the 'model' section must be a mapping with input and layers");
  check_yaml_document(section, file);
  const YAML::Node input = section["input"];
  GAZE_CHECK(input && input.IsSequence(), yaml_location(section, file),
             ": model.input must be a list [channels, height, width]");
  Shape shape;
  for (const YAML::Node& d : input) {
    const nlohmann::json value = yaml_to_json(d, file);
    GAZE_CHECK(value.is_number_integer() && value.get<int64_t>() > 0, yaml_location(d, file),
               ": model.input entries must be positive integers, got '", d.Scalar(), "'");
    shape.push_back(value.get<int64_t>());
  }
  for (const auto& item : section) {
    const std::string key = item.first.Scalar();
    GAZE_CHECK(key == "input" || key == "layers", yaml_location(item.first, file), ": unknown key 'model.", key,
               "'; expected model.input and model.layers");
  }
  return Model(shape, layer_specs_from_yaml(section["layers"], file), seed);
}

}  // namespace gaze
