#include "cam/checkpoint_input.h"

#include <filesystem>

#include "core/error.h"
#include "layers/model_file.h"

namespace gaze::cam {

namespace {
data::DataConfig preprocessing_from_info(const nlohmann::json& info, const std::string& path) {
  GAZE_CHECK(info.contains("input") && info.at("input").is_object(), "'", path,
             "': the checkpoint metadata has no 'input' preprocessing (channels, height, width, mean, std, resize)");
  const nlohmann::json& input = info.at("input");
  data::DataConfig config;
  try {
    config.channels = input.at("channels").get<int>();
    config.height = input.at("height").get<int>();
    config.width = input.at("width").get<int>();
    config.resize = data::parse_resize_policy(input.value("resize", "stretch"));
    const auto mean = input.at("mean").get<std::vector<float>>();
    const auto stddev = input.at("std").get<std::vector<float>>();
    GAZE_CHECK(mean.size() == static_cast<size_t>(config.channels) && stddev.size() == mean.size(), "'", path,
               "': input.mean and input.std need one value per channel (", config.channels, "), got ", mean.size(),
               " and ", stddev.size());
    for (size_t c = 0; c < mean.size(); ++c) {
      GAZE_CHECK(stddev[c] > 0, "'", path, "': input.std[", c, "] must be positive, got ", stddev[c]);
      config.mean[c] = mean[c];
      config.stddev[c] = stddev[c];
    }
  } catch (const nlohmann::json::exception& e) {
    throw Error("'" + path + "': malformed 'input' preprocessing in the checkpoint metadata (" + e.what() + ")");
  }
  GAZE_CHECK(config.channels == 1 || config.channels == 3, "'", path, "': input.channels must be 1 or 3, got ",
             config.channels);
  config.augment = data::AugmentConfig{false, 1, 1, 1, 1, 0, 0};
  return config;
}
}  // namespace

InferenceCheckpoint load_inference_checkpoint(const std::string& path) {
  GAZE_CHECK(std::filesystem::is_regular_file(path), "checkpoint '", path, "' does not exist or is not a file");
  LoadedModel loaded = load_model_file(path);
  std::vector<std::string> classes;
  try {
    classes = loaded.info.at("classes").get<std::vector<std::string>>();
  } catch (const nlohmann::json::exception& e) {
    throw Error("'" + path + "': the checkpoint metadata has no 'classes' list of names (" + e.what() + ")");
  }
  data::DataConfig preprocessing = preprocessing_from_info(loaded.info, path);
  const Shape& input = loaded.model.input_shape();
  const Shape expected{preprocessing.channels, preprocessing.height, preprocessing.width};
  GAZE_CHECK(input == expected, "'", path, "': the model takes input ", to_string(input),
             " but the preprocessing metadata gives ", to_string(expected));
  const Shape& logits = loaded.model.output_shape(loaded.model.logits_name());
  GAZE_CHECK(logits.size() == 1 && logits[0] == static_cast<int64_t>(classes.size()), "'", path,
             "': the model has ", to_string(logits), " outputs but the metadata names ", classes.size(), " classes");
  return {std::move(loaded.model), std::move(classes), preprocessing, path};
}

int class_index(const InferenceCheckpoint& checkpoint, const std::string& name) {
  std::string known;
  for (size_t i = 0; i < checkpoint.classes.size(); ++i) {
    if (checkpoint.classes[i] == name) return static_cast<int>(i);
    known += (i ? ", " : "") + checkpoint.classes[i];
  }
  throw Error("--class '" + name + "': not a class of '" + checkpoint.path + "' (classes: " + known + ", or all)");
}

Model copy_model(const Model& source, const nlohmann::json& description) {
  Model copy = Model::from_json(description);
  copy.to(source.device());
  const NamedTensors from = source.named_state();
  NamedTensors to = copy.named_state();
  GAZE_CHECK(from.size() == to.size(), "copy_model: the description has ", to.size(), " tensors, the source ",
             from.size());
  for (size_t i = 0; i < to.size(); ++i) {
    GAZE_CHECK(from[i].first == to[i].first, "copy_model: tensor '", to[i].first, "' where the source has '",
               from[i].first, "'");
    to[i].second.copy_from(from[i].second);
  }
  return copy;
}

}  // namespace gaze::cam
