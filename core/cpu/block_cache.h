#pragma once
// The CPU backend's allocator for tensor memory.
//
// Training allocates the same activation and gradient sizes every step. glibc
// serves blocks this large with mmap and returns them with munmap, so every
// step would fault in and zero hundreds of megabytes again; a cache that keeps
// freed blocks by exact size avoids that, but then each size keeps as many
// blocks as it ever had live at once, and those peaks (early layers' sizes in
// backward, later layers' in forward) add up: 500 MiB over the live peak in
// the 128x128 benchmark.
//
// So large blocks come from one arena: a big virtual reservation whose pages
// the kernel provides on first touch. Freed ranges are merged with free
// neighbours and handed out again best-fit, split as needed, so memory freed
// by one size serves another. What the process holds is the arena's extent:
// about the most the tensors ever needed at once, plus fragmentation.
// Small blocks go straight to the C allocator.
#include <cstddef>
#include <map>
#include <mutex>
#include <set>
#include <unordered_map>
#include <utility>

namespace gaze::cpu {

class BlockCache {
 public:
  BlockCache();
  ~BlockCache();
  BlockCache(const BlockCache&) = delete;
  BlockCache& operator=(const BlockCache&) = delete;

  // 64-byte aligned: full vectors and no false sharing between threads.
  void* acquire(size_t bytes);
  void release(void* block);
  // Returns the pages of every free range to the system (after a one-off
  // phase, such as a profiling pass, whose peak the steady state will not
  // reach again).
  void trim();

  struct Stats {
    size_t live_bytes = 0;       // handed out and not yet released (every size)
    size_t peak_live_bytes = 0;  // the most live at once since reset_peak()
    size_t extent_bytes = 0;     // the arena's extent: live blocks and free ranges below the
                                 // highest block (trim() returns the free ranges' pages)
  };
  Stats stats();
  void reset_peak();

 private:
  // With mutex_ held.
  size_t take_range(size_t bytes);  // an arena offset, or kNone
  void free_range(size_t offset, size_t bytes);  // merges with free neighbours
  void insert_free(size_t offset, size_t bytes);  // into both indexes
  void erase_free(size_t offset, size_t bytes);
  size_t take_free_tail();  // removes the free range ending at the extent: its offset, or kNone
  void count_acquired(size_t bytes);

  static constexpr size_t kNone = ~size_t{0};

  std::mutex mutex_;
  char* arena_ = nullptr;      // null if the reservation failed: blocks are mapped one by one
  size_t reserved_ = 0;
  size_t extent_ = 0;          // offsets below this have been handed out at some point
  std::map<size_t, size_t> free_by_offset_;        // offset -> length, merged
  std::set<std::pair<size_t, size_t>> free_by_size_;  // (length, offset)
  std::unordered_map<void*, size_t> arena_blocks_;    // live arena blocks -> rounded size
  std::unordered_map<void*, size_t> mapped_blocks_;   // live blocks outside the arena
  std::unordered_map<void*, size_t> small_blocks_;    // live C-allocator blocks
  size_t live_bytes_ = 0, peak_live_bytes_ = 0;
};

BlockCache& host_block_cache();

}  // namespace gaze::cpu
