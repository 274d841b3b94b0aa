#include "cam/box.h"

#include <algorithm>

#include "core/error.h"

namespace gaze::cam {

std::optional<Box> largest_component_box(const Map& map, float threshold_fraction) {
  GAZE_CHECK(threshold_fraction >= 0 && threshold_fraction <= 1, "box threshold must be in [0, 1], got ",
             threshold_fraction);
  const float peak = map.max();
  if (!(peak > 0)) return std::nullopt;
  const float threshold = threshold_fraction * peak;
  const int w = map.width, h = map.height;
  std::vector<int> label(map.values.size(), -1);
  std::optional<Box> best;
  std::vector<int> stack;
  for (int start = 0; start < w * h; ++start) {
    if (label[static_cast<size_t>(start)] >= 0 || !(map.values[static_cast<size_t>(start)] >= threshold)) continue;
    // Flood fill with an explicit stack: components can span millions of pixels.
    Box box{start % w, start / w, 0, 0, 0};
    int x1 = box.x, y1 = box.y;
    label[static_cast<size_t>(start)] = start;
    stack.assign(1, start);
    while (!stack.empty()) {
      const int p = stack.back();
      stack.pop_back();
      const int px = p % w, py = p / w;
      ++box.area;
      box.x = std::min(box.x, px);
      box.y = std::min(box.y, py);
      x1 = std::max(x1, px);
      y1 = std::max(y1, py);
      const int neighbours[4][2] = {{px - 1, py}, {px + 1, py}, {px, py - 1}, {px, py + 1}};
      for (const auto& [nx, ny] : neighbours) {
        if (nx < 0 || ny < 0 || nx >= w || ny >= h) continue;
        const int q = ny * w + nx;
        if (label[static_cast<size_t>(q)] >= 0 || !(map.values[static_cast<size_t>(q)] >= threshold)) continue;
        label[static_cast<size_t>(q)] = start;
        stack.push_back(q);
      }
    }
    box.width = x1 - box.x + 1;
    box.height = y1 - box.y + 1;
    if (!best || box.area > best->area) best = box;
  }
  return best;
}

void draw_box(data::Image& image, const Box& box, int thickness) {
  GAZE_CHECK(image.channels == 3, "draw_box: expected an RGB image, got ", image.channels, " channels");
  const std::uint8_t colour[3] = {0, 255, 0};
  auto paint = [&](int x, int y) {
    if (x < 0 || y < 0 || x >= image.width || y >= image.height) return;
    for (int c = 0; c < 3; ++c) image.at(x, y, c) = colour[c];
  };
  for (int t = 0; t < thickness; ++t) {
    for (int x = box.x; x < box.x + box.width; ++x) {
      paint(x, box.y + t);
      paint(x, box.y + box.height - 1 - t);
    }
    for (int y = box.y; y < box.y + box.height; ++y) {
      paint(box.x + t, y);
      paint(box.x + box.width - 1 - t, y);
    }
  }
}

}  // namespace gaze::cam
