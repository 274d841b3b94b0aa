#pragma once
// A guard in front of stb_image for JPEG files. Debian 12 ships stb_image
// 2.27, whose Huffman table builder (stbi__build_huffman) does not check
// that a DHT segment's 16 code counts sum to at most 256 and writes past its
// 257-entry arrays when they do (fixed upstream in 2.28; found by gaze's
// image fuzz target). Every JPEG's tables are checked here before stb sees
// the file. Other malformations are left to stb, which reports them.
#include <cstddef>
#include <cstdint>
#include <string>

namespace gaze::data {

// Walks the JPEG's segments as stb's decoder does (skipping junk between
// segments, reading zeros past the end of a short file, through the
// entropy-coded data of every scan, since progressive files define tables
// between scans) and returns a description of the first Huffman table with
// more than 256 codes, or an empty string. Bytes that are not a JPEG give ""
// too: stb rejects those itself. Linear in `size`, reads nothing outside it.
std::string jpeg_huffman_problem(const std::uint8_t* bytes, std::size_t size);

// stb_image 2.27 also grows its PNG data buffer to whatever length an IDAT
// chunk claims before reading it, so a 300-byte file can make it allocate
// gigabytes (found by the image fuzz target). Returns a description of the
// first chunk that claims more bytes than the file holds, or "". Bytes that
// are not a PNG give "".
std::string png_chunk_problem(const std::uint8_t* bytes, std::size_t size);

}  // namespace gaze::data
