#include "data/augment.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "data/random.h"

namespace gaze::data {

AugmentDraw draw_augmentation(const AugmentConfig& config, std::uint64_t seed, int epoch,
                              std::size_t sample_index, int width, int height) {
  Rng rng(mix_seed({seed, static_cast<std::uint64_t>(epoch), sample_index}));
  AugmentDraw draw;
  draw.crop = {0.0f, 0.0f, static_cast<float>(width), static_cast<float>(height)};
  // torchvision's RandomResizedCrop: a few tries at a crop that fits, else
  // the whole image.
  const float area = static_cast<float>(width) * height;
  for (int attempt = 0; attempt < 10; ++attempt) {
    const float target = area * rng.uniform(config.crop_scale_min, config.crop_scale_max);
    const float aspect = std::exp(
        rng.uniform(std::log(config.crop_aspect_min), std::log(config.crop_aspect_max)));
    const float w = std::sqrt(target * aspect), h = std::sqrt(target / aspect);
    if (w <= width && h <= height) {
      draw.crop = {rng.uniform() * (width - w), rng.uniform() * (height - h), w, h};
      break;
    }
  }
  draw.flip = config.hflip && rng.uniform() < 0.5f;
  if (config.brightness > 0.0f) draw.brightness = rng.uniform(-config.brightness, config.brightness);
  if (config.contrast > 0.0f) draw.contrast = rng.uniform(1.0f - config.contrast, 1.0f + config.contrast);
  // Drawn last and only when enabled, so configs without erasing keep their
  // augmentations bit for bit. torchvision's RandomErasing: up to 10 tries at
  // a box that fits strictly inside, else nothing is erased.
  if (config.erasing > 0.0f && rng.uniform() < config.erasing) {
    for (int attempt = 0; attempt < 10; ++attempt) {
      const float target = area * rng.uniform(config.erasing_scale_min, config.erasing_scale_max);
      const float ratio =
          std::exp(rng.uniform(std::log(config.erasing_ratio_min), std::log(config.erasing_ratio_max)));
      const int h = static_cast<int>(std::lround(std::sqrt(target * ratio)));
      const int w = static_cast<int>(std::lround(std::sqrt(target / ratio)));
      if (h < 1 || w < 1 || h >= height || w >= width) continue;
      draw.erase_y = static_cast<int>(rng.below(static_cast<std::size_t>(height - h + 1)));
      draw.erase_x = static_cast<int>(rng.below(static_cast<std::size_t>(width - w + 1)));
      draw.erase_width = w;
      draw.erase_height = h;
      draw.erase_seed = rng.next();
      break;
    }
  }
  return draw;
}

void augment_into(const Image& base, const AugmentDraw& draw, const DataConfig& config,
                  float* out) {
  Image image = resize_crop(base, draw.crop, config.width, config.height);
  if (draw.flip) flip_horizontal(image);
  double sum = 0.0;
  for (std::uint8_t p : image.pixels) sum += p;
  const float mean = static_cast<float>(sum / (255.0 * image.pixels.size()));
  const std::size_t plane = static_cast<std::size_t>(image.width) * image.height;
  for (int c = 0; c < image.channels; ++c) {
    float* dst = out + c * plane;
    for (std::size_t i = 0; i < plane; ++i) {
      const float v = image.pixels[i * image.channels + c] / 255.0f;
      const float jittered =
          std::clamp((v - mean) * draw.contrast + mean + draw.brightness, 0.0f, 1.0f);
      dst[i] = (jittered - config.mean[c]) / config.stddev[c];
    }
  }
  if (draw.erase_width > 0) erase_box(draw, config, out);
}

void erase_box(const AugmentDraw& draw, const DataConfig& config, float* out) {
  GAZE_CHECK(draw.erase_x >= 0 && draw.erase_y >= 0 && draw.erase_x + draw.erase_width <= config.width &&
                 draw.erase_y + draw.erase_height <= config.height,
             "random erasing: box ", draw.erase_width, "x", draw.erase_height, " at (", draw.erase_x, ", ",
             draw.erase_y, ") lies outside the ", config.width, "x", config.height, " image");
  Rng rng(draw.erase_seed);
  const std::size_t plane = static_cast<std::size_t>(config.width) * config.height;
  for (int c = 0; c < config.channels; ++c)
    for (int y = draw.erase_y; y < draw.erase_y + draw.erase_height; ++y)
      for (int x = draw.erase_x; x < draw.erase_x + draw.erase_width; ++x)
        out[c * plane + static_cast<std::size_t>(y) * config.width + x] =
            config.augment.erasing_random ? standard_normal(rng) : 0.0f;
}

}  // namespace gaze::data
