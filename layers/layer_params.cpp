#include "layers/layer_params.h"

#include <cmath>

#include "core/error.h"
#include "core/json_text.h"

namespace gaze {

LayerParams::LayerParams(nlohmann::json values, std::string layer_name,
                         std::map<std::string, std::string> where, std::string where_layer)
    : values_(std::move(values)), layer_(std::move(layer_name)), where_(std::move(where)),
      where_layer_(std::move(where_layer)) {
  if (values_.is_null()) values_ = nlohmann::json::object();
  GAZE_CHECK(values_.is_object(), context(), ": parameters must be a mapping of key: value");
}

std::string LayerParams::context(const std::string& key) const {
  std::string text = "layer '" + layer_ + "'";
  if (!key.empty()) text += ", key '" + key + "'";
  const auto found = where_.find(key);
  const std::string& where = (found != where_.end()) ? found->second : where_layer_;
  if (!where.empty()) text += " (" + where + ")";
  return text;
}

bool LayerParams::has(const std::string& key) const { return values_.contains(key); }

const nlohmann::json& LayerParams::at(const std::string& key) const {
  GAZE_CHECK(has(key), context(), ": missing required key '", key, "'");
  return values_.at(key);
}

int LayerParams::integer(const std::string& key) const {
  const nlohmann::json& v = at(key);
  const bool integral = v.is_number_integer() ||
                        (v.is_number_float() && std::floor(v.get<double>()) == v.get<double>());
  GAZE_CHECK(integral && std::abs(v.get<double>()) < 1e9, context(key), ": expected an integer, got ",
             json_text(v));
  return static_cast<int>(v.get<double>());
}

int LayerParams::integer(const std::string& key, int fallback) const {
  return has(key) ? integer(key) : fallback;
}

double LayerParams::number(const std::string& key, double fallback) const {
  if (!has(key)) return fallback;
  const nlohmann::json& v = at(key);
  GAZE_CHECK(v.is_number(), context(key), ": expected a number, got ", json_text(v));
  return v.get<double>();
}

bool LayerParams::boolean(const std::string& key, bool fallback) const {
  if (!has(key)) return fallback;
  const nlohmann::json& v = at(key);
  GAZE_CHECK(v.is_boolean(), context(key), ": expected true or false, got ", json_text(v));
  return v.get<bool>();
}

std::string LayerParams::text(const std::string& key, const std::string& fallback) const {
  if (!has(key)) return fallback;
  const nlohmann::json& v = at(key);
  GAZE_CHECK(v.is_string(), context(key), ": expected a string, got ", json_text(v));
  return v.get<std::string>();
}

std::pair<int, int> LayerParams::pair(const std::string& key, std::pair<int, int> fallback) const {
  if (!has(key)) return fallback;
  const nlohmann::json& v = at(key);
  if (v.is_array()) {
    GAZE_CHECK(v.size() == 2 && v[0].is_number_integer() && v[1].is_number_integer(), context(key),
               ": expected an integer or a list [height, width], got ", json_text(v));
    return {v[0].get<int>(), v[1].get<int>()};
  }
  const int n = integer(key);
  return {n, n};
}

void LayerParams::reject_unknown(const std::set<std::string>& known) const {
  for (const auto& [key, value] : values_.items()) {
    if (known.count(key)) continue;
    std::string list;
    for (const std::string& k : known) list += (list.empty() ? "" : ", ") + k;
    throw Error(context(key) + ": unknown key; this layer accepts: " + (list.empty() ? "(none)" : list));
  }
}

}  // namespace gaze
