#pragma once
// The one reader of a checkpoint's metadata (the "gaze" object of a model
// file, layers/model_file.h), used by every program: evaluate, cam-infer and
// train --resume. It checks the metadata against the model it describes, so
// no program can read past the model's outputs or preprocess differently:
//   classes  a non-empty list of distinct, non-empty names, one per logit
//   input    {channels, height, width} equal to the model's input,
//            mean and std with one finite value per channel (std > 0),
//            resize: the name of a resize policy (a string; data/ parses it)
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "layers/model.h"

namespace gaze {

struct InputSpec {
  int channels = 0, height = 0, width = 0;
  std::vector<float> mean, stddev;  // one per channel, on [0, 1] pixels
  std::string resize;
  float val_crop = 1.0f;  // central fraction kept at inference (absent in older checkpoints: 1)
};

struct CheckpointMetadata {
  std::vector<std::string> classes;
  InputSpec input;
};

// Throws gaze::Error naming `path` and the key for anything missing,
// malformed or disagreeing with `model`.
CheckpointMetadata read_checkpoint_metadata(const nlohmann::json& info, const Model& model, const std::string& path);

}  // namespace gaze
