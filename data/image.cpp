#include "data/image.h"

#include <stb_image.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>

#include "core/error.h"
#include "data/jpeg_guard.h"

namespace gaze::data {
namespace {

std::string lower_extension(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  return ext;
}

// Far above any photo; below what stb's int sizes hold.
constexpr std::streamsize kMaxImageFileBytes = std::streamsize{1} << 30;

std::vector<std::uint8_t> read_file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  GAZE_CHECK(in, "cannot open image file '", path, "'");
  const std::streamsize size = in.tellg();
  GAZE_CHECK(size <= kMaxImageFileBytes, "image file '", path, "' has ", size, " bytes; gaze reads images of at most ",
             kMaxImageFileBytes);
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(std::max<std::streamsize>(size, 0)));
  in.seekg(0);
  GAZE_CHECK(in.read(reinterpret_cast<char*>(bytes.data()), size), "cannot read image file '",
             path, "'");
  return bytes;
}

std::string oversized_problem(int w, int h, std::int64_t max_pixels) {
  return detail::concat(w, "x", h, " pixels exceed the cap of ", max_pixels,
                        " (data.max_pixels)");
}

}  // namespace

bool has_image_extension(const std::string& path) {
  const std::string ext = lower_extension(path);
  return ext == ".jpg" || ext == ".jpeg" || ext == ".png" || ext == ".bmp";
}

ImageCheck check_image_file(const std::string& path, std::int64_t max_pixels) {
  ImageCheck check;
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) return {{}, "unreadable: " + ec.message()};
  if (size == 0) return {{}, "zero-byte file"};
  std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!file) return {{}, "unreadable: cannot open"};
  ImageHeader& h = check.header;
  unsigned char first = 0;
  if (std::fread(&first, 1, 1, file.get()) == 1 && first == 0xFF) {
    // Maybe a JPEG (stb accepts fill bytes before the start marker too):
    // stb's header parse builds the Huffman tables it meets, so they are
    // checked first (data/jpeg_guard.h). PNGs need no read here: stb's
    // header parse stops before the data chunks whose lengths it trusts,
    // and decode_image_file checks those.
    std::vector<std::uint8_t> bytes;
    try {
      bytes = read_file_bytes(path);
    } catch (const Error& e) {
      return {{}, e.what()};
    }
    const std::string problem = jpeg_huffman_problem(bytes.data(), bytes.size());
    if (!problem.empty()) return {{}, "not a decodable image (" + problem + ")"};
  }
  std::rewind(file.get());
  if (!stbi_info_from_file(file.get(), &h.width, &h.height, &h.channels))
    return {{}, std::string("not a decodable image (") + stbi_failure_reason() + ")"};
  if (h.width <= 0 || h.height <= 0)
    return {{}, "an image of " + std::to_string(h.width) + "x" + std::to_string(h.height) + " pixels has nothing to decode"};
  if (static_cast<std::int64_t>(h.width) * h.height > max_pixels)
    check.problem = oversized_problem(h.width, h.height, max_pixels);
  return check;
}

Image decode_image_file(const std::string& path, int channels, std::int64_t max_pixels) {
  const std::vector<std::uint8_t> bytes = read_file_bytes(path);
  GAZE_CHECK(!bytes.empty(), "image file '", path, "' is empty");
  GAZE_CHECK(bytes.size() <= static_cast<std::size_t>(INT32_MAX), "image file '", path,
             "' is larger than 2 GiB");
  const int length = static_cast<int>(bytes.size());
  std::string problem = jpeg_huffman_problem(bytes.data(), bytes.size());
  if (problem.empty()) problem = png_chunk_problem(bytes.data(), bytes.size());
  GAZE_CHECK(problem.empty(), "image file '", path, "': ", problem);
  int w = 0, h = 0, file_channels = 0;
  GAZE_CHECK(stbi_info_from_memory(bytes.data(), length, &w, &h, &file_channels),
             "image file '", path, "' is not a decodable image (", stbi_failure_reason(), ")");
  GAZE_CHECK(w > 0 && h > 0, "image file '", path, "' declares ", w, "x", h, " pixels: nothing to decode");
  GAZE_CHECK(static_cast<std::int64_t>(w) * h <= max_pixels, "image file '", path, "': ",
             oversized_problem(w, h, max_pixels));
  std::unique_ptr<stbi_uc, void (*)(void*)> pixels(
      stbi_load_from_memory(bytes.data(), length, &w, &h, &file_channels, channels),
      &stbi_image_free);
  GAZE_CHECK(pixels, "image file '", path, "' failed to decode (", stbi_failure_reason(),
             "); truncated or corrupt?");
  // The decoder reports the size again: it must still be a sane one.
  GAZE_CHECK(w > 0 && h > 0 && static_cast<std::int64_t>(w) * h <= max_pixels, "image file '", path,
             "' decoded to ", w, "x", h, " pixels; corrupt?");
  Image image(w, h, channels);
  std::copy_n(pixels.get(), image.pixels.size(), image.pixels.begin());
  return image;
}

Image convert_channels(const Image& image, int channels) {
  if (image.channels == channels) return image;
  GAZE_CHECK((image.channels == 1 || image.channels == 3) && (channels == 1 || channels == 3),
             "cannot convert an image from ", image.channels, " to ", channels, " channels");
  Image out(image.width, image.height, channels);
  const std::size_t count = static_cast<std::size_t>(image.width) * image.height;
  for (std::size_t i = 0; i < count; ++i) {
    if (channels == 3) {
      std::fill_n(&out.pixels[i * 3], 3, image.pixels[i]);
    } else {
      // Same integer luminance weights stb_image uses for RGB -> gray.
      const std::uint8_t* p = &image.pixels[i * 3];
      out.pixels[i] = static_cast<std::uint8_t>((p[0] * 77 + p[1] * 150 + p[2] * 29) >> 8);
    }
  }
  return out;
}

}  // namespace gaze::data
