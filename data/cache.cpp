#include "data/cache.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

#include "core/error.h"
#include "data/preprocess.h"

namespace gaze::data {
namespace fs = std::filesystem;
namespace {

constexpr char kMagic[16] = "gaze-u8cache-v1";
constexpr std::size_t kHeaderSize = 64;

struct Header {
  char magic[16];
  std::uint64_t key;
  std::uint64_t count;
  std::uint32_t channels, height, width;
};
static_assert(sizeof(Header) <= kHeaderSize);

std::size_t align64(std::size_t n) { return (n + 63) / 64 * 64; }

std::size_t file_size_for(std::size_t count, const DataConfig& config) {
  const std::size_t stride = static_cast<std::size_t>(config.channels) * config.height * config.width;
  return kHeaderSize + align64(count) + count * stride;
}

class Fnv1a {
 public:
  void add(const void* data, std::size_t size) {
    const auto* bytes = static_cast<const std::uint8_t*>(data);
    for (std::size_t i = 0; i < size; ++i) hash_ = (hash_ ^ bytes[i]) * 0x100000001b3ULL;
  }
  template <typename T>
  void add_value(T value) { add(&value, sizeof value); }
  void add_string(const std::string& s) {
    add_value(s.size());
    add(s.data(), s.size());
  }
  std::uint64_t value() const { return hash_; }

 private:
  std::uint64_t hash_ = 0xcbf29ce484222325ULL;
};

std::string hex(std::uint64_t value, int digits) {
  std::ostringstream out;
  out << std::hex;
  out.width(digits);
  out.fill('0');
  out << value;
  return out.str();
}

// "<folder name>-<hash of its absolute path>-", then "crop<permille>-" for an
// evaluation centre crop (data.val_crop < 1): all caches of one dataset
// folder and crop share it, which is how stale ones are found, while the
// training cache (whole window) and a validation cache (central part) of the
// same folder live side by side.
std::string cache_prefix(const Dataset& dataset, const DataConfig& config) {
  const fs::path root = fs::absolute(dataset.root).lexically_normal();
  std::string name = (root.has_filename() ? root : root.parent_path()).filename().string();
  for (char& ch : name)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  Fnv1a hash;
  hash.add_string(root.string());
  std::string prefix = name + "-" + hex(hash.value(), 16).substr(0, 8) + "-";
  if (config.val_crop != 1.0f)
    prefix += "crop" + std::to_string(static_cast<int>(std::lround(config.val_crop * 1000))) + "-";
  return prefix;
}

// Removes this dataset's and crop's other caches: names that are exactly the
// prefix, 16 hex digits and ".u8cache".
void remove_stale_caches(const Dataset& dataset, const DataConfig& config,
                         const std::string& keep) {
  const std::string prefix = cache_prefix(dataset, config);
  const std::string suffix = ".u8cache";
  std::error_code ec;
  for (fs::directory_iterator it(config.cache_dir, ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (!name.starts_with(prefix) || !name.ends_with(suffix) || it->path().string() == keep) continue;
    const std::string key = name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
    if (key.size() == 16 && std::all_of(key.begin(), key.end(), [](char ch) { return std::isxdigit(static_cast<unsigned char>(ch)) != 0; }))
      fs::remove(it->path(), ec);
  }
}

// Decodes every sample into a fresh file at `temp_path` (sized and mapped up
// front, so workers write their slots in place).
void build_cache_file(const std::string& temp_path, std::uint64_t key, const Dataset& dataset,
                      const DataConfig& config, int threads) {
  const std::size_t count = dataset.samples.size();
  const std::size_t size = file_size_for(count, config);
  const int fd = ::open(temp_path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
  GAZE_CHECK(fd >= 0, "cannot create cache file '", temp_path, "': ", std::strerror(errno),
             "; check data.cache_dir");
  if (::ftruncate(fd, static_cast<off_t>(size)) != 0) {
    const int error = errno;
    ::close(fd);
    throw Error("cannot size cache file '" + temp_path + "' to " + std::to_string(size) +
                " bytes: " + std::strerror(error));
  }
  void* mapping = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  ::close(fd);
  GAZE_CHECK(mapping != MAP_FAILED, "cannot map cache file '", temp_path, "': ",
             std::strerror(errno));
  auto* bytes = static_cast<std::uint8_t*>(mapping);
  Header header{};
  std::memcpy(header.magic, kMagic, sizeof kMagic);
  header.key = key;
  header.count = count;
  header.channels = static_cast<std::uint32_t>(config.channels);
  header.height = static_cast<std::uint32_t>(config.height);
  header.width = static_cast<std::uint32_t>(config.width);
  std::memcpy(bytes, &header, sizeof header);
  std::uint8_t* status = bytes + kHeaderSize;
  std::uint8_t* pixels = status + align64(count);
  const std::size_t stride = static_cast<std::size_t>(config.channels) * config.height * config.width;

  std::atomic<std::size_t> next{0};
  std::atomic<std::size_t> failures{0};
  std::mutex warn_mutex;
  auto worker = [&] {
    for (std::size_t i = next++; i < count; i = next++) {
      try {
        const Image base = make_base_image(load_source_image(dataset, i, config), config);
        std::memcpy(pixels + i * stride, base.pixels.data(), stride);
        status[i] = 1;
      } catch (const Error& error) {
        ++failures;
        const std::lock_guard lock(warn_mutex);
        std::cerr << "gaze data: warning: skipping '" << dataset.samples[i].path
                  << "': " << error.what() << "\n";
      }
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (std::thread& thread : pool) thread.join();
  const int synced = ::msync(mapping, size, MS_SYNC);
  ::munmap(mapping, size);
  GAZE_CHECK(synced == 0, "cannot write cache file '", temp_path, "': ", std::strerror(errno));
  if (failures > 0)
    std::cerr << "gaze data: " << failures << " of " << count
              << " images failed to decode and are replaced by other samples\n";
}

}  // namespace

std::uint64_t DecodedCache::key(const Dataset& dataset, const DataConfig& config) {
  Fnv1a hash;
  hash.add(kMagic, sizeof kMagic);
  hash.add_value(config.channels);
  hash.add_value(config.height);
  hash.add_value(config.width);
  hash.add_value(static_cast<int>(config.resize));
  if (config.val_crop != 1.0f) hash.add_value(config.val_crop);  // keys of whole-window caches stay as they were
  hash.add_value(dataset.samples.size());
  for (const Sample& sample : dataset.samples) {
    hash.add_string(sample.path);
    hash.add_value(sample.file_size);
    hash.add_value(sample.mtime_ns);
  }
  return hash.value();
}

std::string DecodedCache::path_for(const Dataset& dataset, const DataConfig& config) {
  return (fs::path(config.cache_dir) /
          (cache_prefix(dataset, config) + hex(key(dataset, config), 16) + ".u8cache"))
      .string();
}

std::unique_ptr<DecodedCache> DecodedCache::map(const std::string& path, std::uint64_t key,
                                                std::size_t count, const DataConfig& config) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return nullptr;
  struct stat info {};
  const std::size_t expected = file_size_for(count, config);
  if (::fstat(fd, &info) != 0 || static_cast<std::size_t>(info.st_size) != expected) {
    ::close(fd);
    return nullptr;
  }
  void* mapping = ::mmap(nullptr, expected, PROT_READ, MAP_SHARED, fd, 0);
  ::close(fd);
  if (mapping == MAP_FAILED) return nullptr;
  std::unique_ptr<DecodedCache> cache(new DecodedCache());
  cache->path_ = path;
  cache->mapping_ = mapping;
  cache->mapping_size_ = expected;
  Header header{};
  std::memcpy(&header, mapping, sizeof header);
  if (std::memcmp(header.magic, kMagic, sizeof kMagic) != 0 || header.key != key ||
      header.count != count || header.channels != static_cast<std::uint32_t>(config.channels) ||
      header.height != static_cast<std::uint32_t>(config.height) ||
      header.width != static_cast<std::uint32_t>(config.width))
    return nullptr;
  cache->count_ = count;
  cache->channels_ = config.channels;
  cache->height_ = config.height;
  cache->width_ = config.width;
  cache->status_ = static_cast<const std::uint8_t*>(mapping) + kHeaderSize;
  cache->pixels_ = cache->status_ + align64(count);
  return cache;
}

std::shared_ptr<const DecodedCache> DecodedCache::open_or_build(const Dataset& dataset,
                                                                const DataConfig& config,
                                                                int threads) {
  GAZE_CHECK(!config.cache_dir.empty(), "open_or_build needs data.cache_dir");
  const std::uint64_t cache_key = key(dataset, config);
  const std::string path = path_for(dataset, config);
  const std::size_t count = dataset.samples.size();
  if (auto cache = map(path, cache_key, count, config)) return cache;

  std::error_code ec;
  fs::create_directories(config.cache_dir, ec);
  GAZE_CHECK(!ec, "cannot create cache folder '", config.cache_dir, "': ", ec.message());
  std::cerr << "gaze data: building decoded cache '" << path << "' (" << count << " images at "
            << config.width << "x" << config.height << ")\n";
  // Unique per process and thread: ranks may build concurrently, and the
  // rename makes whichever finishes last the (identical) winner.
  std::ostringstream temp;
  temp << path << ".tmp." << ::getpid() << "." << std::this_thread::get_id();
  build_cache_file(temp.str(), cache_key, dataset, config, std::max(threads, 1));
  fs::rename(temp.str(), path, ec);
  GAZE_CHECK(!ec, "cannot rename cache file '", temp.str(), "' to '", path, "': ", ec.message());
  remove_stale_caches(dataset, config, path);
  auto cache = map(path, cache_key, count, config);
  GAZE_CHECK(cache, "cache file '", path, "' is unreadable right after it was written");
  cache->was_built_ = true;
  return cache;
}

DecodedCache::~DecodedCache() {
  if (mapping_) ::munmap(mapping_, mapping_size_);
}

bool DecodedCache::decoded(std::size_t index) const {
  GAZE_CHECK(index < count_, "cache index ", index, " out of range (", count_, " samples)");
  return status_[index] == 1;
}

Image DecodedCache::image(std::size_t index) const {
  GAZE_CHECK(decoded(index), "sample ", index, " is not in cache '", path_,
             "' (it failed to decode)");
  Image image(width_, height_, channels_);
  const std::size_t stride = image.pixels.size();
  std::memcpy(image.pixels.data(), pixels_ + index * stride, stride);
  return image;
}

}  // namespace gaze::data
