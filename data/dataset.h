#pragma once
// Dataset scanning: turns a folder into a list of labelled samples. Three
// image layouts, auto-detected (see scan_dataset), and the matrix layout
// (npy, data/matrix.h), which is only used when the config names it. Bad files are skipped with one
// warning line each on stderr and listed in Dataset::skipped; a dataset that
// ends up with no usable images or fewer than two classes is an error.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "data/config.h"
#include "data/image.h"
#include "data/matrix.h"

namespace gaze::data {

struct Sample {
  std::string path;            // image file; for IDX "<images file>#<record>"
  int label = 0;               // index into Dataset::class_names
  std::int64_t file_size = 0;  // with mtime, keys the decoded cache
  std::int64_t mtime_ns = 0;
};

struct SkippedFile {
  std::string path;
  std::string reason;
};

// Images of an IDX file, held in memory (Fashion-MNIST train is 47 MB).
struct IdxImages {
  int width = 0, height = 0;   // one gray channel
  std::vector<std::uint8_t> pixels;  // count * height * width
};

struct Dataset {
  std::string root;
  Layout layout = Layout::automatic;   // the detected layout, never automatic
  std::vector<std::string> class_names;  // label -> name, sorted alphabetically
  std::vector<Sample> samples;           // sorted by path
  std::vector<SkippedFile> skipped;
  std::shared_ptr<const IdxImages> idx;  // set for Layout::idx only
  std::shared_ptr<const MatrixSet> matrices;  // set for Layout::npy only; samples[i] is matrix i
};

// Layout detection for Layout::automatic: a folder holding
// "<train|t10k>-images-idx3-ubyte[.gz]" is IDX; a folder with subfolders is
// the class-subfolder layout (root/<class>/**/*.jpg); otherwise it is the
// Kaggle flat layout, where "cat.123.jpg" has class "cat" (the text before
// the first dot; a name needs at least two dots for its class to be known).
// Hidden entries (".DS_Store", ".git") are ignored silently.
Dataset scan_dataset(const DataConfig& config);

// The undecoded source pixels of sample `index` at the model's channel count:
// the decoded file, or the IDX record.
Image load_source_image(const Dataset& dataset, std::size_t index, const DataConfig& config);

}  // namespace gaze::data
