#include "data/matrix_demo.h"

#include <cmath>
#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "core/npy.h"
#include "data/random.h"

namespace gaze::data {

namespace {
// Gaussian noise with the block shifted for `label`, one H x W matrix.
void draw_matrix(const MatrixDemoSpec& s, int label, Rng& rng, float* m) {
  const size_t plane = static_cast<size_t>(s.height) * static_cast<size_t>(s.width);
  for (size_t i = 0; i < plane; ++i) {
    const float u = 1.0f - rng.uniform(), v = rng.uniform();  // Box-Muller; u > 0
    m[i] = std::sqrt(-2.0f * std::log(u)) * std::cos(6.28318530718f * v);
  }
  for (int r = s.row; r < s.row + s.size; ++r)
    for (int c = s.column; c < s.column + s.size; ++c)
      m[static_cast<size_t>(r) * static_cast<size_t>(s.width) + static_cast<size_t>(c)] +=
          label == 1 ? s.amplitude : -s.amplitude;
}
}  // namespace

void write_matrix_demo(const std::string& folder, const MatrixDemoSpec& s) {
  GAZE_CHECK(s.count >= 2 && s.count <= 1'000'000, "matrix demo: count is ", s.count, "; expected 2 to 1000000");
  GAZE_CHECK(s.examples >= 0 && s.examples <= 10'000, "matrix demo: examples is ", s.examples,
             "; expected 0 to 10000");
  GAZE_CHECK(s.height > 0 && s.width > 0 && s.height <= 4096 && s.width <= 4096, "matrix demo: size ", s.height, "x",
             s.width, " is outside 1..4096");
  GAZE_CHECK(s.size > 0 && s.row >= 0 && s.column >= 0 && s.row + s.size <= s.height && s.column + s.size <= s.width,
             "matrix demo: the block (rows ", s.row, "..", s.row + s.size - 1, ", columns ", s.column, "..",
             s.column + s.size - 1, ") must lie inside the ", s.height, "x", s.width, " matrix");
  std::error_code error;
  std::filesystem::create_directories(folder, error);
  GAZE_CHECK(!error, "matrix demo: cannot create '", folder, "': ", error.message());
  const size_t plane = static_cast<size_t>(s.height) * static_cast<size_t>(s.width);
  NpyArray x{{s.count, 1, s.height, s.width}, std::vector<float>(static_cast<size_t>(s.count) * plane)};
  NpyIntegers y{{s.count}, std::vector<int64_t>(static_cast<size_t>(s.count))};
  Rng rng(s.seed);
  for (int n = 0; n < s.count; ++n) {
    y.values[static_cast<size_t>(n)] = n % 2;
    draw_matrix(s, n % 2, rng, x.values.data() + static_cast<size_t>(n) * plane);
  }
  const std::filesystem::path root(folder);
  write_npy((root / "x.npy").string(), x);
  write_npy_integers((root / "y.npy").string(), y);
  std::ofstream classes(root / "classes.txt");
  classes << "low\nhigh\n";
  GAZE_CHECK(classes.good(), "matrix demo: cannot write '", (root / "classes.txt").string(), "'");
  if (s.examples == 0) return;
  std::filesystem::create_directories(root / "examples", error);
  GAZE_CHECK(!error, "matrix demo: cannot create '", (root / "examples").string(), "': ", error.message());
  Rng example_rng(mix_seed({s.seed, 0x6578616d706c65ULL}));
  NpyArray example{{s.height, s.width}, std::vector<float>(plane)};
  for (int i = 0; i < s.examples; ++i) {
    draw_matrix(s, i % 2, example_rng, example.values.data());
    std::string name = i % 2 ? "high_" : "low_";
    name += std::to_string(i / 2);
    write_npy((root / "examples" / name).replace_extension(".npy").string(), example);
  }
}

}  // namespace gaze::data
