// Map conventions, the colormap, boxes and .npy files.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>

#include "cam/box.h"
#include "cam/colormap.h"
#include "cam/map.h"
#include "cam/metrics.h"
#include "core/npy.h"
#include "cam_test_util.h"
#include "core/error.h"

using namespace gaze;
using namespace gaze::cam;

TEST_CASE("normalization: ReLU then min-max, degenerate maps stay zero", "[cam][map]") {
  Map raw(1, 4);
  raw.values = {-2.0f, 0.0f, 1.0f, 3.0f};
  bool degenerate = true;
  const Map normalized = normalize_relu_minmax(raw, &degenerate);
  CHECK_FALSE(degenerate);
  CHECK(normalized.values == std::vector<float>{0.0f, 0.0f, 1.0f / 3.0f, 1.0f});

  for (float fill : {0.0f, -1.0f, 2.5f}) {
    INFO("constant map of " << fill);
    const Map flat = normalize_relu_minmax(Map(3, 3, fill), &degenerate);
    CHECK(degenerate);
    for (float v : flat.values) CHECK(v == 0.0f);
  }
  Map with_nan(1, 3);
  with_nan.values = {NAN, 1.0f, 2.0f};
  for (float v : normalize_relu_minmax(with_nan).values) CHECK(std::isfinite(v));
}

TEST_CASE("contrastive scaling divides by the largest magnitude and clips", "[cam][map]") {
  Map raw(1, 3);
  raw.values = {-4.0f, 1.0f, 2.0f};
  bool degenerate = false;
  CHECK(normalize_max_abs_clipped(raw, &degenerate).values == std::vector<float>{0.0f, 0.25f, 0.5f});
  CHECK_FALSE(degenerate);
  raw.values = {-4.0f, -1.0f, 0.0f};
  for (float v : normalize_max_abs_clipped(raw, &degenerate).values) CHECK(v == 0.0f);
  CHECK(degenerate);
}

TEST_CASE("bilinear resizing keeps constants and matches align_corners=false", "[cam][map]") {
  const Map constant = resize_bilinear(Map(3, 5, 0.7f), 17, 9);
  for (float v : constant.values) CHECK(v == Approx(0.7f));
  Map ramp(1, 2);
  ramp.values = {0.0f, 1.0f};
  // PyTorch: F.interpolate([[0, 1]], size=4, mode='bilinear', align_corners=False) = [0, .25, .75, 1].
  const Map wide = resize_bilinear(ramp, 1, 4);
  CHECK(wide.values[0] == Approx(0.0f));
  CHECK(wide.values[1] == Approx(0.25f));
  CHECK(wide.values[2] == Approx(0.75f));
  CHECK(wide.values[3] == Approx(1.0f));
  const Map single = resize_bilinear(Map(1, 1, 0.3f), 4, 6);
  for (float v : single.values) CHECK(v == Approx(0.3f));
}

TEST_CASE("maps go back onto the original through the crop", "[cam][map]") {
  // A 2x2 model-input map of a 100x50 image center-cropped to 50x50 (x from 25 to 75).
  Map input(2, 2);
  input.values = {1.0f, 0.0f, 1.0f, 0.0f};
  const data::CropRect crop{25, 0, 50, 50};
  const Map original = map_to_original(input, crop, 100, 50);
  REQUIRE(original.width == 100);
  REQUIRE(original.height == 50);
  CHECK(original.at(25, 10) == 0.0f);   // left margin, never seen by the model
  CHECK(original.at(25, 90) == 0.0f);   // right margin
  CHECK(original.at(25, 30) == Approx(1.0f));   // left half of the crop
  CHECK(original.at(25, 70) == Approx(0.0f));   // right half
  CHECK(original.at(25, 50) == Approx(0.5f).margin(0.03));  // the crop's centre
  // Stretch: the whole image is the crop.
  const Map stretched = map_to_original(input, {0, 0, 100, 50}, 100, 50);
  CHECK(stretched.at(0, 0) == Approx(1.0f));
  CHECK(stretched.at(49, 99) == Approx(0.0f));
}

TEST_CASE("jet runs from dark blue through green to dark red", "[cam][colormap]") {
  CHECK(jet(0.0f) == std::array<std::uint8_t, 3>{0, 0, 128});
  CHECK(jet(1.0f) == std::array<std::uint8_t, 3>{128, 0, 0});
  CHECK(jet(0.5f)[1] == 255);
  CHECK(jet(NAN) == jet(0.0f));
  data::Image gray(2, 1, 1);
  gray.pixels = {0, 200};
  const data::Image heat = colorize(Map(1, 2, 1.0f));
  const data::Image blended = overlay(heat, gray);
  CHECK(blended.channels == 3);
  CHECK(blended.at(0, 0, 0) == 64);   // (128 + 0 + 1) / 2
  CHECK(blended.at(1, 0, 2) == 100);  // (0 + 200 + 1) / 2
}

TEST_CASE("the box surrounds the larger of two blobs, in map pixels", "[cam][box]") {
  Map map(40, 60);
  for (int y = 5; y < 10; ++y)
    for (int x = 5; x < 12; ++x) map.at(y, x) = 1.0f;  // small, but the peak
  for (int y = 20; y < 35; ++y)
    for (int x = 30; x < 55; ++x) map.at(y, x) = 0.5f;  // larger
  const auto box = largest_component_box(map, 0.2f);
  REQUIRE(box.has_value());
  CHECK(box->x == 30);
  CHECK(box->y == 20);
  CHECK(box->width == 25);
  CHECK(box->height == 15);
  CHECK(box->area == 25 * 15);
  // Above 60% of the maximum only the small blob survives.
  const auto tight = largest_component_box(map, 0.6f);
  REQUIRE(tight.has_value());
  CHECK(tight->x == 5);
  CHECK(tight->width == 7);
  CHECK_FALSE(largest_component_box(Map(4, 4), 0.2f).has_value());
  // Diagonal neighbours are not connected (4-connectivity).
  Map diagonal(3, 3);
  diagonal.at(0, 0) = diagonal.at(1, 1) = diagonal.at(2, 2) = 1.0f;
  CHECK(largest_component_box(diagonal)->area == 1);
  data::Image image(10, 10, 3);
  draw_box(image, {2, 3, 4, 5, 0}, 1);
  CHECK(image.at(2, 3, 1) == 255);
  CHECK(image.at(5, 7, 1) == 255);
  CHECK(image.at(3, 4, 1) == 0);
}

TEST_CASE(".npy files follow NumPy's v1.0 format", "[cam][npy]") {
  testing::TempDir dir;
  const std::string path = dir / "map.npy";
  write_npy(path, {{2, 3}, {1, 2, 3, 4, 5, 6.5f}});
  std::ifstream in(path, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  REQUIRE(bytes.size() == 128 + 6 * 4);
  CHECK(bytes.substr(0, 6) == "\x93NUMPY");
  CHECK(bytes[6] == 1);
  CHECK(bytes[7] == 0);
  const size_t header_length = static_cast<unsigned char>(bytes[8]) | (static_cast<unsigned char>(bytes[9]) << 8);
  CHECK(header_length == 118);
  const std::string header = bytes.substr(10, header_length);
  CHECK(header.rfind("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 0) == 0);
  CHECK(header.back() == '\n');
  float last = 0;
  std::memcpy(&last, bytes.data() + 128 + 5 * 4, 4);
  CHECK(last == 6.5f);
  const NpyArray back = read_npy(path);
  CHECK(back.shape == std::vector<int64_t>{2, 3});
  CHECK(back.values == std::vector<float>{1, 2, 3, 4, 5, 6.5f});
  write_npy(dir / "vector.npy", {{3}, {1, 2, 3}});
  CHECK(read_npy(dir / "vector.npy").shape == std::vector<int64_t>{3});
  CHECK_THROWS_WITH(write_npy(dir / "bad.npy", {{2, 2}, {1, 2, 3}}), Catch::Contains("shape holds 4"));
  std::ofstream(dir / "not.npy") << "hello";
  CHECK_THROWS_WITH(read_npy(dir / "not.npy"), Catch::Contains("not a .npy file"));
}

TEST_CASE("crafted .npy headers are errors: no overflow, no allocation beyond the file", "[cam][npy][hardening]") {
  testing::TempDir dir;
  auto craft = [&](const std::string& shape, size_t data_bytes) {
    std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + shape + "), }";
    header.append(118 - header.size() - 1, ' ');
    header += '\n';
    std::string bytes = std::string("\x93NUMPY\x01\x00", 8) + std::string(1, static_cast<char>(header.size())) +
                        std::string(1, '\0') + header + std::string(data_bytes, '\0');
    const std::string path = dir / "crafted.npy";
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  };
  CHECK(read_npy(craft("2, 2", 16)).values.size() == 4);
  // 2^32 x 2^32 wraps to 0 elements in int64: the old reader allocated nothing and "read" the rest.
  CHECK_THROWS_WITH(read_npy(craft("4294967296, 4294967296", 16)), Catch::Contains("overflows"));
  // A large but representable shape must not be allocated when the file is short.
  CHECK_THROWS_WITH(read_npy(craft("100000, 100000", 16)), Catch::Contains("truncated") && Catch::Contains("needs"));
  // Digits that std::stoll cannot hold were an uncaught std::out_of_range.
  CHECK_THROWS_WITH(read_npy(craft("99999999999999999999999", 16)), Catch::Contains("at most 8"));
  CHECK_THROWS_WITH(read_npy(craft("1, 1, 1, 1, 1, 1, 1, 1, 1", 16)), Catch::Contains("at most 8"));
}

TEST_CASE("Spearman correlation of maps", "[cam][metrics]") {
  Map a(1, 5), b(1, 5);
  a.values = {1, 2, 3, 4, 5};
  b.values = {10, 20, 30, 40, 1000};
  CHECK(spearman_correlation(a, b) == Approx(1.0));
  b.values = {5, 4, 3, 2, 1};
  CHECK(spearman_correlation(a, b) == Approx(-1.0));
  CHECK(spearman_correlation(a, Map(1, 5, 2.0f)) == 0.0);
}
