#include "train/config_reader.h"

#include <cmath>
#include <cctype>

#include "core/error.h"
#include "layers/model_yaml.h"

namespace gaze::train {

ConfigReader::ConfigReader(YAML::Node node, std::string path, std::string file,
                           std::shared_ptr<const OverrideSources> overrides)
    : node_(std::move(node)), path_(std::move(path)), file_(std::move(file)), overrides_(std::move(overrides)) {
  if (node_ && !node_.IsNull() && !node_.IsMap())
    throw Error(yaml_location(node_, file_) + ": '" + path_ + "' must be a mapping of key: value");
}

std::string ConfigReader::where(const std::string& key) const {
  const std::string full = path_.empty() ? key : path_ + "." + key;
  if (overrides_) {
    const auto found = overrides_->find(full);
    if (found != overrides_->end()) return found->second + ": " + full;
  }
  YAML::Node located = (node_ && node_.IsMap() && node_[key]) ? node_[key] : node_;
  if (node_ && node_.IsMap()) {
    for (const auto& item : node_)
      if (item.first.IsScalar() && item.first.Scalar() == key) located = item.first;
  }
  return yaml_location(located, file_) + ": " + full;
}

void ConfigReader::fail(const std::string& key, const std::string& message) const {
  throw Error(where(key) + ": " + message);
}

bool ConfigReader::has(const std::string& key) const {
  return node_ && node_.IsMap() && node_[key] && !node_[key].IsNull();
}

namespace {
nlohmann::json scalar(const ConfigReader& reader, const YAML::Node& node, const std::string& key) {
  if (!node.IsScalar()) reader.fail(key, "expected a single value, got a list or mapping");
  try {
    return yaml_to_json(node);
  } catch (const Error&) {  // the only error a scalar can give
    reader.fail(key, "the number '" + node.Scalar() + "' is outside the range of a double");
  }
}
}  // namespace

int ConfigReader::integer(const std::string& key, int fallback) {
  known_.insert(key);
  if (!has(key)) return fallback;
  const nlohmann::json v = scalar(*this, node_[key], key);
  if (!v.is_number_integer() || std::abs(v.get<int64_t>()) > 2'000'000'000)
    fail(key, "expected an integer, got '" + node_[key].Scalar() + "'");
  return static_cast<int>(v.get<int64_t>());
}

double ConfigReader::number(const std::string& key, double fallback) {
  known_.insert(key);
  if (!has(key)) return fallback;
  const nlohmann::json v = scalar(*this, node_[key], key);
  if (!v.is_number() || !std::isfinite(v.get<double>()))
    fail(key, "expected a finite number, got '" + node_[key].Scalar() + "'");
  return v.get<double>();
}

bool ConfigReader::boolean(const std::string& key, bool fallback) {
  known_.insert(key);
  if (!has(key)) return fallback;
  const nlohmann::json v = scalar(*this, node_[key], key);
  if (!v.is_boolean()) fail(key, "expected true or false, got '" + node_[key].Scalar() + "'");
  return v.get<bool>();
}

std::string ConfigReader::text(const std::string& key, const std::string& fallback) {
  known_.insert(key);
  if (!has(key)) return fallback;
  if (!node_[key].IsScalar()) fail(key, "expected a text value, got a list or mapping");
  return node_[key].Scalar();
}

std::string ConfigReader::required_text(const std::string& key) {
  if (!has(key)) fail(key, "is required");
  return text(key, "");
}

std::vector<double> ConfigReader::numbers(const std::string& key, const std::vector<double>& fallback) {
  known_.insert(key);
  if (!has(key)) return fallback;
  const YAML::Node list = node_[key];
  if (!list.IsSequence()) fail(key, "expected a list of numbers like [0.5, 0.5, 0.5]");
  std::vector<double> values;
  for (const YAML::Node& item : list) {
    if (!item.IsScalar()) fail(key, "expected a list of numbers, found a nested list or mapping");
    const nlohmann::json v = scalar(*this, item, key);
    if (!v.is_number() || !std::isfinite(v.get<double>()))
      fail(key, "expected a list of finite numbers, found '" + item.Scalar() + "'");
    values.push_back(v.get<double>());
  }
  return values;
}

std::vector<std::string> ConfigReader::texts(const std::string& key) {
  known_.insert(key);
  if (!has(key)) return {};
  const YAML::Node value = node_[key];
  if (value.IsScalar()) return {value.Scalar()};
  if (!value.IsSequence()) fail(key, "expected a list of names like [conv1, bn1]");
  std::vector<std::string> list;
  for (const YAML::Node& item : value) {
    if (!item.IsScalar()) fail(key, "expected a list of names, found a nested list or mapping");
    list.push_back(item.Scalar());
  }
  return list;
}

std::vector<ConfigReader> ConfigReader::sections(const std::string& key) {
  known_.insert(key);
  if (!has(key)) return {};
  const YAML::Node list = node_[key];
  if (!list.IsSequence()) fail(key, "expected a list of mappings (- {key: value, ...})");
  std::vector<ConfigReader> readers;
  const std::string path = path_.empty() ? key : path_ + "." + key;
  for (size_t i = 0; i < list.size(); ++i) {
    if (!list[i].IsMap()) fail(key, "entry " + std::to_string(i + 1) + " is not a mapping of key: value");
    readers.emplace_back(list[i], path + "[" + std::to_string(i) + "]", file_, overrides_);
  }
  return readers;
}

ConfigReader ConfigReader::section(const std::string& key) {
  known_.insert(key);
  const std::string path = path_.empty() ? key : path_ + "." + key;
  if (has(key) && !node_[key].IsMap()) fail(key, "expected a mapping of key: value");
  return ConfigReader(has(key) ? node_[key] : YAML::Node(), path, file_, overrides_);
}

YAML::Node ConfigReader::raw(const std::string& key) {
  known_.insert(key);
  return has(key) ? node_[key] : YAML::Node();
}

void ConfigReader::finish() const {
  if (!node_ || !node_.IsMap()) return;
  for (const auto& item : node_) {
    const std::string key = item.first.Scalar();
    if (known_.count(key)) continue;
    std::string list;
    for (const std::string& k : known_) list += (list.empty() ? "" : ", ") + k;
    fail(key, "unknown key; '" + (path_.empty() ? std::string("top level") : path_) + "' accepts: " + list);
  }
}

void apply_override(YAML::Node& root, const std::string& assignment, OverrideSources& sources) {
  // KEY=VALUE with a dotted key of identifiers (checked by hand: std::regex
  // recurses per character of a long value).
  const size_t equals = assignment.find('=');
  const std::string key = assignment.substr(0, equals);
  bool dotted = equals != std::string::npos && !key.empty();
  for (size_t i = 0; dotted && i < key.size(); ++i) {
    const char c = key[i];
    const bool starts_part = i == 0 || key[i - 1] == '.';
    const bool letter = std::isalpha(static_cast<unsigned char>(c)) || c == '_';
    dotted = starts_part ? letter : (letter || std::isdigit(static_cast<unsigned char>(c)) || (c == '.' && i + 1 < key.size()));
  }
  if (!dotted)
    throw Error("--set '" + assignment + "': expected KEY=VALUE with a dotted key, e.g. train.epochs=3");
  const std::string value = assignment.substr(equals + 1);
  if (value.find_first_not_of(" \t") == std::string::npos)
    throw Error("--set '" + assignment + "': the value is empty; write the value after '=' (e.g. " + key +
                "=3), or quote an empty text as " + key + "=\"\"");
  YAML::Node parsed;
  try {
    parsed = YAML::Load(value);
  } catch (const YAML::Exception& e) {
    throw Error("--set '" + assignment + "': the value is not valid YAML (" + e.msg + ")");
  }
  std::vector<std::string> parts;
  for (size_t start = 0, dot; start <= key.size(); start = dot + 1) {
    dot = key.find('.', start);
    if (dot == std::string::npos) dot = key.size();
    parts.push_back(key.substr(start, dot - start));
  }
  // yaml-cpp nodes are handles: walk with reset() so we never assign through a parent's handle.
  YAML::Node node;
  node.reset(root);
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    if (!node[parts[i]] || !node[parts[i]].IsMap()) node[parts[i]] = YAML::Node(YAML::NodeType::Map);
    YAML::Node child = node[parts[i]];
    node.reset(child);
  }
  node[parts.back()] = parsed;
  sources[key] = "--set " + assignment;
}

}  // namespace gaze::train
