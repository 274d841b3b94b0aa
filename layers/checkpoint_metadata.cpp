#include "layers/checkpoint_metadata.h"

#include <cmath>
#include <set>

#include "core/error.h"
#include "core/json_text.h"

namespace gaze {

namespace {

const nlohmann::json& required(const nlohmann::json& object, const char* key, const std::string& where) {
  GAZE_CHECK(object.is_object() && object.contains(key), where, ": the checkpoint metadata has no '", key, "'");
  return object.at(key);
}

std::vector<std::string> read_classes(const nlohmann::json& info, const std::string& where) {
  const nlohmann::json& list = required(info, "classes", where);
  GAZE_CHECK(list.is_array() && !list.empty(), where, ": 'classes' must be a non-empty list of class names");
  std::vector<std::string> classes;
  std::set<std::string> seen;
  for (const nlohmann::json& name : list) {
    GAZE_CHECK(name.is_string() && !name.get<std::string>().empty(), where,
               ": 'classes' must hold non-empty strings, found ", json_text(name));
    GAZE_CHECK(seen.insert(name.get<std::string>()).second, where, ": class '", name.get<std::string>(),
               "' is listed twice in 'classes'");
    classes.push_back(name.get<std::string>());
  }
  return classes;
}

int read_extent(const nlohmann::json& input, const char* key, const std::string& where) {
  const nlohmann::json& value = required(input, key, where + ": input");
  GAZE_CHECK(value.is_number_integer() && value.get<int64_t>() > 0 && value.get<int64_t>() <= 1'000'000, where,
             ": input.", key, " must be a positive integer, got ", json_text(value));
  return static_cast<int>(value.get<int64_t>());
}

std::vector<float> read_per_channel(const nlohmann::json& input, const char* key, int channels,
                                    const std::string& where) {
  const nlohmann::json& list = required(input, key, where + ": input");
  GAZE_CHECK(list.is_array() && list.size() == static_cast<size_t>(channels), where, ": input.", key,
             " needs one number per channel (", channels, "), got ", json_text(list));
  std::vector<float> values;
  for (const nlohmann::json& v : list) {
    GAZE_CHECK(v.is_number() && std::isfinite(v.get<double>()), where, ": input.", key,
               " must hold finite numbers, got ", json_text(v));
    values.push_back(v.get<float>());
  }
  return values;
}

}  // namespace

CheckpointMetadata read_checkpoint_metadata(const nlohmann::json& info, const Model& model, const std::string& path) {
  const std::string where = "'" + path + "'";
  CheckpointMetadata meta;
  meta.classes = read_classes(info, where);
  const nlohmann::json& input = required(info, "input", where);
  GAZE_CHECK(input.is_object(), where, ": 'input' must be an object {channels, height, width, mean, std, resize}");
  InputSpec& spec = meta.input;
  spec.channels = read_extent(input, "channels", where);
  spec.height = read_extent(input, "height", where);
  spec.width = read_extent(input, "width", where);
  spec.mean = read_per_channel(input, "mean", spec.channels, where);
  spec.stddev = read_per_channel(input, "std", spec.channels, where);
  for (size_t c = 0; c < spec.stddev.size(); ++c)
    GAZE_CHECK(spec.stddev[c] > 0, where, ": input.std[", c, "] must be positive, got ", spec.stddev[c]);
  const nlohmann::json& resize = required(input, "resize", where + ": input");
  GAZE_CHECK(resize.is_string(), where, ": input.resize must be the name of a resize policy, got ", json_text(resize));
  spec.resize = resize.get<std::string>();
  if (input.contains("val_crop")) {
    const nlohmann::json& crop = input.at("val_crop");
    GAZE_CHECK(crop.is_number() && std::isfinite(crop.get<double>()) && crop.get<double>() > 0 &&
                   crop.get<double>() <= 1,
               where, ": input.val_crop must be a fraction in (0, 1], got ", json_text(crop));
    spec.val_crop = crop.get<float>();
  }

  const Shape expected{spec.channels, spec.height, spec.width};
  GAZE_CHECK(model.input_shape() == expected, where, ": the model takes input ", to_string(model.input_shape()),
             " but the metadata's input gives ", to_string(expected));
  const Shape& logits = model.output_shape(model.logits_name());
  GAZE_CHECK(logits == Shape{static_cast<int64_t>(meta.classes.size())}, where, ": the model has ",
             to_string(logits), " outputs but the metadata names ", meta.classes.size(), " classes");
  return meta;
}

}  // namespace gaze
