// Crafted safetensors files, generated here byte by byte: the loader must
// reject each with an error naming the file and the problem, and never
// allocate or read past what the file really holds (issue: hardening).
#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>

#include "core/core.h"
#include "tests/temp_dir.h"

using namespace gaze;
namespace fs = std::filesystem;

namespace {

// A file with this JSON header (padded to 8 bytes) followed by `data`.
std::string craft(const std::string& header, const std::string& data) {
  std::string json = header;
  json.append((8 - json.size() % 8) % 8, ' ');
  std::string bytes(8, '\0');
  const uint64_t length = json.size();
  std::memcpy(bytes.data(), &length, 8);
  return bytes + json + data;
}

std::string floats(size_t count) { return std::string(count * 4, '\0'); }

struct Crafted {
  test_support::TempDir dir;
  fs::path write(const std::string& bytes) {
    const fs::path path = dir.path() / "crafted.safetensors";
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  }
};

}  // namespace

TEST_CASE("shape arithmetic is checked: overflowing element counts are errors", "[safetensors][hostile]") {
  CHECK(numel({3, 4, 5}) == 60);
  CHECK(numel({}) == 1);
  CHECK(numel({7, 0, std::numeric_limits<int64_t>::max()}) == 0);
  // 2^32 x 2^32 wraps to 0 in int64 arithmetic; 3037000500^2 wraps negative.
  CHECK_THROWS_WITH(numel({int64_t{1} << 32, int64_t{1} << 32}), Catch::Contains("more elements"));
  CHECK_THROWS_WITH(numel({3037000500, 3037000500}), Catch::Contains("more elements"));
  CHECK_THROWS_WITH(numel({2, -3}), Catch::Contains("negative"));
  CHECK_THROWS_AS(contiguous_strides({int64_t{1} << 40, int64_t{1} << 40}), Error);
  CHECK(checked_multiply(1 << 20, 1 << 20) == int64_t{1} << 40);
  CHECK_THROWS_AS(checked_multiply(std::numeric_limits<int64_t>::max(), 2), Error);
  CHECK_THROWS_AS(checked_add(std::numeric_limits<int64_t>::max(), 1), Error);
  // A tensor larger than this machine's memory is refused before any allocation.
  CHECK_THROWS_WITH(Tensor::empty({int64_t{1} << 40, 1 << 20}), Catch::Contains("needs") && Catch::Contains("memory"));
}

TEST_CASE("a shape whose byte count wraps around is rejected, not written past", "[safetensors][hostile]") {
  Crafted c;
  // 2^31 x 2^31 elements x 4 bytes = 2^64 bytes, which wraps to 0 in uint64:
  // the old size check compared 0 with the 0-byte span and passed.
  const fs::path wraps = c.write(
      craft(R"({"w":{"dtype":"F32","shape":[2147483648,2147483648],"data_offsets":[0,0]}})", ""));
  CHECK_THROWS_WITH(load_safetensors(wraps.string()),
                    Catch::Contains("crafted.safetensors") && Catch::Contains("'w'") && Catch::Contains("64-bit"));
  // Product wraps negative: 3037000500^2 > 2^63.
  const fs::path negative =
      c.write(craft(R"({"w":{"dtype":"F32","shape":[3037000500,3037000500],"data_offsets":[0,4]}})", floats(1)));
  CHECK_THROWS_WITH(load_safetensors(negative.string()), Catch::Contains("'w'"));
  const fs::path extent = c.write(craft(R"({"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})", floats(1)));
  CHECK_THROWS_WITH(load_safetensors(extent.string()), Catch::Contains("non-negative integers"));
  const fs::path rank = c.write(craft(R"({"w":{"dtype":"F32","shape":[1,1,1,1,1,1,1,1,1],"data_offsets":[0,4]}})",
                                      floats(1)));
  CHECK_THROWS_WITH(load_safetensors(rank.string()), Catch::Contains("at most 8"));
}

TEST_CASE("data offsets must cover the data section exactly, in order", "[safetensors][hostile]") {
  Crafted c;
  const std::string a = R"("a":{"dtype":"F32","shape":[2],"data_offsets":)";
  const std::string b = R"("b":{"dtype":"F32","shape":[2],"data_offsets":)";
  // Valid: b stored before a is fine (offsets need not follow header order).
  const fs::path swapped = c.write(craft("{" + a + "[8,16]}," + b + "[0,8]}}", floats(4)));
  CHECK(load_safetensors(swapped.string()).tensors.size() == 2);
  const fs::path overlap = c.write(craft("{" + a + "[0,8]}," + b + "[4,12]}}", floats(3)));
  CHECK_THROWS_WITH(load_safetensors(overlap.string()), Catch::Contains("overlaps"));
  const fs::path same = c.write(craft("{" + a + "[0,8]}," + b + "[0,8]}}", floats(2)));
  CHECK_THROWS_WITH(load_safetensors(same.string()), Catch::Contains("overlaps"));
  const fs::path gap = c.write(craft("{" + a + "[0,8]}," + b + "[12,20]}}", floats(5)));
  CHECK_THROWS_WITH(load_safetensors(gap.string()), Catch::Contains("gap of 4 bytes"));
  const fs::path first = c.write(craft("{" + a + "[4,12]}}", floats(3)));
  CHECK_THROWS_WITH(load_safetensors(first.string()), Catch::Contains("gap of 4 bytes"));
  const fs::path trailing = c.write(craft("{" + a + "[0,8]}}", floats(3)));
  CHECK_THROWS_WITH(load_safetensors(trailing.string()), Catch::Contains("trailing bytes"));
  const fs::path reversed = c.write(craft("{" + a + "[8,0]}}", floats(2)));
  CHECK_THROWS_WITH(load_safetensors(reversed.string()), Catch::Contains("end before they begin"));
  const fs::path mismatch = c.write(craft("{" + a + "[0,12]}}", floats(3)));
  CHECK_THROWS_WITH(load_safetensors(mismatch.string()), Catch::Contains("needs 8 bytes"));
  const fs::path beyond = c.write(craft("{" + a + "[0,8]}}", floats(1)));
  CHECK_THROWS_WITH(load_safetensors(beyond.string()), Catch::Contains("crafted.safetensors"));
}

TEST_CASE("malformed header entries are errors, not JSON exceptions", "[safetensors][hostile]") {
  Crafted c;
  for (const char* header :
       {R"({"w":{"dtype":"F32","shape":[1]}})", R"({"w":{"dtype":7,"shape":[1],"data_offsets":[0,4]}})",
        R"({"w":{"dtype":"F32","shape":"1","data_offsets":[0,4]}})",
        R"({"w":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}})",
        R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0]}})",
        R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,"4"]}})", R"({"w":[1,2]})",
        R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
        R"({"__metadata__":{"gaze":5}})", R"([1,2,3])"}) {
    INFO(header);
    const fs::path path = c.write(craft(header, floats(2)));
    CHECK_THROWS_AS(load_safetensors(path.string()), Error);
  }
  const fs::path duplicate = c.write(craft(
      R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
      floats(2)));
  CHECK_THROWS_WITH(load_safetensors(duplicate.string()), Catch::Contains("names 'w' twice"));
}
