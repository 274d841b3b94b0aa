#include "test_images.h"

#include <stb_image_write.h>
#include <stdlib.h>

#include <fstream>
#include <stdexcept>

namespace gaze::data::testing {

Image pattern_image(int width, int height, int channels, int seed) {
  Image image(width, height, channels);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x)
      for (int c = 0; c < channels; ++c)
        image.at(x, y, c) = static_cast<std::uint8_t>((x * 7 + y * 13 + c * 50 + seed * 37) % 256);
  return image;
}

Image constant_image(int width, int height, int channels, std::uint8_t value) {
  Image image(width, height, channels);
  std::fill(image.pixels.begin(), image.pixels.end(), value);
  return image;
}

void write_png(const std::string& path, const Image& image) {
  if (!stbi_write_png(path.c_str(), image.width, image.height, image.channels,
                      image.pixels.data(), image.width * image.channels))
    throw std::runtime_error("cannot write " + path);
}

void write_jpg(const std::string& path, const Image& image) {
  if (!stbi_write_jpg(path.c_str(), image.width, image.height, image.channels,
                      image.pixels.data(), 95))
    throw std::runtime_error("cannot write " + path);
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

void truncate_file(const std::string& path, std::size_t bytes) {
  std::filesystem::resize_file(path, bytes);
}

}  // namespace gaze::data::testing
