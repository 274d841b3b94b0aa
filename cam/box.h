#pragma once
// Weakly supervised localization from a map (Zhou et al. 2016, section 3):
// keep the pixels at or above a fraction of the map's maximum, take the
// largest 4-connected component and box it.
#include <optional>

#include "cam/map.h"
#include "data/image.h"

namespace gaze::cam {

// Pixel rectangle [x, x + width) x [y, y + height) in the map's coordinates.
struct Box {
  int x = 0, y = 0, width = 0, height = 0;
  int area = 0;  // pixels in the component (not the rectangle)
};

// Empty when the map has no positive value.
std::optional<Box> largest_component_box(const Map& map, float threshold_fraction = 0.2f);

// Draws the rectangle's outline, `thickness` pixels wide, into an RGB image.
void draw_box(data::Image& image, const Box& box, int thickness = 2);

}  // namespace gaze::cam
