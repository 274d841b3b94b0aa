#include "data/matrix.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>

#include "core/error.h"
#include "core/memory_budget.h"
#include "core/npy.h"
#include "core/shape.h"
#include "data/dataset.h"
#include "data/random.h"

namespace gaze::data {
namespace fs = std::filesystem;
namespace {

constexpr std::uintmax_t kMaxClassesFileBytes = 1 << 20;

std::string shape_text(int channels, int height, int width) {
  return gaze::to_string(Shape{channels, height, width});
}

// [C, H, W] of one matrix from an array's shape without its leading `skip`
// extents ([H, W] means one channel).
std::vector<int64_t> matrix_shape(const std::vector<int64_t>& shape, std::size_t skip, const std::string& path,
                                  const std::string& expected) {
  GAZE_CHECK(shape.size() == skip + 2 || shape.size() == skip + 3, "'", path, "' has shape ", gaze::to_string(shape),
             "; expected ", expected);
  std::vector<int64_t> chw(shape.begin() + static_cast<std::ptrdiff_t>(skip), shape.end());
  if (chw.size() == 2) chw.insert(chw.begin(), 1);
  return chw;
}

void check_model_shape(const std::vector<int64_t>& chw, const DataConfig& config, const std::string& path) {
  GAZE_CHECK(chw[0] == config.channels && chw[1] == config.height && chw[2] == config.width, "'", path,
             "' holds matrices of shape ", gaze::to_string(chw), " but the model takes ",
             shape_text(config.channels, config.height, config.width),
             "; set model.input to the matrices' [channels, height, width] (matrices are never resized)");
}

// NaN or Inf poisons every gradient it touches; name the first one and where it is.
void check_finite(const float* values, std::size_t count, const std::vector<int64_t>& chw, const std::string& what) {
  for (std::size_t i = 0; i < count; ++i) {
    if (std::isfinite(values[i])) continue;
    const auto plane = static_cast<std::size_t>(chw[1] * chw[2]);
    const std::size_t in_sample = i % (static_cast<std::size_t>(chw[0]) * plane);
    throw Error(what + " holds " + (std::isnan(values[i]) ? "NaN" : "an infinite value (or a float64 beyond float32)") +
                " at channel " + std::to_string(in_sample / plane) + ", row " +
                std::to_string(in_sample % plane / static_cast<std::size_t>(chw[2])) + ", column " +
                std::to_string(in_sample % static_cast<std::size_t>(chw[2])) +
                (count > static_cast<std::size_t>(chw[0]) * plane ? " of sample " + std::to_string(i / (static_cast<std::size_t>(chw[0]) * plane)) : std::string()) +
                "; every value must be finite");
  }
}

std::vector<std::string> read_class_names(const fs::path& file) {
  std::error_code error;
  GAZE_CHECK(fs::is_regular_file(file, error), "'", file.string(),
             "' is missing; a pair of arrays (x.npy, y.npy) needs classes.txt with one class name a line, "
             "label 0 first");
  const std::uintmax_t size = fs::file_size(file, error);
  GAZE_CHECK(!error && size <= kMaxClassesFileBytes, "'", file.string(), "' has ", size,
             " bytes; expected at most ", kMaxClassesFileBytes);
  std::ifstream in(file);
  std::vector<std::string> names;
  std::set<std::string> seen;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    GAZE_CHECK(seen.insert(line).second, "'", file.string(), "' line ", number, ": class '", line, "' is listed twice");
    names.push_back(line);
  }
  return names;
}

Dataset scan_pair(const DataConfig& config, const fs::path& root) {
  const std::string x_path = (root / "x.npy").string(), y_path = (root / "y.npy").string();
  Dataset dataset;
  dataset.root = config.root;
  dataset.layout = Layout::npy;
  dataset.class_names = read_class_names(root / "classes.txt");
  NpyArray x = read_npy(x_path);
  GAZE_CHECK(!x.shape.empty() && x.shape[0] > 0, "'", x_path, "' has shape ", gaze::to_string(x.shape),
             "; expected [N, H, W] or [N, C, H, W] with N > 0");
  const std::vector<int64_t> chw = matrix_shape(x.shape, 1, x_path, "[N, H, W] or [N, C, H, W]");
  check_model_shape(chw, config, x_path);
  check_finite(x.values.data(), x.values.size(), chw, "'" + x_path + "'");
  const NpyIntegers y = read_npy_integers(y_path);
  const auto count = static_cast<std::size_t>(x.shape[0]);
  GAZE_CHECK(y.shape.size() == 1 && y.values.size() == count, "'", y_path, "' has shape ", gaze::to_string(y.shape),
             "; expected [", count, "], one label per matrix of x.npy");
  for (std::size_t i = 0; i < count; ++i) {
    const int64_t label = y.values[i];
    GAZE_CHECK(label >= 0 && label < static_cast<int64_t>(dataset.class_names.size()), "'", y_path, "': label ",
               label, " at index ", i, " is not a class of classes.txt (", dataset.class_names.size(),
               " classes, labels 0 to ", dataset.class_names.size() - 1, ")");
    Sample sample;
    sample.path = x_path + "#" + std::to_string(i);
    sample.label = static_cast<int>(label);
    dataset.samples.push_back(std::move(sample));
  }
  auto matrices = std::make_shared<MatrixSet>();
  matrices->channels = config.channels;
  matrices->height = config.height;
  matrices->width = config.width;
  matrices->values = std::move(x.values);
  dataset.matrices = std::move(matrices);
  return dataset;
}

Dataset scan_folders(const DataConfig& config, const fs::path& root) {
  Dataset dataset;
  dataset.root = config.root;
  dataset.layout = Layout::npy;
  auto matrices = std::make_shared<MatrixSet>();
  matrices->channels = config.channels;
  matrices->height = config.height;
  matrices->width = config.width;
  std::vector<fs::path> class_folders;
  std::error_code error;
  for (fs::directory_iterator it(root, error), end; !error && it != end; it.increment(error)) {
    if (it->path().filename().string().starts_with('.')) continue;
    if (it->is_directory(error)) class_folders.push_back(it->path());
    else dataset.skipped.push_back({it->path().string(), "file outside a class folder; its label is unknown"});
  }
  GAZE_CHECK(!error, "cannot read folder '", config.root, "': ", error.message());
  std::sort(class_folders.begin(), class_folders.end());
  std::string first_file;
  std::vector<int64_t> first_shape;
  for (const fs::path& folder : class_folders) {
    std::vector<fs::path> files;
    for (fs::directory_iterator it(folder, error), end; !error && it != end; it.increment(error)) {
      const fs::path& path = it->path();
      if (path.filename().string().starts_with('.')) continue;
      if (it->is_regular_file(error) && has_npy_extension(path.string())) files.push_back(path);
      else dataset.skipped.push_back({path.string(), "not a .npy file (class folders of a matrix dataset hold .npy files)"});
    }
    GAZE_CHECK(!error, "cannot read folder '", folder.string(), "': ", error.message());
    if (files.empty()) {
      dataset.skipped.push_back({folder.string(), "class folder without .npy files"});
      continue;
    }
    std::sort(files.begin(), files.end());
    const int label = static_cast<int>(dataset.class_names.size());
    dataset.class_names.push_back(folder.filename().string());
    for (const fs::path& file : files) {
      const std::string path = file.string();
      const NpyArray array = read_npy(path);
      const std::vector<int64_t> chw = matrix_shape(array.shape, 0, path, "[H, W] or [C, H, W]");
      if (first_file.empty()) {
        first_file = path;
        first_shape = chw;
      }
      GAZE_CHECK(chw == first_shape, "'", path, "' has shape ", gaze::to_string(chw), " but '", first_file, "' has ",
                 gaze::to_string(first_shape), "; every matrix of a dataset must have the same shape");
      check_model_shape(chw, config, path);
      check_finite(array.values.data(), array.values.size(), chw, "'" + path + "'");
      // Charged before the copy: a folder of many large matrices fails with the size it needs.
      check_allocation({static_cast<int64_t>(matrices->values.size() + array.values.size())}, Device::cpu());
      matrices->values.insert(matrices->values.end(), array.values.begin(), array.values.end());
      Sample sample;
      sample.path = path;
      sample.label = label;
      dataset.samples.push_back(std::move(sample));
    }
  }
  dataset.matrices = std::move(matrices);
  return dataset;
}

}  // namespace

bool has_npy_extension(const std::string& path) {
  std::string extension = fs::path(path).extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return extension == ".npy";
}

Dataset scan_npy_dataset(const DataConfig& config) {
  const fs::path root(config.root);
  std::error_code error;
  const bool pair = fs::exists(root / "x.npy", error) || fs::exists(root / "y.npy", error);
  Dataset dataset = pair ? scan_pair(config, root) : scan_folders(config, root);
  for (const SkippedFile& file : dataset.skipped)
    std::cerr << "gaze data: warning: skipping '" << file.path << "': " << file.reason << "\n";
  std::cerr << "gaze data: '" << config.root << "' (npy layout, " << (pair ? "x.npy/y.npy" : "class folders")
            << "): " << dataset.samples.size() << " matrices of shape "
            << shape_text(config.channels, config.height, config.width) << " in " << dataset.class_names.size()
            << " classes\n";
  GAZE_CHECK(!dataset.samples.empty(), "no matrices in '", config.root,
             "'; expected class subfolders of .npy files or x.npy, y.npy and classes.txt");
  GAZE_CHECK(dataset.class_names.size() >= 2, "only ", dataset.class_names.size(), " class in '", config.root,
             "'; expected at least two");
  return dataset;
}

ChannelStatistics channel_statistics(const Dataset& dataset, const std::vector<std::size_t>& subset) {
  GAZE_CHECK(dataset.matrices, "channel statistics need a matrix dataset (data.layout: npy)");
  GAZE_CHECK(!subset.empty(), "channel statistics of '", dataset.root, "' need at least one sample");
  const MatrixSet& m = *dataset.matrices;
  const auto plane = static_cast<std::size_t>(m.height) * m.width;
  const double n = static_cast<double>(plane) * static_cast<double>(subset.size());
  ChannelStatistics stats;
  for (int c = 0; c < m.channels; ++c) {
    // Two passes: the one-pass sum-of-squares formula cancels badly for data far from zero.
    double sum = 0;
    for (std::size_t index : subset)
      for (std::size_t i = 0; i < plane; ++i) sum += m.sample(index)[c * plane + i];
    const double mean = sum / n;
    double squares = 0;
    for (std::size_t index : subset)
      for (std::size_t i = 0; i < plane; ++i) {
        const double d = m.sample(index)[c * plane + i] - mean;
        squares += d * d;
      }
    stats.mean.push_back(mean);
    stats.stddev.push_back(std::sqrt(squares / n));
  }
  return stats;
}

std::string resolve_auto_normalization(const Dataset& dataset, const std::vector<std::size_t>& train_subset,
                                       DataConfig& config) {
  if (!config.mean_auto && !config.stddev_auto) return "";
  GAZE_CHECK(dataset.matrices, "data.mean/std: auto is supported for matrix datasets (data.layout: npy) only; "
             "give per-channel numbers for images");
  const ChannelStatistics stats = channel_statistics(dataset, train_subset);
  std::string line = "normalization from " + std::to_string(train_subset.size()) + " training matrices:";
  for (std::size_t c = 0; c < stats.mean.size(); ++c) {
    if (config.mean_auto) config.mean[c] = static_cast<float>(stats.mean[c]);
    if (config.stddev_auto) config.stddev[c] = stats.stddev[c] > 0 ? static_cast<float>(stats.stddev[c]) : 1.0f;
    line += " channel " + std::to_string(c) + " mean " + std::to_string(config.mean[c]) + " std " +
            std::to_string(config.stddev[c]) + (config.stddev_auto && stats.stddev[c] == 0 ? " (constant channel)" : "");
  }
  config.mean_auto = config.stddev_auto = false;
  return line;
}

void matrix_into(const Dataset& dataset, std::size_t index, const DataConfig& config, float noise_std, int epoch,
                 float* out) {
  const MatrixSet& m = *dataset.matrices;
  const float* source = m.sample(index);
  const auto plane = static_cast<std::size_t>(m.height) * m.width;
  Rng rng(mix_seed({config.seed, static_cast<std::uint64_t>(epoch), index, 0x6e6f697365ULL}));
  for (int c = 0; c < m.channels; ++c) {
    const float mean = config.mean[static_cast<std::size_t>(c)];
    const float stddev = config.stddev[static_cast<std::size_t>(c)];
    for (std::size_t i = 0; i < plane; ++i) {
      float value = source[c * plane + i];
      if (noise_std > 0) {
        // Box-Muller; 1 - uniform() is in (0, 1], so the logarithm is finite.
        const float u = 1.0f - rng.uniform(), v = rng.uniform();
        value += noise_std * std::sqrt(-2.0f * std::log(u)) * std::cos(6.28318530718f * v);
      }
      out[c * plane + i] = (value - mean) / stddev;  // as load_matrix_for_inference
    }
  }
}

InferenceMatrix load_matrix_for_inference(const std::string& path, const DataConfig& config) {
  NpyArray array = read_npy(path);
  const std::vector<int64_t> chw = matrix_shape(array.shape, 0, path, "[H, W] or [C, H, W]");
  check_model_shape(chw, config, path);
  check_finite(array.values.data(), array.values.size(), chw, "'" + path + "'");
  InferenceMatrix matrix;
  matrix.channels = config.channels;
  matrix.height = config.height;
  matrix.width = config.width;
  matrix.values = std::move(array.values);
  matrix.normalized.resize(matrix.values.size());
  const auto plane = static_cast<std::size_t>(matrix.height) * matrix.width;
  for (std::size_t i = 0; i < matrix.values.size(); ++i) {
    const std::size_t c = i / plane;
    matrix.normalized[i] = (matrix.values[i] - config.mean[c]) / config.stddev[c];
  }
  return matrix;
}

}  // namespace gaze::data
