#pragma once
// Image: 8-bit pixels, height x width x channels, interleaved (HWC), the form
// decoders produce and the decoded cache stores. Decoding goes through
// stb_image and treats every file as hostile: the header is read first and
// images above the pixel cap are refused before any pixel memory is touched.
#include <cstdint>
#include <string>
#include <vector>

namespace gaze::data {

struct Image {
  int width = 0, height = 0, channels = 0;
  std::vector<std::uint8_t> pixels;  // height * width * channels, HWC

  Image() = default;
  Image(int w, int h, int c)
      : width(w), height(h), channels(c), pixels(static_cast<std::size_t>(w) * h * c) {}
  std::uint8_t& at(int x, int y, int c) {
    return pixels[(static_cast<std::size_t>(y) * width + x) * channels + c];
  }
  std::uint8_t at(int x, int y, int c) const {
    return pixels[(static_cast<std::size_t>(y) * width + x) * channels + c];
  }
};

struct ImageHeader {
  int width = 0, height = 0, channels = 0;
};

// Why a file could not be used; empty when it can. Used for the scan's
// one-line-per-file warnings.
struct ImageCheck {
  ImageHeader header;
  std::string problem;
};

// File extensions gaze decodes (lower case, with the dot).
bool has_image_extension(const std::string& path);

// Reads only the header: zero-byte, unreadable, non-image and oversized
// (width * height > max_pixels) files get a problem description.
ImageCheck check_image_file(const std::string& path, std::int64_t max_pixels);

// Decodes to `channels` (1: luminance, 3: RGB; alpha is dropped). Throws
// gaze::Error naming the file and stb's reason on failure.
Image decode_image_file(const std::string& path, int channels, std::int64_t max_pixels);

// Gray <-> RGB conversion for sources that are already decoded (IDX records).
Image convert_channels(const Image& image, int channels);

}  // namespace gaze::data
