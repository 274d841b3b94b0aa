#pragma once
// PatternAttribution (Kindermans et al. 2018, "Learning how to explain
// neural networks: PatternNet and PatternAttribution", ICLR). A linear
// neuron y = w^T x + b that must cancel distractors in x has a weight w that
// says little about the signal; the pattern a, the direction of x that y
// actually varies with, is estimated from data. PatternAttribution is then
// the gradient of the target logit with each weight w replaced by w * a
// (element-wise), the ReLUs and poolings backpropagating as for the gradient.
//
// Estimation (the paper's two-component estimator S_a+-): for each conv or
// dense layer and each of its output units j, over the samples x (the
// layer's input windows, one per output position and image) where the ReLU
// the unit feeds is active,
//   a_j = cov+(x, y_j) / var+(y_j),
// which equals the paper's cov+(x, y) / (w^T cov+(x, y)) since y = w^T x + b
// (so w^T a_j = 1 for every unit that saw data).
// A layer that feeds no ReLU (the logits) uses every sample (the linear
// estimator S_a). The sums behind the covariances are conv (or dense)
// weight gradients, so estimation runs on the model's device.
// A batchnorm is folded into the conv or dense layer it reads: the pattern
// is estimated for the layer's own output, and the batchnorm passes the
// signal through unchanged (w' * a' = w * a for the folded neuron).
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "cam/checkpoint_input.h"
#include "cam/methods.h"

namespace gaze::cam {

struct Patterns {
  std::map<std::string, Tensor> layers;  // conv or dense layer -> pattern shaped like its weight (on the CPU)
  int64_t images = 0;                    // how many images they were estimated from
};

// Accumulates the statistics batch by batch. The model must be one LRP
// handles (detail::fold_plan): conv, dense, batchnorm after them, pooling,
// relu, flatten, dropout, add, concat.
class PatternEstimator {
 public:
  explicit PatternEstimator(const Model& model);
  void add(Model& model, const Tensor& x);  // x: a batch [N, C, H, W]
  Patterns patterns() const;

 private:
  struct Sums {
    std::string relu;  // the ReLU whose activity selects the samples; empty: every sample
    Shape shape;       // the layer's weight shape
    std::vector<double> x, xy;             // per weight element: sum of x, of x y (over the selected samples)
    std::vector<double> count, y, yy;      // per output unit
  };
  std::map<std::string, Sums> sums_;
  int64_t images_ = 0;
};

// cam-infer --patterns-from DIR: the patterns of `checkpoint` estimated from
// the images under `folder` (read with the checkpoint's preprocessing, in
// batches of `batch`). They are cached next to the checkpoint as
// <stem>.patterns.safetensors, with fingerprints of the checkpoint's bytes
// and of the image list (paths and sizes): a later run with the same two
// loads the cache, anything else estimates afresh and rewrites it. Progress
// and warnings go to `err`.
std::shared_ptr<const Patterns> load_or_estimate_patterns(InferenceCheckpoint& checkpoint,
                                                          const std::string& folder, int batch, std::ostream& err);

// Where load_or_estimate_patterns caches the patterns of a checkpoint.
std::string patterns_cache_path(const std::string& checkpoint_path);

}  // namespace gaze::cam
