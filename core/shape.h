#pragma once
// Shapes are small vectors of extents; helpers for element counts and printing.
// Shapes can come from files (checkpoints, .npy arrays), so every product is
// computed with overflow checks: a shape whose element count does not fit in
// int64 (or has a negative extent) is a gaze::Error, never a wrapped number.
#include <cstdint>
#include <string>
#include <vector>

namespace gaze {

using Shape = std::vector<int64_t>;

// The element count; throws gaze::Error for a negative extent or an overflow.
int64_t numel(const Shape& shape);
std::string to_string(const Shape& shape);  // "[2, 3, 4]"
Shape contiguous_strides(const Shape& shape);

// a * b for sizes from untrusted input: throws gaze::Error (naming `what`)
// when either is negative or the product does not fit in int64.
int64_t checked_multiply(int64_t a, int64_t b, const char* what = "size");
int64_t checked_add(int64_t a, int64_t b, const char* what = "size");

}  // namespace gaze
