#pragma once
// Training checkpoints on top of layers/model_file.h:
//   best.safetensors: the model, classes and preprocessing (all inference needs)
//   last.safetensors: the same plus optimizer state and the loop position, for --resume
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "data/config.h"
#include "layers/checkpoint_metadata.h"
#include "layers/model.h"
#include "train/report.h"

namespace gaze::train {

// The loop position stored in last.safetensors under info["resume"].
struct ResumeState {
  int epoch = 0;         // 0-based epoch in progress (or next to run)
  size_t batch = 0;      // batches of `epoch` already done
  double best_val_acc = -1;
  int best_epoch = 0;
  int bad_epochs = 0;    // epochs without improvement (early stopping)
  int world_size = 1;
  double loss_sum = 0, correct = 0, seen = 0, seconds = 0;  // partial-epoch accumulators
  std::vector<EpochMetrics> history;
};

nlohmann::json checkpoint_info(const std::vector<std::string>& classes, const data::DataConfig& data, int epoch,
                               double val_acc);
nlohmann::json to_json(const ResumeState& state);
// Throws gaze::Error for a malformed state or impossible counters (negative,
// non-finite, more correct than seen); `source` names the file.
ResumeState resume_state_from_json(const nlohmann::json& json, const std::string& source);
// Throws unless the saved position exists in this run: epoch <= epochs and
// batch < batches per epoch (a crafted 10^12 would otherwise loop for ever).
void check_resume_position(const ResumeState& state, int epochs, size_t batches_per_epoch, const std::string& source);

// The preprocessing a checkpoint was trained with, as a DataConfig (no
// augmentation), from its validated metadata (layers/checkpoint_metadata.h).
data::DataConfig preprocessing_config(const CheckpointMetadata& meta, const std::string& source);

}  // namespace gaze::train
