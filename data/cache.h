#pragma once
// The decoded cache: every sample's base image (policy crop + resize to model
// size, uint8 HWC; see preprocess.h) in one memory-mapped file, so later
// epochs and later runs skip JPEG decoding. The file name carries a 64-bit
// hash of the file list, sizes, modification times and resize settings: a
// changed, added or removed file (or another image size) selects a new file,
// which is built from scratch into a temporary name and renamed into place,
// so a crash or a concurrent rank never leaves a half-written cache behind.
// Older caches of the same dataset folder are deleted once the new one exists.
//
// Layout: 64-byte header (magic, key, count, channels, height, width), one
// status byte per sample (1 = decoded, 0 = undecodable), then the pixels of
// every sample at a fixed stride.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "data/config.h"
#include "data/dataset.h"
#include "data/image.h"

namespace gaze::data {

class DecodedCache {
 public:
  // Maps the cache for (dataset, config) from config.cache_dir, building it
  // first with `threads` decoding threads when it is missing or stale.
  // Undecodable files get one warning line each while building.
  static std::shared_ptr<const DecodedCache> open_or_build(const Dataset& dataset,
                                                           const DataConfig& config,
                                                           int threads);
  static std::uint64_t key(const Dataset& dataset, const DataConfig& config);
  static std::string path_for(const Dataset& dataset, const DataConfig& config);

  ~DecodedCache();
  DecodedCache(const DecodedCache&) = delete;
  DecodedCache& operator=(const DecodedCache&) = delete;

  std::size_t size() const { return count_; }
  bool decoded(std::size_t index) const;
  Image image(std::size_t index) const;
  const std::string& path() const { return path_; }
  // True when this open had to decode the dataset (a cache miss).
  bool was_built() const { return was_built_; }

 private:
  DecodedCache() = default;
  static std::unique_ptr<DecodedCache> map(const std::string& path, std::uint64_t key,
                                           std::size_t count, const DataConfig& config);

  std::string path_;
  void* mapping_ = nullptr;
  std::size_t mapping_size_ = 0;
  std::size_t count_ = 0;
  int channels_ = 0, height_ = 0, width_ = 0;
  const std::uint8_t* status_ = nullptr;
  const std::uint8_t* pixels_ = nullptr;
  bool was_built_ = false;
};

}  // namespace gaze::data
