#pragma once
// A checkpoint opened for inference: the model, its class names and the
// preprocessing it was trained with, read by the one metadata reader
// (layers/checkpoint_metadata.h). Everything is checked up front so a bad
// file fails with its name and the problem before any image is read.
#include <string>
#include <vector>

#include "data/config.h"
#include "layers/model.h"
#include "layers/model_file.h"

namespace gaze::cam {

struct InferenceCheckpoint {
  Model model;
  std::vector<std::string> classes;
  data::DataConfig preprocessing;
  std::string path;
};

InferenceCheckpoint load_inference_checkpoint(const std::string& path, const ModelFileOptions& options = {});

// The class index for a name; the error lists the checkpoint's classes.
int class_index(const InferenceCheckpoint& checkpoint, const std::string& name);

// The same copy of a model under a (possibly edited) description: built from
// it and given the source's parameters and buffers, name by name.
Model copy_model(const Model& source, const nlohmann::json& description);

}  // namespace gaze::cam
