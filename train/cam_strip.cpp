#include "train/cam_strip.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "cam/cam.h"
#include "cam/report.h"
#include "core/autograd.h"
#include "core/error.h"

namespace gaze::train {

namespace fs = std::filesystem;

namespace {

std::string cell_file(int epoch, int image) {
  return "epoch" + std::to_string(epoch) + "_" + std::to_string(image) + ".png";
}


// Nearest-neighbour enlargement by a whole factor (small inputs stay sharp).
data::Image enlarge(const data::Image& image, int factor) {
  if (factor <= 1) return image;
  data::Image out(image.width * factor, image.height * factor, image.channels);
  for (int y = 0; y < out.height; ++y)
    for (int x = 0; x < out.width; ++x)
      for (int c = 0; c < image.channels; ++c) out.at(x, y, c) = image.at(x / factor, y / factor, c);
  return out;
}

}  // namespace

std::vector<StripCell> strip_cells(Model& model, const Tensor& images, const std::vector<int>& targets) {
  const cam::CamGraph graph = cam::find_cam_graph(model);
  model.keep_only_activations({model.logits_name(), graph.feature_layer});
  std::vector<cam::Prediction> predictions;
  std::vector<cam::Map> maps;
  try {
    predictions = cam::predict(model, images);  // inference mode, no gradients
    maps = cam::class_activation_maps(model, targets);
  } catch (...) {
    model.keep_only_activations({model.logits_name()});
    throw;
  }
  model.keep_only_activations({model.logits_name()});
  std::vector<StripCell> cells(maps.size());
  for (size_t i = 0; i < cells.size(); ++i) {
    cells[i].raw = std::move(maps[i]);
    cells[i].target = targets[i];
    cells[i].predicted = predictions[i].top;
    cells[i].probability = predictions[i].probabilities[static_cast<size_t>(predictions[i].top)];
  }
  return cells;
}

std::vector<int> cam_strip_epochs(int epochs) {
  std::set<int> planned = {1};
  for (const double share : {0.25, 0.5, 0.75})
    planned.insert(std::max(1, static_cast<int>(std::lround(share * epochs))));
  return {planned.begin(), planned.end()};
}

CamStrip::CamStrip(const data::Dataset& dataset, const std::vector<size_t>& indices, const data::DataConfig& config,
                   int count, Device device, std::string out_dir, std::shared_ptr<const data::DecodedCache> cache)
    : folder_((fs::path(out_dir) / "cam-strip").string()), out_dir_(std::move(out_dir)), config_(config) {
  const std::vector<size_t> first(indices.begin(),
                                  indices.begin() + std::min<std::ptrdiff_t>(count, static_cast<std::ptrdiff_t>(indices.size())));
  if (first.empty()) return;
  data::DataConfig c = config;
  c.drop_last = false;
  c.num_workers = 1;
  data::Loader loader(dataset, first, c, false, static_cast<int>(first.size()), 0, 1, std::move(cache));
  loader.start_epoch(0);
  const auto batch = loader.next();  // undecodable images are left out, as in validation
  if (!batch || batch->n == 0) return;
  host_images_ = batch->images;
  labels_ = batch->labels;
  for (size_t index : batch->indices) names_.push_back(fs::path(dataset.samples[index].path).filename().string());
  images_ = Tensor::from_vector({batch->n, batch->channels, batch->height, batch->width}, batch->images, device);
  fs::create_directories(folder_);
}

bool CamStrip::wanted(int epoch, bool improved, int epochs) const {
  if (labels_.empty()) return false;
  const std::vector<int> planned = cam_strip_epochs(epochs);
  return improved || std::find(planned.begin(), planned.end(), epoch) != planned.end();
}

std::vector<int> CamStrip::columns(int epoch, int best_epoch, int epochs) const {
  std::set<int> shown;
  for (int e : cam_strip_epochs(epochs))
    if (e <= epoch) shown.insert(e);
  if (best_epoch > 0) shown.insert(best_epoch);
  return {shown.begin(), shown.end()};
}

double CamStrip::capture(Model& model, int epoch, int best_epoch, int epochs) {
  const auto start = std::chrono::steady_clock::now();
  const std::vector<StripCell> cells = strip_cells(model, images_, labels_);
  const auto n = static_cast<size_t>(images_.dim(0)), channels = static_cast<size_t>(images_.dim(1));
  const int height = static_cast<int>(images_.dim(2)), width = static_cast<int>(images_.dim(3));
  const size_t plane = static_cast<size_t>(height) * static_cast<size_t>(width);
  const bool matrices = config_.layout == data::Layout::npy;
  // Enlarged to at least 64 pixels, or shrunk to at most 96.
  const int factor = std::max(1, 64 / std::max(height, width) + (64 % std::max(height, width) ? 1 : 0));
  std::string predictions;
  for (size_t i = 0; i < n; ++i) {
    // The network's input as a picture: pixels undo the normalization;
    // matrices (any units) show their first channel min-max scaled.
    data::Image picture(width, height, channels == 3 && !matrices ? 3 : 1);
    const float* x = host_images_.data() + i * channels * plane;
    float low = 0, high = 1;
    if (matrices) {
      low = *std::min_element(x, x + plane);
      high = std::max(low + 1e-12f, *std::max_element(x, x + plane));
    }
    for (size_t c = 0; c < static_cast<size_t>(picture.channels); ++c)
      for (size_t p = 0; p < plane; ++p) {
        const float v = matrices ? (x[p] - low) / (high - low)
                                 : x[c * plane + p] * config_.stddev[c] + config_.mean[c];
        picture.pixels[p * static_cast<size_t>(picture.channels) + c] =
            static_cast<std::uint8_t>(std::lround(std::clamp(v, 0.0f, 1.0f) * 255));
      }
    const cam::Map heat = cam::resize_bilinear(cam::normalize_relu_minmax(cells[i].raw), height, width);
    data::Image tile = cam::overlay(cam::colorize(heat), picture);
    tile = cam::shrink_to_fit(enlarge(tile, factor), 96);
    cam::write_png((fs::path(folder_) / cell_file(epoch, static_cast<int>(i))).string(), tile);
    char line[64];
    std::snprintf(line, sizeof line, "%d %.4f\n", cells[i].predicted, cells[i].probability);
    predictions += line;
  }
  std::ofstream((fs::path(folder_) / ("epoch" + std::to_string(epoch) + ".txt")).string()) << predictions;
  // An earlier best epoch that no planned column keeps is no longer shown.
  const std::vector<int> shown = columns(epoch, best_epoch, epochs);
  for (int e = 1; e < epoch; ++e) {
    if (std::find(shown.begin(), shown.end(), e) != shown.end()) continue;
    std::error_code ignored;
    fs::remove(fs::path(folder_) / ("epoch" + std::to_string(e) + ".txt"), ignored);
    for (size_t i = 0; i < n; ++i) fs::remove(fs::path(folder_) / cell_file(e, static_cast<int>(i)), ignored);
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  seconds_ += seconds;
  ++captures_;
  return seconds;
}

std::string CamStrip::html(int epoch, int best_epoch, int epochs, const std::vector<std::string>& class_names) const {
  std::vector<int> shown;
  for (int e : columns(epoch, best_epoch, epochs))
    if (fs::exists(fs::path(folder_) / cell_file(e, 0))) shown.push_back(e);
  if (shown.empty()) return "";
  auto class_name = [&](int c) {
    return c >= 0 && static_cast<size_t>(c) < class_names.size() ? class_names[static_cast<size_t>(c)]
                                                                   : std::to_string(c);
  };
  std::ostringstream html;
  html << "<h2>Where the network looks</h2>\n<table class='strip'><tr><th>image (true class)</th>";
  for (int e : shown) html << "<th>epoch " << e << (e == best_epoch ? " (best)" : "") << "</th>";
  html << "</tr>\n";
  std::vector<std::vector<std::pair<int, float>>> predicted(shown.size());
  for (size_t col = 0; col < shown.size(); ++col) {
    std::ifstream in(fs::path(folder_) / ("epoch" + std::to_string(shown[col]) + ".txt"));
    int c = 0;
    float p = 0;
    while (in >> c >> p) predicted[col].emplace_back(c, p);
  }
  for (size_t i = 0; i < labels_.size(); ++i) {
    html << "<tr><td style='text-align:left'>" << cam::html_escape(class_name(labels_[i])) << "<br><small>"
         << cam::html_escape(names_[i]) << "</small></td>";
    for (size_t col = 0; col < shown.size(); ++col) {
      html << "<td><img src='cam-strip/" << cell_file(shown[col], static_cast<int>(i)) << "' alt='CAM'>";
      if (i < predicted[col].size()) {
        char text[40];
        std::snprintf(text, sizeof text, " %.0f%%", 100 * predicted[col][i].second);
        html << "<br><small>" << cam::html_escape(class_name(predicted[col][i].first)) << text << "</small>";
      }
      html << "</td>";
    }
    html << "</tr>\n";
  }
  char caption[600];
  std::snprintf(caption, sizeof caption,
                "</table>\n<p>Class activation maps of each image's true class (the dense weights of the class over "
                "the last feature map, each map min-max scaled on its own, jet colormap over the network's input) "
                "for the first %zu images of val_files.txt, at the end of epoch 1, about 25%%, 50%% and 75%% of the "
                "run and the best epoch; under each, the predicted class and its probability. Computed in %.3f s "
                "per captured epoch (train.report_cams: 0 turns it off).</p>\n",
                labels_.size(), mean_seconds());
  html << caption;
  return html.str();
}

}  // namespace gaze::train
