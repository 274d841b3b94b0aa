#pragma once
// safetensors I/O: an 8-byte little-endian header length, a JSON header
// mapping tensor names to dtype/shape/byte offsets (plus an optional
// "__metadata__" map of strings), then the raw little-endian data. Python's
// `safetensors` package and a few lines of numpy read these files.
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/tensor.h"

namespace gaze {

struct TensorFile {
  std::vector<std::pair<std::string, Tensor>> tensors;  // in file order
  std::map<std::string, std::string> metadata;
  const Tensor* find(const std::string& name) const;
};

// Writes atomically: a temporary file next to `path` is flushed, synced and
// renamed over it, so a crash never leaves a half-written file behind.
void save_safetensors(const std::string& path, const TensorFile& file);

// Throws gaze::Error naming the file and the problem for anything that is
// not a well-formed float32 safetensors file.
TensorFile load_safetensors(const std::string& path);

// Writes `bytes` to `path` atomically (temporary file + fsync + rename).
void write_file_atomically(const std::string& path, const std::string& bytes);

// For tests only: called by write_file_atomically once half of the bytes are
// in the temporary file, with its path, so a test can interrupt a write at a
// known point (e.g. SIGKILL it there) and prove the target stays whole.
// Null, the default, in programs.
using AtomicWriteHook = void (*)(const std::string& temporary_path);
void set_atomic_write_hook(AtomicWriteHook hook);

}  // namespace gaze
