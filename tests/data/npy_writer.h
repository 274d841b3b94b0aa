#pragma once
// Writes .npy files byte by byte for the matrix tests, including the ones
// gaze must refuse (other dtypes, Fortran order, object arrays, short data).
#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

namespace gaze::test_support {

template <typename T>
std::string raw_bytes(const std::vector<T>& values) {
  std::string bytes(values.size() * sizeof(T), '\0');
  if (!values.empty()) std::memcpy(bytes.data(), values.data(), bytes.size());
  return bytes;
}

// `shape` as NumPy prints it inside the tuple: "2, 3" or "5,".
inline void write_raw_npy(const std::string& path, const std::string& descr, const std::string& shape,
                          const std::string& data, bool fortran = false) {
  std::string header = "{'descr': '" + descr + "', 'fortran_order': " + (fortran ? "True" : "False") +
                       ", 'shape': (" + shape + "), }";
  header.append((64 - (10 + header.size() + 1) % 64) % 64, ' ');
  header += '\n';
  std::ofstream out(path, std::ios::binary);
  out << std::string("\x93NUMPY\x01\x00", 8) << static_cast<char>(header.size() & 0xff)
      << static_cast<char>(header.size() >> 8) << header << data;
}

}  // namespace gaze::test_support
