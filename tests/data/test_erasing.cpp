// Random erasing (data.augment.erasing): the erased box is the one drawn
// from (seed, epoch, index), torchvision's RandomErasing recipe; pixels
// outside it are untouched, and p = 0 changes nothing.
#include <catch2/catch.hpp>

#include <cmath>

#include "data/augment.h"
#include "data/random.h"
#include "test_images.h"

using namespace gaze::data;
using namespace gaze::data::testing;

namespace {

// Crop, flip and jitter off, so erasing is the only change.
DataConfig erasing_config(float p) {
  DataConfig config;
  config.width = 20;
  config.height = 14;
  config.augment = {false, 1.0f, 1.0f, 1.0f, 1.0f, 0.0f, 0.0f};
  config.augment.erasing = p;
  return config;
}

std::vector<float> run(const Image& base, const DataConfig& config, const AugmentDraw& draw) {
  std::vector<float> out(static_cast<size_t>(config.channels) * config.height * config.width);
  augment_into(base, draw, config, out.data());
  return out;
}

}  // namespace

TEST_CASE("random erasing draws torchvision's box from (seed, epoch, index)", "[data][augment][erasing]") {
  const DataConfig config = erasing_config(1.0f);
  const AugmentDraw draw = draw_augmentation(config.augment, 9, 2, 31, config.width, config.height);
  // The same draws by hand: the crop's ten tries of two uniforms each (a
  // square of the whole area, 16.7 pixels, never fits 14 rows, so the whole
  // image is kept), then erasing's coin, area fraction, log-ratio, row and column.
  Rng rng(mix_seed({9, 2, 31}));
  for (int i = 0; i < 20; ++i) rng.uniform();
  REQUIRE(rng.uniform() < 1.0f);
  int h = 0, w = 0;
  do {
    const float target = 20.0f * 14.0f * rng.uniform(0.02f, 0.33f);
    const float ratio = std::exp(rng.uniform(std::log(0.3f), std::log(3.3f)));
    h = static_cast<int>(std::lround(std::sqrt(target * ratio)));
    w = static_cast<int>(std::lround(std::sqrt(target / ratio)));
  } while (h < 1 || w < 1 || h >= 14 || w >= 20);
  const int y = static_cast<int>(rng.below(static_cast<size_t>(14 - h + 1)));
  const int x = static_cast<int>(rng.below(static_cast<size_t>(20 - w + 1)));
  REQUIRE(draw.erase_width == w);
  REQUIRE(draw.erase_height == h);
  REQUIRE(draw.erase_x == x);
  REQUIRE(draw.erase_y == y);
  REQUIRE(draw.erase_seed == rng.next());
  // A pure function of (seed, epoch, index).
  const AugmentDraw again = draw_augmentation(config.augment, 9, 2, 31, config.width, config.height);
  REQUIRE((again.erase_x == x && again.erase_y == y && again.erase_seed == draw.erase_seed));
}

TEST_CASE("random erasing zeroes exactly the drawn box after normalization", "[data][augment][erasing]") {
  DataConfig config = erasing_config(1.0f);
  config.channels = 3;
  const Image base = pattern_image(20, 14, 3, 4);
  AugmentDraw plain;
  plain.crop = {0, 0, 20, 14};
  const std::vector<float> clean = run(base, config, plain);
  for (size_t index = 0; index < 20; ++index) {
    const AugmentDraw draw = draw_augmentation(config.augment, 1, 0, index, config.width, config.height);
    REQUIRE(draw.erase_width > 0);
    const float area = static_cast<float>(draw.erase_width * draw.erase_height) / (20 * 14);
    REQUIRE(area <= 0.33f * 1.4f);  // rounding the sides to pixels moves the area a little
    const std::vector<float> erased = run(base, config, draw);
    for (int c = 0; c < 3; ++c)
      for (int y = 0; y < 14; ++y)
        for (int x = 0; x < 20; ++x) {
          const size_t i = static_cast<size_t>((c * 14 + y) * 20 + x);
          const bool inside = x >= draw.erase_x && x < draw.erase_x + draw.erase_width && y >= draw.erase_y &&
                              y < draw.erase_y + draw.erase_height;
          REQUIRE(erased[i] == (inside ? 0.0f : clean[i]));
        }
  }
  // erasing_value: random fills the box with the normals of erase_seed, channel by channel, row-major.
  config.augment.erasing_random = true;
  AugmentDraw box = plain;
  box.erase_x = 3, box.erase_y = 5, box.erase_width = 4, box.erase_height = 2, box.erase_seed = 77;
  const std::vector<float> noisy = run(base, config, box);
  Rng rng(77);
  for (int c = 0; c < 3; ++c)
    for (int y = 5; y < 7; ++y)
      for (int x = 3; x < 7; ++x) REQUIRE(noisy[static_cast<size_t>((c * 14 + y) * 20 + x)] == standard_normal(rng));
  REQUIRE(noisy[0] == clean[0]);
}

TEST_CASE("erasing probability: 0 changes nothing, 0.5 erases about half", "[data][augment][erasing]") {
  const Image base = pattern_image(20, 14, 1, 3);
  DataConfig off = erasing_config(0.0f);
  off.channels = 1;
  DataConfig half = off;
  half.augment.erasing = 0.5f;
  int erased = 0;
  for (size_t index = 0; index < 400; ++index) {
    const AugmentDraw none = draw_augmentation(off.augment, 5, 1, index, 20, 14);
    REQUIRE(none.erase_width == 0);
    AugmentDraw plain;
    plain.crop = {0, 0, 20, 14};
    REQUIRE(run(base, off, none) == run(base, off, plain));
    erased += draw_augmentation(half.augment, 5, 1, index, 20, 14).erase_width > 0;
  }
  REQUIRE(erased > 160);
  REQUIRE(erased < 240);
}
