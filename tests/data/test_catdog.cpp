#include <catch2/catch.hpp>

#include <cmath>
#include <cstdlib>
#include <filesystem>

#include "data/data.h"

using namespace gaze::data;

namespace {

// The shared Kaggle sample (2,000 JPEGs, flat layout): $GAZE_CATDOG_DIR at run
// time, else the folder chosen at configure time (next to this checkout).
std::string catdog_dir() {
  const char* from_env = std::getenv("GAZE_CATDOG_DIR");
  return from_env && *from_env ? from_env : GAZE_CATDOG_DIR;
}

bool have_catdog() {
  if (std::filesystem::is_directory(catdog_dir())) return true;
  WARN("[skipped] no cat/dog sample at " << catdog_dir());  // the caller returns: see tests/skip.h
  return false;
}

DataConfig catdog_config() {
  DataConfig config;
  config.root = catdog_dir();
  config.width = config.height = 32;
  return config;
}

}  // namespace

TEST_CASE("the shared cat/dog sample scans as 2 balanced classes and splits 80/20", "[data][catdog]") {
  if (!have_catdog()) return;
  const Dataset dataset = scan_dataset(catdog_config());
  CHECK(dataset.layout == Layout::flat);
  REQUIRE(dataset.class_names == std::vector<std::string>{"cat", "dog"});
  CHECK(dataset.samples.size() == 2000);
  CHECK(dataset.skipped.empty());
  const Split split = split_train_val(labels_of(dataset), 0.2f, 42);
  CHECK(split.val.size() == 400);
  int val_dogs = 0;
  for (std::size_t i : split.val) val_dogs += dataset.samples[i].label;
  CHECK(val_dogs == 200);
}

TEST_CASE("real JPEGs decode into normalized batches and inference geometry", "[data][catdog]") {
  if (!have_catdog()) return;
  DataConfig config = catdog_config();
  const Dataset dataset = scan_dataset(config);
  std::vector<std::size_t> subset;
  for (std::size_t i = 0; i < dataset.samples.size(); i += 25) subset.push_back(i);
  Loader loader(dataset, subset, config, true, 16);
  loader.start_epoch(0);
  std::size_t delivered = 0;
  while (auto batch = loader.next()) {
    delivered += static_cast<std::size_t>(batch->n);
    float low = 1e9f, high = -1e9f;
    bool finite = true;
    for (float v : batch->images) {
      finite = finite && std::isfinite(v);
      low = std::min(low, v);
      high = std::max(high, v);
    }
    CHECK(finite);
    CHECK(low >= -1.0f);
    CHECK(high <= 1.0f);
    CHECK(high - low > 0.5f);  // real pictures, not a constant fill
  }
  CHECK(delivered == subset.size() / 16 * 16);

  config.resize = ResizePolicy::shorter_side_center_crop;
  const InferenceImage image = load_image_for_inference(dataset.samples[0].path, config);
  const int shorter = std::min(image.original_width, image.original_height);
  CHECK(image.crop.width == Approx(shorter));
  CHECK(image.crop.height == Approx(shorter));
  CHECK(image.crop.x == Approx((image.original_width - shorter) / 2.0f));
  CHECK(image.pixels.size() == 3u * 32 * 32);
}
