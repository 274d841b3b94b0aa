#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <numeric>

#include "data/cache.h"
#include "data/loader.h"
#include "data/preprocess.h"
#include "test_images.h"

using namespace gaze::data;
using namespace gaze::data::testing;
namespace fs = std::filesystem;

namespace {

struct CacheFixture {
  TempDir images, caches;
  DataConfig config;
  CacheFixture() {
    for (int i = 0; i < 6; ++i) {
      write_png(images / ("cat." + std::to_string(i) + ".png"), pattern_image(30 + i, 20, 3, i));
      write_jpg(images / ("dog." + std::to_string(i) + ".jpg"), pattern_image(20, 25 + i, 3, 10 + i));
    }
    config.root = images.path().string();
    config.cache_dir = caches.path().string();
    config.width = 12;
    config.height = 10;
    config.num_workers = 2;
  }
  std::size_t cache_files() const {
    std::size_t n = 0;
    for (const auto& entry : fs::directory_iterator(caches.path())) n += entry.path().extension() == ".u8cache";
    return n;
  }
};

std::vector<std::size_t> all_of(const Dataset& dataset) {
  std::vector<std::size_t> indices(dataset.samples.size());
  std::iota(indices.begin(), indices.end(), 0);
  return indices;
}

std::vector<Batch> epoch_batches(Loader& loader, int epoch) {
  std::vector<Batch> batches;
  loader.start_epoch(epoch);
  while (auto batch = loader.next()) batches.push_back(std::move(*batch));
  return batches;
}

}  // namespace

TEST_CASE("the cache is built once, then hit, and holds the base images", "[data][cache]") {
  CacheFixture f;
  const Dataset dataset = scan_dataset(f.config);
  const auto built = DecodedCache::open_or_build(dataset, f.config, 2);
  CHECK(built->was_built());
  CHECK(fs::exists(built->path()));
  const auto hit = DecodedCache::open_or_build(dataset, f.config, 2);
  CHECK_FALSE(hit->was_built());
  CHECK(hit->path() == built->path());
  REQUIRE(hit->size() == dataset.samples.size());
  for (std::size_t i = 0; i < dataset.samples.size(); ++i) {
    REQUIRE(hit->decoded(i));
    CHECK(hit->image(i).pixels == make_base_image(load_source_image(dataset, i, f.config), f.config).pixels);
  }
  CHECK(f.cache_files() == 1);
}

TEST_CASE("a changed, added or differently resized dataset invalidates the cache", "[data][cache]") {
  CacheFixture f;
  const Dataset original = scan_dataset(f.config);
  const std::string first = DecodedCache::open_or_build(original, f.config, 1)->path();

  SECTION("a file changes") {
    write_png(f.images / "cat.0.png", constant_image(30, 20, 3, 7));
    fs::last_write_time(f.images / "cat.0.png", fs::file_time_type::clock::now() + std::chrono::seconds(5));
    const Dataset changed = scan_dataset(f.config);
    const auto cache = DecodedCache::open_or_build(changed, f.config, 1);
    CHECK(cache->was_built());
    CHECK(cache->path() != first);
    CHECK(cache->image(0).pixels == std::vector<std::uint8_t>(12 * 10 * 3, 7));
    CHECK_FALSE(fs::exists(first));  // the stale cache is removed
    CHECK(f.cache_files() == 1);
  }
  SECTION("a file is added") {
    write_png(f.images / "dog.99.png", pattern_image(9, 9, 3, 99));
    const Dataset added = scan_dataset(f.config);
    const auto cache = DecodedCache::open_or_build(added, f.config, 1);
    CHECK(cache->was_built());
    CHECK(cache->size() == original.samples.size() + 1);
  }
  SECTION("the model resolution changes") {
    const std::uint64_t key_before = DecodedCache::key(original, f.config);
    f.config.width = 14;
    CHECK(DecodedCache::key(original, f.config) != key_before);
    const auto cache = DecodedCache::open_or_build(original, f.config, 1);
    CHECK(cache->was_built());
    CHECK(cache->image(0).width == 14);
  }
  SECTION("a corrupted cache file is rebuilt") {
    fs::resize_file(first, 100);
    CHECK(DecodedCache::open_or_build(original, f.config, 1)->was_built());
  }
}

TEST_CASE("cached and uncached loading give identical training batches", "[data][cache]") {
  CacheFixture f;
  const Dataset dataset = scan_dataset(f.config);
  Loader cached(dataset, all_of(dataset), f.config, true, 5);
  REQUIRE(cached.cache());
  DataConfig uncached_config = f.config;
  uncached_config.cache_dir.clear();
  Loader uncached(dataset, all_of(dataset), uncached_config, true, 5);
  CHECK_FALSE(uncached.cache());
  const auto a = epoch_batches(cached, 2);
  const auto b = epoch_batches(uncached, 2);
  REQUIRE(a.size() == b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    CHECK(a[i].indices == b[i].indices);
    CHECK(a[i].images == b[i].images);
  }
}

TEST_CASE("a file that fails to decode is flagged in the cache and never delivered", "[data][cache]") {
  CacheFixture f;
  write_jpg(f.images / "dog.50.jpg", pattern_image(64, 64, 3, 5));
  truncate_file(f.images / "dog.50.jpg", fs::file_size(f.images / "dog.50.jpg") / 2);
  const Dataset dataset = scan_dataset(f.config);  // the header is intact: scan keeps it
  std::size_t broken = dataset.samples.size();
  for (std::size_t i = 0; i < dataset.samples.size(); ++i)
    if (fs::path(dataset.samples[i].path).filename() == "dog.50.jpg") broken = i;
  REQUIRE(broken < dataset.samples.size());

  for (bool use_cache : {true, false}) {
    DataConfig config = f.config;
    if (!use_cache) config.cache_dir.clear();
    Loader loader(dataset, all_of(dataset), config, false, 4);
    if (use_cache) CHECK_FALSE(loader.cache()->decoded(broken));
    std::size_t delivered = 0;
    for (const Batch& batch : epoch_batches(loader, 0)) {
      delivered += batch.indices.size();
      CHECK(std::find(batch.indices.begin(), batch.indices.end(), broken) == batch.indices.end());
    }
    CHECK(delivered == dataset.samples.size() / 4 * 4);
  }
}

TEST_CASE("a validation cache with val_crop lives beside the training cache", "[data][cache]") {
  CacheFixture f;
  const Dataset dataset = scan_dataset(f.config);
  DataConfig val_config = f.config;
  val_config.val_crop = 0.875f;
  Loader train(dataset, all_of(dataset), f.config, true, 5);
  Loader val(dataset, all_of(dataset), val_config, false, 5);
  REQUIRE(train.cache());
  REQUIRE(val.cache());
  CHECK(train.cache()->path() != val.cache()->path());
  CHECK(f.cache_files() == 2);  // neither build removed the other as stale
  CHECK(val.cache()->image(1).pixels ==
        make_base_image(load_source_image(dataset, 1, val_config), val_config).pixels);
  CHECK(val.cache()->image(1).pixels != train.cache()->image(1).pixels);
  CHECK_FALSE(DecodedCache::open_or_build(dataset, f.config, 1)->was_built());
  CHECK_FALSE(DecodedCache::open_or_build(dataset, val_config, 1)->was_built());
  // The training cache holds whole windows: a cropping validation loader refuses it.
  CHECK_THROWS_WITH(Loader(dataset, all_of(dataset), val_config, false, 5, 0, 1, train.cache()),
                    Catch::Contains("other preprocessing"));
}
