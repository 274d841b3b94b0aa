#pragma once
// A cache of large host blocks for the CPU backend. Training allocates the
// same activation and gradient sizes every step; glibc serves blocks this
// large with mmap and returns them with munmap, so every step would fault in
// and zero hundreds of megabytes again. Freed blocks are kept by exact size
// and handed out again; small blocks go straight to the C allocator.
#include <cstddef>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace gaze::cpu {

class BlockCache {
 public:
  ~BlockCache();
  // 64-byte aligned: full vectors and no false sharing between threads.
  void* acquire(size_t bytes);
  void release(void* block);
  // Returns every idle block to the system (after a one-off phase, such as
  // a profiling pass, whose buffers the steady state will not reuse).
  void trim();

 private:
  std::mutex mutex_;
  std::unordered_map<void*, size_t> sizes_;              // every live cached-size block
  std::unordered_map<size_t, std::vector<void*>> free_;  // idle blocks by size
  size_t idle_bytes_ = 0;
};

BlockCache& host_block_cache();

}  // namespace gaze::cpu
