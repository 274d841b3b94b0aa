#include "data/idx_file.h"

#include <zlib.h>

#include <filesystem>
#include <memory>

#include "core/error.h"

namespace gaze::data {
namespace fs = std::filesystem;
namespace {

const char* split_prefix(const std::string& split) { return split == "test" ? "t10k" : "train"; }

std::string find_with_optional_gz(const fs::path& folder, const std::string& name) {
  for (const std::string& candidate : {name, name + ".gz"}) {
    std::error_code error;  // a path too long or unreadable is "not found", not an exception
    if (fs::is_regular_file(folder / candidate, error)) return (folder / candidate).string();
  }
  return {};
}

class GzFile {
 public:
  explicit GzFile(const std::string& path) : path_(path), file_(gzopen(path.c_str(), "rb")) {
    GAZE_CHECK(file_, "cannot open IDX file '", path, "'");
  }
  ~GzFile() { gzclose(file_); }
  GzFile(const GzFile&) = delete;
  GzFile& operator=(const GzFile&) = delete;

  void read(void* dst, std::size_t bytes) {
    auto* out = static_cast<std::uint8_t*>(dst);
    while (bytes > 0) {
      const unsigned chunk = static_cast<unsigned>(std::min<std::size_t>(bytes, 1u << 30));
      const int got = gzread(file_, out, chunk);
      GAZE_CHECK(got > 0, "IDX file '", path_, "' is truncated or corrupt");
      out += got;
      bytes -= static_cast<std::size_t>(got);
    }
  }
  std::uint32_t read_u32() {
    std::uint8_t b[4];
    read(b, 4);
    return (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) |
           (std::uint32_t{b[2]} << 8) | b[3];
  }

 private:
  std::string path_;
  gzFile file_;
};

}  // namespace

IdxFiles find_idx_files(const std::string& folder, const std::string& split) {
  const std::string prefix = split_prefix(split);
  IdxFiles files{find_with_optional_gz(folder, prefix + "-images-idx3-ubyte"),
                 find_with_optional_gz(folder, prefix + "-labels-idx1-ubyte")};
  GAZE_CHECK(!files.images.empty() && !files.labels.empty(), "IDX folder '", folder,
             "' lacks ", prefix, "-images-idx3-ubyte[.gz] and/or ", prefix,
             "-labels-idx1-ubyte[.gz] (needed for idx_split '", split, "')");
  return files;
}

bool folder_has_idx_files(const std::string& folder) {
  for (const char* prefix : {"train", "t10k"})
    if (!find_with_optional_gz(folder, std::string(prefix) + "-images-idx3-ubyte").empty())
      return true;
  return false;
}

IdxImages read_idx_images(const std::string& path, std::int64_t max_pixels) {
  GzFile file(path);
  const std::uint32_t magic = file.read_u32();
  GAZE_CHECK(magic == 0x00000803, "IDX file '", path, "' has magic 0x", std::hex, magic,
             "; expected 0x803 (uint8 images, 3 dimensions)");
  const std::uint32_t count = file.read_u32();
  IdxImages images;
  images.height = static_cast<int>(file.read_u32());
  images.width = static_cast<int>(file.read_u32());
  GAZE_CHECK(images.height > 0 && images.width > 0 &&
                 static_cast<std::int64_t>(images.height) * images.width <= max_pixels &&
                 count < (1u << 28),
             "IDX file '", path, "' declares ", count, " images of ", images.height, "x",
             images.width, "; expected sane sizes (at most data.max_pixels per image)");
  images.pixels.resize(static_cast<std::size_t>(count) * images.height * images.width);
  file.read(images.pixels.data(), images.pixels.size());
  return images;
}

std::vector<std::uint8_t> read_idx_labels(const std::string& path) {
  GzFile file(path);
  const std::uint32_t magic = file.read_u32();
  GAZE_CHECK(magic == 0x00000801, "IDX file '", path, "' has magic 0x", std::hex, magic,
             "; expected 0x801 (uint8 labels, 1 dimension)");
  const std::uint32_t count = file.read_u32();
  GAZE_CHECK(count < (1u << 28), "IDX label file '", path, "' declares ", count, " labels");
  std::vector<std::uint8_t> labels(count);
  file.read(labels.data(), labels.size());
  return labels;
}

Dataset scan_idx_dataset(const DataConfig& config) {
  const IdxFiles files = find_idx_files(config.root, config.idx_split);
  auto images = std::make_shared<IdxImages>(read_idx_images(files.images, config.max_pixels));
  const std::vector<std::uint8_t> labels = read_idx_labels(files.labels);
  const std::size_t count =
      images->pixels.size() / (static_cast<std::size_t>(images->width) * images->height);
  GAZE_CHECK(labels.size() == count, "IDX files '", files.images, "' (", count,
             " images) and '", files.labels, "' (", labels.size(),
             " labels) disagree; expected one label per image");

  Dataset dataset;
  dataset.root = config.root;
  dataset.layout = Layout::idx;
  int max_label = 0;
  for (std::uint8_t label : labels) max_label = std::max<int>(max_label, label);
  GAZE_CHECK(max_label >= 1, "IDX labels in '", files.labels,
             "' hold a single class; expected at least two");
  // Names are the label numbers, kept in numeric order so that name i is
  // label i (alphabetical order would put "10" before "2").
  for (int c = 0; c <= max_label; ++c) dataset.class_names.push_back(std::to_string(c));
  std::error_code ec;
  const auto mtime = fs::last_write_time(files.images, ec).time_since_epoch();
  const auto size = static_cast<std::int64_t>(fs::file_size(files.images, ec));
  dataset.samples.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    dataset.samples.push_back(
        {files.images + "#" + std::to_string(i), labels[i], size,
         std::chrono::duration_cast<std::chrono::nanoseconds>(mtime).count()});
  }
  dataset.idx = std::move(images);
  return dataset;
}

}  // namespace gaze::data
