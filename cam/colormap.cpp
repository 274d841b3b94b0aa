#include "cam/colormap.h"

#include <algorithm>
#include <cmath>

#include "cam/image_io.h"
#include "core/error.h"

namespace gaze::cam {

std::array<std::uint8_t, 3> jet(float v) {
  const float t = std::isfinite(v) ? std::clamp(v, 0.0f, 1.0f) : 0.0f;
  // Piecewise-linear channels of the classic jet: each is a clipped tent.
  auto channel = [t](float centre) {
    const float value = std::clamp(1.5f - std::abs(4.0f * t - centre), 0.0f, 1.0f);
    return static_cast<std::uint8_t>(std::lround(value * 255.0f));
  };
  return {channel(3.0f), channel(2.0f), channel(1.0f)};
}

data::Image colorize(const Map& map) {
  data::Image image(map.width, map.height, 3);
  for (size_t i = 0; i < map.values.size(); ++i) {
    const auto rgb = jet(map.values[i]);
    std::copy(rgb.begin(), rgb.end(), image.pixels.begin() + static_cast<std::ptrdiff_t>(3 * i));
  }
  return image;
}

data::Image overlay(const data::Image& heat, const data::Image& image) {
  GAZE_CHECK(heat.width == image.width && heat.height == image.height && heat.channels == 3, "overlay: heat ",
             heat.width, "x", heat.height, "x", heat.channels, " does not match image ", image.width, "x",
             image.height);
  const data::Image rgb = to_rgb(image);
  data::Image out(image.width, image.height, 3);
  for (size_t i = 0; i < out.pixels.size(); ++i)
    out.pixels[i] = static_cast<std::uint8_t>((heat.pixels[i] + rgb.pixels[i] + 1) / 2);
  return out;
}

}  // namespace gaze::cam
