#pragma once
// Matrix datasets (data.layout: npy): 2-D float arrays such as spectrograms,
// sensor grids or omics heat maps, which are data, not photos. Two forms:
//   class subfolders  <root>/<class>/*.npy, each [H, W] or [C, H, W]
//   a pair of arrays  <root>/x.npy [N, H, W] or [N, C, H, W], <root>/y.npy
//                     [N] integer labels, <root>/classes.txt one name a line
// float32 or float64 (narrowed to float32), C order. Every sample is read and
// checked when the dataset is scanned and then held in memory as float32:
// nothing on this path goes through 8-bit pixels, the decoded cache or a
// resize, so the model sees the values of the file. Matrices must already
// have the model's [C, H, W]; a matrix is never cropped, flipped or resized
// (its rows and columns mean something), and the only augmentation is
// additive Gaussian noise (data.augment.noise_std).
//
// Any bad array (wrong dtype, NaN/Inf, shapes that differ between files or
// from model.input, Fortran order, pickled objects, truncated data) is a
// gaze::Error naming the file: a silently skipped matrix would bias results.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "data/config.h"

namespace gaze::data {

struct Dataset;

// The samples of a matrix dataset, in Dataset::samples order.
struct MatrixSet {
  int channels = 0, height = 0, width = 0;
  std::vector<float> values;  // count * channels * height * width, CHW per sample
  std::size_t sample_size() const { return static_cast<std::size_t>(channels) * height * width; }
  const float* sample(std::size_t index) const { return values.data() + index * sample_size(); }
};

// Scans and loads a matrix dataset; config.channels, height and width are the
// shape every matrix must have.
Dataset scan_npy_dataset(const DataConfig& config);

// Per-channel mean and population standard deviation over the samples
// `subset` (accumulated in double). A channel whose values are all equal has
// standard deviation 0.
struct ChannelStatistics {
  std::vector<double> mean, stddev;
};
ChannelStatistics channel_statistics(const Dataset& dataset, const std::vector<std::size_t>& subset);

// Replaces config.mean / config.stddev by the statistics of `train_subset`
// where config.mean_auto / config.stddev_auto ask for it (a zero deviation
// becomes 1, so a constant channel passes through centred). Returns a line
// describing what was computed, empty when nothing was.
std::string resolve_auto_normalization(const Dataset& dataset, const std::vector<std::size_t>& train_subset,
                                       DataConfig& config);

// Writes sample `index` normalized, (value + noise - mean) / stddev, CHW, to
// `out`. With `noise_std` > 0 the noise is Gaussian, drawn from (seed, epoch,
// index) so that it does not depend on threads or ranks.
void matrix_into(const Dataset& dataset, std::size_t index, const DataConfig& config, float noise_std, int epoch,
                 float* out);

// One .npy file for inference: checked like a dataset file and shaped like
// config's input. `values` is the matrix as in the file (for rendering and
// for the row/column profiles), `normalized` the model input.
struct InferenceMatrix {
  std::vector<float> values, normalized;  // channels * height * width, CHW
  int channels = 0, height = 0, width = 0;
};
InferenceMatrix load_matrix_for_inference(const std::string& path, const DataConfig& config);

bool has_npy_extension(const std::string& path);

}  // namespace gaze::data
