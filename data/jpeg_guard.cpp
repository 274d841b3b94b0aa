#include "data/jpeg_guard.h"

#include <algorithm>
#include <string>

namespace gaze::data {

namespace {

constexpr int kNone = 0xFF;  // stb's STBI__MARKER_none
constexpr int kStartOfImage = 0xD8, kEndOfImage = 0xD9, kStartOfScan = 0xDA, kDefineHuffman = 0xC4;

bool is_restart(int m) { return m >= 0xD0 && m <= 0xD7; }

// Reads the bytes the way stb_image's JPEG decoder does, so the walk visits
// exactly the segments stb would: past the end every byte reads as 0 (stb's
// get8 at end of file), and between segments non-marker bytes are skipped.
class Reader {
 public:
  Reader(const std::uint8_t* bytes, std::size_t size) : bytes_(bytes), size_(size) {}
  bool at_end() const { return position_ >= size_; }
  int get8() { return position_ < size_ ? bytes_[position_++] : 0; }
  int get16() {
    const int high = get8();
    return (high << 8) | get8();
  }
  void skip(std::size_t n) { position_ = n > size_ - std::min(position_, size_) ? size_ : position_ + n; }
  // stb's get_marker: a 0xFF (then any fill bytes) and the marker, or kNone.
  int marker() {
    int x = get8();
    if (x != 0xFF) return kNone;
    while (x == 0xFF && !at_end()) x = get8();
    return x == 0xFF ? kNone : x;
  }
  // After a scan's header, stb decodes entropy-coded data up to the next
  // marker: a 0xFF followed by neither a stuffed 0x00 nor a restart marker.
  int skip_entropy_coded_data() {
    while (!at_end()) {
      if (get8() != 0xFF) continue;
      int c = get8();
      while (c == 0xFF && !at_end()) c = get8();
      if (c != 0 && !is_restart(c) && c != 0xFF) return c;
    }
    return kEndOfImage;
  }

 private:
  const std::uint8_t* bytes_;
  std::size_t size_, position_ = 0;
};

// One segment as stb's process_marker sees it. Returns false where stb would
// stop with an error (so nothing after it matters); `problem` is set for a
// Huffman table stb would overflow on.
bool visit_segment(Reader& r, int m, std::string& problem) {
  if (m == kNone) return false;
  const int length = r.get16();
  if (m == kDefineHuffman) {
    int left = length - 2;
    while (left > 0) {
      r.get8();  // table class and id
      int codes = 0;
      for (int k = 0; k < 16; ++k) codes += r.get8();
      if (codes > 256) {
        problem = "corrupt JPEG: a Huffman table defines " + std::to_string(codes) + " codes (at most 256)";
        return false;
      }
      r.skip(static_cast<std::size_t>(codes));
      left -= 17 + codes;
    }
    return left == 0;
  }
  // Every other segment stb reads (tables, restart interval, application
  // data, comments, frame and scan headers) spans its length field.
  if (length < 2) return false;
  r.skip(static_cast<std::size_t>(length - 2));
  return true;
}

}  // namespace

std::string jpeg_huffman_problem(const std::uint8_t* bytes, std::size_t size) {
  Reader r(bytes, size);
  if (size < 2 || r.marker() != kStartOfImage) return "";
  std::string problem;
  int m = r.marker();
  // Each pass consumes at least one byte or stops, so the walk is linear in size.
  while (m != kEndOfImage) {
    if (m == kNone) {
      if (r.at_end()) return "";
      m = r.marker();
      continue;
    }
    if (!visit_segment(r, m, problem)) return problem;
    if (m == kStartOfScan) {
      m = r.skip_entropy_coded_data();
      continue;
    }
    if (r.at_end()) return "";
    m = r.marker();
  }
  return "";
}

std::string png_chunk_problem(const std::uint8_t* bytes, std::size_t size) {
  static const std::uint8_t kSignature[8] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
  if (size < 8 || !std::equal(kSignature, kSignature + 8, bytes)) return "";
  std::size_t i = 8;
  // Each chunk: 4-byte big-endian length, 4-byte type, data, 4-byte CRC.
  while (i + 8 <= size) {
    const std::uint64_t length = (std::uint64_t{bytes[i]} << 24) | (std::uint64_t{bytes[i + 1]} << 16) |
                                 (std::uint64_t{bytes[i + 2]} << 8) | bytes[i + 3];
    const std::string type(reinterpret_cast<const char*>(bytes + i + 4), 4);
    const std::uint64_t left = size - (i + 8);
    if (length > left)
      return "corrupt PNG: chunk '" + type + "' claims " + std::to_string(length) + " bytes but the file has " +
             std::to_string(left) + " left";
    if (type == "IEND") return "";
    i += 8 + length + 4;
  }
  return "";
}

}  // namespace gaze::data
