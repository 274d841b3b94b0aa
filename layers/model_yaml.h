#pragma once
// Model descriptions from YAML. The `model` section of a config holds
// `input: [C, H, W]` and a `layers:` list; each entry has a `type`, an
// optional `name` and `inputs`, and its hyperparameters. Errors point at the
// file and line of the offending key.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>
#include <yaml-cpp/yaml.h>

#include "layers/model.h"

namespace gaze {

// YAML scalars become JSON numbers, booleans or strings as YAML 1.2 reads them.
// A number outside the range of a double (1e999, 1e-999) is a gaze::Error at
// the node's line of `file`, not infinity or zero.
nlohmann::json yaml_to_json(const YAML::Node& node, const std::string& file = "");

// The most nodes a YAML document may expand to. Aliases make a small file
// expand exponentially ("billion laughs"), and everything that walks a
// document (conversion, cloning, emitting) pays for the expansion.
inline constexpr size_t kMaxYamlNodes = 200'000;

// Throws gaze::Error naming `file` when `node` expands to more than
// `max_nodes` nodes (aliases counted at every use) or uses a list or mapping
// as a mapping key. Costs at most max_nodes steps whatever the document.
void check_yaml_document(const YAML::Node& node, const std::string& file, size_t max_nodes = kMaxYamlNodes);

// "file:line" of a YAML node (1-based line), or just the file when unknown.
std::string yaml_location(const YAML::Node& node, const std::string& file);

// Parses a `layers:` list into specs; `file` is used in error messages.
std::vector<LayerSpec> layer_specs_from_yaml(const YAML::Node& layers, const std::string& file);

// Builds a model from a YAML `model` section ({input, layers}).
Model model_from_yaml(const YAML::Node& model_section, const std::string& file, uint64_t seed = 0);

}  // namespace gaze
