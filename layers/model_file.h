#pragma once
// A model file is one safetensors file holding everything inference needs:
// tensors named "<layer>.<param>" in PyTorch layouts, and in the metadata a
// key "gaze" whose value is a JSON string:
//   {"format": "gaze.checkpoint/1", "model": {input, layers}, ...caller info}
// The caller (training) adds classes, preprocessing, epoch and val_acc; the
// one reader of those is layers/checkpoint_metadata.h.
// Extra state that is not part of the model (optimizer moments, ...) is
// stored under names starting with "state/" and ignored when rebuilding.
//
// Model files are shared and downloaded, so loading treats them as hostile:
// the safetensors layer checks every size and offset (core/safetensors.h),
// the model is rebuilt under a memory budget, every tensor must be finite and
// each layer checks its own state (e.g. no negative BatchNorm variance).
#include <nlohmann/json.hpp>
#include <string>

#include "core/safetensors.h"
#include "layers/model.h"

namespace gaze {

inline constexpr const char* kModelFileFormat = "gaze.checkpoint/1";
inline constexpr const char* kExtraStatePrefix = "state/";

// Writes atomically. `info` must be a JSON object; `extra` tensors must be
// named "state/...".
void save_model_file(const std::string& path, const Model& model, const nlohmann::json& info,
                     const NamedTensors& extra = {});

struct LoadedModel {
  Model model;
  nlohmann::json info;  // the whole "gaze" metadata object
  NamedTensors extra;   // the "state/..." tensors
};

struct ModelFileOptions {
  // Accept NaN/Inf values (for debugging a diverged run); never the default.
  bool allow_nonfinite = false;
};

// Throws gaze::Error naming the file for anything that is not a gaze model
// file, whose tensors do not match its architecture, or that holds a
// non-finite value (naming the tensor) unless options.allow_nonfinite.
LoadedModel load_model_file(const std::string& path, const ModelFileOptions& options = {});

}  // namespace gaze
