#pragma once
// Evaluating a checkpoint on any labeled folder (flat or class subfolders)
// or IDX pair: accuracy, per-class accuracy and the confusion matrix.
#include <nlohmann/json.hpp>
#include <map>
#include <string>
#include <vector>

namespace gaze::train {

struct Evaluation {
  std::vector<std::string> classes;           // the checkpoint's classes
  std::vector<std::vector<int64_t>> confusion;  // [true class][predicted class]
  int64_t n = 0;
  double accuracy = 0;
  std::vector<double> per_class;  // accuracy per true class (NaN-free: 0 when absent)
  // Files that passed the folder scan but failed to decode: left out of n and
  // of every count (never replaced by another image).
  std::vector<std::string> undecodable;
  // {"n","accuracy","per_class":{name:acc},"confusion","classes","undecodable"}
  nlohmann::json to_json() const;
};

struct EvaluateOptions {
  std::string idx_split = "test";  // train or test files when the folder holds IDX files
  int batch_size = 64;
  std::string device = "cpu";
  bool allow_nonfinite = false;  // load a checkpoint with NaN/Inf values (debugging)
  // The folder's class names -> the checkpoint's ("cats=cat,dogs=dog" parsed
  // by data::parse_class_map); folders otherwise match by name, IDX labels by index.
  std::map<std::string, std::string> class_map = {};
};

Evaluation evaluate_checkpoint(const std::string& checkpoint, const std::string& data_dir,
                               const EvaluateOptions& options = {});

// Builds an Evaluation from predictions; labels and predictions index `classes`.
Evaluation tally(const std::vector<std::string>& classes, const std::vector<int>& labels,
                 const std::vector<int>& predictions);

}  // namespace gaze::train
