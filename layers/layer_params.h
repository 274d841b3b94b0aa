#pragma once
// LayerParams: the hyperparameters of one layer as written in a config, with
// typed getters whose errors name the layer, the key and (for YAML configs)
// the file and line, so that a typo is reported before anything trains.
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <utility>

namespace gaze {

class LayerParams {
 public:
  LayerParams() = default;
  // `where` maps a key to "file:line" for messages; `where_layer` locates the layer itself.
  LayerParams(nlohmann::json values, std::string layer_name,
              std::map<std::string, std::string> where = {}, std::string where_layer = "");

  bool has(const std::string& key) const;
  int integer(const std::string& key) const;  // required
  int integer(const std::string& key, int fallback) const;
  double number(const std::string& key, double fallback) const;
  bool boolean(const std::string& key, bool fallback) const;
  std::string text(const std::string& key, const std::string& fallback) const;
  // An int n means (n, n); a list [h, w] means (h, w).
  std::pair<int, int> pair(const std::string& key, std::pair<int, int> fallback) const;

  // Throws for any key outside `known`, listing the keys this layer accepts.
  void reject_unknown(const std::set<std::string>& known) const;

  const std::string& layer_name() const { return layer_; }
  // The model names unnamed layers ("conv2") after parsing; messages follow.
  void set_layer_name(std::string name) { layer_ = std::move(name); }
  // "layer 'conv1' (model.yaml:12)": the prefix of every message about this layer.
  std::string context(const std::string& key = "") const;
  const nlohmann::json& values() const { return values_; }

 private:
  const nlohmann::json& at(const std::string& key) const;
  nlohmann::json values_ = nlohmann::json::object();
  std::string layer_;
  std::map<std::string, std::string> where_;
  std::string where_layer_;
};

}  // namespace gaze
