#pragma once
// Shapes are small vectors of extents; helpers for element counts and printing.
#include <cstdint>
#include <string>
#include <vector>

namespace gaze {

using Shape = std::vector<int64_t>;

int64_t numel(const Shape& shape);
std::string to_string(const Shape& shape);  // "[2, 3, 4]"
Shape contiguous_strides(const Shape& shape);

}  // namespace gaze
