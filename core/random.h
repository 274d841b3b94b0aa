#pragma once
// Deterministic random numbers. Rng is a small splitmix64 stream: the same
// seed gives the same parameters on every machine, compiler and device.
// hash_uniform gives a counter-based value so that kernels on any backend can
// draw the i-th number of a stream without shared state (dropout masks).
#include <cstdint>

#include "core/hostdevice.h"

namespace gaze {

GAZE_HOST_DEVICE inline uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// Uniform in [0, 1) from (seed, counter), 24 bits of precision.
GAZE_HOST_DEVICE inline float hash_uniform(uint64_t seed, uint64_t counter) {
  uint64_t bits = splitmix64(seed ^ splitmix64(counter));
  return static_cast<float>(bits >> 40) * (1.0f / 16777216.0f);
}

// FNV-1a: a stable string hash (std::hash may differ between library versions).
inline uint64_t hash_string(const char* text) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (; *text; ++text) h = (h ^ static_cast<unsigned char>(*text)) * 0x100000001b3ull;
  return h;
}

class Rng {
 public:
  explicit Rng(uint64_t seed = 0) : state_(seed) {}
  uint64_t next_u64() {
    state_ += 0x9E3779B97F4A7C15ull;
    return splitmix64(state_);
  }
  float uniform() { return static_cast<float>(next_u64() >> 40) * (1.0f / 16777216.0f); }
  float uniform(float low, float high) { return low + (high - low) * uniform(); }
  float normal();  // Box-Muller
  int64_t below(int64_t n) { return static_cast<int64_t>(next_u64() % static_cast<uint64_t>(n)); }
  uint64_t state() const { return state_; }
  void set_state(uint64_t s) { state_ = s; }

 private:
  uint64_t state_;
};

}  // namespace gaze
