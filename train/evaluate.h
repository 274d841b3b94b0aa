#pragma once
// Evaluating a checkpoint on any labeled folder (flat or class subfolders)
// or IDX pair: accuracy, per-class accuracy and the confusion matrix.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace gaze::train {

struct Evaluation {
  std::vector<std::string> classes;           // the checkpoint's classes
  std::vector<std::vector<int64_t>> confusion;  // [true class][predicted class]
  int64_t n = 0;
  double accuracy = 0;
  std::vector<double> per_class;  // accuracy per true class (NaN-free: 0 when absent)
  nlohmann::json to_json() const;  // {"n","accuracy","per_class":{name:acc},"confusion","classes"}
};

// `idx_split` picks train or test files when `data_dir` holds IDX files.
Evaluation evaluate_checkpoint(const std::string& checkpoint, const std::string& data_dir,
                               const std::string& idx_split = "test", int batch_size = 64,
                               const std::string& device = "cpu");

// Builds an Evaluation from predictions; labels and predictions index `classes`.
Evaluation tally(const std::vector<std::string>& classes, const std::vector<int>& labels,
                 const std::vector<int>& predictions);

}  // namespace gaze::train
