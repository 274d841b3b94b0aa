#pragma once
// The synthetic matrix task of the README and the tests: a known block of
// rows and columns decides the class, so an explanation can be checked.
// Every matrix is Gaussian noise (mean 0, std 1); in class "high" the block
// rows [row, row + size) x columns [column, column + size) is shifted by
// +amplitude, in class "low" by -amplitude. Written as a pair of arrays
// (x.npy [N, 1, H, W] float32, y.npy int64, classes.txt "low", "high"),
// alternating classes, from a seed, plus `examples` single matrices of the
// same task (other draws) to explain, as examples/<class>_<i>.npy [H, W].
#include <cstdint>
#include <string>

namespace gaze::data {

struct MatrixDemoSpec {
  int count = 400;
  int height = 24, width = 24;
  int row = 5, column = 14, size = 5;  // the planted block
  float amplitude = 1.5f;
  std::uint64_t seed = 1;
  int examples = 4;
};

// Throws gaze::Error for a block outside the matrix or a non-positive size.
void write_matrix_demo(const std::string& folder, const MatrixDemoSpec& spec);

}  // namespace gaze::data
