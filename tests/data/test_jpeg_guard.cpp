// The guard in front of Debian's stb_image 2.27 (data/jpeg_guard.h): a JPEG
// whose Huffman table defines more than 256 codes made stb write past its
// arrays; it is now refused before stb reads it.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <iterator>
#include <fstream>
#include <vector>

#include "core/error.h"
#include "data/image.h"
#include "data/jpeg_guard.h"
#include "test_images.h"

using namespace gaze::data;
using namespace gaze::data::testing;

namespace {
// SOI, one DHT segment whose 16 counts are all `count`, then EOI.
std::vector<std::uint8_t> jpeg_with_table(std::uint8_t count) {
  const std::size_t codes = 16u * count, length = 2 + 17 + codes;
  std::vector<std::uint8_t> bytes(4 + 2 + 17 + codes + 2, 0x01);
  const std::uint8_t head[] = {0xFF, 0xD8, 0xFF, 0xC4, static_cast<std::uint8_t>(length >> 8),
                               static_cast<std::uint8_t>(length & 0xFF), 0x00};
  std::copy(std::begin(head), std::end(head), bytes.begin());
  std::fill_n(bytes.begin() + 7, 16, count);
  bytes[bytes.size() - 2] = 0xFF;
  bytes[bytes.size() - 1] = 0xD9;
  return bytes;
}
}  // namespace

TEST_CASE("crafted JPEG tables and empty images are refused before stb or the loader use them", "[data][image][hardening]") {
  CHECK(jpeg_huffman_problem(jpeg_with_table(16).data(), jpeg_with_table(16).size()).empty());  // 256 codes
  const std::vector<std::uint8_t> bad = jpeg_with_table(17);  // 272 codes
  CHECK_THAT(jpeg_huffman_problem(bad.data(), bad.size()), Catch::Contains("272 codes"));
  // stb reads zeros past the end of a short file: a table whose counts are in
  // the file overflows even when its values are cut off; one whose counts
  // are cut off (the rest read as 0) does not. Nothing is read past `size`.
  CHECK_THAT(jpeg_huffman_problem(bad.data(), 40), Catch::Contains("272 codes"));
  CHECK(jpeg_huffman_problem(bad.data(), 12).empty());
  // Junk between segments is skipped, as stb skips it, and a table is found behind it.
  std::vector<std::uint8_t> junk{0xFF, 0xD8, 0x05, 0x0A, 0x00, 0xC0};
  junk.insert(junk.end(), bad.begin() + 2, bad.end());
  CHECK_THAT(jpeg_huffman_problem(junk.data(), junk.size()), Catch::Contains("272 codes"));
  // So are fill bytes before the start marker, which stb accepts (fuzz finding).
  std::vector<std::uint8_t> filled{0xFF};
  filled.insert(filled.end(), bad.begin(), bad.end());
  CHECK_THAT(jpeg_huffman_problem(filled.data(), filled.size()), Catch::Contains("272 codes"));
  const std::uint8_t png[] = {0x89, 'P', 'N', 'G'};
  CHECK(jpeg_huffman_problem(png, sizeof png).empty());

  TempDir dir;
  const std::string path = dir / "crafted.jpg";
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bad.data()),
                                              static_cast<std::streamsize>(bad.size()));
  CHECK_THAT(check_image_file(path, 1'000'000).problem, Catch::Contains("Huffman"));
  CHECK_THROWS_WITH(decode_image_file(path, 3, 1'000'000), Catch::Contains("crafted.jpg") && Catch::Contains("Huffman"));
  const std::string filled_path = dir / "filled.jpg";
  std::ofstream(filled_path, std::ios::binary).write(reinterpret_cast<const char*>(filled.data()),
                                                     static_cast<std::streamsize>(filled.size()));
  CHECK_THAT(check_image_file(filled_path, 1'000'000).problem, Catch::Contains("Huffman"));

  // A BMP declaring zero width: nothing to decode, not an empty image (fuzz finding).
  const std::uint8_t bmp[] = {0x42, 0x4D, 0x5A, 0, 0, 0, 0, 0, 0, 0, 0x25, 0, 0, 0, 0x28, 0,
                              0,    0,    0,    0, 0, 0, 3, 0, 3, 0, 1,    0, 1};
  const std::string zero = dir / "zero.bmp";
  std::ofstream(zero, std::ios::binary).write(reinterpret_cast<const char*>(bmp), sizeof bmp);
  CHECK_FALSE(check_image_file(zero, 1'000'000).problem.empty());
  CHECK_THROWS_AS(decode_image_file(zero, 3, 1'000'000), gaze::Error);

  // A PNG whose data chunk claims 4 MiB in a tiny file: stb would grow
  // its buffer to that size before reading (fuzz finding).
  std::vector<std::uint8_t> bomb{0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, 'I', 'H', 'D', 'R',
                                0,    0,   0,   4,   0,    0,    0,    4,    8, 2, 0, 0,  0,   0,   0,   0,
                                0,    0,    0x40, 0,  0,   'I',  'D',  'A',  'T',  1, 2, 3};
  CHECK_THAT(png_chunk_problem(bomb.data(), bomb.size()), Catch::Contains("'IDAT' claims 4194304 bytes"));
  const std::string big = dir / "big.png";
  std::ofstream(big, std::ios::binary).write(reinterpret_cast<const char*>(bomb.data()),
                                             static_cast<std::streamsize>(bomb.size()));
  CHECK_THROWS_WITH(decode_image_file(big, 3, 1'000'000), Catch::Contains("IDAT"));

  // A real JPEG (baseline, as stb_image_write writes it) passes and decodes.
  const std::string good = dir / "good.jpg";
  write_jpg(good, pattern_image(16, 12, 3, 5));
  std::ifstream in(good, std::ios::binary);
  const std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(jpeg_huffman_problem(bytes.data(), bytes.size()).empty());
  CHECK(check_image_file(good, 1'000'000).problem.empty());
  CHECK(decode_image_file(good, 3, 1'000'000).width == 16);
}
