#include "data/jpeg_guard.h"

namespace gaze::data {

namespace {

constexpr std::uint8_t kStartOfScan = 0xDA, kDefineHuffman = 0xC4, kEndOfImage = 0xD9;

bool standalone(std::uint8_t marker) { return marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7); }

// The tables of one DHT payload: [class/id byte, 16 counts, sum(counts) values]...
std::string check_tables(const std::uint8_t* p, std::size_t length) {
  std::size_t i = 0;
  while (i + 17 <= length) {
    std::size_t codes = 0;
    for (int k = 1; k <= 16; ++k) codes += p[i + k];
    if (codes > 256)
      return "corrupt JPEG: a Huffman table defines " + std::to_string(codes) + " codes (at most 256)";
    i += 17 + codes;
  }
  return "";
}

}  // namespace

std::string jpeg_huffman_problem(const std::uint8_t* bytes, std::size_t size) {
  if (size < 4 || bytes[0] != 0xFF || bytes[1] != 0xD8) return "";
  std::size_t i = 2;
  while (i + 1 < size) {
    if (bytes[i] != 0xFF) return "";  // not at a marker: stb reports the corruption
    while (i + 1 < size && bytes[i + 1] == 0xFF) ++i;  // fill bytes
    if (i + 1 >= size) return "";
    const std::uint8_t marker = bytes[i + 1];
    i += 2;
    if (marker == kEndOfImage) return "";
    if (standalone(marker)) continue;
    if (i + 2 > size) return "";
    const std::size_t length = (static_cast<std::size_t>(bytes[i]) << 8) | bytes[i + 1];
    if (length < 2 || i + length > size) return "";
    if (marker == kDefineHuffman) {
      std::string problem = check_tables(bytes + i + 2, length - 2);
      if (!problem.empty()) return problem;
    }
    i += length;
    if (marker == kStartOfScan) {
      // Entropy-coded data runs to the next marker other than a stuffed
      // 0xFF00 or a restart marker.
      while (i + 1 < size && !(bytes[i] == 0xFF && bytes[i + 1] != 0x00 && !standalone(bytes[i + 1]))) ++i;
    }
  }
  return "";
}

}  // namespace gaze::data
