#pragma once
// DataConfig: every knob of the data pipeline as a plain struct, so data/ has
// no YAML dependency; train/ fills it from the config file.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace gaze::data {

enum class Layout { automatic, flat, folders, idx, npy };
enum class ResizePolicy { stretch, shorter_side_center_crop };

// Parse the config spellings ("auto", "flat", "folders", "idx", "npy" and
// "stretch", "shorter-side-center-crop"); throw gaze::Error naming the valid
// values otherwise.
Layout parse_layout(const std::string& name);
ResizePolicy parse_resize_policy(const std::string& name);
std::string to_string(Layout layout);
std::string to_string(ResizePolicy policy);

struct AugmentConfig {
  bool hflip = true;
  // Random resized crop: area fraction and width/height ratio ranges. A scale
  // range of [1, 1] with aspect [1, 1] disables it.
  float crop_scale_min = 0.35f, crop_scale_max = 1.0f;
  float crop_aspect_min = 3.0f / 4.0f, crop_aspect_max = 4.0f / 3.0f;
  // Brightness adds a uniform offset in [-brightness, brightness] (on the
  // [0, 1] pixel scale); contrast scales around the image mean by a factor in
  // [1 - contrast, 1 + contrast]. 0 disables either.
  float brightness = 0.1f;
  float contrast = 0.1f;
  // Matrices only (data/matrix.h): standard deviation of additive Gaussian
  // noise, in the matrix's own units (before normalization). 0 disables it.
  float noise_std = 0.0f;
  // Random erasing (Zhong et al. 2017; torchvision's RandomErasing): with
  // probability `erasing`, a box of area fraction in [erasing_scale_min,
  // erasing_scale_max] and height/width ratio in [erasing_ratio_min,
  // erasing_ratio_max] is set, after normalization, to 0 (the mean) or, with
  // erasing_random, to standard normal values. 0 disables it.
  float erasing = 0.0f;
  float erasing_scale_min = 0.02f, erasing_scale_max = 0.33f;
  float erasing_ratio_min = 0.3f, erasing_ratio_max = 3.3f;
  bool erasing_random = false;
};

struct DataConfig {
  std::string root;                 // dataset folder (or IDX folder)
  Layout layout = Layout::automatic;
  std::string idx_split = "train";  // IDX only: "train" or "test" (t10k files)

  int channels = 3;                 // 1 (grayscale) or 3 (RGB)
  int height = 64;
  int width = 64;
  ResizePolicy resize = ResizePolicy::stretch;
  // Validation and inference keep the central val_crop fraction (of each
  // side) of the resize policy's window, resized to the model size; training
  // augmentation always starts from the whole window, and a training Loader
  // ignores this field. 0.875 is torchvision's ImageNet evaluation (resize
  // the shorter side to 256, centre crop 224): random-resized-crop training
  // shows objects larger than the whole window does, and a tighter
  // evaluation crop closes that gap (Touvron et al. 2019, "Fixing the
  // train-test resolution discrepancy"). 1 (the default) keeps everything.
  float val_crop = 1.0f;
  std::array<float, 3> mean{0.5f, 0.5f, 0.5f};  // per channel, on [0, 1] pixels
  std::array<float, 3> stddev{0.5f, 0.5f, 0.5f};
  // Matrices: mean / stddev are in the matrix's own units, and "auto" asks
  // for the training split's per-channel statistics (resolve_auto_normalization).
  bool mean_auto = false, stddev_auto = false;

  // data.class_names: the classes' display names, one per class in the
  // dataset's class order (alphabetical folders, numeric IDX labels); empty
  // keeps the names found. Applied by the trainer (rename_classes), and
  // stored in the checkpoint, so evaluate and cam-infer show them.
  std::vector<std::string> class_names = {};

  AugmentConfig augment;
  float val_split = 0.2f;
  std::uint64_t seed = 42;

  std::string cache_dir;            // empty: decode every epoch
  std::int64_t max_pixels = 64'000'000;  // refuse larger images before decoding

  bool drop_last = true;
  int num_workers = 2;
  int prefetch = 4;                 // batches decoded ahead of the consumer
};

// Throws gaze::Error when a field is out of range (what, value, expected).
void validate(const DataConfig& config);

// The deterministic preprocessing of inference (no augmentation, no cache, no
// dropped batch), from a checkpoint's input description: `mean` and `stddev`
// have one value per channel, `resize` names a policy, or is "none" for a
// matrix checkpoint (layout npy: no resize at all), `val_crop` is the central
// fraction kept (DataConfig::val_crop). Validated; a problem is a gaze::Error
// prefixed with `source`.
DataConfig inference_config(int channels, int height, int width, const std::vector<float>& mean,
                            const std::vector<float>& stddev, const std::string& resize, const std::string& source,
                            float val_crop = 1.0f);

}  // namespace gaze::data
