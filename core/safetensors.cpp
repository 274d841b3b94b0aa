#include "core/safetensors.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <climits>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "core/error.h"
#include "core/json_text.h"

namespace gaze {

static_assert(std::endian::native == std::endian::little, "gaze assumes a little-endian host");

const Tensor* TensorFile::find(const std::string& name) const {
  for (const auto& [key, tensor] : tensors)
    if (key == name) return &tensor;
  return nullptr;
}

namespace {
AtomicWriteHook g_atomic_write_hook = nullptr;
}

void set_atomic_write_hook(AtomicWriteHook hook) { g_atomic_write_hook = hook; }

void write_file_atomically(const std::string& path, const std::string& bytes) {
  const std::string temporary = path + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  GAZE_CHECK(fd >= 0, "cannot create '", temporary, "': ", std::strerror(errno));
  size_t written = 0;
  bool hooked = false;
  while (written < bytes.size()) {
    if (g_atomic_write_hook && !hooked && written >= bytes.size() / 2) {
      hooked = true;
      g_atomic_write_hook(temporary);
    }
    // Two halves when a test hook waits between them; one write otherwise.
    const size_t chunk = g_atomic_write_hook && !hooked ? bytes.size() / 2 - written : bytes.size() - written;
    const ssize_t n = ::write(fd, bytes.data() + written, chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string reason = std::strerror(errno);
      ::close(fd);
      ::unlink(temporary.c_str());
      throw Error("cannot write '" + temporary + "': " + reason);
    }
    written += static_cast<size_t>(n);
  }
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!synced || std::rename(temporary.c_str(), path.c_str()) != 0) {
    const std::string reason = std::strerror(errno);
    ::unlink(temporary.c_str());
    throw Error("cannot write '" + path + "': " + reason);
  }
}

void save_safetensors(const std::string& path, const TensorFile& file) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!file.metadata.empty()) header["__metadata__"] = file.metadata;
  size_t offset = 0;
  for (const auto& [name, tensor] : file.tensors) {
    GAZE_CHECK(tensor.defined(), "save_safetensors: tensor '", name, "' is undefined");
    GAZE_CHECK(name != "__metadata__", "save_safetensors: '__metadata__' is reserved");
    const size_t bytes = static_cast<size_t>(tensor.numel()) * sizeof(float);
    header[name] = {{"dtype", "F32"}, {"shape", tensor.shape()}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string json = json_text(header);
  json.append((8 - json.size() % 8) % 8, ' ');  // the format allows space padding; keeps data aligned
  std::string bytes(8, '\0');
  const uint64_t length = json.size();
  std::memcpy(bytes.data(), &length, 8);
  bytes += json;
  bytes.reserve(bytes.size() + offset);
  for (const auto& [name, tensor] : file.tensors) {
    const std::vector<float> values = tensor.to_vector();
    bytes.append(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float));
  }
  write_file_atomically(path, bytes);
}

namespace {

// One tensor entry of the header, validated but not yet read.
struct Entry {
  std::string name;
  Shape shape;
  uint64_t begin = 0, end = 0;
};

constexpr uint64_t kMaxHeaderBytes = 100u << 20;
constexpr size_t kMaxRank = 8;

// Parses the header, rejecting duplicate names: JSON itself allows them, and
// a reader that keeps the first or the last would disagree with other readers.
nlohmann::ordered_json parse_header(const std::string& json, const std::string& what) {
  std::string duplicate;
  std::set<std::string> seen;
  const nlohmann::ordered_json::parser_callback_t callback = [&](int depth, nlohmann::ordered_json::parse_event_t event,
                                                                 nlohmann::ordered_json& parsed) {
    if (depth == 1 && event == nlohmann::ordered_json::parse_event_t::key && !seen.insert(parsed.get<std::string>()).second)
      duplicate = parsed.get<std::string>();
    return true;
  };
  nlohmann::ordered_json header;
  try {
    header = nlohmann::ordered_json::parse(json, callback);
  } catch (const nlohmann::json::exception& e) {
    throw Error(what + "header is not JSON (" + e.what() + ")");
  }
  GAZE_CHECK(duplicate.empty(), what, "the header names '", duplicate, "' twice");
  GAZE_CHECK(header.is_object(), what, "header is not a JSON object");
  return header;
}

Entry parse_entry(const std::string& name, const nlohmann::ordered_json& entry, const std::string& what,
                  const std::string& path) {
  GAZE_CHECK(entry.is_object(), what, "entry '", name, "' is not an object");
  for (const char* key : {"dtype", "shape", "data_offsets"})
    GAZE_CHECK(entry.contains(key), what, "entry '", name, "' has no '", key, "'");
  const auto& dtype = entry.at("dtype");
  GAZE_CHECK(dtype.is_string(), what, "entry '", name, "': dtype is not a string");
  GAZE_CHECK(dtype.get<std::string>() == "F32", "'", path, "': tensor '", name, "' has dtype ",
             dtype.get<std::string>(), "; gaze reads only F32");
  Entry e{name, {}, 0, 0};
  const auto& shape = entry.at("shape");
  GAZE_CHECK(shape.is_array() && shape.size() <= kMaxRank, what, "entry '", name,
             "': shape must be a list of at most ", kMaxRank, " extents");
  for (const auto& d : shape) {
    GAZE_CHECK(d.is_number_unsigned(), what, "entry '", name, "': shape extents must be non-negative integers");
    GAZE_CHECK(d.get<uint64_t>() <= static_cast<uint64_t>(INT64_MAX), what, "entry '", name,
               "': shape extent ", d.get<uint64_t>(), " is too large");
    e.shape.push_back(static_cast<int64_t>(d.get<uint64_t>()));
  }
  const auto& offsets = entry.at("data_offsets");
  GAZE_CHECK(offsets.is_array() && offsets.size() == 2 && offsets[0].is_number_unsigned() &&
                 offsets[1].is_number_unsigned(),
             what, "entry '", name, "': data_offsets must be two non-negative integers [begin, end]");
  e.begin = offsets[0].get<uint64_t>();
  e.end = offsets[1].get<uint64_t>();
  GAZE_CHECK(e.begin <= e.end, what, "tensor '", name, "' has data offsets [", e.begin, ", ", e.end,
             "] that end before they begin");
  int64_t bytes = 0;
  try {
    bytes = checked_multiply(numel(e.shape), static_cast<int64_t>(sizeof(float)));
  } catch (const Error&) {
    throw Error(what + "tensor '" + name + "' shape " + to_string(e.shape) + " has more bytes than a 64-bit count holds");
  }
  GAZE_CHECK(static_cast<uint64_t>(bytes) == e.end - e.begin, what, "tensor '", name, "' shape ", to_string(e.shape),
             " needs ", bytes, " bytes but its data offsets span ", e.end - e.begin);
  return e;
}

// The data section must be covered exactly, as the safetensors format
// requires: in order of their offsets, each tensor starts where the previous
// one ended, the first at 0 and the last at the end of the file. Overlapping
// tensors, holes and trailing bytes are all rejected.
void check_coverage(std::vector<Entry> entries, uint64_t data_size, const std::string& what) {
  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) { return a.begin != b.begin ? a.begin < b.begin : a.end < b.end; });
  uint64_t position = 0;
  std::string previous = "the start of the data";
  for (const Entry& e : entries) {
    GAZE_CHECK(e.begin >= position, what, "tensor '", e.name, "' (bytes ", e.begin, "..", e.end, ") overlaps ",
               previous);
    GAZE_CHECK(e.begin == position, what, "a gap of ", e.begin - position, " bytes lies between ", previous,
               " and tensor '", e.name, "'");
    position = e.end;
    previous = "tensor '" + e.name + "'";
  }
  GAZE_CHECK(position == data_size, what, "the tensors cover ", position, " bytes but the data section has ",
             data_size, position < data_size ? " (trailing bytes)" : " (truncated?)");
}

}  // namespace

TensorFile load_safetensors(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  GAZE_CHECK(in, "cannot open '", path, "'");
  in.seekg(0, std::ios::end);
  const std::streamoff end_position = in.tellg();
  GAZE_CHECK(end_position >= 0, "cannot read '", path, "' (not a regular file?)");
  const auto file_size = static_cast<uint64_t>(end_position);
  in.seekg(0);
  const std::string what = "'" + path + "' is not a valid safetensors file: ";
  GAZE_CHECK(file_size >= 8, what, "only ", file_size, " bytes");
  uint64_t header_size = 0;
  in.read(reinterpret_cast<char*>(&header_size), 8);
  GAZE_CHECK(in && header_size <= file_size - 8 && header_size <= kMaxHeaderBytes, what, "header length ",
             header_size, " does not fit in a file of ", file_size, " bytes (at most ", kMaxHeaderBytes, ")");
  std::string json(header_size, '\0');
  in.read(json.data(), static_cast<std::streamsize>(header_size));
  GAZE_CHECK(in, what, "could not read the ", header_size, "-byte header");
  const nlohmann::ordered_json header = parse_header(json, what);
  const uint64_t data_start = 8 + header_size;
  const uint64_t data_size = file_size - data_start;
  TensorFile result;
  std::vector<Entry> entries;
  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") {
      GAZE_CHECK(entry.is_object(), what, "__metadata__ is not an object");
      for (const auto& [key, value] : entry.items()) {
        GAZE_CHECK(value.is_string(), what, "metadata value '", key, "' is not a string");
        result.metadata[key] = value.get<std::string>();
      }
      continue;
    }
    entries.push_back(parse_entry(name, entry, what, path));
  }
  check_coverage(entries, data_size, what);
  // Only now, with every size checked against the file, is memory allocated:
  // the tensors together hold exactly the file's data section.
  for (const Entry& e : entries) {
    Tensor t = Tensor::empty(e.shape);
    in.seekg(static_cast<std::streamoff>(data_start + e.begin));
    in.read(reinterpret_cast<char*>(t.data()), static_cast<std::streamsize>(e.end - e.begin));
    GAZE_CHECK(in, what, "could not read tensor '", e.name, "' (truncated?)");
    result.tensors.emplace_back(e.name, t);
  }
  return result;
}

}  // namespace gaze
