#include "data/dataset.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <map>

#include "core/error.h"
#include "data/idx_file.h"
#include "data/matrix.h"

namespace gaze::data {
namespace fs = std::filesystem;
namespace {

struct Candidate {
  std::string path;
  std::string class_name;
};

bool is_hidden(const fs::path& path) { return path.filename().string().starts_with('.'); }

// Lists a folder's non-hidden entries, sorted, as (path, is_directory).
// Symlinks are followed; a loop among them is an error rather than a hang.
std::vector<std::pair<fs::path, bool>> list_folder(const fs::path& folder,
                                                   std::vector<SkippedFile>& skipped) {
  std::error_code ec;
  fs::directory_iterator it(folder, ec);
  GAZE_CHECK(!ec, "cannot read folder '", folder.string(), "': ", ec.message());
  std::vector<std::pair<fs::path, bool>> entries;
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    GAZE_CHECK(!ec, "cannot read folder '", folder.string(), "': ", ec.message());
    const fs::path path = it->path();
    if (is_hidden(path)) continue;
    const fs::file_status status = fs::status(path, ec);
    if (ec == std::errc::too_many_symbolic_link_levels)
      throw Error("symlink loop at '" + path.string() + "'; remove the link or point it elsewhere");
    if (ec || !fs::exists(status)) {
      skipped.push_back({path.string(), "unreadable: " + (ec ? ec.message() : "dangling link")});
      ec.clear();
      continue;
    }
    entries.emplace_back(path, fs::is_directory(status));
  }
  GAZE_CHECK(!ec, "cannot read folder '", folder.string(), "': ", ec.message());
  std::sort(entries.begin(), entries.end());
  return entries;
}

// Collects the files under a class folder, recursing into subfolders. The
// chain of canonical ancestors catches a symlink that points back up.
void collect_class_files(const fs::path& folder, const std::string& class_name,
                         std::vector<fs::path>& ancestors, std::vector<Candidate>& out,
                         std::vector<SkippedFile>& skipped) {
  std::error_code ec;
  const fs::path canonical = fs::canonical(folder, ec);
  GAZE_CHECK(!ec, "cannot resolve folder '", folder.string(), "': ", ec.message());
  if (std::find(ancestors.begin(), ancestors.end(), canonical) != ancestors.end())
    throw Error("symlink loop at '" + folder.string() + "': it leads back to '" +
                canonical.string() + "'");
  ancestors.push_back(canonical);
  for (const auto& [path, is_dir] : list_folder(folder, skipped)) {
    if (is_dir)
      collect_class_files(path, class_name, ancestors, out, skipped);
    else
      out.push_back({path.string(), class_name});
  }
  ancestors.pop_back();
}

std::vector<Candidate> folder_layout_candidates(const fs::path& root,
                                                std::vector<SkippedFile>& skipped) {
  std::vector<Candidate> candidates;
  std::vector<fs::path> ancestors{fs::canonical(root)};
  for (const auto& [path, is_dir] : list_folder(root, skipped)) {
    if (is_dir)
      collect_class_files(path, path.filename().string(), ancestors, candidates, skipped);
    else
      skipped.push_back({path.string(), "file outside a class folder; its label is unknown"});
  }
  return candidates;
}

std::vector<Candidate> flat_layout_candidates(const fs::path& root,
                                              std::vector<SkippedFile>& skipped) {
  std::vector<Candidate> candidates;
  for (const auto& [path, is_dir] : list_folder(root, skipped)) {
    const std::string name = path.filename().string();
    const std::size_t first_dot = name.find('.');
    if (is_dir) {
      skipped.push_back({path.string(), "folder inside a flat-layout dataset; ignored"});
    } else if (first_dot == 0 || first_dot == std::string::npos ||
               name.find('.', first_dot + 1) == std::string::npos) {
      skipped.push_back({path.string(),
                         "label unknown; expected a name like <class>.<id>.jpg"});
    } else {
      candidates.push_back({path.string(), name.substr(0, first_dot)});
    }
  }
  return candidates;
}

bool has_subfolder(const fs::path& root) {
  std::error_code ec;
  for (fs::directory_iterator it(root, ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    if (!is_hidden(it->path()) && fs::is_directory(it->path(), ec)) return true;
  }
  return false;
}

std::string layout_expectation(Layout layout) {
  return layout == Layout::flat
             ? "Kaggle flat layout: files named <class>.<id>.jpg|png|bmp"
             : "class-subfolder layout: <root>/<class>/*.jpg|png|bmp";
}

}  // namespace

Dataset scan_dataset(const DataConfig& config) {
  const fs::path root(config.root);
  std::error_code ec;
  GAZE_CHECK(fs::is_directory(root, ec), "data root '", config.root,
             "' is not a readable folder; expected a dataset folder (flat, class subfolders "
             "or IDX files)");
  Layout layout = config.layout;
  if (layout == Layout::automatic) {
    layout = folder_has_idx_files(config.root) ? Layout::idx
             : has_subfolder(root)             ? Layout::folders
                                               : Layout::flat;
  }
  if (layout == Layout::idx) return scan_idx_dataset(config);
  if (layout == Layout::npy) return scan_npy_dataset(config);

  Dataset dataset;
  dataset.root = config.root;
  dataset.layout = layout;
  std::vector<Candidate> candidates = layout == Layout::flat
                                          ? flat_layout_candidates(root, dataset.skipped)
                                          : folder_layout_candidates(root, dataset.skipped);

  std::map<std::string, std::vector<Sample>> by_class;
  for (const Candidate& candidate : candidates) {
    std::string problem;
    if (!has_image_extension(candidate.path))
      problem = "unsupported format; expected .jpg, .jpeg, .png or .bmp";
    else
      problem = check_image_file(candidate.path, config.max_pixels).problem;
    if (!problem.empty()) {
      dataset.skipped.push_back({candidate.path, problem});
      continue;
    }
    Sample sample;
    sample.path = candidate.path;
    sample.file_size = static_cast<std::int64_t>(fs::file_size(candidate.path, ec));
    sample.mtime_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          fs::last_write_time(candidate.path, ec).time_since_epoch())
                          .count();
    by_class[candidate.class_name].push_back(std::move(sample));
  }
  if (layout == Layout::folders) {
    std::vector<SkippedFile> already_reported;
    for (const auto& [path, is_dir] : list_folder(root, already_reported)) {
      if (is_dir && !by_class.count(path.filename().string()))
        dataset.skipped.push_back({path.string(), "class folder without usable images"});
    }
  }

  for (const SkippedFile& file : dataset.skipped)
    std::cerr << "gaze data: warning: skipping '" << file.path << "': " << file.reason << "\n";
  for (auto& [name, samples] : by_class) {
    const int label = static_cast<int>(dataset.class_names.size());
    dataset.class_names.push_back(name);
    for (Sample& sample : samples) {
      sample.label = label;
      dataset.samples.push_back(std::move(sample));
    }
  }
  std::sort(dataset.samples.begin(), dataset.samples.end(),
            [](const Sample& a, const Sample& b) { return a.path < b.path; });
  std::cerr << "gaze data: '" << config.root << "' (" << to_string(layout) << " layout): "
            << dataset.samples.size() << " images in " << dataset.class_names.size()
            << " classes, " << dataset.skipped.size() << " entries skipped\n";

  GAZE_CHECK(!dataset.samples.empty(), "no usable images in '", config.root, "' (",
             dataset.skipped.size(), " entries skipped, see warnings); expected the ",
             layout_expectation(layout));
  GAZE_CHECK(dataset.class_names.size() >= 2, "only one class ('", dataset.class_names[0],
             "') found in '", config.root, "'; expected at least two classes in the ",
             layout_expectation(layout));
  return dataset;
}

Image load_source_image(const Dataset& dataset, std::size_t index, const DataConfig& config) {
  const Sample& sample = dataset.samples.at(index);
  if (!dataset.idx) return decode_image_file(sample.path, config.channels, config.max_pixels);
  const IdxImages& idx = *dataset.idx;
  const std::size_t record = std::stoull(sample.path.substr(sample.path.rfind('#') + 1));
  const std::size_t size = static_cast<std::size_t>(idx.width) * idx.height;
  Image gray(idx.width, idx.height, 1);
  std::copy_n(idx.pixels.begin() + static_cast<std::ptrdiff_t>(record * size), size,
              gray.pixels.begin());
  return convert_channels(gray, config.channels);
}

}  // namespace gaze::data
