#include "core/cpu/block_cache.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <iterator>
#include <new>

namespace gaze::cpu {

namespace {
// Below this, malloc's own free lists are fast and do not fault pages.
constexpr size_t kMinArenaBytes = size_t{1} << 18;
constexpr size_t kPage = 4096;

size_t round_up(size_t bytes, size_t to) { return (bytes + to - 1) / to * to; }

void* map_pages(size_t bytes, int extra_flags) {
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | extra_flags, -1, 0);
  return p == MAP_FAILED ? nullptr : p;
}
}  // namespace

BlockCache::BlockCache() {
  // Address space only: MAP_NORESERVE commits nothing, and a page costs memory
  // once it is first written. Twice the physical memory can never run out
  // before the memory does; where even less cannot be reserved (a ulimit -v),
  // blocks are mapped one by one.
  const long pages = sysconf(_SC_PHYS_PAGES);
  size_t want = pages > 0 ? 2 * static_cast<size_t>(pages) * kPage : size_t{64} << 30;
  for (; want >= (size_t{1} << 30); want /= 2) {
    if (void* p = map_pages(want, MAP_NORESERVE)) {
      arena_ = static_cast<char*>(p);
      reserved_ = want;
      break;
    }
  }
}

BlockCache::~BlockCache() {
  if (arena_) munmap(arena_, reserved_);
}

void* BlockCache::acquire(size_t bytes) {
  if (bytes < kMinArenaBytes) {
    bytes = round_up(std::max<size_t>(bytes, 1), 64);
    void* block = std::aligned_alloc(64, bytes);
    if (!block) throw std::bad_alloc();
    std::lock_guard<std::mutex> lock(mutex_);
    small_blocks_[block] = bytes;
    count_acquired(bytes);
    return block;
  }
  bytes = round_up(bytes, kPage);
  std::lock_guard<std::mutex> lock(mutex_);
  const size_t offset = take_range(bytes);
  void* block = nullptr;
  if (offset != kNone) {
    block = arena_ + offset;
    arena_blocks_[block] = bytes;
  } else {
    block = map_pages(bytes, 0);
    if (!block) throw std::bad_alloc();
    mapped_blocks_[block] = bytes;
  }
  count_acquired(bytes);
  return block;
}

size_t BlockCache::take_range(size_t bytes) {
  if (!arena_) return kNone;
  // Best fit among the free ranges; the rest of the range stays free.
  auto fit = free_by_size_.lower_bound({bytes, 0});
  if (fit != free_by_size_.end()) {
    const auto [length, offset] = *fit;
    erase_free(offset, length);
    if (length > bytes) insert_free(offset + bytes, length - bytes);
    return offset;
  }
  // Nothing fits: grow the extent, starting inside a free range that ends at
  // the extent, if there is one, so that it is not stranded.
  const size_t tail = take_free_tail();
  const size_t start = tail != kNone ? tail : extent_;
  if (start + bytes > reserved_) {
    if (tail != kNone) insert_free(tail, extent_ - tail);
    return kNone;
  }
  extent_ = start + bytes;
  return start;
}

void BlockCache::free_range(size_t offset, size_t bytes) {
  const auto next = free_by_offset_.lower_bound(offset);
  if (next != free_by_offset_.begin()) {  // merge the left neighbour
    const auto [left, length] = *std::prev(next);
    if (left + length == offset) {
      erase_free(left, length);
      offset = left;
      bytes += length;
    }
  }
  if (next != free_by_offset_.end() && offset + bytes == next->first) {  // merge the right neighbour
    const size_t length = next->second;
    erase_free(next->first, length);
    bytes += length;
  }
  insert_free(offset, bytes);
}

void BlockCache::insert_free(size_t offset, size_t bytes) {
  free_by_offset_[offset] = bytes;
  free_by_size_.insert({bytes, offset});
}

void BlockCache::erase_free(size_t offset, size_t bytes) {
  free_by_offset_.erase(offset);
  free_by_size_.erase({bytes, offset});
}

size_t BlockCache::take_free_tail() {
  if (free_by_offset_.empty()) return kNone;
  const auto [offset, length] = *std::prev(free_by_offset_.end());
  if (offset + length != extent_) return kNone;
  erase_free(offset, length);
  return offset;
}

void BlockCache::count_acquired(size_t bytes) {
  live_bytes_ += bytes;
  peak_live_bytes_ = std::max(peak_live_bytes_, live_bytes_);
}

void BlockCache::release(void* block) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (auto found = arena_blocks_.find(block); found != arena_blocks_.end()) {
    live_bytes_ -= found->second;
    free_range(static_cast<size_t>(static_cast<char*>(block) - arena_), found->second);
    arena_blocks_.erase(found);
  } else if (auto small = small_blocks_.find(block); small != small_blocks_.end()) {
    live_bytes_ -= small->second;
    small_blocks_.erase(small);
    std::free(block);
  } else if (auto mapped = mapped_blocks_.find(block); mapped != mapped_blocks_.end()) {
    live_bytes_ -= mapped->second;
    munmap(block, mapped->second);
    mapped_blocks_.erase(mapped);
  }
}

void BlockCache::trim() {
  std::lock_guard<std::mutex> lock(mutex_);
  // The pages of every free range go back to the system (and come back
  // zeroed on the next touch); a free range at the end shrinks the extent.
  for (const auto& [offset, length] : free_by_offset_) madvise(arena_ + offset, length, MADV_DONTNEED);
  if (const size_t tail = take_free_tail(); tail != kNone) extent_ = tail;
}

BlockCache::Stats BlockCache::stats() {
  std::lock_guard<std::mutex> lock(mutex_);
  return {live_bytes_, peak_live_bytes_, extent_};
}

void BlockCache::reset_peak() {
  std::lock_guard<std::mutex> lock(mutex_);
  peak_live_bytes_ = live_bytes_;
}

BlockCache& host_block_cache() {
  static BlockCache* cache = new BlockCache;  // never destroyed: tensors may outlive statics
  return *cache;
}

}  // namespace gaze::cpu
