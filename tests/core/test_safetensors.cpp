// safetensors round trips, atomic writes and clear errors on damaged files.
#include <catch2/catch.hpp>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/core.h"

using namespace gaze;
namespace fs = std::filesystem;

namespace {
fs::path temp_path(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / "gaze_test_safetensors";
  fs::create_directories(dir);
  return dir / name;
}

void write_bytes(const fs::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}
}  // namespace

TEST_CASE("safetensors round trip keeps names, shapes, values and metadata", "[safetensors]") {
  const fs::path path = temp_path("round_trip.safetensors");
  TensorFile file;
  Rng rng(3);
  file.tensors = {{"conv1.weight", Tensor::randn({4, 3, 3, 3}, rng)}, {"dense.bias", Tensor::randn({2}, rng)},
                  {"scalar", Tensor::scalar(5)}};
  file.metadata = {{"gaze", "{\"format\": \"x\"}"}};
  save_safetensors(path, file);
  const TensorFile back = load_safetensors(path);
  REQUIRE(back.tensors.size() == 3);
  for (size_t i = 0; i < 3; ++i) {
    REQUIRE(back.tensors[i].first == file.tensors[i].first);
    REQUIRE(back.tensors[i].second.shape() == file.tensors[i].second.shape());
    REQUIRE(back.tensors[i].second.to_vector() == file.tensors[i].second.to_vector());
  }
  REQUIRE(back.metadata == file.metadata);
  // The layout is the public format: 8-byte length, JSON header, raw data.
  const std::string bytes = read_bytes(path);
  uint64_t header = 0;
  std::memcpy(&header, bytes.data(), 8);
  REQUIRE(bytes.size() == 8 + header + (4 * 27 + 2 + 1) * 4);
  REQUIRE(bytes[8] == '{');
}

TEST_CASE("damaged safetensors files give errors naming the file", "[safetensors]") {
  const fs::path good = temp_path("good.safetensors");
  TensorFile file;
  file.tensors = {{"w", Tensor::full({64}, 1.0f)}};
  save_safetensors(good, file);
  const std::string bytes = read_bytes(good);

  const fs::path bad = temp_path("bad.safetensors");
  write_bytes(bad, bytes.substr(0, bytes.size() - 10));
  REQUIRE_THROWS_WITH(load_safetensors(bad), Catch::Contains("bad.safetensors") && Catch::Contains("truncated"));
  write_bytes(bad, "");
  REQUIRE_THROWS_WITH(load_safetensors(bad), Catch::Contains("only 0 bytes"));
  write_bytes(bad, std::string("\xff\xff\xff\xff\xff\xff\x00\x00", 8) + "{}");
  REQUIRE_THROWS_WITH(load_safetensors(bad), Catch::Contains("header length"));
  std::string not_json = bytes;
  not_json[8] = '#';
  write_bytes(bad, not_json);
  REQUIRE_THROWS_WITH(load_safetensors(bad), Catch::Contains("not JSON"));
  REQUIRE_THROWS_WITH(load_safetensors(temp_path("missing.safetensors")), Catch::Contains("cannot open"));
}

TEST_CASE("atomic writes replace the file whole and leave no temporary", "[safetensors]") {
  const fs::path path = temp_path("atomic.bin");
  write_file_atomically(path, "first version");
  write_file_atomically(path, "second");
  REQUIRE(read_bytes(path) == "second");
  for (const auto& entry : fs::directory_iterator(path.parent_path()))
    REQUIRE(entry.path().filename().string().find(".tmp.") == std::string::npos);
  REQUIRE_THROWS_WITH(write_file_atomically("/nonexistent-dir/x.bin", "data"), Catch::Contains("cannot create"));
}
