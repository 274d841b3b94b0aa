#pragma once
// NumPy .npy files (format version 1.0) holding float32 little-endian arrays,
// so raw maps can be checked with numpy.load in Python:
//   magic "\x93NUMPY", version 1 0, uint16 header length, then the header
//   "{'descr': '<f4', 'fortran_order': False, 'shape': (H, W), }" padded with
//   spaces and a newline so that the data starts on a 64-byte boundary.
#include <cstdint>
#include <string>
#include <vector>

namespace gaze::cam {

struct NpyArray {
  std::vector<int64_t> shape;
  std::vector<float> values;  // C order
};

void write_npy(const std::string& path, const NpyArray& array);
// Reads what write_npy writes (and any C-order '<f4' v1.0 file); throws
// gaze::Error naming the file and the problem otherwise.
NpyArray read_npy(const std::string& path);

}  // namespace gaze::cam
