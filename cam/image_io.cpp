#include "cam/image_io.h"

#include <algorithm>
#include <cmath>
#include <stb_image_write.h>

#include "core/error.h"
#include "data/resize.h"

namespace gaze::cam {

namespace {
void check_image(const data::Image& image, const std::string& what) {
  GAZE_CHECK(image.width > 0 && image.height > 0 && (image.channels == 1 || image.channels == 3) &&
                 image.pixels.size() == static_cast<size_t>(image.width) * image.height * image.channels,
             what, ": not a valid ", image.width, "x", image.height, "x", image.channels, " image");
}

}  // namespace

void write_png(const std::string& path, const data::Image& image) {
  check_image(image, "write_png '" + path + "'");
  const int ok = stbi_write_png(path.c_str(), image.width, image.height, image.channels, image.pixels.data(),
                                image.width * image.channels);
  GAZE_CHECK(ok, "could not write PNG '", path, "' (is the folder writable, the disk full?)");
}

data::Image to_rgb(const data::Image& image) {
  if (image.channels == 3) return image;
  GAZE_CHECK(image.channels == 1, "to_rgb: expected 1 or 3 channels, got ", image.channels);
  data::Image rgb(image.width, image.height, 3);
  for (size_t i = 0; i < image.pixels.size(); ++i)
    std::fill_n(rgb.pixels.begin() + static_cast<std::ptrdiff_t>(3 * i), 3, image.pixels[i]);
  return rgb;
}

data::Image shrink_to_fit(const data::Image& image, int max_side) {
  const int longer = std::max(image.width, image.height);
  if (longer <= max_side) return image;
  const double scale = static_cast<double>(max_side) / longer;
  const int w = std::max(1, static_cast<int>(std::lround(image.width * scale)));
  const int h = std::max(1, static_cast<int>(std::lround(image.height * scale)));
  const data::CropRect whole{0, 0, static_cast<float>(image.width), static_cast<float>(image.height)};
  return data::resize_crop(image, whole, w, h);
}

}  // namespace gaze::cam
