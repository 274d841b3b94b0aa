#pragma once
// The jet colormap (matplotlib's / OpenCV's COLORMAP_JET: blue -> cyan ->
// yellow -> red) and the overlay 0.5 * heat + 0.5 * image, the conventions
// of the common CAM toolkits so pictures compare side by side.
#include <array>
#include <cstdint>

#include "cam/map.h"
#include "data/image.h"

namespace gaze::cam {

// v in [0, 1] (clamped) to RGB.
std::array<std::uint8_t, 3> jet(float v);

// The map (values in [0, 1]) as an RGB jet picture of the same size.
data::Image colorize(const Map& map);

// 0.5 * heat + 0.5 * image; the image (1 or 3 channels) must have the heat's size.
data::Image overlay(const data::Image& heat, const data::Image& image);

}  // namespace gaze::cam
