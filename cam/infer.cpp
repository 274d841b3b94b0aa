#include "cam/infer.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <set>
#include <sstream>

#include "cam/box.h"
#include "cam/checkpoint_input.h"
#include "cam/colormap.h"
#include "cam/graph.h"
#include "cam/image_io.h"
#include "cam/matrix_output.h"
#include "cam/metrics.h"
#include "cam/patterns.h"
#include "core/npy.h"
#include "cam/report.h"
#include "core/error.h"
#include "core/json_text.h"
#include "data/preprocess.h"

namespace gaze::cam {

namespace fs = std::filesystem;

namespace {
// Class names become part of file names: keep them portable.
std::string file_safe(const std::string& text) {
  std::string out = text;
  for (char& c : out)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') c = '_';
  return out;
}

std::string percent(float p) {
  std::ostringstream text;
  text << std::fixed << std::setprecision(1) << 100.0 * p << "%";
  return text.str();
}

// Indices by descending probability.
std::vector<int> ranked_classes(const Prediction& p) {
  std::vector<int> order(p.probabilities.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
    return p.probabilities[static_cast<size_t>(a)] > p.probabilities[static_cast<size_t>(b)];
  });
  return order;
}

struct LoadedImage {
  std::string path, stem;
  data::InferenceImage image;
};

class CamInferRun {
 public:
  CamInferRun(const InferOptions& options, std::ostream& out, std::ostream& err)
      : options_(options), out_(out), err_(err), checkpoint_(load_inference_checkpoint(options.checkpoint, {options.allow_nonfinite})) {
    Model& model = checkpoint_.model;
    model.to(Device::parse(options.device));
    const Method method = options.method.method;
    if (method == Method::cam || method == Method::contrastive) find_cam_graph(model);
    layer_ = options.method.layer;
    if (uses_target_layer(method)) {
      if (layer_.empty()) layer_ = default_target_layer(model);
      check_target_layer(model, layer_);
    } else if (!layer_.empty()) {
      err_ << "warning: --layer is ignored by method '" << to_string(method) << "' (it "
           << (method == Method::cam || method == Method::contrastive ? "always reads the layer before gap"
                                                                      : "explains the input pixels")
           << ")\n";
      layer_.clear();
    }
    if (method == Method::cam || method == Method::contrastive) layer_ = find_cam_graph(model).feature_layer;
    method_options_ = options.method;
    method_options_.layer = layer_;
    if (method_options_.pixel_low.empty()) {  // pixels 0 and 1, normalized as the checkpoint does
      const data::DataConfig& config = checkpoint_.preprocessing;
      for (int c = 0; c < config.channels; ++c) {
        method_options_.pixel_low.push_back((0.0f - config.mean[static_cast<size_t>(c)]) / config.stddev[static_cast<size_t>(c)]);
        method_options_.pixel_high.push_back((1.0f - config.mean[static_cast<size_t>(c)]) / config.stddev[static_cast<size_t>(c)]);
      }
    }
    if (method == Method::pattern_attribution) {
      GAZE_CHECK(!options.patterns_from.empty(), "method 'pattern-attribution' needs --patterns-from DIR, a folder "
                 "of images like the ones to explain (the patterns are estimated from them once and cached next to "
                 "the checkpoint)");
      method_options_.patterns = load_or_estimate_patterns(checkpoint_, options.patterns_from, options.batch, err_);
    } else if (!options.patterns_from.empty()) {
      err_ << "warning: --patterns-from is used by method 'pattern-attribution' only\n";
    }
    if (!options.target_class.empty() && options.target_class != "all")
      fixed_class_ = class_index(checkpoint_, options.target_class);
    GAZE_CHECK(options.batch > 0, "--batch must be positive, got ", options.batch);
    GAZE_CHECK(options.box_threshold >= 0 && options.box_threshold <= 1, "box threshold must be in [0, 1], got ",
               options.box_threshold);
    std::error_code error;
    fs::create_directories(options.out_dir, error);
    GAZE_CHECK(!error && fs::is_directory(options.out_dir, error), "cannot create the output folder '", options.out_dir,
               "': ", error ? error.message() : "a file of that name exists");
  }

  int run() {
    const std::vector<std::string> paths =
        is_matrix() ? collect_matrices(options_.inputs, err_) : collect_images(options_.inputs, err_);
    GAZE_CHECK(!paths.empty(), "no image files found in the inputs given");
    const auto start = std::chrono::steady_clock::now();
    size_t explained = 0;
    for (size_t first = 0; first < paths.size(); first += static_cast<size_t>(options_.batch)) {
      const size_t last = std::min(paths.size(), first + static_cast<size_t>(options_.batch));
      explained += run_batch({paths.begin() + static_cast<std::ptrdiff_t>(first),
                              paths.begin() + static_cast<std::ptrdiff_t>(last)});
      if (paths.size() > static_cast<size_t>(options_.batch)) {
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        err_ << "[" << last << "/" << paths.size() << "] images, " << std::fixed << std::setprecision(1)
             << static_cast<double>(last) / std::max(seconds, 1e-9) << " images/s" << std::defaultfloat << "\n";
      }
    }
    finish(explained);
    if (explained == 0) {
      err_ << "error: none of the " << paths.size() << " input image(s) could be read\n";
      return 1;
    }
    return 0;
  }

 private:
  std::vector<LoadedImage> load(const std::vector<std::string>& paths) {
    std::vector<LoadedImage> images;
    for (const std::string& path : paths) {
      try {
        LoadedImage loaded{path, unique_stem(path),
                           is_matrix() ? matrix_inference_image(data::load_matrix_for_inference(path, checkpoint_.preprocessing))
                                       : data::load_image_for_inference(path, checkpoint_.preprocessing)};
        images.push_back(std::move(loaded));
      } catch (const Error& e) {
        err_ << "skipping " << path << ": " << e.what() << "\n";
      } catch (const std::bad_alloc&) {
        err_ << "skipping " << path << ": out of memory while decoding it\n";
      }
    }
    return images;
  }

  // Two inputs with the same file stem (from different folders) must not overwrite each other's outputs.
  std::string unique_stem(const std::string& path) {
    const std::string base = fs::path(path).stem().string();
    std::string stem = base;
    for (int copy = 2; !used_stems_.insert(stem).second; ++copy) stem = base + "." + std::to_string(copy);
    return stem;
  }

  size_t run_batch(const std::vector<std::string>& paths) {
    const std::vector<LoadedImage> images = load(paths);
    if (images.empty()) return 0;
    const data::DataConfig& config = checkpoint_.preprocessing;
    const int64_t size = static_cast<int64_t>(config.channels) * config.height * config.width;
    std::vector<float> pixels(images.size() * static_cast<size_t>(size));
    for (size_t i = 0; i < images.size(); ++i)
      std::copy(images[i].image.pixels.begin(), images[i].image.pixels.end(),
                pixels.begin() + static_cast<std::ptrdiff_t>(i) * size);
    Model& model = checkpoint_.model;
    const Tensor x = Tensor::from_vector({static_cast<int64_t>(images.size()), config.channels, config.height,
                                          config.width}, pixels, model.device());
    const std::vector<Prediction> predictions = predict(model, x);
    // explained[i]: the classes image i is explained for; maps[i][j] the raw map of explained[i][j].
    std::vector<std::vector<int>> explained(images.size());
    const bool all = options_.target_class == "all";
    const size_t per_image = all ? checkpoint_.classes.size() : 1;
    for (size_t i = 0; i < images.size(); ++i)
      for (size_t j = 0; j < per_image; ++j)
        explained[i].push_back(all ? static_cast<int>(j) : fixed_class_ >= 0 ? fixed_class_ : predictions[i].top);
    std::vector<std::vector<Map>> maps(images.size());
    if (method_options_.method == Method::cam && all) {
      maps = all_class_activation_maps(model);  // reads predict()'s forward: CAM needs no other pass
    } else {
      for (size_t j = 0; j < per_image; ++j) {
        std::vector<int> targets;
        for (const auto& classes : explained) targets.push_back(classes[j]);
        std::vector<Map> column = method_options_.method == Method::cam ? class_activation_maps(model, targets)
                                                                        : compute_maps(model, x, targets, method_options_);
        for (size_t i = 0; i < images.size(); ++i) maps[i].push_back(std::move(column[i]));
      }
    }
    std::vector<Map> metric_maps;
    std::vector<int> metric_targets;
    for (size_t i = 0; i < images.size(); ++i) {
      // Metrics judge the map of the class the image is explained for (top-1 under --class all).
      const size_t judged = all ? static_cast<size_t>(predictions[i].top) : 0;
      metric_maps.push_back(write_outputs(images[i], predictions[i], explained[i], maps[i], judged));
      metric_targets.push_back(explained[i][judged]);
    }
    if (options_.metrics) add_metrics(x, maps, metric_maps, metric_targets, all, predictions);
    return images.size();
  }

  void add_metrics(const Tensor& x, const std::vector<std::vector<Map>>& maps, const std::vector<Map>& input_maps,
                   const std::vector<int>& targets, bool all, const std::vector<Prediction>& predictions) {
    faithfulness_.add(checkpoint_.model, x, input_maps, targets);
    if (!sanity_.empty() || options_.sanity_images <= 0) return;
    // The sanity check re-runs the method once per randomized layer: on the first images only.
    const int64_t count = std::min<int64_t>(options_.sanity_images, x.dim(0));
    std::vector<Map> originals;
    for (int64_t i = 0; i < count; ++i) {
      const size_t n = static_cast<size_t>(i);
      originals.push_back(normalize_for_method(maps[n][all ? static_cast<size_t>(predictions[n].top) : 0],
                                               method_options_.method));
    }
    sanity_ = randomization_sanity_check(checkpoint_.model, x.narrow(0, 0, count).contiguous(),
                                         {targets.begin(), targets.begin() + count}, method_options_, originals);
  }

  // The input's class when its file says so: the text before the first dot
  // of a flat-layout name (cat.12.jpg) or its folder's name, if either is a
  // class of the checkpoint (as written, or as file_safe writes it). A number
  // there (gaze-export-idx writes <label>.<record>.png) is the class index,
  // unless some class is itself named by a number. Empty otherwise.
  std::string true_class_of(const std::string& path) const {
    const fs::path file(path);
    const std::string name = file.filename().string();
    std::vector<std::string> candidates{file.parent_path().filename().string()};
    const size_t dot = name.find('.');
    if (dot != std::string::npos && dot > 0 && name.find('.', dot + 1) != std::string::npos)
      candidates.insert(candidates.begin(), name.substr(0, dot));
    auto is_number = [](const std::string& text) {
      return !text.empty() && text.size() < 10 &&
             std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
    };
    const bool numbered = std::any_of(checkpoint_.classes.begin(), checkpoint_.classes.end(), is_number);
    for (const std::string& candidate : candidates) {
      for (const std::string& c : checkpoint_.classes)
        if (candidate == c || candidate == file_safe(c)) return c;
      if (!numbered && is_number(candidate) && std::stoul(candidate) < checkpoint_.classes.size())
        return checkpoint_.classes[std::stoul(candidate)];
    }
    return "";
  }

  bool is_matrix() const { return checkpoint_.preprocessing.layout == data::Layout::npy; }

  std::string out_path(const std::string& name) const { return (fs::path(options_.out_dir) / name).string(); }

  // Writes one image's pictures, raw maps and JSON, prints its line, and
  // returns the normalized map of explained[judged] at network input size.
  Map write_outputs(const LoadedImage& loaded, const Prediction& prediction, const std::vector<int>& explained,
                    const std::vector<Map>& maps, size_t judged) {
    const data::InferenceImage& image = loaded.image;
    const std::string method = to_string(method_options_.method);
    const bool all = explained.size() > 1 || options_.target_class == "all";
    nlohmann::json map_entries = nlohmann::json::array();
    ReportEntry entry;
    entry.image = fs::path(loaded.path).filename().string();
    std::string first_overlay;
    Map judged_map;
    for (size_t j = 0; j < explained.size(); ++j) {
      const int c = explained[j];
      const std::string& class_name = checkpoint_.classes[static_cast<size_t>(c)];
      std::string prefix = loaded.stem;
      if (all) prefix.append(".").append(file_safe(class_name));
      const Map& raw = maps[j];
      bool blank = false;
      Map input_map = display_map(raw, method_options_, image.height, image.width, &blank);
      if (blank)
        err_ << "warning: " << loaded.path << ": the " << method << " map for class '" << class_name
             << "' has no positive value; its heatmap is blank\n";
      const Map original_map = map_to_original(input_map, image.crop, image.original_width, image.original_height);
      const data::Image heat = colorize(original_map);
      data::Image over = overlay(heat, image.original);
      nlohmann::json box_json = nullptr;
      if (options_.bbox) {
        if (const auto box = largest_component_box(original_map, static_cast<float>(options_.box_threshold))) {
          draw_box(over, *box);
          box_json = {{"x", box->x}, {"y", box->y}, {"width", box->width}, {"height", box->height}, {"pixels", box->area}};
        }
      }
      const std::string heat_name = prefix + ".heatmap.png", overlay_name = prefix + ".overlay.png";
      write_png(out_path(heat_name), heat);
      write_png(out_path(overlay_name), over);
      nlohmann::json raw_file = nullptr;
      if (options_.save_raw) {
        const std::string name = prefix + "." + method + ".npy";
        write_npy(out_path(name), {{raw.height, raw.width}, raw.values});
        raw_file = name;
      }
      map_entries.push_back({{"class", class_name},
                             {"index", c},
                             {"probability", prediction.probabilities[static_cast<size_t>(c)]},
                             {"logit", prediction.logits[static_cast<size_t>(c)]},
                             {"raw_min", raw.min()},
                             {"raw_max", raw.max()},
                             {"raw_shape", {raw.height, raw.width}},
                             {"blank", blank},
                             {"heatmap", heat_name},
                             {"overlay", overlay_name},
                             {"raw", raw_file},
                             {"box", box_json}});
      entry.maps.push_back({class_name, {heat_name, heat.width, heat.height}, {overlay_name, over.width, over.height}});
      if (is_matrix()) {
        MatrixExplanation matrix = explain_matrix(options_.out_dir, prefix, raw, image.height, image.width, options_.top_k);
        map_entries.back()["matrix"] = std::move(matrix.json);
        entry.maps.back().profiles_svg = std::move(matrix.svg);
      }
      if (j == 0 || c == prediction.top) first_overlay = out_path(overlay_name);
      if (j == judged) judged_map = std::move(input_map);
    }
    const std::vector<int> ranked = ranked_classes(prediction);
    nlohmann::json probabilities = nlohmann::json::object();
    for (int c : ranked) {
      probabilities[checkpoint_.classes[static_cast<size_t>(c)]] = prediction.probabilities[static_cast<size_t>(c)];
      entry.probabilities.emplace_back(checkpoint_.classes[static_cast<size_t>(c)], prediction.probabilities[static_cast<size_t>(c)]);
    }
    const std::string& top_name = checkpoint_.classes[static_cast<size_t>(prediction.top)];
    const nlohmann::json record = {
        {"image", loaded.path},
        {"original_size", {image.original_width, image.original_height}},
        {"predicted", {{"class", top_name}, {"index", prediction.top}, {"probability", prediction.probabilities[static_cast<size_t>(prediction.top)]}}},
        {"probabilities", probabilities},
        {"logits", prediction.logits},
        {"method", method},
        {"compat", to_string(method_options_.compat)},
        {"layer", layer_.empty() ? nlohmann::json(nullptr) : nlohmann::json(layer_)},
        {"box_threshold", options_.box_threshold},
        {"maps", map_entries}};
    std::ofstream(out_path(loaded.stem + ".json")) << record.dump(2) << "\n";
    if (options_.report) {
      const data::Image shown = shrink_to_fit(image.original, 512);
      entry.original = {loaded.stem + ".original.png", shown.width, shown.height};
      write_png(out_path(entry.original.file), shown);
      entry.predicted = top_name;
      entry.true_class = true_class_of(loaded.path);
      report_entries_.push_back(std::move(entry));
    }
    if (options_.json) {
      out_ << json_text(record) << "\n";
    } else {
      out_ << fs::path(loaded.path).filename().string() << ": " << top_name << " "
           << percent(prediction.probabilities[static_cast<size_t>(prediction.top)]);
      if (ranked.size() > 1)
        out_ << " (" << checkpoint_.classes[static_cast<size_t>(ranked[1])] << " "
             << percent(prediction.probabilities[static_cast<size_t>(ranked[1])]) << ")";
      out_ << " -> " << first_overlay;
      if (explained.size() > 1) out_ << " (+" << explained.size() - 1 << (explained.size() == 2 ? " more class)" : " more classes)");
      out_ << "\n";
    }
    return judged_map;
  }

  void finish(size_t explained) {
    std::string summary = "checkpoint: " + checkpoint_.path + "\nmethod: " + to_string(method_options_.method) +
                          (layer_.empty() ? "" : " on layer " + layer_) + "\nimages: " + std::to_string(explained) + "\n";
    if (options_.metrics && explained > 0) {
      const FaithfulnessSummary f = faithfulness_.summary();
      const std::string method = to_string(method_options_.method);
      const std::string table = format_metrics_table(f, sanity_, method);
      if (options_.json) {
        out_ << json_text(nlohmann::json{{"metrics", metrics_json(f, sanity_, method)}}) << "\n";
      } else {
        out_ << table;
      }
      std::ofstream(out_path("metrics.json")) << metrics_json(f, sanity_, method).dump(2) << "\n";
      summary += "\n" + table;
    }
    if (options_.report && explained > 0) {
      write_report(out_path("index.html"), "gaze cam-infer: " + fs::path(checkpoint_.path).filename().string(),
                   summary, report_entries_);
      err_ << "report: " << out_path("index.html") << "\n";
    }
  }

  const InferOptions& options_;
  std::ostream& out_;
  std::ostream& err_;
  InferenceCheckpoint checkpoint_;
  MethodOptions method_options_;
  std::string layer_;
  int fixed_class_ = -1;
  std::set<std::string> used_stems_;
  std::vector<ReportEntry> report_entries_;
  FaithfulnessMetrics faithfulness_;
  std::vector<SanityStage> sanity_;
};
}  // namespace

std::vector<std::string> collect_files(const std::vector<std::string>& inputs, bool (*accept)(const std::string& path),
                                       const std::string& kind, std::ostream& err) {
  std::vector<std::string> paths;
  for (const std::string& input : inputs) {
    std::error_code error;
    if (fs::is_directory(input, error)) {
      std::vector<std::string> found;
      for (auto it = fs::recursive_directory_iterator(input, fs::directory_options::skip_permission_denied, error);
           !error && it != fs::recursive_directory_iterator(); it.increment(error))
        if (it->is_regular_file() && accept(it->path().string())) found.push_back(it->path().string());
      if (error) err << "warning: could not list all of folder " << input << ": " << error.message() << "\n";
      std::sort(found.begin(), found.end());
      if (found.empty()) err << "warning: folder " << input << " holds no " << kind << "\n";
      paths.insert(paths.end(), found.begin(), found.end());
    } else if (fs::exists(input, error)) {
      paths.push_back(input);
    } else {
      err << "skipping " << input << ": no such file or folder\n";
    }
  }
  return paths;
}

std::vector<std::string> collect_images(const std::vector<std::string>& inputs, std::ostream& err) {
  return collect_files(inputs, data::has_image_extension, "image files", err);
}

int run_cam_infer(const InferOptions& options, std::ostream& out, std::ostream& err) {
  CamInferRun run(options, out, err);
  return run.run();
}

}  // namespace gaze::cam
