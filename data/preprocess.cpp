#include "data/preprocess.h"

namespace gaze::data {

Image make_base_image(const Image& source, const DataConfig& config) {
  const CropRect crop = central_part(
      policy_crop(source.width, source.height, config.width, config.height, config.resize), config.val_crop);
  return resize_crop(source, crop, config.width, config.height);
}

void normalize_into(const Image& image, const DataConfig& config, float* out) {
  const std::size_t plane = static_cast<std::size_t>(image.width) * image.height;
  for (int c = 0; c < image.channels; ++c) {
    const float scale = 1.0f / (255.0f * config.stddev[c]);
    const float shift = config.mean[c] / config.stddev[c];
    float* dst = out + c * plane;
    for (std::size_t i = 0; i < plane; ++i)
      dst[i] = image.pixels[i * image.channels + c] * scale - shift;
  }
}

InferenceImage load_image_for_inference(const std::string& path, const DataConfig& config) {
  InferenceImage result;
  result.original = decode_image_file(path, config.channels, config.max_pixels);
  result.original_width = result.original.width;
  result.original_height = result.original.height;
  result.crop = central_part(policy_crop(result.original.width, result.original.height, config.width,
                                         config.height, config.resize),
                             config.val_crop);
  const Image base = resize_crop(result.original, result.crop, config.width, config.height);
  result.channels = config.channels;
  result.height = config.height;
  result.width = config.width;
  result.pixels.resize(static_cast<std::size_t>(config.channels) * config.height * config.width);
  normalize_into(base, config, result.pixels.data());
  return result;
}

}  // namespace gaze::data
