#pragma once
// A tiny synthetic two-class task for training tests, written as IDX files:
// class 0 is bright on the left half, class 1 on the right, plus noise.
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

namespace gaze::train::testing {

inline void write_be32(std::ofstream& out, uint32_t v) {
  const unsigned char bytes[4] = {static_cast<unsigned char>(v >> 24), static_cast<unsigned char>(v >> 16),
                                  static_cast<unsigned char>(v >> 8), static_cast<unsigned char>(v)};
  out.write(reinterpret_cast<const char*>(bytes), 4);
}

// Writes train-{images,labels} and t10k-{images,labels} into `dir`.
inline void write_halves_task(const std::filesystem::path& dir, int train_count = 128, int test_count = 32,
                              int size = 12, unsigned seed = 1) {
  std::filesystem::create_directories(dir);
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> noise(0, 60);
  for (const auto& [prefix, count] : {std::pair<std::string, int>{"train", train_count}, {"t10k", test_count}}) {
    std::ofstream images(dir / (prefix + "-images-idx3-ubyte"), std::ios::binary);
    std::ofstream labels(dir / (prefix + "-labels-idx1-ubyte"), std::ios::binary);
    write_be32(images, 0x00000803);
    write_be32(images, static_cast<uint32_t>(count));
    write_be32(images, static_cast<uint32_t>(size));
    write_be32(images, static_cast<uint32_t>(size));
    write_be32(labels, 0x00000801);
    write_be32(labels, static_cast<uint32_t>(count));
    for (int i = 0; i < count; ++i) {
      const int label = i % 2;
      labels.put(static_cast<char>(label));
      for (int y = 0; y < size; ++y)
        for (int x = 0; x < size; ++x) {
          const bool bright = (x < size / 2) == (label == 0);
          images.put(static_cast<char>((bright ? 180 : 20) + noise(rng)));
        }
    }
  }
}

}  // namespace gaze::train::testing
