#include "cam/checkpoint_input.h"

#include <filesystem>

#include "core/error.h"
#include "layers/checkpoint_metadata.h"

namespace gaze::cam {

InferenceCheckpoint load_inference_checkpoint(const std::string& path, const ModelFileOptions& options) {
  std::error_code error;
  GAZE_CHECK(std::filesystem::is_regular_file(path, error), "checkpoint '", path, "' does not exist or is not a file",
             error ? " (" + error.message() + ")" : "");
  LoadedModel loaded = load_model_file(path, options);
  CheckpointMetadata meta = read_checkpoint_metadata(loaded.info, loaded.model, path);
  const InputSpec& in = meta.input;
  data::DataConfig preprocessing =
      data::inference_config(in.channels, in.height, in.width, in.mean, in.stddev, in.resize, "'" + path + "'",
                             in.val_crop);
  return {std::move(loaded.model), std::move(meta.classes), preprocessing, path};
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
