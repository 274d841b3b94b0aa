#pragma once
// The CAM strip of report.html: where the network looks on a few fixed
// validation images, epoch by epoch. After selected epochs (the first, about
// 25%, 50% and 75% of the run, and whichever epoch is the best so far) the
// root rank runs those images through the model in inference mode and
// writes each one's class activation map for its true class (cam/cam.h:
// M = sum_k w_k A_k, the dense weights of the class over the last feature
// map) as a small overlay, <out>/cam-strip/epoch<E>_<i>.png, plus the
// predictions as epoch<E>.txt. report.html shows them as a grid: rows are
// images, columns epochs. Cost: one forward pass of the strip's images and
// a few small PNGs per captured epoch (measured and shown in the caption).
#include <string>
#include <vector>

#include "cam/map.h"
#include "data/data.h"
#include "layers/model.h"

namespace gaze::train {

// One image's map in one epoch.
struct StripCell {
  cam::Map raw;       // the CAM of the target class at the feature map's resolution, before any normalization
  int target = 0;     // the true class
  int predicted = 0;  // top-1
  float probability = 0;  // softmax probability of the predicted class
};

// CAMs of images [N, C, H, W] for their classes `targets`, after a forward
// pass without gradients in inference mode. The model must end in
// conv -> gap -> dense (cam::find_cam_graph explains otherwise). Keeps every
// activation while it runs, then keeps only the logits again (as training).
std::vector<StripCell> strip_cells(Model& model, const Tensor& images, const std::vector<int>& targets);

// The epochs (1-based) whose CAMs the strip always keeps: 1 and about 25%,
// 50% and 75% of the run, without repeats. The best epoch comes on top.
std::vector<int> cam_strip_epochs(int epochs);

class CamStrip {
 public:
  // Loads the first `count` images of `indices` (the validation split, in
  // val_files.txt order) once, preprocessed as validation does.
  // `cache`: the validation loader's decoded cache, when it has one.
  CamStrip(const data::Dataset& dataset, const std::vector<size_t>& indices, const data::DataConfig& config,
           int count, Device device, std::string out_dir,
           std::shared_ptr<const data::DecodedCache> cache = nullptr);

  int images() const { return static_cast<int>(labels_.size()); }
  // Whether epoch `epoch` (1-based) is captured: a planned one or a new best.
  bool wanted(int epoch, bool improved, int epochs) const;
  // Computes and writes the epoch's overlays; removes the files of earlier
  // best epochs that are no longer shown. Returns the seconds it took.
  double capture(Model& model, int epoch, int best_epoch, int epochs);
  // The grid for report.html (columns: the planned epochs up to `epoch` and
  // the best, those whose files exist); empty before any capture.
  std::string html(int epoch, int best_epoch, int epochs, const std::vector<std::string>& class_names) const;
  double mean_seconds() const { return captures_ > 0 ? seconds_ / captures_ : 0; }

 private:
  std::vector<int> columns(int epoch, int best_epoch, int epochs) const;
  std::string folder_, out_dir_;
  Tensor images_;                  // [N, C, H, W] on the model's device
  std::vector<float> host_images_;  // the same, normalized, for display
  std::vector<int> labels_;
  std::vector<std::string> names_;  // file names, for the rows
  data::DataConfig config_;
  double seconds_ = 0;
  int captures_ = 0;
};

}  // namespace gaze::train
