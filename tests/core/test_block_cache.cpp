// The CPU allocator's arena: freed ranges merge and serve other sizes, so
// what it holds follows the most live at once, not the sum of every size's
// own peak.
#include <catch2/catch.hpp>

#include <cstring>

#include "core/cpu/block_cache.h"

using gaze::cpu::BlockCache;

namespace {
constexpr size_t MiB = size_t{1} << 20;
}

TEST_CASE("freed neighbours merge and serve a larger block without growing", "[block_cache]") {
  BlockCache cache;
  void* a = cache.acquire(2 * MiB);
  void* b = cache.acquire(2 * MiB);
  void* c = cache.acquire(1 * MiB);  // keeps a and b off the end of the arena
  std::memset(a, 1, 2 * MiB);
  std::memset(b, 2, 2 * MiB);
  const size_t extent = cache.stats().extent_bytes;
  REQUIRE(extent == 5 * MiB);
  cache.release(a);
  cache.release(b);
  void* d = cache.acquire(4 * MiB);  // fits exactly where a and b were
  REQUIRE(d == a);
  REQUIRE(cache.stats().extent_bytes == extent);
  std::memset(d, 3, 4 * MiB);  // all of it is writable
  cache.release(c);
  cache.release(d);
  REQUIRE(cache.stats().live_bytes == 0);
}

TEST_CASE("a large free range is split to serve smaller blocks", "[block_cache]") {
  BlockCache cache;
  void* big = cache.acquire(8 * MiB);
  void* tail = cache.acquire(1 * MiB);
  cache.release(big);
  void* x = cache.acquire(3 * MiB);
  void* y = cache.acquire(3 * MiB);
  REQUIRE(x != y);
  REQUIRE(cache.stats().extent_bytes == 9 * MiB);
  const auto distance = static_cast<char*>(y) > static_cast<char*>(x)
                            ? static_cast<char*>(y) - static_cast<char*>(x)
                            : static_cast<char*>(x) - static_cast<char*>(y);
  REQUIRE(distance >= static_cast<std::ptrdiff_t>(3 * MiB));  // no overlap
  for (void* p : {x, y, tail}) cache.release(p);
}

TEST_CASE("live and peak bytes count every block; trim gives the free end back", "[block_cache]") {
  BlockCache cache;
  void* small = cache.acquire(100);  // rounded to 64 bytes, from the C allocator
  void* large = cache.acquire(3 * MiB + 1);  // rounded to whole pages
  REQUIRE(cache.stats().live_bytes == 128 + 3 * MiB + 4096);
  cache.reset_peak();
  cache.release(large);
  REQUIRE(cache.stats().peak_live_bytes == 128 + 3 * MiB + 4096);
  REQUIRE(cache.stats().live_bytes == 128);
  cache.trim();
  REQUIRE(cache.stats().extent_bytes == 0);
  void* again = cache.acquire(3 * MiB);  // the trimmed pages come back usable
  std::memset(again, 7, 3 * MiB);
  cache.release(again);
  cache.release(small);
  REQUIRE(cache.stats().live_bytes == 0);
}
