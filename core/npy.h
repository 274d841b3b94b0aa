#pragma once
// NumPy .npy files (format versions 1.0 and 2.0): the raw maps cam-infer
// writes and the matrix datasets data/ reads. Layout:
//   magic "\x93NUMPY", version (1 0 | 2 0), header length (uint16 | uint32),
//   then the header "{'descr': '<f4', 'fortran_order': False, 'shape': (H, W), }"
//   padded with spaces and a newline so that the data starts on a 64-byte
//   boundary, then the values in C order.
// Arrays come from other people: the reader never unpickles (object arrays
// are refused), checks every size against the file before allocating, and
// names the file in every error.
#include <cstdint>
#include <string>
#include <vector>

namespace gaze {

struct NpyArray {
  std::vector<int64_t> shape;
  std::vector<float> values;  // C order
};

// Writes float32 ('<f4'), version 1.0.
void write_npy(const std::string& path, const NpyArray& array);

// Reads a C-order float array: '<f4' as is, '<f8' narrowed to float32 (values
// beyond float's range become infinite; callers that need finite values check
// them). Any other dtype, Fortran order, a big-endian or pickled (object)
// array, a malformed header or data shorter than the shape says is a
// gaze::Error naming the file.
NpyArray read_npy(const std::string& path);

// Integer labels: a C-order array of '|i1', '|u1', '<i2', '<u2', '<i4',
// '<u4', '<i8' or '<u8' values, each of which must fit in int64.
struct NpyIntegers {
  std::vector<int64_t> shape;
  std::vector<int64_t> values;
};
NpyIntegers read_npy_integers(const std::string& path);
// Writes int64 ('<i8'), version 1.0 (labels for a matrix dataset's y.npy).
void write_npy_integers(const std::string& path, const NpyIntegers& array);

}  // namespace gaze
