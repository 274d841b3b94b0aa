#pragma once
// IDX files (the MNIST / Fashion-MNIST format): a big-endian header (magic
// 0x00000803 for uint8 images of 3 dimensions, 0x00000801 for labels) and raw
// bytes. Plain and gzip files are read the same way through zlib.
#include <string>
#include <vector>

#include "data/dataset.h"

namespace gaze::data {

struct IdxFiles {
  std::string images;
  std::string labels;
};

// The "<prefix>-images-idx3-ubyte[.gz]" / labels pair in `folder` for split
// "train" (prefix train) or "test" (prefix t10k); throws naming what was
// looked for when absent.
IdxFiles find_idx_files(const std::string& folder, const std::string& split);
bool folder_has_idx_files(const std::string& folder);

IdxImages read_idx_images(const std::string& path, std::int64_t max_pixels);
std::vector<std::uint8_t> read_idx_labels(const std::string& path);

// Builds a Dataset (class names "0".."9", label = class index) from the
// folder's IDX pair for config.idx_split.
Dataset scan_idx_dataset(const DataConfig& config);

}  // namespace gaze::data
