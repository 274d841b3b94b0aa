#include <catch2/catch.hpp>

#include <cmath>

#include "data/augment.h"
#include "data/preprocess.h"
#include "test_images.h"

using namespace gaze::data;
using namespace gaze::data::testing;

namespace {

std::vector<float> augmented(const Image& base, const DataConfig& config, std::uint64_t seed,
                             int epoch, std::size_t index) {
  std::vector<float> out(static_cast<std::size_t>(config.channels) * config.height * config.width);
  augment_into(base, draw_augmentation(config.augment, seed, epoch, index, config.width, config.height),
               config, out.data());
  return out;
}

bool all_close(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::abs(a[i] - b[i]) > 1e-5f) return false;
  return true;
}

DataConfig small_config() {
  DataConfig config;
  config.width = 16;
  config.height = 12;
  return config;
}

}  // namespace

TEST_CASE("augmentation is a pure function of (seed, epoch, sample index)", "[data][augment]") {
  const DataConfig config = small_config();
  const Image base = pattern_image(16, 12, 3, 9);
  const auto reference = augmented(base, config, 42, 3, 17);
  CHECK(augmented(base, config, 42, 3, 17) == reference);
  CHECK(augmented(base, config, 43, 3, 17) != reference);
  CHECK(augmented(base, config, 42, 4, 17) != reference);
  CHECK(augmented(base, config, 42, 3, 18) != reference);
}

TEST_CASE("random crops stay inside the image and within the scale and aspect ranges", "[data][augment]") {
  AugmentConfig augment;
  int flips = 0;
  for (std::size_t i = 0; i < 500; ++i) {
    const AugmentDraw draw = draw_augmentation(augment, 1, 0, i, 64, 48);
    CHECK(draw.crop.x >= 0.0f);
    CHECK(draw.crop.y >= 0.0f);
    CHECK(draw.crop.x + draw.crop.width <= 64.0f + 1e-3f);
    CHECK(draw.crop.y + draw.crop.height <= 48.0f + 1e-3f);
    const float scale = draw.crop.width * draw.crop.height / (64.0f * 48.0f);
    const bool whole = draw.crop.width == 64.0f && draw.crop.height == 48.0f;
    CHECK((whole || (scale >= augment.crop_scale_min - 1e-4f && scale <= augment.crop_scale_max + 1e-4f)));
    CHECK(std::abs(draw.brightness) <= augment.brightness);
    CHECK(std::abs(draw.contrast - 1.0f) <= augment.contrast);
    flips += draw.flip;
  }
  CHECK(flips > 200);
  CHECK(flips < 300);
}

TEST_CASE("disabled augmentation equals the deterministic path; a flip mirrors it", "[data][augment]") {
  DataConfig config = small_config();
  config.augment = {false, 1.0f, 1.0f, 1.0f, 1.0f, 0.0f, 0.0f};
  const Image base = pattern_image(16, 12, 3, 2);
  std::vector<float> plain(3 * 12 * 16);
  normalize_into(base, config, plain.data());
  CHECK(all_close(augmented(base, config, 5, 0, 0), plain));

  AugmentDraw flip;
  flip.crop = {0, 0, 16, 12};
  flip.flip = true;
  std::vector<float> flipped(plain.size());
  augment_into(base, flip, config, flipped.data());
  Image mirrored = base;
  flip_horizontal(mirrored);
  normalize_into(mirrored, config, plain.data());
  CHECK(all_close(flipped, plain));
}

TEST_CASE("brightness shifts and contrast scales around the image mean", "[data][augment]") {
  DataConfig config = small_config();
  config.mean = {0.0f, 0.0f, 0.0f};
  config.stddev = {1.0f, 1.0f, 1.0f};
  Image base = constant_image(16, 12, 3, 102);  // 0.4
  for (int x = 0; x < 8; ++x)
    for (int y = 0; y < 12; ++y)
      for (int c = 0; c < 3; ++c) base.at(x, y, c) = 153;  // 0.6: image mean 0.5
  AugmentDraw draw;
  draw.crop = {0, 0, 16, 12};
  draw.brightness = 0.1f;
  draw.contrast = 2.0f;
  std::vector<float> out(3 * 12 * 16);
  augment_into(base, draw, config, out.data());
  CHECK(out[0] == Approx(0.8f));   // (0.6 - 0.5) * 2 + 0.5 + 0.1
  CHECK(out[15] == Approx(0.4f));  // (0.4 - 0.5) * 2 + 0.5 + 0.1
}
