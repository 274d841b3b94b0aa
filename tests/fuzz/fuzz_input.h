#pragma once
// Shared by the fuzz targets. The parsers under test read files, so each
// input is written to a file first; gaze::Error is the expected way for them
// to refuse an input, so the targets catch only that. Any other exception,
// a sanitizer report or an abort is a finding.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

namespace gaze::fuzz {

// The input as a file, in /dev/shm when there is one (a fuzzer writes it
// thousands of times a second), removed again when this goes out of scope.
class InputFile {
 public:
  InputFile(const uint8_t* data, size_t size, const std::string& suffix) {
    std::error_code ec;
    const std::filesystem::path folder =
        std::filesystem::is_directory("/dev/shm", ec) ? std::filesystem::path("/dev/shm")
                                                      : std::filesystem::temp_directory_path();
    path_ = (folder / ("gaze-fuzz-" + std::to_string(::getpid()) + suffix)).string();
    std::ofstream out(path_, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    if (!out.flush()) throw std::runtime_error("fuzz harness: cannot write " + path_);
  }
  ~InputFile() { std::remove(path_.c_str()); }
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// An invariant of an accepted input broke: report it as a crash.
[[noreturn]] inline void invariant_failed(const char* what) {
  std::fprintf(stderr, "fuzz invariant failed: %s\n", what);
  std::abort();
}

}  // namespace gaze::fuzz

#define GAZE_FUZZ_REQUIRE(cond) \
  do {                          \
    if (!(cond)) ::gaze::fuzz::invariant_failed(#cond); \
  } while (0)
