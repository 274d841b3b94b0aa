#include "core/npy.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <fstream>
#include <limits>

#include "core/error.h"
#include "core/memory_budget.h"
#include "core/shape.h"

namespace gaze {

static_assert(std::endian::native == std::endian::little, "the .npy reader and writer assume a little-endian host");

namespace {
const char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicSize = 6;
// NumPy writes headers of a few hundred bytes; version 2.0 allows 4 GiB,
// which a hostile file must not make us allocate.
constexpr size_t kMaxHeaderBytes = 1 << 16;

// The parsed header and the stream positioned at the first value.
struct NpyHeader {
  std::string descr;
  std::vector<int64_t> shape;
  int64_t count = 1;
  std::streamoff data_bytes_available = 0;
};

// The quoted value after `key` in the header dictionary, e.g. '<f4'.
std::string quoted_value(const std::string& header, const std::string& key, const std::string& path) {
  const size_t at = header.find("'" + key + "':");
  GAZE_CHECK(at != std::string::npos, "'", path, "': no '", key, "' in the .npy header");
  const size_t open = header.find('\'', at + key.size() + 3);
  const size_t close = open == std::string::npos ? open : header.find('\'', open + 1);
  GAZE_CHECK(close != std::string::npos, "'", path, "': malformed '", key, "' in the .npy header");
  return header.substr(open + 1, close - open - 1);
}

NpyHeader read_header(std::ifstream& in, const std::string& path) {
  GAZE_CHECK(in, "could not open '", path, "'");
  char prefix[8] = {};
  in.read(prefix, 8);
  GAZE_CHECK(in && std::memcmp(prefix, kMagic, kMagicSize) == 0, "'", path, "' is not a .npy file (bad magic)");
  GAZE_CHECK((prefix[6] == 1 || prefix[6] == 2) && prefix[7] == 0, "'", path, "': .npy version ", int(prefix[6]), ".",
             int(prefix[7]), " is not supported (expected 1.0 or 2.0)");
  unsigned char length_bytes[4] = {};
  const int length_size = prefix[6] == 1 ? 2 : 4;
  in.read(reinterpret_cast<char*>(length_bytes), length_size);
  GAZE_CHECK(in, "'", path, "': truncated .npy header");
  size_t length = 0;
  for (int i = length_size - 1; i >= 0; --i) length = (length << 8) | length_bytes[i];
  GAZE_CHECK(length <= kMaxHeaderBytes, "'", path, "': .npy header of ", length, " bytes; expected at most ",
             kMaxHeaderBytes);
  std::string header(length, '\0');
  in.read(header.data(), static_cast<std::streamsize>(length));
  GAZE_CHECK(in, "'", path, "': truncated .npy header");

  NpyHeader result;
  result.descr = quoted_value(header, "descr", path);
  GAZE_CHECK(result.descr != "|O" && result.descr.find('O') == std::string::npos && result.descr.find('V') == std::string::npos,
             "'", path, "': the array holds Python objects (dtype '", result.descr,
             "'), which would need unpickling; gaze never loads pickles: save a numeric array instead");
  GAZE_CHECK(header.find("'fortran_order': False") != std::string::npos, "'", path,
             "': Fortran order is not supported; save a C-order array (numpy.ascontiguousarray)");
  // Parsed by hand: std::regex recurses per character and a crafted 64 KiB
  // header would exhaust the stack.
  const std::string key = "'shape': (";
  const size_t open = header.find(key);
  const size_t close = open == std::string::npos ? open : header.find(')', open);
  GAZE_CHECK(close != std::string::npos, "'", path, "': no shape in the .npy header");
  const std::string dims = header.substr(open + key.size(), close - open - key.size());
  const std::string count_what = "'" + path + "': .npy element count";
  for (size_t i = 0; i < dims.size();) {
    if (dims[i] == ' ' || dims[i] == ',') {
      ++i;
      continue;
    }
    const size_t end = dims.find_first_not_of("0123456789", i);
    const size_t digits = (end == std::string::npos ? dims.size() : end) - i;
    GAZE_CHECK(digits > 0 && digits <= 18 && result.shape.size() < 8, "'", path, "': shape (", dims,
               ") is not a list of at most 8 non-negative integers");
    result.shape.push_back(std::stoll(dims.substr(i, digits)));
    result.count = checked_multiply(result.count, result.shape.back(), count_what.c_str());
    i += digits;
  }
  const std::streamoff data_start = in.tellg();
  in.seekg(0, std::ios::end);
  result.data_bytes_available = in.tellg() - data_start;
  in.seekg(data_start);
  return result;
}

// The data's size in bytes, once the file is known to hold it, so nothing is
// allocated for data that is not there.
int64_t checked_data_bytes(const NpyHeader& header, size_t width, const std::string& path) {
  const std::string size_what = "'" + path + "': .npy data size";
  const int64_t bytes = checked_multiply(header.count, static_cast<int64_t>(width), size_what.c_str());
  GAZE_CHECK(header.data_bytes_available >= 0 && bytes <= header.data_bytes_available, "'", path,
             "': truncated .npy data (shape ", to_string(header.shape), " of '", header.descr, "' needs ", bytes,
             " bytes, the file has ", header.data_bytes_available, ")");
  return bytes;
}

void read_exactly(std::ifstream& in, char* out, int64_t bytes, const NpyHeader& header, const std::string& path) {
  in.read(out, static_cast<std::streamsize>(bytes));
  GAZE_CHECK(in || bytes == 0, "'", path, "': truncated .npy data (expected ", header.count, " values)");
}

// Reads count values of `width` bytes.
std::vector<char> read_data(std::ifstream& in, const NpyHeader& header, size_t width, const std::string& path) {
  std::vector<char> data(static_cast<size_t>(checked_data_bytes(header, width, path)));
  read_exactly(in, data.data(), static_cast<int64_t>(data.size()), header, path);
  return data;
}

template <typename T>
void widen(const std::vector<char>& data, std::vector<int64_t>& out) {
  out.resize(data.size() / sizeof(T));
  for (size_t i = 0; i < out.size(); ++i) {
    T value;
    std::memcpy(&value, data.data() + i * sizeof(T), sizeof(T));
    out[i] = static_cast<int64_t>(value);
  }
}

}  // namespace

namespace {
// The header and data of a C-order array of `descr` values, `value_bytes` each.
void write_array(const std::string& path, const std::string& descr, const std::vector<int64_t>& shape_extents,
                 const void* values, size_t value_count, size_t value_bytes) {
  int64_t count = 1;
  std::string shape = "(";
  for (size_t i = 0; i < shape_extents.size(); ++i) {
    count *= shape_extents[i];
    shape += (i ? ", " : "") + std::to_string(shape_extents[i]);
  }
  shape += shape_extents.size() == 1 ? ",)" : ")";  // Python's one-element tuple
  GAZE_CHECK(count == static_cast<int64_t>(value_count), "write_npy '", path, "': shape holds ", count,
             " values but ", value_count, " were given");
  std::string header = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
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
  out.write(static_cast<const char*>(values), static_cast<std::streamsize>(value_count * value_bytes));
  GAZE_CHECK(out.good(), "could not write '", path, "' (disk full?)");
}
}  // namespace

void write_npy(const std::string& path, const NpyArray& array) {
  write_array(path, "<f4", array.shape, array.values.data(), array.values.size(), sizeof(float));
}

void write_npy_integers(const std::string& path, const NpyIntegers& array) {
  write_array(path, "<i8", array.shape, array.values.data(), array.values.size(), sizeof(int64_t));
}

NpyArray read_npy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  const NpyHeader header = read_header(in, path);
  GAZE_CHECK(header.descr == "<f4" || header.descr == "<f8", "'", path, "': dtype '", header.descr,
             "' is not supported; expected float32 ('<f4') or float64 ('<f8'), little-endian");
  NpyArray array;
  array.shape = header.shape;
  const size_t width = header.descr == "<f4" ? sizeof(float) : sizeof(double);
  const int64_t bytes = checked_data_bytes(header, width, path);
  // A file larger than this machine's memory is an error saying so, not std::bad_alloc.
  check_allocation({header.count}, Device::cpu());
  array.values.resize(static_cast<size_t>(header.count));
  if (width == sizeof(float)) {
    read_exactly(in, reinterpret_cast<char*>(array.values.data()), bytes, header, path);
    return array;
  }
  // float64 in chunks, so reading never holds the whole file twice.
  constexpr size_t kChunk = 1 << 16;
  std::vector<double> chunk(std::min(kChunk, array.values.size()));
  for (size_t first = 0; first < array.values.size(); first += kChunk) {
    const size_t count = std::min(kChunk, array.values.size() - first);
    read_exactly(in, reinterpret_cast<char*>(chunk.data()), static_cast<int64_t>(count * sizeof(double)), header,
                 path);
    for (size_t i = 0; i < count; ++i) array.values[first + i] = static_cast<float>(chunk[i]);
  }
  return array;
}

NpyIntegers read_npy_integers(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  const NpyHeader header = read_header(in, path);
  const std::string& d = header.descr;
  NpyIntegers result;
  result.shape = header.shape;
  if (d == "|i1" || d == "<i1") widen<int8_t>(read_data(in, header, 1, path), result.values);
  else if (d == "|u1" || d == "<u1") widen<uint8_t>(read_data(in, header, 1, path), result.values);
  else if (d == "<i2") widen<int16_t>(read_data(in, header, 2, path), result.values);
  else if (d == "<u2") widen<uint16_t>(read_data(in, header, 2, path), result.values);
  else if (d == "<i4") widen<int32_t>(read_data(in, header, 4, path), result.values);
  else if (d == "<u4") widen<uint32_t>(read_data(in, header, 4, path), result.values);
  else if (d == "<i8") widen<int64_t>(read_data(in, header, 8, path), result.values);
  else if (d == "<u8") {
    const std::vector<char> data = read_data(in, header, 8, path);
    std::vector<int64_t> values(data.size() / 8);
    for (size_t i = 0; i < values.size(); ++i) {
      uint64_t value;
      std::memcpy(&value, data.data() + i * 8, 8);
      GAZE_CHECK(value <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()), "'", path, "': value ", value,
                 " at index ", i, " does not fit in int64");
      values[i] = static_cast<int64_t>(value);
    }
    result.values = std::move(values);
  } else {
    throw Error("'" + path + "': dtype '" + d +
                "' is not an integer type; expected little-endian integers (e.g. '<i8', '<i4', '|u1')");
  }
  return result;
}

}  // namespace gaze
