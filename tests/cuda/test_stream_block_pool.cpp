// The caching allocator's stream bookkeeping (cuda/stream_block_pool.h) with
// fake streams and events: runs on every machine, GPU or not.
#include <catch2/catch.hpp>

#include <map>

#include "cuda/stream_block_pool.h"

using namespace gaze::cuda;

namespace {

// Events complete when the test says so; tracks which are still alive.
class FakeEvents final : public EventSource {
 public:
  EventId record(StreamId stream) override {
    const EventId id = next_++;
    stream_of[id] = stream;
    done[id] = false;
    return id;
  }
  bool completed(EventId event) override { return done.at(event); }
  void destroy(EventId event) override {
    stream_of.erase(event);
    done.erase(event);
  }
  // Completes every event recorded on `stream` (the stream caught up).
  void finish(StreamId stream) {
    for (auto& [id, s] : stream_of)
      if (s == stream) done[id] = true;
  }
  std::map<EventId, StreamId> stream_of;
  std::map<EventId, bool> done;

 private:
  EventId next_ = 1;
};

constexpr StreamId kCompute = 100, kComm = 200;
char storage[4];
void* const kA = &storage[0];
void* const kB = &storage[1];

}  // namespace

TEST_CASE("a block used by its home stream only is reusable on that stream at once", "[cuda][allocator]") {
  StreamBlockPool pool;
  FakeEvents events;
  pool.add_live(kA, 512, kCompute);
  REQUIRE(pool.live_bytes() == 512);
  REQUIRE(pool.release(kA, events));
  CHECK(events.stream_of.empty());  // no event needed
  CHECK(pool.cached_bytes() == 512);
  CHECK(pool.take(1024, kCompute, events) == nullptr);  // other size
  CHECK(pool.take(512, kComm, events) == nullptr);      // other stream: never
  CHECK(pool.take(512, kCompute, events) == kA);
  CHECK(pool.live_bytes() == 512);
  CHECK(pool.cached_bytes() == 0);
  CHECK(pool.take(512, kCompute, events) == nullptr);  // handed out once
}

TEST_CASE("a block another stream used waits for that stream's event", "[cuda][allocator]") {
  StreamBlockPool pool;
  FakeEvents events;
  pool.add_live(kA, 512, kCompute);
  REQUIRE(pool.record_stream(kA, kComm));
  REQUIRE(pool.release(kA, events));
  REQUIRE(events.stream_of.size() == 1);
  CHECK(events.stream_of.begin()->second == kComm);  // recorded on the stream that used it
  CHECK(pool.pending_blocks() == 1);
  CHECK(pool.cached_bytes() == 512);
  // The communication stream may still read it: not reusable, not even on its home stream.
  CHECK(pool.take(512, kCompute, events) == nullptr);
  CHECK(pool.drain_free().empty());
  events.finish(kComm);
  CHECK(pool.take(512, kComm, events) == nullptr);  // still only its home stream's
  CHECK(pool.pending_blocks() == 0);
  CHECK(events.stream_of.empty());  // completed events are destroyed
  CHECK(pool.take(512, kCompute, events) == kA);
  // Reused, it starts with a clean record: freeing it again needs no event.
  REQUIRE(pool.release(kA, events));
  CHECK(events.stream_of.empty());
  CHECK(pool.take(512, kCompute, events) == kA);
}

TEST_CASE("a block waits for every stream that used it", "[cuda][allocator]") {
  StreamBlockPool pool;
  FakeEvents events;
  constexpr StreamId kCopy = 300;
  pool.add_live(kA, 2048, kCompute);
  pool.record_stream(kA, kComm);
  pool.record_stream(kA, kCopy);
  pool.record_stream(kA, kComm);     // twice: one event
  pool.record_stream(kA, kCompute);  // its home: no event
  pool.release(kA, events);
  REQUIRE(events.stream_of.size() == 2);
  events.finish(kComm);
  CHECK(pool.take(2048, kCompute, events) == nullptr);
  CHECK(events.stream_of.size() == 1);
  events.finish(kCopy);
  CHECK(pool.take(2048, kCompute, events) == kA);
}

TEST_CASE("draining returns free blocks and keeps pending ones until their events complete", "[cuda][allocator]") {
  StreamBlockPool pool;
  FakeEvents events;
  pool.add_live(kA, 512, kCompute);
  pool.add_live(kB, 4096, kCompute);
  pool.record_stream(kB, kComm);
  pool.release(kA, events);
  pool.release(kB, events);
  CHECK(pool.cached_bytes() == 512 + 4096);
  auto drained = pool.drain_free();
  REQUIRE(drained.size() == 1);
  CHECK(drained[0] == std::pair<void*, size_t>{kA, 512});
  CHECK(pool.cached_bytes() == 4096);
  events.finish(kComm);  // as after cudaDeviceSynchronize
  pool.poll(events);
  drained = pool.drain_free();
  REQUIRE(drained.size() == 1);
  CHECK(drained[0].first == kB);
  CHECK(pool.cached_bytes() == 0);
  CHECK(pool.live_bytes() == 0);
}

TEST_CASE("unknown or double releases are refused", "[cuda][allocator]") {
  StreamBlockPool pool;
  FakeEvents events;
  CHECK_FALSE(pool.release(kA, events));
  CHECK_FALSE(pool.record_stream(kA, kComm));
  pool.add_live(kA, 512, kCompute);
  CHECK(pool.is_live(kA));
  CHECK(pool.release(kA, events));
  CHECK_FALSE(pool.is_live(kA));
  CHECK_FALSE(pool.release(kA, events));
  CHECK(pool.cached_bytes() == 512);
}
