#pragma once
// A tiny counter-style RNG (splitmix64). std:: distributions differ between
// standard libraries, and every rank and every run must draw the same
// shuffles, splits and augmentations, so gaze::data draws its own numbers.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <utility>
#include <vector>

namespace gaze::data {

inline std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Derives one seed from several keys (seed, epoch, sample index, ...): keys
// are mixed in order, so (1, 2) and (2, 1) give different streams.
inline std::uint64_t mix_seed(std::initializer_list<std::uint64_t> keys) {
  std::uint64_t h = 0x6a09e667f3bcc909ULL;
  for (std::uint64_t k : keys) h = splitmix64(h ^ splitmix64(k));
  return h;
}

class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    state_ += 0x9e3779b97f4a7c15ULL;
    return splitmix64(state_);
  }
  // Uniform in [0, 1) with 24 bits, exact in float.
  float uniform() { return static_cast<float>(next() >> 40) * (1.0f / 16777216.0f); }
  float uniform(float lo, float hi) { return lo + (hi - lo) * uniform(); }
  // Uniform in [0, n); the modulo bias is below 2^-40 for any realistic n.
  std::size_t below(std::size_t n) { return static_cast<std::size_t>(next() % n); }

 private:
  std::uint64_t state_;
};

// A standard normal value (Box-Muller on two uniforms; the first is kept
// away from 0 so the logarithm is finite).
inline float standard_normal(Rng& rng) {
  const float u = 1.0f - rng.uniform();  // (0, 1]
  const float v = rng.uniform();
  return std::sqrt(-2.0f * std::log(u)) * std::cos(6.28318530718f * v);
}

template <typename T>
void shuffle(std::vector<T>& items, Rng& rng) {
  for (std::size_t i = items.size(); i > 1; --i) std::swap(items[i - 1], items[rng.below(i)]);
}

}  // namespace gaze::data
