#include "cam/inspect_images.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "cam/checkpoint_input.h"
#include "cam/graph.h"
#include "cam/image_io.h"
#include "cam/inspect_summary.h"
#include "cam/methods.h"
#include "cam/report.h"
#include "core/error.h"
#include "core/json_text.h"
#include "data/preprocess.h"
#include "layers/model_file.h"

namespace gaze::cam {

namespace fs = std::filesystem;

namespace {
int ceil_div(int a, int b) { return (a + b - 1) / b; }

int shown(int available, int limit) { return limit > 0 ? std::min(available, limit) : available; }

bool has_conv_weight(const Layer& layer) {
  return layer.traits().weighted && !layer.parameters().empty() && layer.parameters().front().second.ndim() == 4;
}

void check_filter_layer(const Model& model, const std::string& name) {
  check_layer_name(model, name, "--layer");
  if (has_conv_weight(model.layer(name))) return;
  std::string candidates;
  for (size_t i = 0; i < model.size(); ++i)
    if (has_conv_weight(model.layer(i))) candidates += (candidates.empty() ? "" : ", ") + model.layer(i).name();
  throw Error("--layer '" + name + "' (" + model.layer(name).type() +
              ") has no convolution filters (a 4-D weight [out, in, kh, kw]); layers that do: " +
              (candidates.empty() ? "(none)" : candidates));
}

std::string output_folder(const std::string& dir) {
  std::error_code error;
  fs::create_directories(dir, error);
  GAZE_CHECK(!error && fs::is_directory(dir, error), "cannot create the output folder '", dir,
             "': ", error ? error.message() : "a file of that name exists");
  return dir;
}

const char* kStyle = R"(body{font-family:sans-serif;margin:1.5em;background:#fafafa;color:#222;max-width:1400px}
section{background:#fff;border:1px solid #ccc;padding:8px 12px;margin:0 0 12px 0}
h2{font-size:110%;margin:0 0 4px 0}.meta{color:#555;font-size:90%}
img{max-width:100%;image-rendering:pixelated;display:block;margin-top:6px}
.top{display:flex;gap:24px;align-items:flex-start}.top img{max-width:256px;min-width:128px}
.bar{background:#4a7;height:10px}.prob td{padding:1px 4px;font-size:90%}
.arrow{color:#888;text-align:center;margin:-6px 0 6px 0})";

std::string number(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.4g", v);
  return text;
}

struct LayerRecord {
  std::string name, type, file;
  std::vector<std::string> inputs;
  Shape shape;
  TensorStatistics stats;
  std::vector<float> values;  // small non-spatial outputs (logits, probabilities): shown as numbers
  int channels_shown = 0, columns = 0, rows = 0, scale = 0;
};

std::string prediction_html(const Prediction& p, const std::vector<std::string>& classes) {
  std::vector<int> order(p.probabilities.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
    return p.probabilities[static_cast<size_t>(a)] > p.probabilities[static_cast<size_t>(b)];
  });
  std::string html = "<div><h2>prediction: " + html_escape(classes[static_cast<size_t>(p.top)]) + "</h2><table class=\"prob\">";
  for (size_t rank = 0; rank < std::min<size_t>(order.size(), 10); ++rank) {
    const size_t c = static_cast<size_t>(order[rank]);
    char percent[32], width[32];
    std::snprintf(percent, sizeof percent, "%.1f%%", 100.0 * p.probabilities[c]);
    std::snprintf(width, sizeof width, "%.0f", 160.0 * p.probabilities[c]);
    html += "<tr><td>" + html_escape(classes[c]) + "</td><td><div class=\"bar\" style=\"width:" + width +
            "px\"></div></td><td>" + percent + "</td><td class=\"meta\">logit " + number(p.logits[c]) + "</td></tr>";
  }
  return html + "</table></div>";
}

void write_activation_report(const std::string& path, const std::string& title, const std::string& image_name,
                             const Prediction& prediction, const std::vector<std::string>& classes,
                             const std::vector<LayerRecord>& layers, const Shape& input_shape) {
  std::string html = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>" + html_escape(title) +
                     "</title><style>" + kStyle + "</style></head><body>\n<h1>" + html_escape(title) + "</h1>\n";
  html += "<section class=\"top\"><figure><img src=\"original.png\" alt=\"original\"><figcaption>" +
          html_escape(image_name) + "</figcaption></figure><figure><img src=\"input.png\" alt=\"input\"><figcaption>"
          "what the network sees: " + html_escape(gaze::to_string(input_shape)) + "</figcaption></figure>" +
          prediction_html(prediction, classes) + "</section>\n";
  html += "<p class=\"meta\">Each feature map is scaled on its own (jet colormap: blue = the map's minimum, red = its "
          "maximum); the numbers give the layer's range. Channels run row by row, channel 0 first.</p>\n";
  for (const LayerRecord& l : layers) {
    std::string inputs;
    for (const std::string& in : l.inputs) inputs += (inputs.empty() ? "" : ", ") + in;
    html += "<div class=\"arrow\">&darr;</div><section id=\"" + html_escape(l.name) + "\"><h2>" + html_escape(l.name) +
            " <span class=\"meta\">(" + html_escape(l.type) + ", from " + html_escape(inputs) + ")</span></h2>";
    html += "<div class=\"meta\">output " + html_escape(gaze::to_string(l.shape)) + "; values " + number(l.stats.min) +
            " to " + number(l.stats.max) + ", mean " + number(l.stats.mean) + ", " +
            number(100.0 * l.stats.zero_fraction) + "% zeros";
    if (!l.file.empty() && l.channels_shown < l.shape[0])
      html += "; the first " + std::to_string(l.channels_shown) + " channels shown";
    html += "</div>";
    if (!l.file.empty()) {
      const std::string name = html_escape(l.file);
      html += "<a href=\"" + name + "\"><img src=\"" + name + "\" alt=\"" + name + "\"></a>";
    } else if (!l.values.empty()) {
      html += "<div class=\"meta\">";
      for (size_t i = 0; i < l.values.size(); ++i) {
        const std::string label = l.values.size() == classes.size() ? classes[i] : std::to_string(i);
        html += (i ? ", " : "") + html_escape(label) + ": " + number(l.values[i]);
      }
      html += "</div>";
    }
    html += "</section>\n";
  }
  html += "</body></html>\n";
  std::ofstream out(path, std::ios::binary);
  GAZE_CHECK(out, "could not open '", path, "' for writing");
  out << html;
  GAZE_CHECK(out.good(), "could not write '", path, "'");
}
}  // namespace

data::Image denormalized_picture(const std::vector<float>& chw, const data::DataConfig& config) {
  const size_t plane = static_cast<size_t>(config.height) * config.width;
  GAZE_CHECK(chw.size() >= plane * static_cast<size_t>(config.channels), "denormalized_picture: ", chw.size(),
             " values for a ", config.channels, "x", config.height, "x", config.width, " image");
  data::Image image(config.width, config.height, config.channels);
  for (int c = 0; c < config.channels; ++c)
    for (int y = 0; y < config.height; ++y)
      for (int x = 0; x < config.width; ++x) {
        const float v = chw[static_cast<size_t>(c) * plane + static_cast<size_t>(y) * config.width + x];
        const float pixel = (v * config.stddev[static_cast<size_t>(c)] + config.mean[static_cast<size_t>(c)]) * 255.0f;
        image.at(x, y, c) = static_cast<std::uint8_t>(std::lround(std::isfinite(pixel) ? std::clamp(pixel, 0.0f, 255.0f) : 0.0f));
      }
  return image;
}

FilterGrid filter_grid(const Model& model, const std::string& layer, const FilterGridOptions& options) {
  check_filter_layer(model, layer);
  GAZE_CHECK(options.scale >= 0 && options.max_filters >= 0 && options.max_channels >= 0,
             "filters: --scale, --max-filters and --max-channels must not be negative");
  const Tensor weight = model.layer(layer).parameters().front().second;
  const std::vector<float> values = weight.to_vector();
  FilterGrid result;
  result.filters = static_cast<int>(weight.dim(0));
  result.channels = static_cast<int>(weight.dim(1));
  result.kernel_height = static_cast<int>(weight.dim(2));
  result.kernel_width = static_cast<int>(weight.dim(3));
  const std::vector<std::string>& inputs = model.inputs_of(layer);
  result.rgb = result.channels == 3 && inputs.size() == 1 && inputs.front() == "input";
  result.filters_shown = shown(result.filters, options.max_filters);
  result.channels_shown = result.rgb ? 3 : shown(result.channels, options.max_channels);
  const int kh = result.kernel_height, kw = result.kernel_width;
  const size_t kernel = static_cast<size_t>(kh) * kw;
  std::vector<Tile> tiles;
  GridOptions grid;
  grid.palette = Palette::gray;
  grid.scale = options.scale > 0 ? options.scale : std::max(1, ceil_div(32, std::max(kh, kw)));
  for (int f = 0; f < result.filters_shown; ++f) {
    const size_t filter_start = static_cast<size_t>(f) * result.channels * kernel;
    if (result.rgb) {
      tiles.push_back({3, kh, kw, {values.begin() + static_cast<std::ptrdiff_t>(filter_start),
                                   values.begin() + static_cast<std::ptrdiff_t>(filter_start + 3 * kernel)}});
      continue;
    }
    for (int c = 0; c < result.channels_shown; ++c) {
      const size_t start = filter_start + static_cast<size_t>(c) * kernel;
      tiles.push_back({1, kh, kw, {values.begin() + static_cast<std::ptrdiff_t>(start),
                                   values.begin() + static_cast<std::ptrdiff_t>(start + kernel)}});
    }
  }
  // One row per filter, one column per input channel; a single input channel
  // (a first layer on grayscale images) gives a square grid of filters instead.
  if (!result.rgb && result.channels_shown > 1) grid.columns = result.channels_shown;
  result.grid = make_tile_grid(tiles, grid);
  return result;
}

FeatureMapGrid feature_map_grid(const std::string& layer, const Tensor& activation, const FeatureMapOptions& options) {
  GAZE_CHECK(activation.ndim() == 4, "feature maps of '", layer, "': expected [N, C, H, W], got ",
             gaze::to_string(activation.shape()));
  GAZE_CHECK(options.scale >= 0 && options.max_channels >= 0, "activations: --scale and --max-channels must not be negative");
  const int channels = static_cast<int>(activation.dim(1));
  const int h = static_cast<int>(activation.dim(2)), w = static_cast<int>(activation.dim(3));
  FeatureMapGrid result;
  result.layer = layer;
  result.channels = channels;
  result.channels_shown = shown(channels, options.max_channels);
  const std::vector<float> values = activation.narrow(0, 0, 1).contiguous().to_vector();
  const size_t plane = static_cast<size_t>(h) * w;
  std::vector<Tile> tiles;
  for (int c = 0; c < result.channels_shown; ++c)
    tiles.push_back({1, h, w, {values.begin() + static_cast<std::ptrdiff_t>(c * plane),
                               values.begin() + static_cast<std::ptrdiff_t>((c + 1) * plane)}});
  GridOptions grid;
  grid.palette = Palette::jet;
  grid.scale = options.scale > 0 ? options.scale : std::max(1, ceil_div(48, std::max(h, w)));
  result.grid = make_tile_grid(tiles, grid);
  return result;
}

int run_inspect_filters(const FiltersOptions& options, std::ostream& out) {
  const LoadedModel loaded = load_model_file(options.checkpoint, {options.allow_nonfinite});
  const FilterGrid filters = filter_grid(loaded.model, options.layer, options.grid);
  const std::string path = options.out.empty() ? options.layer + ".filters.png" : options.out;
  const fs::path parent = fs::path(path).parent_path();
  if (!parent.empty()) output_folder(parent.string());
  write_png(path, filters.grid.image);
  const GridLayout& layout = filters.grid.layout;
  if (options.json) {
    out << json_text(nlohmann::json{{"checkpoint", options.checkpoint},
                                    {"layer", options.layer},
                                    {"image", path},
                                    {"mode", filters.rgb ? "rgb" : "gray"},
                                    {"filters", filters.filters},
                                    {"channels", filters.channels},
                                    {"filters_shown", filters.filters_shown},
                                    {"channels_shown", filters.channels_shown},
                                    {"kernel", {filters.kernel_height, filters.kernel_width}},
                                    {"columns", layout.columns},
                                    {"rows", layout.rows},
                                    {"scale", layout.scale},
                                    {"width", layout.width},
                                    {"height", layout.height},
                                    {"min", filters.grid.min},
                                    {"max", filters.grid.max}})
        << "\n";
  } else {
    out << options.layer << ": " << filters.filters << " filters of " << filters.channels << "x"
        << filters.kernel_height << "x" << filters.kernel_width << ", "
        << (filters.rgb                  ? "one RGB tile per filter"
            : filters.channels_shown == 1 ? "one grayscale tile per filter"
                                          : "rows = filters, columns = input channels, one grayscale tile each")
        << " (each tile scaled to its own min..max; weights " << short_number(filters.grid.min) << " to "
        << short_number(filters.grid.max) << ")";
    if (filters.filters_shown < filters.filters || filters.channels_shown < filters.channels)
      out << "; showing " << filters.filters_shown << " filters x " << filters.channels_shown
          << " channels (--max-filters, --max-channels)";
    out << "\nwrote " << path << " (" << layout.width << "x" << layout.height << ")\n";
  }
  return 0;
}

int run_inspect_activations(const ActivationsOptions& options, std::ostream& out) {
  InferenceCheckpoint checkpoint = load_inference_checkpoint(options.checkpoint, {options.allow_nonfinite});
  Model& model = checkpoint.model;
  std::vector<std::string> spatial;
  if (options.layer == "all") {
    spatial = spatial_layers(model);
    GAZE_CHECK(!spatial.empty(), "the model has no layer with a spatial [C, H, W] output");
  } else {
    check_target_layer(model, options.layer);
    spatial = {options.layer};
  }
  const data::InferenceImage image = data::load_image_for_inference(options.image, checkpoint.preprocessing);
  const data::DataConfig& config = checkpoint.preprocessing;
  const Tensor x = Tensor::from_vector({1, config.channels, config.height, config.width}, image.pixels, model.device());
  const Prediction prediction = predict(model, x).front();  // keeps every layer's output readable
  const std::string dir = output_folder(options.out_dir);
  auto in_dir = [&](const std::string& name) { return (fs::path(dir) / name).string(); };
  write_png(in_dir("original.png"), shrink_to_fit(to_rgb(image.original), 512));
  write_png(in_dir("input.png"), enlarge(denormalized_picture(image.pixels, config), std::max(1, ceil_div(128, std::max(config.height, config.width)))));

  std::vector<LayerRecord> records;
  nlohmann::json layer_entries = nlohmann::json::array();
  for (size_t i = 0; i < model.size(); ++i) {
    const Layer& layer = model.layer(i);
    const bool is_spatial = std::find(spatial.begin(), spatial.end(), layer.name()) != spatial.end();
    if (options.layer != "all" && !is_spatial) continue;
    const Tensor activation = model.activation(layer.name());
    LayerRecord record{layer.name(), layer.type(), "", model.inputs_of(layer.name()), model.output_shape(layer.name()),
                       tensor_statistics(layer.name(), activation, false), {}, 0, 0, 0, 0};
    if (is_spatial) {
      const FeatureMapGrid maps = feature_map_grid(layer.name(), activation, options.grid);
      record.file = layer.name() + ".png";
      write_png(in_dir(record.file), maps.grid.image);
      record.channels_shown = maps.channels_shown;
      record.columns = maps.grid.layout.columns;
      record.rows = maps.grid.layout.rows;
      record.scale = maps.grid.layout.scale;
      if (!options.json) out << layer.name() << ": " << gaze::to_string(record.shape) << " -> " << in_dir(record.file) << "\n";
    } else if (activation.numel() <= 64) {
      record.values = activation.to_vector();
    }
    nlohmann::json entry = {{"name", record.name},
                            {"type", record.type},
                            {"inputs", record.inputs},
                            {"output_shape", record.shape},
                            {"min", record.stats.min},
                            {"max", record.stats.max},
                            {"mean", record.stats.mean},
                            {"zero_fraction", record.stats.zero_fraction},
                            {"image", record.file.empty() ? nlohmann::json(nullptr) : nlohmann::json(record.file)}};
    if (!record.file.empty())
      entry.update({{"channels_shown", record.channels_shown}, {"columns", record.columns}, {"rows", record.rows},
                    {"scale", record.scale}});
    layer_entries.push_back(entry);
    records.push_back(std::move(record));
  }
  const std::string index = in_dir("index.html");
  write_activation_report(index, "gaze-inspect activations: " + fs::path(options.image).filename().string(),
                          fs::path(options.image).filename().string(), prediction, checkpoint.classes, records,
                          model.input_shape());
  const std::string& top = checkpoint.classes[static_cast<size_t>(prediction.top)];
  if (options.json) {
    out << json_text(nlohmann::json{{"checkpoint", options.checkpoint},
                                    {"image", options.image},
                                    {"predicted", {{"class", top}, {"index", prediction.top},
                                                   {"probability", prediction.probabilities[static_cast<size_t>(prediction.top)]}}},
                                    {"probabilities", prediction.probabilities},
                                    {"layers", layer_entries},
                                    {"index", index}})
        << "\n";
  } else {
    char percent[32];
    std::snprintf(percent, sizeof percent, "%.1f%%", 100.0 * prediction.probabilities[static_cast<size_t>(prediction.top)]);
    out << "prediction: " << top << " " << percent << "\nopen " << index << " to walk through the network\n";
  }
  return 0;
}

}  // namespace gaze::cam
