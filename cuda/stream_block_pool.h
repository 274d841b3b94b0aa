#pragma once
// StreamBlockPool: the bookkeeping of the caching allocator (which freed
// block may be handed out again, and to which stream), kept free of CUDA so
// that it is tested on machines without a GPU. Streams and events are opaque
// integers here; caching_allocator.cpp passes cudaStream_t / cudaEvent_t and
// implements EventSource with cudaEventRecord / cudaEventQuery.
//
// The rule, as in PyTorch's CUDACachingAllocator (recordStream): a block
// belongs to the stream it was allocated for (its home stream). Work on the
// home stream is ordered, so a block freed on the host is reusable by later
// allocations for that same stream at once, never by allocations for another
// stream. When other streams used the block (record_stream), freeing it
// records an event on each of them, and the block returns to its home
// stream's free list only after every one of those events has completed.
#include <cstddef>
#include <cstdint>
#include <map>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace gaze::cuda {

using StreamId = std::uintptr_t;
using EventId = std::uintptr_t;

// What the pool needs from the device: events marking "everything queued on
// a stream so far".
class EventSource {
 public:
  virtual ~EventSource() = default;
  virtual EventId record(StreamId stream) = 0;
  virtual bool completed(EventId event) = 0;
  virtual void destroy(EventId event) = 0;
};

class StreamBlockPool {
 public:
  // A block fresh from the driver, handed out for `stream`.
  void add_live(void* block, size_t size, StreamId stream);
  // A cached free block of exactly `size` bytes whose home is `stream`, now
  // live; nullptr when there is none. Polls the pending blocks' events first.
  void* take(size_t size, StreamId stream, EventSource& events);
  // Notes that work on `stream` uses the live `block`. False when `block` is
  // not live.
  bool record_stream(void* block, StreamId stream);
  // Returns a live block to the cache (pending until the events recorded on
  // its other streams complete). False when `block` is not live.
  bool release(void* block, EventSource& events);
  // Moves every pending block whose events have all completed to the free lists.
  void poll(EventSource& events);
  // Removes and returns every free block (for cudaFree); pending blocks stay.
  // Synchronize the device and poll first to return those too.
  std::vector<std::pair<void*, size_t>> drain_free();

  bool is_live(const void* block) const { return live_.count(const_cast<void*>(block)) != 0; }
  size_t live_bytes() const { return live_bytes_; }
  size_t cached_bytes() const { return cached_bytes_; }  // free + pending
  size_t pending_blocks() const { return pending_.size(); }

 private:
  struct LiveBlock {
    size_t size = 0;
    StreamId home = 0;
    std::unordered_set<StreamId> other_streams;
  };
  struct PendingBlock {
    void* block = nullptr;
    size_t size = 0;
    StreamId home = 0;
    std::vector<EventId> events;
  };
  using FreeKey = std::pair<StreamId, size_t>;  // (home stream, size)

  std::unordered_map<void*, LiveBlock> live_;
  std::map<FreeKey, std::vector<void*>> free_;
  std::vector<PendingBlock> pending_;
  size_t live_bytes_ = 0, cached_bytes_ = 0;
};

}  // namespace gaze::cuda
