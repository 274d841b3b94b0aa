#pragma once
// How faithful a map is to the model (cam-infer --metrics):
// - Average Drop and Increase in Confidence (Chattopadhyay et al. 2018): the
//   target's softmax probability on the image multiplied by its map, O_c,
//   against the full image's, Y_c: AD = 100 mean(max(0, Y_c - O_c) / Y_c),
//   IC = 100 mean(O_c > Y_c). Lower AD and higher IC are better.
// - RISE deletion and insertion AUC (Petsiuk et al. 2018): the probability
//   as the most salient pixels are removed (set to 0, the normalized mean) or
//   revealed on a blurred copy, area under the curve over the fraction of
//   pixels. Lower deletion and higher insertion are better.
// - The model randomization sanity check (Adebayo et al. 2018): randomize the
//   dense layer, then each conv layer top-down, cumulatively, and compare the
//   maps with the originals by Spearman rank correlation. A method that
//   explains the model decorrelates; one that does not is an edge detector.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cam/map.h"
#include "cam/methods.h"

namespace gaze::cam {

struct FaithfulnessSummary {
  int images = 0;
  double average_drop = 0, increase_in_confidence = 0;  // percent
  double deletion_auc = 0, insertion_auc = 0;           // mean over images
};

// Accumulates the faithfulness scores batch by batch.
class FaithfulnessMetrics {
 public:
  explicit FaithfulnessMetrics(int curve_steps = 16, int batch = 32) : steps_(curve_steps), batch_(batch) {}
  // x: the batch [N, C, H, W]; maps: each image's normalized map at the
  // network input's resolution; targets: the explained classes.
  void add(Model& model, const Tensor& x, const std::vector<Map>& maps, const std::vector<int>& targets);
  FaithfulnessSummary summary() const;

 private:
  int steps_, batch_;
  int images_ = 0;
  double drop_sum_ = 0, increases_ = 0, deletion_sum_ = 0, insertion_sum_ = 0;
};

struct SanityStage {
  std::string randomized_layer;  // cumulative: this layer and every one listed before it
  double mean_spearman = 0;
};

// Runs the cascading randomization on a copy of the model (the model itself
// is untouched); original_maps are the normalized maps of x for `targets`.
std::vector<SanityStage> randomization_sanity_check(const Model& model, const Tensor& x,
                                                    const std::vector<int>& targets, const MethodOptions& options,
                                                    const std::vector<Map>& original_maps, uint64_t seed = 1);

// Spearman rank correlation (ties get average ranks); 0 when either map is constant.
double spearman_correlation(const Map& a, const Map& b);

// Normalizes a raw map as the method's display does (contrastive: max-abs).
Map normalize_for_method(const Map& raw, Method method, bool* degenerate = nullptr);

// The normalized map at the network input's size, as cam-infer shows it:
// normalize_for_method, then bilinear resizing. Under --compat
// pytorch-grad-cam, pytorch-grad-cam's scale_cam_image (ReLU, min-max with
// 1e-7) before the resize and again after it (contrastive keeps its own scaling).
Map display_map(const Map& raw, const MethodOptions& options, int height, int width, bool* degenerate = nullptr);

std::string format_metrics_table(const FaithfulnessSummary& faithfulness, const std::vector<SanityStage>& sanity,
                                 const std::string& method);
nlohmann::json metrics_json(const FaithfulnessSummary& faithfulness, const std::vector<SanityStage>& sanity,
                            const std::string& method);

}  // namespace gaze::cam
