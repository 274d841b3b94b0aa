#include "data/config.h"

#include <cmath>

#include "core/error.h"

namespace gaze::data {

Layout parse_layout(const std::string& name) {
  if (name == "auto") return Layout::automatic;
  if (name == "flat") return Layout::flat;
  if (name == "folders") return Layout::folders;
  if (name == "idx") return Layout::idx;
  if (name == "npy") return Layout::npy;
  throw Error("data layout '" + name + "' is unknown; expected auto, flat, folders, idx or npy");
}

ResizePolicy parse_resize_policy(const std::string& name) {
  if (name == "stretch") return ResizePolicy::stretch;
  if (name == "shorter-side-center-crop") return ResizePolicy::shorter_side_center_crop;
  throw Error("resize policy '" + name +
              "' is unknown; expected stretch or shorter-side-center-crop");
}

std::string to_string(Layout layout) {
  switch (layout) {
    case Layout::automatic: return "auto";
    case Layout::flat: return "flat";
    case Layout::folders: return "folders";
    case Layout::idx: return "idx";
    case Layout::npy: return "npy";
  }
  return "?";
}

std::string to_string(ResizePolicy policy) {
  return policy == ResizePolicy::stretch ? "stretch" : "shorter-side-center-crop";
}

void validate(const DataConfig& config) {
  if (config.layout == Layout::npy)
    GAZE_CHECK(config.channels >= 1 && config.channels <= 3, "data.channels is ", config.channels,
               "; matrix datasets have 1 to 3 channels");
  else
    GAZE_CHECK(config.channels == 1 || config.channels == 3, "data.channels is ", config.channels,
               "; expected 1 (grayscale) or 3 (RGB)");
  GAZE_CHECK(config.height > 0 && config.width > 0 && config.height <= 4096 && config.width <= 4096,
             "data image size is ", config.height, "x", config.width,
             "; expected height and width in 1..4096");
  for (int c = 0; c < config.channels; ++c)
    GAZE_CHECK(config.stddev[c] > 0.0f, "data.stddev[", c, "] is ", config.stddev[c], "; expected > 0");
  GAZE_CHECK(config.val_split >= 0.0f && config.val_split < 1.0f, "data.val_split is ",
             config.val_split, "; expected a fraction in [0, 1)");
  GAZE_CHECK(std::isfinite(config.val_crop) && config.val_crop > 0.0f && config.val_crop <= 1.0f,
             "data.val_crop is ", config.val_crop, "; expected a fraction in (0, 1]");
  GAZE_CHECK(config.layout != Layout::npy || config.val_crop == 1.0f, "data.val_crop is ", config.val_crop,
             "; matrices (layout npy) are never resized or cropped, so it must be 1");
  GAZE_CHECK(config.max_pixels > 0, "data.max_pixels is ", config.max_pixels, "; expected > 0");
  GAZE_CHECK(config.num_workers >= 1, "data.num_workers is ", config.num_workers,
             "; expected >= 1");
  GAZE_CHECK(config.prefetch >= 1, "data.prefetch is ", config.prefetch, "; expected >= 1");
  GAZE_CHECK(config.idx_split == "train" || config.idx_split == "test", "data.idx_split is '",
             config.idx_split, "'; expected train or test");
  const AugmentConfig& a = config.augment;
  GAZE_CHECK(a.crop_scale_min > 0.0f && a.crop_scale_min <= a.crop_scale_max &&
                 a.crop_scale_max <= 1.0f,
             "augment crop scale range is [", a.crop_scale_min, ", ", a.crop_scale_max,
             "]; expected 0 < min <= max <= 1");
  GAZE_CHECK(a.crop_aspect_min > 0.0f && a.crop_aspect_min <= a.crop_aspect_max,
             "augment crop aspect range is [", a.crop_aspect_min, ", ", a.crop_aspect_max,
             "]; expected 0 < min <= max");
  GAZE_CHECK(a.brightness >= 0.0f && a.brightness < 1.0f, "augment brightness is ", a.brightness,
             "; expected in [0, 1)");
  GAZE_CHECK(a.contrast >= 0.0f && a.contrast < 1.0f, "augment contrast is ", a.contrast,
             "; expected in [0, 1)");
  GAZE_CHECK(a.noise_std >= 0.0f && std::isfinite(a.noise_std), "augment noise_std is ", a.noise_std,
             "; expected a finite value >= 0");
}

DataConfig inference_config(int channels, int height, int width, const std::vector<float>& mean,
                            const std::vector<float>& stddev, const std::string& resize, const std::string& source,
                            float val_crop) {
  try {
    const bool matrix = resize == "none";
    GAZE_CHECK(matrix ? channels >= 1 && channels <= 3 : channels == 1 || channels == 3,
               matrix ? "matrices have 1 to 3 channels" : "images have 1 (grayscale) or 3 (RGB) channels",
               ", the input has ", channels);
    GAZE_CHECK(mean.size() == static_cast<size_t>(channels) && stddev.size() == mean.size(),
               "mean and std need one value per channel (", channels, "), got ", mean.size(), " and ", stddev.size());
    DataConfig config;
    config.channels = channels;
    config.height = height;
    config.width = width;
    if (matrix)
      config.layout = Layout::npy;
    else
      config.resize = parse_resize_policy(resize);
    for (size_t c = 0; c < mean.size(); ++c) {
      config.mean[c] = mean[c];
      config.stddev[c] = stddev[c];
    }
    config.val_crop = val_crop;
    config.augment = AugmentConfig{false, 1, 1, 1, 1, 0, 0};
    config.cache_dir.clear();
    config.drop_last = false;
    validate(config);
    return config;
  } catch (const Error& e) {
    throw Error(source + ": " + e.what());
  }
}

}  // namespace gaze::data
