#pragma once
// Training-time augmentation of a base image (see preprocess.h): random
// resized crop, horizontal flip, brightness/contrast jitter, and random
// erasing of a box after normalization. Every random
// number comes from (seed, epoch, dataset index), so a sample's augmentation
// does not depend on which worker thread or rank processes it.
//
// The crop is taken from the base image (already at model resolution, as the
// decoded cache stores it) and scaled back up bilinearly. That keeps cached and
// uncached training bit-identical and the cache small; the cost is that a crop
// of area fraction s is upsampled by 1/sqrt(s) (at most 1.7x for the default
// s >= 0.35) instead of resampled from the full-resolution original.
#include <cstddef>
#include <cstdint>

#include "data/config.h"
#include "data/image.h"
#include "data/resize.h"

namespace gaze::data {

struct AugmentDraw {
  CropRect crop;            // within the base image
  bool flip = false;
  float brightness = 0.0f;  // added on the [0, 1] pixel scale
  float contrast = 1.0f;    // factor around the image mean
  // Random erasing: a box in output pixels (x, y its top-left corner);
  // erase_width == 0 means nothing is erased. With random values, they are
  // drawn in augment_into from erase_seed (row-major over the box, channel by channel).
  int erase_x = 0, erase_y = 0, erase_width = 0, erase_height = 0;
  std::uint64_t erase_seed = 0;
};

AugmentDraw draw_augmentation(const AugmentConfig& config, std::uint64_t seed, int epoch,
                              std::size_t sample_index, int width, int height);

// Applies `draw` to `base` and writes normalized CHW floats to `out`; the
// erased box (if any) is written last, over the normalized values.
void augment_into(const Image& base, const AugmentDraw& draw, const DataConfig& config,
                  float* out);

// Sets the draw's erase box of normalized CHW floats (config.width x
// config.height) to 0, or to standard normal values from draw.erase_seed.
void erase_box(const AugmentDraw& draw, const DataConfig& config, float* out);

}  // namespace gaze::data
