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
nlohmann::json yaml_to_json(const YAML::Node& node);

// "file:line" of a YAML node (1-based line), or just the file when unknown.
std::string yaml_location(const YAML::Node& node, const std::string& file);

// Parses a `layers:` list into specs; `file` is used in error messages.
std::vector<LayerSpec> layer_specs_from_yaml(const YAML::Node& layers, const std::string& file);

// Builds a model from a YAML `model` section ({input, layers}).
Model model_from_yaml(const YAML::Node& model_section, const std::string& file, uint64_t seed = 0);

}  // namespace gaze
