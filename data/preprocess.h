#pragma once
// The deterministic path from a decoded image to model input, shared by
// training, validation and inference so that all three see identical pixels:
//   source --policy crop (central val_crop part) + resize--> base image (model size, uint8)
//          --normalize--> float CHW, (pixel / 255 - mean) / stddev.
// The base image is what the decoded cache stores; augmentation starts from it
// (a training Loader sets val_crop to 1, so augmentation sees the whole window).
#include <string>
#include <vector>

#include "data/config.h"
#include "data/image.h"
#include "data/resize.h"

namespace gaze::data {

Image make_base_image(const Image& source, const DataConfig& config);

// Writes channels * height * width floats (CHW) to `out`.
void normalize_into(const Image& image, const DataConfig& config, float* out);

// One image file, preprocessed for inference, with the geometry needed to
// map a model-resolution map (a CAM) back onto the original picture: model
// pixel (x, y) covers original pixels crop.x + x * crop.width / width, ...
struct InferenceImage {
  std::vector<float> pixels;  // channels * height * width, CHW, normalized
  int channels = 0, height = 0, width = 0;
  int original_width = 0, original_height = 0;
  CropRect crop;              // region of the original image the model sees
  Image original;             // decoded original at the model's channel count
};

InferenceImage load_image_for_inference(const std::string& path, const DataConfig& config);

}  // namespace gaze::data
