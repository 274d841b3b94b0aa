#pragma once
// Fine-tuning: start from another checkpoint's weights (model.init_from),
// give the network a fresh head for new classes (model.replace_head), keep
// layers fixed (train.freeze, see Model::freeze) and train layer groups at
// their own learning rates (train.lr_groups).
#include <cstdint>
#include <string>
#include <vector>

#include "layers/model.h"
#include "train/config.h"
#include "train/optimizer.h"

namespace gaze::train {

// The model with its logits layer (a dense layer) rebuilt with `classes`
// outputs and fresh initial weights; every other layer keeps its description.
Model with_new_head(const Model& model, int64_t classes, uint64_t seed);

struct InitFromReport {
  std::vector<std::string> copied;
  std::vector<std::string> kept;        // left at their initial values: layers in `fresh_layers`
  std::vector<std::string> different;   // "name ([in checkpoint] vs [here])": same name, other shape
  std::vector<std::string> missing;     // tensors of the model the checkpoint lacks
  std::vector<std::string> unused;      // tensors of the checkpoint the model lacks
  // One paragraph for the log, naming the first few of each kind.
  std::string summary(const std::string& path) const;
};

// Copies into `model` every tensor (parameters and buffers) of the
// checkpoint at `path` whose name and shape match, except those of
// `fresh_layers`. The checkpoint is validated as every gaze program does.
InitFromReport init_from_checkpoint(Model& model, const std::string& path, const std::vector<std::string>& fresh_layers);

// Sets the optimizer's learning-rate scale of every parameter of a layer
// matching a group (the first matching group wins). A group matching no
// trainable layer is an error.
void apply_lr_groups(Optimizer& optimizer, const Model& model, const std::vector<TrainConfig::LrGroup>& groups);

}  // namespace gaze::train
