#include <catch2/catch.hpp>
#include <zlib.h>

#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "data/dataset.h"
#include "data/idx_file.h"
#include "data/loader.h"
#include "tests/skip.h"
#include "test_images.h"

using namespace gaze::data;
using namespace gaze::data::testing;

namespace {

std::string big_endian(std::uint32_t value) {
  return {static_cast<char>(value >> 24), static_cast<char>(value >> 16),
          static_cast<char>(value >> 8), static_cast<char>(value)};
}

std::string idx_images(int count, int rows, int cols) {
  std::string bytes = big_endian(0x803) + big_endian(count) + big_endian(rows) + big_endian(cols);
  for (int i = 0; i < count * rows * cols; ++i) bytes += static_cast<char>(i % 251);
  return bytes;
}

std::string idx_labels(const std::vector<int>& labels) {
  std::string bytes = big_endian(0x801) + big_endian(static_cast<std::uint32_t>(labels.size()));
  for (int label : labels) bytes += static_cast<char>(label);
  return bytes;
}

void write_maybe_gz(const std::string& path, const std::string& bytes, bool gz) {
  if (!gz) {
    write_bytes(path, bytes);
    return;
  }
  gzFile file = gzopen((path + ".gz").c_str(), "wb");
  REQUIRE(file);
  REQUIRE(gzwrite(file, bytes.data(), static_cast<unsigned>(bytes.size())) == static_cast<int>(bytes.size()));
  gzclose(file);
}

}  // namespace

TEST_CASE("IDX files, plain and gzip, load as an in-memory dataset", "[data][idx]") {
  const bool gz = GENERATE(false, true);
  TempDir dir;
  write_maybe_gz(dir / "train-images-idx3-ubyte", idx_images(5, 3, 2), gz);
  write_maybe_gz(dir / "train-labels-idx1-ubyte", idx_labels({0, 1, 2, 1, 0}), gz);
  write_maybe_gz(dir / "t10k-images-idx3-ubyte", idx_images(2, 3, 2), gz);
  write_maybe_gz(dir / "t10k-labels-idx1-ubyte", idx_labels({1, 0}), gz);

  DataConfig config;
  config.root = dir.path().string();
  config.channels = 1;
  config.width = 2;
  config.height = 3;
  const Dataset train = scan_dataset(config);
  CHECK(train.layout == Layout::idx);
  CHECK(train.class_names == std::vector<std::string>{"0", "1", "2"});
  REQUIRE(train.samples.size() == 5);
  CHECK(train.samples[2].label == 2);
  const Image record = load_source_image(train, 1, config);
  CHECK(record.pixels == std::vector<std::uint8_t>{6, 7, 8, 9, 10, 11});

  config.channels = 3;
  const Image rgb = load_source_image(train, 1, config);
  CHECK(rgb.at(1, 2, 0) == 11);
  CHECK(rgb.at(1, 2, 2) == 11);

  config.idx_split = "test";
  const Dataset test = scan_dataset(config);
  REQUIRE(test.samples.size() == 2);
  CHECK(test.samples[0].label == 1);
  Loader loader(test, {0, 1}, config, false, 2);
  loader.start_epoch(0);
  const auto batch = loader.next();
  REQUIRE(batch);
  CHECK(batch->n == 2);
  CHECK(batch->labels == std::vector<int>{1, 0});
  // Record 0 pixel 0 is 0 -> (0 - 0.5) / 0.5.
  CHECK(batch->images[0] == Approx(-1.0f));
}

TEST_CASE("IDX errors name the file and what was expected", "[data][idx]") {
  TempDir dir;
  DataConfig config;
  config.root = dir.path().string();
  config.layout = Layout::idx;
  CHECK_THROWS_WITH(scan_dataset(config), Catch::Contains("train-images-idx3-ubyte"));
  write_bytes(dir / "train-images-idx3-ubyte", idx_images(4, 2, 2));
  write_bytes(dir / "train-labels-idx1-ubyte", idx_labels({0, 1, 1}));
  CHECK_THROWS_WITH(scan_dataset(config), Catch::Contains("disagree"));
  write_bytes(dir / "train-labels-idx1-ubyte", idx_images(1, 1, 1));
  CHECK_THROWS_WITH(scan_dataset(config), Catch::Contains("expected 0x801"));
  write_bytes(dir / "train-images-idx3-ubyte", idx_images(4, 2, 2).substr(0, 30));
  write_bytes(dir / "train-labels-idx1-ubyte", idx_labels({0, 1, 1, 0}));
  CHECK_THROWS_WITH(scan_dataset(config), Catch::Contains("truncated"));
}

TEST_CASE("Debian's Fashion-MNIST loads with 6000 train / 1000 test images per class", "[data][idx]") {
  const std::string folder = GAZE_FASHION_MNIST_DIR;
  if (!std::filesystem::exists(folder + "/train-images-idx3-ubyte.gz")) {
    GAZE_SKIP(folder << " is absent (apt install dataset-fashion-mnist)");
  }
  DataConfig config;
  config.root = folder;
  config.channels = 1;
  config.width = config.height = 28;
  for (auto [split, per_class] : {std::pair{"train", 6000}, std::pair{"test", 1000}}) {
    config.idx_split = split;
    const Dataset dataset = scan_dataset(config);
    REQUIRE(dataset.class_names.size() == 10);
    std::vector<int> counts(10, 0);
    for (const Sample& sample : dataset.samples) ++counts[sample.label];
    CHECK(counts == std::vector<int>(10, per_class));
    const Image image = load_source_image(dataset, 0, config);
    CHECK(image.width == 28);
    CHECK(*std::max_element(image.pixels.begin(), image.pixels.end()) > 100);
  }
}
