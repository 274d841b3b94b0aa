#pragma once
// Helpers for the data tests: a temporary folder that cleans up after itself
// and writers for the images (and broken files) the tests scan.
#include <cstdint>
#include <filesystem>
#include <string>

#include "data/image.h"
#include "tests/temp_dir.h"

namespace gaze::data::testing {

using TempDir = gaze::test_support::TempDir;

// An image whose pixels encode (x, y, channel, seed), so tests can tell
// samples apart after decoding.
Image pattern_image(int width, int height, int channels, int seed);
Image constant_image(int width, int height, int channels, std::uint8_t value);

void write_png(const std::string& path, const Image& image);
void write_jpg(const std::string& path, const Image& image);
void write_bytes(const std::string& path, const std::string& bytes);
// Keeps the first `bytes` bytes of a file.
void truncate_file(const std::string& path, std::size_t bytes);

}  // namespace gaze::data::testing
