#include "cam/npy.h"

#include <bit>
#include <cstring>
#include <fstream>
#include <regex>

#include "core/error.h"

namespace gaze::cam {

static_assert(std::endian::native == std::endian::little, "the .npy writer assumes a little-endian host");

namespace {
const char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicSize = 6;
}  // namespace

void write_npy(const std::string& path, const NpyArray& array) {
  int64_t count = 1;
  std::string shape = "(";
  for (size_t i = 0; i < array.shape.size(); ++i) {
    count *= array.shape[i];
    shape += (i ? ", " : "") + std::to_string(array.shape[i]);
  }
  shape += array.shape.size() == 1 ? ",)" : ")";  // Python's one-element tuple
  GAZE_CHECK(count == static_cast<int64_t>(array.values.size()), "write_npy '", path, "': shape holds ", count,
             " values but ", array.values.size(), " were given");
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }";
  const size_t unpadded = kMagicSize + 2 + 2 + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header += '\n';
  std::ofstream out(path, std::ios::binary);
  GAZE_CHECK(out, "could not open '", path, "' for writing");
  const uint16_t length = static_cast<uint16_t>(header.size());
  const char version[2] = {1, 0};
  const char length_bytes[2] = {static_cast<char>(length & 0xff), static_cast<char>(length >> 8)};
  out.write(kMagic, kMagicSize);
  out.write(version, 2);
  out.write(length_bytes, 2);
  out.write(header.data(), static_cast<std::streamsize>(header.size()));
  out.write(reinterpret_cast<const char*>(array.values.data()),
            static_cast<std::streamsize>(array.values.size() * sizeof(float)));
  GAZE_CHECK(out.good(), "could not write '", path, "' (disk full?)");
}

NpyArray read_npy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  GAZE_CHECK(in, "could not open '", path, "'");
  char prefix[10] = {};
  in.read(prefix, 10);
  GAZE_CHECK(in && std::memcmp(prefix, kMagic, kMagicSize) == 0, "'", path, "' is not a .npy file (bad magic)");
  GAZE_CHECK(prefix[6] == 1 && prefix[7] == 0, "'", path, "': .npy version ", int(prefix[6]), ".", int(prefix[7]),
             " is not supported (expected 1.0)");
  const size_t length = static_cast<unsigned char>(prefix[8]) | (static_cast<size_t>(static_cast<unsigned char>(prefix[9])) << 8);
  std::string header(length, '\0');
  in.read(header.data(), static_cast<std::streamsize>(length));
  GAZE_CHECK(in, "'", path, "': truncated .npy header");
  GAZE_CHECK(header.find("'descr': '<f4'") != std::string::npos, "'", path, "': expected dtype '<f4', header ", header);
  GAZE_CHECK(header.find("'fortran_order': False") != std::string::npos, "'", path, "': Fortran order is not supported");
  std::smatch match;
  GAZE_CHECK(std::regex_search(header, match, std::regex("'shape': \\(([0-9, ]*)\\)")), "'", path,
             "': no shape in the .npy header ", header);
  NpyArray array;
  const std::string dims = match[1];
  const std::regex number("[0-9]+");
  int64_t count = 1;
  for (auto it = std::sregex_iterator(dims.begin(), dims.end(), number); it != std::sregex_iterator(); ++it) {
    array.shape.push_back(std::stoll(it->str()));
    count *= array.shape.back();
  }
  array.values.resize(static_cast<size_t>(count));
  in.read(reinterpret_cast<char*>(array.values.data()), static_cast<std::streamsize>(count * sizeof(float)));
  GAZE_CHECK(in, "'", path, "': truncated .npy data (expected ", count, " float32 values)");
  return array;
}

}  // namespace gaze::cam
