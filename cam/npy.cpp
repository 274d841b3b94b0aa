#include "cam/npy.h"

#include <bit>
#include <cstring>
#include <fstream>

#include "core/error.h"
#include "core/shape.h"

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
  // Parsed by hand: std::regex recurses per character and a crafted 64 KiB
  // header would exhaust the stack.
  const std::string key = "'shape': (";
  const size_t open = header.find(key);
  const size_t close = open == std::string::npos ? open : header.find(')', open);
  GAZE_CHECK(close != std::string::npos, "'", path, "': no shape in the .npy header");
  const std::string dims = header.substr(open + key.size(), close - open - key.size());
  NpyArray array;
  int64_t count = 1;
  for (size_t i = 0; i < dims.size();) {
    if (dims[i] == ' ' || dims[i] == ',') {
      ++i;
      continue;
    }
    const size_t end = dims.find_first_not_of("0123456789", i);
    const size_t digits = (end == std::string::npos ? dims.size() : end) - i;
    GAZE_CHECK(digits > 0 && digits <= 18 && array.shape.size() < 8, "'", path, "': shape (", dims,
               ") is not a list of at most 8 non-negative integers");
    array.shape.push_back(std::stoll(dims.substr(i, digits)));
    count = checked_multiply(count, array.shape.back(), ".npy element count");
    i += digits;
  }
  // The data must be in the file before anything is allocated for it.
  const std::streamoff data_start = in.tellg();
  in.seekg(0, std::ios::end);
  const std::streamoff available = in.tellg() - data_start;
  in.seekg(data_start);
  const int64_t bytes = checked_multiply(count, sizeof(float), ".npy data size");
  GAZE_CHECK(available >= 0 && bytes <= available, "'", path, "': truncated .npy data (shape (", dims, ") needs ",
             bytes, " bytes, the file has ", available, ")");
  array.values.resize(static_cast<size_t>(count));
  in.read(reinterpret_cast<char*>(array.values.data()), static_cast<std::streamsize>(bytes));
  GAZE_CHECK(in, "'", path, "': truncated .npy data (expected ", count, " float32 values)");
  return array;
}

}  // namespace gaze::cam
