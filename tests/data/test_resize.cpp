#include <catch2/catch.hpp>

#include "data/preprocess.h"
#include "data/resize.h"
#include "test_images.h"

using namespace gaze::data;
using namespace gaze::data::testing;

namespace {

Image gray_row(std::vector<std::uint8_t> values) {
  Image image(static_cast<int>(values.size()), 1, 1);
  image.pixels = std::move(values);
  return image;
}

CropRect full(const Image& image) {
  return {0.0f, 0.0f, static_cast<float>(image.width), static_cast<float>(image.height)};
}

}  // namespace

TEST_CASE("area downscale averages the covered source pixels", "[data][resize]") {
  SECTION("2x2 blocks") {
    Image image(4, 4, 1);
    for (int y = 0; y < 4; ++y)
      for (int x = 0; x < 4; ++x) image.at(x, y, 0) = static_cast<std::uint8_t>(10 * x + 40 * y);
    const Image out = resize_crop(image, full(image), 2, 2);
    // Block (bx, by) averages 10*(2bx + 0.5) + 40*(2by + 0.5).
    CHECK(out.pixels == std::vector<std::uint8_t>{25, 45, 105, 125});
  }
  SECTION("fractional coverage, 3 -> 2") {
    const Image out = resize_crop(gray_row({0, 90, 180}), {0, 0, 3, 1}, 2, 1);
    CHECK(out.pixels == std::vector<std::uint8_t>{30, 150});  // (0 + 45) / 1.5, (45 + 180) / 1.5
  }
  SECTION("a one-pixel line survives a 4x downscale as its area share") {
    Image image = constant_image(8, 8, 1, 0);
    for (int y = 0; y < 8; ++y) image.at(5, y, 0) = 200;
    const Image out = resize_crop(image, full(image), 2, 2);
    CHECK(out.pixels == std::vector<std::uint8_t>{0, 50, 0, 50});
  }
}

TEST_CASE("bilinear upscale uses half-pixel centres and clamps at the border", "[data][resize]") {
  const Image out = resize_crop(gray_row({0, 100}), {0, 0, 2, 1}, 4, 1);
  CHECK(out.pixels == std::vector<std::uint8_t>{0, 25, 75, 100});
}

TEST_CASE("a constant image stays constant through any resize", "[data][resize]") {
  const Image image = constant_image(37, 23, 3, 173);
  for (auto [w, h] : {std::pair{5, 9}, std::pair{64, 64}, std::pair{100, 11}, std::pair{37, 23}}) {
    const Image out = resize_crop(image, {3.3f, 1.7f, 20.5f, 15.2f}, w, h);
    REQUIRE(out.width == w);
    REQUIRE(out.height == h);
    CHECK(std::all_of(out.pixels.begin(), out.pixels.end(), [](std::uint8_t p) { return p == 173; }));
  }
}

TEST_CASE("resizing to the same size is the identity", "[data][resize]") {
  const Image image = pattern_image(13, 7, 3, 4);
  CHECK(resize_crop(image, full(image), 13, 7).pixels == image.pixels);
}

TEST_CASE("policy crops: stretch keeps everything, shorter side crops the centre", "[data][resize]") {
  const CropRect stretch = policy_crop(200, 100, 64, 64, ResizePolicy::stretch);
  CHECK(stretch.x == 0.0f);
  CHECK(stretch.width == 200.0f);
  CHECK(stretch.height == 100.0f);
  const CropRect wide = policy_crop(200, 100, 64, 64, ResizePolicy::shorter_side_center_crop);
  CHECK(wide.x == Approx(50.0f));
  CHECK(wide.y == Approx(0.0f));
  CHECK(wide.width == Approx(100.0f));
  CHECK(wide.height == Approx(100.0f));
  const CropRect tall = policy_crop(90, 300, 60, 40, ResizePolicy::shorter_side_center_crop);
  CHECK(tall.width == Approx(90.0f));
  CHECK(tall.height == Approx(60.0f));
  CHECK(tall.y == Approx(120.0f));
}

TEST_CASE("normalize maps [0, 255] through per-channel mean and stddev into CHW", "[data][resize]") {
  Image image(2, 1, 3);
  image.pixels = {0, 255, 51, 255, 0, 102};  // pixel 0: (0, 255, 51), pixel 1: (255, 0, 102)
  DataConfig config;
  config.mean = {0.5f, 0.0f, 0.2f};
  config.stddev = {0.5f, 1.0f, 0.1f};
  std::vector<float> out(6);
  normalize_into(image, config, out.data());
  CHECK(out[0] == Approx(-1.0f));  // channel 0, x = 0
  CHECK(out[1] == Approx(1.0f));   // channel 0, x = 1
  CHECK(out[2] == Approx(1.0f));
  CHECK(out[3] == Approx(0.0f).margin(1e-6));
  CHECK(out[4] == Approx(0.0f).margin(1e-6));
  CHECK(out[5] == Approx(2.0f));
}

TEST_CASE("decode converts gray and RGBA files to the model's channel count", "[data][resize]") {
  TempDir dir;
  Image rgba(3, 2, 4);
  for (std::size_t i = 0; i < rgba.pixels.size(); ++i) rgba.pixels[i] = static_cast<std::uint8_t>(i * 10);
  write_png(dir / "rgba.png", rgba);
  const Image rgb = decode_image_file(dir / "rgba.png", 3, 1000);
  REQUIRE(rgb.channels == 3);
  CHECK(rgb.at(2, 1, 0) == rgba.at(2, 1, 0));
  CHECK(rgb.at(2, 1, 2) == rgba.at(2, 1, 2));

  write_png(dir / "gray.png", pattern_image(4, 4, 1, 2));
  const Image gray_as_rgb = decode_image_file(dir / "gray.png", 3, 1000);
  CHECK(gray_as_rgb.at(3, 2, 0) == gray_as_rgb.at(3, 2, 2));
  CHECK(gray_as_rgb.at(3, 2, 1) == pattern_image(4, 4, 1, 2).at(3, 2, 0));
  CHECK_THROWS_WITH(decode_image_file(dir / "gray.png", 3, 10), Catch::Contains("exceed the cap"));
}

TEST_CASE("inference preprocessing reports the crop geometry in original pixels", "[data][resize]") {
  TempDir dir;
  Image image(40, 20, 3);
  for (int y = 0; y < 20; ++y)
    for (int x = 0; x < 40; ++x)
      for (int c = 0; c < 3; ++c) image.at(x, y, c) = x < 20 ? 0 : 255;
  write_png(dir / "half.png", image);
  DataConfig config;
  config.width = config.height = 10;
  config.resize = ResizePolicy::shorter_side_center_crop;
  const InferenceImage loaded = load_image_for_inference(dir / "half.png", config);
  CHECK(loaded.original_width == 40);
  CHECK(loaded.original_height == 20);
  CHECK(loaded.crop.x == Approx(10.0f));
  CHECK(loaded.crop.width == Approx(20.0f));
  REQUIRE(loaded.pixels.size() == 300);
  // Columns 0..4 come from original x in [10, 20): black; 5..9 from [20, 30): white.
  CHECK(loaded.pixels[0] == Approx(-1.0f));
  CHECK(loaded.pixels[4] == Approx(-1.0f));
  CHECK(loaded.pixels[5] == Approx(1.0f));
  CHECK(loaded.pixels[299] == Approx(1.0f));
}

TEST_CASE("horizontal flip mirrors columns", "[data][resize]") {
  Image row = gray_row({1, 2, 3});
  flip_horizontal(row);
  CHECK(row.pixels == std::vector<std::uint8_t>{3, 2, 1});
}

TEST_CASE("the evaluation centre crop keeps the central fraction of the policy window", "[data][resize]") {
  // 200x100 into a square: the policy window is x in [50, 150), all rows.
  const CropRect window = policy_crop(200, 100, 64, 64, ResizePolicy::shorter_side_center_crop);
  const CropRect half = central_part(window, 0.5f);
  CHECK(half.x == Approx(75.0f));
  CHECK(half.y == Approx(25.0f));
  CHECK(half.width == Approx(50.0f));
  CHECK(half.height == Approx(50.0f));
  const CropRect same = central_part(window, 1.0f);
  CHECK(same.x == window.x);
  CHECK(same.width == window.width);
  // torchvision's evaluation: resize the shorter side to 256, centre crop 224.
  const CropRect imagenet = central_part(policy_crop(320, 256, 224, 224, ResizePolicy::shorter_side_center_crop), 0.875f);
  CHECK(imagenet.width == Approx(224.0f));
  CHECK(imagenet.x == Approx(48.0f));
  CHECK(imagenet.y == Approx(16.0f));
  CHECK_THROWS(central_part(window, 0.0f));
  CHECK_THROWS(central_part(window, 1.5f));
}

TEST_CASE("inference with val_crop sees the central part and maps it back to original pixels", "[data][resize]") {
  TempDir dir;
  // 40x20: a white 10x10 square in the middle of black (x in [15, 25), y in [5, 15)).
  Image image(40, 20, 3);
  for (int y = 0; y < 20; ++y)
    for (int x = 0; x < 40; ++x)
      for (int c = 0; c < 3; ++c) image.at(x, y, c) = x >= 15 && x < 25 && y >= 5 && y < 15 ? 255 : 0;
  write_png(dir / "square.png", image);
  DataConfig config;
  config.width = config.height = 10;
  config.resize = ResizePolicy::shorter_side_center_crop;
  config.val_crop = 0.5f;
  const InferenceImage loaded = load_image_for_inference(dir / "square.png", config);
  // The window is x in [10, 30); its central half is the white square.
  CHECK(loaded.crop.x == Approx(15.0f));
  CHECK(loaded.crop.y == Approx(5.0f));
  CHECK(loaded.crop.width == Approx(10.0f));
  CHECK(loaded.crop.height == Approx(10.0f));
  for (const float v : loaded.pixels) REQUIRE(v == Approx(1.0f));
  // The base image of the same config (validation's path) holds the same pixels.
  const Image base = make_base_image(decode_image_file(dir / "square.png", 3, 1000), config);
  CHECK(base.pixels == std::vector<std::uint8_t>(300, 255));
}
