#include "cuda/stream_block_pool.h"

namespace gaze::cuda {

void StreamBlockPool::add_live(void* block, size_t size, StreamId stream) {
  live_[block] = LiveBlock{size, stream, {}};
  live_bytes_ += size;
}

void* StreamBlockPool::take(size_t size, StreamId stream, EventSource& events) {
  poll(events);
  auto found = free_.find({stream, size});
  if (found == free_.end() || found->second.empty()) return nullptr;
  void* block = found->second.back();
  found->second.pop_back();
  cached_bytes_ -= size;
  add_live(block, size, stream);
  return block;
}

bool StreamBlockPool::record_stream(void* block, StreamId stream) {
  auto found = live_.find(block);
  if (found == live_.end()) return false;
  if (stream != found->second.home) found->second.other_streams.insert(stream);
  return true;
}

bool StreamBlockPool::release(void* block, EventSource& events) {
  auto found = live_.find(block);
  if (found == live_.end()) return false;
  const LiveBlock& b = found->second;
  live_bytes_ -= b.size;
  cached_bytes_ += b.size;
  if (b.other_streams.empty()) {
    free_[{b.home, b.size}].push_back(block);
  } else {
    PendingBlock pending{block, b.size, b.home, {}};
    for (StreamId stream : b.other_streams) pending.events.push_back(events.record(stream));
    pending_.push_back(std::move(pending));
  }
  live_.erase(found);
  return true;
}

void StreamBlockPool::poll(EventSource& events) {
  for (size_t i = 0; i < pending_.size();) {
    PendingBlock& p = pending_[i];
    std::vector<EventId> waiting;
    for (EventId event : p.events) {
      if (events.completed(event)) {
        events.destroy(event);
      } else {
        waiting.push_back(event);
      }
    }
    p.events = std::move(waiting);
    if (!p.events.empty()) {
      ++i;
      continue;
    }
    free_[{p.home, p.size}].push_back(p.block);
    pending_[i] = std::move(pending_.back());
    pending_.pop_back();
  }
}

std::vector<std::pair<void*, size_t>> StreamBlockPool::drain_free() {
  std::vector<std::pair<void*, size_t>> drained;
  for (auto& [key, blocks] : free_)
    for (void* block : blocks) {
      drained.emplace_back(block, key.second);
      cached_bytes_ -= key.second;
    }
  free_.clear();
  return drained;
}

}  // namespace gaze::cuda
