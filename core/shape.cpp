#include "core/shape.h"

#include <sstream>

#include "core/error.h"

namespace gaze {

int64_t checked_multiply(int64_t a, int64_t b, const char* what) {
  GAZE_CHECK(a >= 0 && b >= 0, what, ": negative extent (", a, " x ", b, ")");
  int64_t product = 0;
  GAZE_CHECK(!__builtin_mul_overflow(a, b, &product), what, ": ", a, " x ", b, " overflows a 64-bit count");
  return product;
}

int64_t checked_add(int64_t a, int64_t b, const char* what) {
  GAZE_CHECK(a >= 0 && b >= 0, what, ": negative size (", a, " + ", b, ")");
  int64_t sum = 0;
  GAZE_CHECK(!__builtin_add_overflow(a, b, &sum), what, ": ", a, " + ", b, " overflows a 64-bit count");
  return sum;
}

int64_t numel(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    GAZE_CHECK(d >= 0, "shape ", to_string(shape), " has a negative extent");
    GAZE_CHECK(!__builtin_mul_overflow(n, d, &n), "shape ", to_string(shape),
               " has more elements than a 64-bit count holds");
  }
  return n;
}

std::string to_string(const Shape& shape) {
  std::ostringstream out;
  out << '[';
  for (size_t i = 0; i < shape.size(); ++i) out << (i ? ", " : "") << shape[i];
  out << ']';
  return out.str();
}

Shape contiguous_strides(const Shape& shape) {
  numel(shape);  // rejects negative extents and overflowing products before any stride is formed
  Shape strides(shape.size());
  int64_t stride = 1;
  for (size_t i = shape.size(); i-- > 0;) {
    strides[i] = stride;
    stride *= shape[i];
  }
  return strides;
}

}  // namespace gaze
