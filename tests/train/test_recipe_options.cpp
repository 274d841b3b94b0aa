// Config keys of the recipe options: random erasing (data.augment.erasing*)
// and validation with test-time augmentation (train.val_tta).
#include <catch2/catch.hpp>

#include <filesystem>

#include "tests/temp_dir.h"
#include "train/config.h"

using namespace gaze;
using namespace gaze::train;

namespace {
const std::string kTiny = std::string(GAZE_SOURCE_DIR) + "/configs/tiny.yaml";

std::string root() {
  static const test_support::TempDir dir;
  return dir.path().string();
}
}  // namespace

TEST_CASE("data.augment.erasing keys are read, checked and rendered", "[train][config][erasing]") {
  const TrainConfig defaults = load_config(kTiny, {"data.root=" + root()});
  REQUIRE(defaults.data.augment.erasing == 0.0f);
  REQUIRE(defaults.data.augment.erasing_scale_min == Approx(0.02f));
  REQUIRE(defaults.data.augment.erasing_ratio_max == Approx(3.3f));
  REQUIRE(!defaults.data.augment.erasing_random);
  const std::string yaml = to_yaml(defaults);
  for (const char* key : {"erasing: 0", "erasing_scale:", "erasing_ratio:", "erasing_value: zero"})
    REQUIRE(yaml.find(key) != std::string::npos);

  const TrainConfig set = load_config(kTiny, {"data.root=" + root(), "data.augment.erasing=0.25",
                                              "data.augment.erasing_scale=[0.1, 0.2]",
                                              "data.augment.erasing_ratio=[0.5, 2]",
                                              "data.augment.erasing_value=random"});
  REQUIRE(set.data.augment.erasing == 0.25f);
  REQUIRE(set.data.augment.erasing_scale_max == Approx(0.2f));
  REQUIRE(set.data.augment.erasing_ratio_min == Approx(0.5f));
  REQUIRE(set.data.augment.erasing_random);

  REQUIRE_THROWS_WITH(load_config(kTiny, {"data.root=" + root(), "data.augment.erasing=1.5"}),
                      Catch::Contains("data.augment.erasing") && Catch::Contains("[0, 1]"));
  REQUIRE_THROWS_WITH(load_config(kTiny, {"data.root=" + root(), "data.augment.erasing_scale=[0.3, 0.1]"}),
                      Catch::Contains("data.augment.erasing_scale"));
  REQUIRE_THROWS_WITH(load_config(kTiny, {"data.root=" + root(), "data.augment.erasing_value=mean"}),
                      Catch::Contains("data.augment.erasing_value") && Catch::Contains("zero") &&
                          Catch::Contains("random"));
  REQUIRE_THROWS_WITH(
      load_config(kTiny, {"data.root=" + root(), "data.layout=npy", "data.augment.erasing=0.5"}),
      Catch::Contains("data.augment.erasing") && Catch::Contains("matrices"));
}
