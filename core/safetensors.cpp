#include "core/safetensors.h"

#include <fcntl.h>
#include <unistd.h>

#include <bit>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/error.h"

namespace gaze {

static_assert(std::endian::native == std::endian::little, "gaze assumes a little-endian host");

const Tensor* TensorFile::find(const std::string& name) const {
  for (const auto& [key, tensor] : tensors)
    if (key == name) return &tensor;
  return nullptr;
}

void write_file_atomically(const std::string& path, const std::string& bytes) {
  const std::string temporary = path + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  GAZE_CHECK(fd >= 0, "cannot create '", temporary, "': ", std::strerror(errno));
  size_t written = 0;
  while (written < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
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
  std::string json = header.dump();
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

TensorFile load_safetensors(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  GAZE_CHECK(in, "cannot open '", path, "'");
  in.seekg(0, std::ios::end);
  const auto file_size = static_cast<uint64_t>(in.tellg());
  in.seekg(0);
  const std::string what = "'" + path + "' is not a valid safetensors file: ";
  GAZE_CHECK(file_size >= 8, what, "only ", file_size, " bytes");
  uint64_t header_size = 0;
  in.read(reinterpret_cast<char*>(&header_size), 8);
  GAZE_CHECK(header_size <= file_size - 8 && header_size <= (100u << 20), what, "header length ",
             header_size, " does not fit in a file of ", file_size, " bytes");
  std::string json(header_size, '\0');
  in.read(json.data(), static_cast<std::streamsize>(header_size));
  nlohmann::ordered_json header;
  try {
    header = nlohmann::ordered_json::parse(json);
  } catch (const nlohmann::json::exception& e) {
    throw Error(what + "header is not JSON (" + e.what() + ")");
  }
  GAZE_CHECK(header.is_object(), what, "header is not a JSON object");
  const uint64_t data_start = 8 + header_size;
  const uint64_t data_size = file_size - data_start;
  TensorFile result;
  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") {
      GAZE_CHECK(entry.is_object(), what, "__metadata__ is not an object");
      for (const auto& [key, value] : entry.items()) {
        GAZE_CHECK(value.is_string(), what, "metadata value '", key, "' is not a string");
        result.metadata[key] = value.get<std::string>();
      }
      continue;
    }
    try {
      const std::string dtype = entry.at("dtype").get<std::string>();
      GAZE_CHECK(dtype == "F32", "'", path, "': tensor '", name, "' has dtype ", dtype,
                 "; gaze reads only F32");
      const Shape shape = entry.at("shape").get<Shape>();
      const auto offsets = entry.at("data_offsets").get<std::vector<uint64_t>>();
      GAZE_CHECK(offsets.size() == 2 && offsets[0] <= offsets[1] && offsets[1] <= data_size, what,
                 "tensor '", name, "' has data offsets outside the file (truncated?)");
      for (int64_t d : shape) GAZE_CHECK(d >= 0, what, "tensor '", name, "' has a negative extent");
      GAZE_CHECK(static_cast<uint64_t>(numel(shape)) * 4 == offsets[1] - offsets[0], what, "tensor '",
                 name, "' shape ", to_string(shape), " does not match its ", offsets[1] - offsets[0], " bytes");
      Tensor t = Tensor::empty(shape);
      in.seekg(static_cast<std::streamoff>(data_start + offsets[0]));
      in.read(reinterpret_cast<char*>(t.data()), static_cast<std::streamsize>(offsets[1] - offsets[0]));
      GAZE_CHECK(in, what, "could not read tensor '", name, "' (truncated?)");
      result.tensors.emplace_back(name, t);
    } catch (const nlohmann::json::exception& e) {
      throw Error(what + "entry '" + name + "' is malformed (" + e.what() + ")");
    }
  }
  return result;
}

}  // namespace gaze
