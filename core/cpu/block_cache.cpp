#include "core/cpu/block_cache.h"

#include <cstdlib>
#include <new>

namespace gaze::cpu {

namespace {
// Below this, malloc's own free lists are fast and do not fault pages.
constexpr size_t kMinCachedBytes = size_t{1} << 18;
// Idle blocks beyond this are returned to the system, bounding what a change
// of shapes (a different batch or image size) can leave behind.
constexpr size_t kMaxIdleBytes = size_t{1} << 30;
}  // namespace

BlockCache::~BlockCache() {
  for (auto& [bytes, blocks] : free_)
    for (void* block : blocks) std::free(block);
}

void* BlockCache::acquire(size_t bytes) {
  bytes = (bytes + 63) / 64 * 64;
  if (bytes >= kMinCachedBytes) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto found = free_.find(bytes);
    if (found != free_.end() && !found->second.empty()) {
      void* block = found->second.back();
      found->second.pop_back();
      idle_bytes_ -= bytes;
      return block;
    }
  }
  void* block = std::aligned_alloc(64, bytes);
  if (!block) throw std::bad_alloc();
  if (bytes >= kMinCachedBytes) {
    std::lock_guard<std::mutex> lock(mutex_);
    sizes_[block] = bytes;
  }
  return block;
}

void BlockCache::release(void* block) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto found = sizes_.find(block);
    if (found != sizes_.end()) {
      if (idle_bytes_ + found->second <= kMaxIdleBytes) {
        free_[found->second].push_back(block);
        idle_bytes_ += found->second;
        return;
      }
      sizes_.erase(found);
    }
  }
  std::free(block);
}

void BlockCache::trim() {
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto& [bytes, blocks] : free_)
    for (void* block : blocks) {
      sizes_.erase(block);
      std::free(block);
    }
  free_.clear();
  idle_bytes_ = 0;
}

BlockCache& host_block_cache() {
  static BlockCache* cache = new BlockCache;  // never destroyed: tensors may outlive statics
  return *cache;
}

}  // namespace gaze::cpu
