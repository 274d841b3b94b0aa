// gaze-bench-data: images/s of the data pipeline on an image folder, for
// cold decode + resize (no cache), building the decoded cache, and loading
// from the cache with and without training augmentation.
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "core/program.h"
#include "data/data.h"

namespace {

using Clock = std::chrono::steady_clock;
using gaze::data::Loader;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Images per second over `epochs` full epochs of `loader`.
double loader_rate(Loader& loader, int epochs) {
  std::size_t images = 0;
  const auto start = Clock::now();
  for (int epoch = 0; epoch < epochs; ++epoch) {
    loader.start_epoch(epoch);
    while (auto batch = loader.next()) images += static_cast<std::size_t>(batch->n);
  }
  return static_cast<double>(images) / seconds_since(start);
}

void report(const char* what, int size, double rate) {
  std::printf("%-34s %4dx%-4d %9.0f images/s\n", what, size, size, rate);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"gaze data pipeline benchmark (images/s)"};
  std::string root;
  std::vector<int> sizes{64, 128};
  int batch_size = 64, workers = 2, epochs = 3;
  std::string cache_dir =
      (std::filesystem::temp_directory_path() / "gaze-bench-data-cache").string();
  app.add_option("--root", root, "image folder (flat or class subfolders)")->required();
  app.add_option("--sizes", sizes, "square model resolutions to measure")->delimiter(',');
  app.add_option("--batch", batch_size, "batch size");
  app.add_option("--workers", workers, "loader worker threads");
  app.add_option("--epochs", epochs, "epochs of cached loading to time");
  app.add_option("--cache-dir", cache_dir, "scratch folder for the decoded cache (emptied)");
  CLI11_PARSE(app, argc, argv);

  return gaze::run_program("gaze-bench-data", [&] {
    gaze::data::DataConfig config;
    config.root = root;
    config.num_workers = workers;
    config.drop_last = false;
    const gaze::data::Dataset dataset = gaze::data::scan_dataset(config);
    std::vector<std::size_t> all(dataset.samples.size());
    for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
    std::printf("%zu images, batch %d, %d worker threads\n", all.size(), batch_size, workers);

    for (int size : sizes) {
      config.height = config.width = size;
      config.cache_dir.clear();
      {
        Loader cold(dataset, all, config, false, batch_size);
        report("cold decode+resize (no cache)", size, loader_rate(cold, 1));
      }
      std::filesystem::remove_all(cache_dir);
      config.cache_dir = cache_dir;
      const auto start = Clock::now();
      auto cache = gaze::data::DecodedCache::open_or_build(dataset, config, workers);
      report("cache build (decode+resize+write)", size,
             static_cast<double>(all.size()) / seconds_since(start));
      Loader cached_train(dataset, all, config, true, batch_size, 0, 1, cache);
      report("cached, training augmentation", size, loader_rate(cached_train, epochs));
      Loader cached_val(dataset, all, config, false, batch_size, 0, 1, cache);
      report("cached, validation (no augment)", size, loader_rate(cached_val, epochs));
    }
    std::filesystem::remove_all(cache_dir);
    return 0;
  });
}
