#pragma once
// Evaluating a checkpoint on any labeled folder (flat or class subfolders)
// or IDX pair: accuracy, per-class accuracy and the confusion matrix; and
// the test-time augmentation that evaluate --tta and train.val_tta share.
#include <nlohmann/json.hpp>
#include <map>
#include <string>
#include <vector>

#include "core/device.h"
#include "layers/model.h"

namespace gaze::train {

// Test-time augmentation: none, or flip (each image and its horizontal mirror).
enum class Tta { none, flip };
Tta parse_tta(const std::string& name);  // "none" or "flip"; throws gaze::Error otherwise
std::string tta_name(Tta tta);

// Class probabilities, [n][classes] row-major, for a batch of normalized
// NCHW images held on the host: the softmax of the model's logits; with
// Tta::flip the mean of the softmax of each image and of its horizontal
// mirror (probabilities averaged, then the argmax is the prediction).
std::vector<float> predict_probabilities(Model& model, const std::vector<float>& images, int n, int channels,
                                         int height, int width, Device device, Tta tta);

struct ProbabilityScore {
  double loss_sum = 0;  // sum over the batch of -log p[true class]
  double correct = 0;   // images whose argmax is the true class
};
ProbabilityScore score_probabilities(const std::vector<float>& probabilities, const std::vector<int>& labels);

struct Evaluation {
  std::vector<std::string> classes;           // the checkpoint's classes
  std::vector<std::vector<int64_t>> confusion;  // [true class][predicted class]
  int64_t n = 0;
  double accuracy = 0;
  std::vector<double> per_class;  // accuracy per true class (NaN-free: 0 when absent)
  // Files that passed the folder scan but failed to decode: left out of n and
  // of every count (never replaced by another image).
  std::vector<std::string> undecodable;
  Tta tta = Tta::none;  // how the predictions were made
  double val_crop = 1;  // the checkpoint's evaluation centre crop (data.val_crop)
  // {"n","accuracy","per_class":{name:acc},"confusion","classes","undecodable","tta","val_crop"}
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
  Tta tta = Tta::none;
};

Evaluation evaluate_checkpoint(const std::string& checkpoint, const std::string& data_dir,
                               const EvaluateOptions& options = {});

// Builds an Evaluation from predictions; labels and predictions index `classes`.
Evaluation tally(const std::vector<std::string>& classes, const std::vector<int>& labels,
                 const std::vector<int>& predictions);

}  // namespace gaze::train
