#include <catch2/catch.hpp>

#include <filesystem>
#include <numeric>
#include <set>

#include "core/error.h"
#include "data/loader.h"
#include "data/preprocess.h"
#include "test_images.h"

using namespace gaze::data;
using namespace gaze::data::testing;
namespace fs = std::filesystem;

namespace {

struct LoaderFixture {
  TempDir dir;
  DataConfig config;
  Dataset dataset;
  std::vector<std::size_t> all;
  LoaderFixture() {
    for (const char* name : {"ant", "bee", "cow"}) {
      fs::create_directory(dir / name);
      for (int i = 0; i < 9; ++i)
        write_png(dir / (std::string(name) + "/" + std::to_string(i) + ".png"),
                  pattern_image(10 + i, 8, 3, i + name[0]));
    }
    config.root = dir.path().string();
    config.width = config.height = 8;
    config.num_workers = 3;
    config.prefetch = 2;
    config.drop_last = false;
    dataset = scan_dataset(config);
    all.resize(dataset.samples.size());
    std::iota(all.begin(), all.end(), 0);
  }
};

std::vector<std::size_t> drain(Loader& loader, int epoch) {
  std::vector<std::size_t> seen;
  loader.start_epoch(epoch);
  while (auto batch = loader.next()) seen.insert(seen.end(), batch->indices.begin(), batch->indices.end());
  return seen;
}

}  // namespace

TEST_CASE("the loader delivers every sample once per epoch with matching labels", "[data][loader]") {
  LoaderFixture f;
  Loader loader(f.dataset, f.all, f.config, true, 4);
  CHECK(loader.batches_per_epoch() == 7);
  std::vector<std::size_t> first;
  for (int epoch = 0; epoch < 2; ++epoch) {
    loader.start_epoch(epoch);
    std::vector<std::size_t> seen;
    std::size_t batches = 0;
    while (auto batch = loader.next()) {
      ++batches;
      REQUIRE(batch->n == static_cast<int>(batch->indices.size()));
      CHECK(batch->channels == 3);
      CHECK(batch->height == 8);
      CHECK(batch->images.size() == static_cast<std::size_t>(batch->n) * 3 * 8 * 8);
      for (int k = 0; k < batch->n; ++k)
        CHECK(batch->labels[k] == f.dataset.samples[batch->indices[k]].label);
      seen.insert(seen.end(), batch->indices.begin(), batch->indices.end());
    }
    CHECK(batches == loader.batches_per_epoch());
    if (epoch == 0) first = seen;
    else CHECK(seen != first);  // reshuffled
    std::sort(seen.begin(), seen.end());
    CHECK(seen == f.all);
  }
}

TEST_CASE("evaluation batches hold the normalized base images in subset order", "[data][loader]") {
  LoaderFixture f;
  Loader loader(f.dataset, f.all, f.config, false, 5);
  loader.start_epoch(0);
  const auto batch = loader.next();
  REQUIRE(batch);
  CHECK(batch->indices == std::vector<std::size_t>{0, 1, 2, 3, 4});
  std::vector<float> expected(3 * 8 * 8);
  normalize_into(make_base_image(load_source_image(f.dataset, 3, f.config), f.config), f.config,
                 expected.data());
  CHECK(std::vector<float>(batch->images.begin() + 3 * 192, batch->images.begin() + 4 * 192) == expected);
}

TEST_CASE("rank loaders split each epoch into disjoint, complete shards", "[data][loader]") {
  LoaderFixture f;
  std::vector<std::size_t> union_of_ranks;
  for (int rank = 0; rank < 3; ++rank) {
    Loader loader(f.dataset, f.all, f.config, true, 2, rank, 3);
    CHECK(loader.batches_per_epoch() == 5);
    const auto seen = drain(loader, 4);
    union_of_ranks.insert(union_of_ranks.end(), seen.begin(), seen.end());
  }
  std::sort(union_of_ranks.begin(), union_of_ranks.end());
  CHECK(union_of_ranks == f.all);
}

TEST_CASE("the loader stops cleanly mid-epoch and restarts epochs", "[data][loader]") {
  LoaderFixture f;
  {
    Loader loader(f.dataset, f.all, f.config, true, 2);
    loader.start_epoch(0);
    CHECK(loader.next());
    loader.start_epoch(1);  // abandons epoch 0 while workers are busy
    CHECK(drain(loader, 1).size() == f.all.size());
    loader.start_epoch(2);
    CHECK(loader.next());
  }  // destroyed with batches in flight: must join, not hang
  Loader unused(f.dataset, f.all, f.config, true, 2);
  CHECK_THROWS_WITH(unused.next(), Catch::Contains("before start_epoch"));
}

TEST_CASE("a worker's failure reaches the consumer as gaze::Error", "[data][loader]") {
  LoaderFixture f;
  Loader loader(f.dataset, f.all, f.config, true, 4);
  for (const Sample& sample : f.dataset.samples) fs::remove(sample.path);
  loader.start_epoch(0);
  CHECK_THROWS_AS(loader.next(), gaze::Error);
}

TEST_CASE("evaluation leaves undecodable images out and names them; it never substitutes", "[data][loader]") {
  LoaderFixture f;
  // Their headers passed the scan; the pixel data is gone (a truncated download).
  const std::set<std::size_t> bad{4, 13};
  for (std::size_t index : bad) truncate_file(f.dataset.samples[index].path, 40);
  Loader loader(f.dataset, f.all, f.config, false, 4);
  const std::vector<std::size_t> seen = drain(loader, 0);
  const std::set<std::size_t> distinct(seen.begin(), seen.end());
  CHECK(seen.size() == f.all.size() - bad.size());  // n counts only the images really evaluated
  CHECK(distinct.size() == seen.size());            // none counted twice
  for (std::size_t index : bad) CHECK(distinct.count(index) == 0);
  const std::vector<std::string> reported = loader.undecodable_files();
  REQUIRE(reported.size() == 2);
  CHECK(reported[0] == f.dataset.samples[4].path);
  CHECK(reported[1] == f.dataset.samples[13].path);
}

TEST_CASE("evaluation skips a batch whose every image is undecodable", "[data][loader]") {
  LoaderFixture f;
  for (std::size_t index = 0; index < 4; ++index) truncate_file(f.dataset.samples[index].path, 40);
  Loader loader(f.dataset, f.all, f.config, false, 4);
  loader.start_epoch(0);
  std::size_t images = 0;
  while (auto batch = loader.next()) {
    CHECK(batch->n > 0);
    CHECK(batch->images.size() == static_cast<std::size_t>(batch->n) * 3 * 8 * 8);
    images += static_cast<std::size_t>(batch->n);
  }
  CHECK(images == f.all.size() - 4);
}

TEST_CASE("training replaces an undecodable image, keeps batch sizes and counts it", "[data][loader]") {
  LoaderFixture f;
  truncate_file(f.dataset.samples[5].path, 40);
  Loader loader(f.dataset, f.all, f.config, true, 4);
  loader.start_epoch(0);
  std::size_t images = 0;
  while (auto batch = loader.next()) {
    for (std::size_t index : batch->indices) CHECK(index != 5);
    images += static_cast<std::size_t>(batch->n);
  }
  CHECK(images == f.all.size());  // the epoch keeps its size: one image stands in for the bad one
  REQUIRE(loader.undecodable_files().size() == 1);
  CHECK(loader.undecodable_files()[0] == f.dataset.samples[5].path);
}

TEST_CASE("loader arguments are checked", "[data][loader]") {
  LoaderFixture f;
  CHECK_THROWS_WITH(Loader(f.dataset, f.all, f.config, true, 0), Catch::Contains("batch size"));
  CHECK_THROWS_WITH(Loader(f.dataset, f.all, f.config, true, 2, 3, 3), Catch::Contains("rank 3"));
  CHECK_THROWS_WITH(Loader(f.dataset, {999}, f.config, true, 2), Catch::Contains("out of range"));
}

TEST_CASE("val_crop crops evaluation batches; training augments the whole window", "[data][loader]") {
  LoaderFixture f;
  f.config.augment = AugmentConfig{false, 1, 1, 1, 1, 0, 0};  // no augmentation: training shows its base images
  DataConfig cropped = f.config;
  cropped.val_crop = 0.5f;
  auto batch_of = [&](const DataConfig& config, bool training) {
    Loader loader(f.dataset, {4}, config, training, 1);
    loader.start_epoch(0);
    auto batch = loader.next();
    REQUIRE(batch);
    return batch->images;
  };
  std::vector<float> expected(3 * 8 * 8);
  normalize_into(make_base_image(load_source_image(f.dataset, 4, cropped), cropped), cropped, expected.data());
  const std::vector<float> evaluation = batch_of(cropped, false);
  CHECK(evaluation == expected);
  CHECK(evaluation != batch_of(f.config, false));
  // Augmentation's float path rounds differently from normalize_into's.
  const std::vector<float> training = batch_of(cropped, true), whole = batch_of(f.config, false);
  REQUIRE(training.size() == whole.size());
  for (std::size_t i = 0; i < whole.size(); ++i) REQUIRE(training[i] == Approx(whole[i]).margin(1e-5));
}
