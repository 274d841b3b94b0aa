#include "cam/inspect_summary.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <limits>

#include "core/error.h"
#include "core/json_text.h"
#include "core/memory_budget.h"
#include "core/npy.h"
#include "layers/model_file.h"

namespace gaze::cam {

namespace fs = std::filesystem;

namespace {
// 1234567 -> "1,234,567", as Keras' summary prints counts.
std::string grouped(double value) {
  const std::string digits = std::to_string(static_cast<long long>(std::llround(value)));
  const size_t sign = digits[0] == '-' ? 1 : 0;
  std::string out;
  for (size_t i = sign; i < digits.size(); ++i) {
    if (i > sign && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return digits.substr(0, sign) + out;
}

// "24.7 MFLOP" for a FLOP count.
std::string scaled_flops(double flops) {
  const char* units[] = {"FLOP", "kFLOP", "MFLOP", "GFLOP", "TFLOP"};
  size_t unit = 0;
  while (flops >= 1000 && unit + 1 < std::size(units)) flops /= 1000, ++unit;
  char text[64];
  std::snprintf(text, sizeof text, unit ? "%.1f %s" : "%.0f %s", flops, units[unit]);
  return text;
}

std::string join(const std::vector<std::string>& names, const char* separator = ", ") {
  std::string text;
  for (const std::string& name : names) text += (text.empty() ? "" : separator) + name;
  return text;
}

std::string pad(const std::string& text, size_t width, bool right) {
  if (text.size() >= width) return text;
  const std::string fill(width - text.size(), ' ');
  return right ? fill + text : text + fill;
}

// Rows of cells as aligned columns: text columns left, numbers right.
std::string format_table(const std::vector<std::vector<std::string>>& rows, const std::vector<bool>& right) {
  std::vector<size_t> widths(right.size(), 0);
  for (const auto& row : rows)
    for (size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], row[c].size());
  std::string text;
  for (const auto& row : rows) {
    std::string line;
    for (size_t c = 0; c < row.size(); ++c) line += (c ? "  " : "") + pad(row[c], widths[c], right[c]);
    while (!line.empty() && line.back() == ' ') line.pop_back();
    text += line + "\n";
  }
  return text;
}

int64_t count_values(const NamedTensors& tensors) {
  int64_t count = 0;
  for (const auto& [name, tensor] : tensors) count = checked_add(count, tensor.numel(), "parameter count");
  return count;
}

// Hyperparameters are floats stored as doubles (eps 1e-5 reads
// 9.999999747378752e-06): for text, each to the 7 digits a float holds.
nlohmann::json float_digits(const nlohmann::json& value) {
  if (value.is_number_float()) {
    char text[32];
    std::snprintf(text, sizeof text, "%.7g", value.get<double>());
    return std::strtod(text, nullptr);
  }
  if (!value.is_structured()) return value;
  nlohmann::json out = value;
  for (auto& item : out.items()) item.value() = float_digits(item.value());
  return out;
}

nlohmann::json number_or_null(double value) { return std::isfinite(value) ? nlohmann::json(value) : nlohmann::json(nullptr); }

nlohmann::json statistics_json(const TensorStatistics& s) {
  return {{"name", s.name},           {"trainable", s.trainable},   {"shape", s.shape},
          {"count", s.count},         {"mean", number_or_null(s.mean)}, {"std", number_or_null(s.stddev)},
          {"min", number_or_null(s.min)}, {"max", number_or_null(s.max)}, {"zero_fraction", s.zero_fraction},
          {"nonfinite", s.nonfinite}};
}
}  // namespace

void check_layer_name(const Model& model, const std::string& name, const std::string& option) {
  if (model.has_layer(name)) return;
  std::vector<std::string> names;
  for (size_t i = 0; i < model.size(); ++i) names.push_back(model.layer(i).name());
  throw Error(option + " '" + name + "': the model has no such layer; its layers: " + join(names));
}

ModelSummary summarize_model(const Model& model) {
  ModelSummary summary;
  summary.input_shape = model.input_shape();
  for (size_t i = 0; i < model.size(); ++i) {
    const Layer& layer = model.layer(i);
    LayerSummary row;
    row.name = layer.name();
    row.type = layer.type();
    row.inputs = model.inputs_of(layer.name());
    row.output_shape = model.output_shape(layer.name());
    row.parameters = count_values(layer.parameters());
    row.buffers = count_values(layer.buffers());
    row.macs = layer.forward_macs(row.output_shape);
    summary.trainable_parameters += row.parameters;
    summary.buffer_values += row.buffers;
    summary.macs_per_image += row.macs;
    summary.layers.push_back(std::move(row));
  }
  summary.weight_bytes = checked_multiply(summary.trainable_parameters + summary.buffer_values, sizeof(float), "weight bytes");
  summary.activation_bytes_per_image = model.activation_bytes_per_sample();
  return summary;
}

std::string format_summary(const ModelSummary& s) {
  std::vector<std::vector<std::string>> rows = {
      {"layer", "type", "inputs", "output shape", "parameters", "buffers", "multiply-adds"},
      {"input", "(input)", "", to_string(s.input_shape), "0", "0", "0"}};
  for (const LayerSummary& l : s.layers)
    rows.push_back({l.name, l.type, join(l.inputs), to_string(l.output_shape), grouped(static_cast<double>(l.parameters)),
                    grouped(static_cast<double>(l.buffers)), grouped(l.macs)});
  std::string text = format_table(rows, {false, false, false, false, true, true, true});
  const int64_t batch64 = checked_multiply(s.activation_bytes_per_image, 64, "activation bytes");
  text += "\n";
  text += format_table(
      {{"trainable parameters:", grouped(static_cast<double>(s.trainable_parameters)),
        "(" + format_bytes(checked_multiply(s.trainable_parameters, sizeof(float), "bytes")) + ")"},
       {"buffers:", grouped(static_cast<double>(s.buffer_values)),
        "(" + format_bytes(checked_multiply(s.buffer_values, sizeof(float), "bytes")) + ", not trained: running statistics such as BatchNorm's)"},
       {"weights in memory:", format_bytes(s.weight_bytes), "(float32)"},
       {"forward pass:", grouped(s.macs_per_image), "multiply-adds per image = " + scaled_flops(2 * s.macs_per_image)},
       {"activations:", format_bytes(s.activation_bytes_per_image), "at batch 1, " + format_bytes(batch64) +
                                                                        " at batch 64 (every layer's output, float32)"}},
      {false, true, false});
  return text;
}

nlohmann::json summary_json(const ModelSummary& s) {
  nlohmann::json layers = nlohmann::json::array();
  for (const LayerSummary& l : s.layers)
    layers.push_back({{"name", l.name},
                      {"type", l.type},
                      {"inputs", l.inputs},
                      {"output_shape", l.output_shape},
                      {"parameters", l.parameters},
                      {"buffers", l.buffers},
                      {"macs", l.macs},
                      {"flops", 2 * l.macs}});
  return {{"input_shape", s.input_shape},
          {"layers", layers},
          {"totals",
           {{"trainable_parameters", s.trainable_parameters},
            {"buffer_values", s.buffer_values},
            {"weight_bytes", s.weight_bytes},
            {"macs_per_image", s.macs_per_image},
            {"flops_per_image", 2 * s.macs_per_image},
            {"activation_bytes_per_image", s.activation_bytes_per_image},
            {"activation_bytes", {{"batch_1", s.activation_bytes_per_image},
                                  {"batch_64", checked_multiply(s.activation_bytes_per_image, 64, "activation bytes")}}}}}};
}

TensorStatistics tensor_statistics(const std::string& name, const Tensor& tensor, bool trainable) {
  TensorStatistics s;
  s.name = name;
  s.trainable = trainable;
  s.shape = tensor.shape();
  const std::vector<float> values = tensor.to_vector();
  s.count = static_cast<int64_t>(values.size());
  // Two passes in double: the mean first, then the spread around it (no
  // cancellation from sum of squares minus squared sum).
  double sum = 0;
  int64_t finite = 0, zeros = 0;
  s.min = std::numeric_limits<double>::infinity();
  s.max = -s.min;
  for (float v : values) {
    if (v == 0.0f) ++zeros;
    if (!std::isfinite(v)) {
      ++s.nonfinite;
      continue;
    }
    ++finite;
    sum += v;
    s.min = std::min(s.min, static_cast<double>(v));
    s.max = std::max(s.max, static_cast<double>(v));
  }
  const double nan = std::numeric_limits<double>::quiet_NaN();
  if (finite == 0) {
    s.mean = s.stddev = s.min = s.max = nan;
  } else {
    s.mean = sum / static_cast<double>(finite);
    double squares = 0;
    for (float v : values)
      if (std::isfinite(v)) squares += (v - s.mean) * (v - s.mean);
    s.stddev = std::sqrt(squares / static_cast<double>(finite));
  }
  s.zero_fraction = s.count ? static_cast<double>(zeros) / static_cast<double>(s.count) : 0.0;
  return s;
}

LayerDetails describe_layer(const Model& model, const std::string& name) {
  check_layer_name(model, name);
  const Layer& layer = model.layer(name);
  LayerDetails details;
  const nlohmann::json description = model.to_json();
  for (const nlohmann::json& entry : description.at("layers"))
    if (entry.at("name") == name) details.config = entry;
  details.output_shape = model.output_shape(name);
  details.macs = layer.forward_macs(details.output_shape);
  for (const auto& [local, tensor] : layer.parameters()) details.tensors.push_back(tensor_statistics(name + "." + local, tensor, true));
  for (const auto& [local, tensor] : layer.buffers()) details.tensors.push_back(tensor_statistics(name + "." + local, tensor, false));
  return details;
}

std::string format_layer(const LayerDetails& d) {
  std::string text = "layer " + d.config.at("name").get<std::string>() + " (" + d.config.at("type").get<std::string>() + ")\n";
  text += "config: " + json_text(float_digits(d.config)) + "\n";
  text += "output shape: " + to_string(d.output_shape) + " per image, " + grouped(d.macs) + " multiply-adds\n";
  if (d.tensors.empty()) return text + "tensors: none\n";
  std::vector<std::vector<std::string>> rows = {{"tensor", "kind", "shape", "mean", "std", "min", "max", "zeros"}};
  bool nonfinite = false;
  for (const TensorStatistics& s : d.tensors) {
    char zeros[32];
    std::snprintf(zeros, sizeof zeros, "%.1f%%", 100.0 * s.zero_fraction);
    auto number = [](double v) {
      char cell[32];
      std::snprintf(cell, sizeof cell, "%.6g", v);
      return std::string(cell);
    };
    rows.push_back({s.name, s.trainable ? "parameter" : "buffer", to_string(s.shape), number(s.mean), number(s.stddev),
                    number(s.min), number(s.max), zeros});
    nonfinite = nonfinite || s.nonfinite > 0;
  }
  text += "\n" + format_table(rows, {false, false, false, true, true, true, true, true});
  if (nonfinite)
    for (const TensorStatistics& s : d.tensors)
      if (s.nonfinite) text += "warning: " + s.name + " holds " + grouped(static_cast<double>(s.nonfinite)) + " NaN/Inf values (left out of the statistics)\n";
  return text;
}

nlohmann::json layer_json(const LayerDetails& d) {
  nlohmann::json tensors = nlohmann::json::array();
  for (const TensorStatistics& s : d.tensors) tensors.push_back(statistics_json(s));
  return {{"config", d.config}, {"output_shape", d.output_shape}, {"macs", d.macs}, {"tensors", tensors}};
}

std::vector<std::string> save_layer_npy(const Model& model, const std::string& layer_name, const std::string& dir) {
  check_layer_name(model, layer_name);
  std::error_code error;
  fs::create_directories(dir, error);
  GAZE_CHECK(!error && fs::is_directory(dir, error), "cannot create the folder '", dir,
             "': ", error ? error.message() : "a file of that name exists");
  const Layer& layer = model.layer(layer_name);
  std::vector<std::string> paths;
  for (const NamedTensors* list : {&layer.parameters(), &layer.buffers()})
    for (const auto& [local, tensor] : *list) {
      const std::string path = (fs::path(dir) / (layer_name + "." + local + ".npy")).string();
      write_npy(path, {tensor.shape(), tensor.to_vector()});
      paths.push_back(path);
    }
  return paths;
}

int run_inspect_summary(const SummaryOptions& options, std::ostream& out) {
  const LoadedModel loaded = load_model_file(options.checkpoint, {options.allow_nonfinite});
  const ModelSummary summary = summarize_model(loaded.model);
  if (options.json) {
    nlohmann::json record = summary_json(summary);
    record["checkpoint"] = options.checkpoint;
    out << json_text(record) << "\n";
  } else {
    out << "checkpoint: " << options.checkpoint << "\n\n" << format_summary(summary);
  }
  return 0;
}

int run_inspect_layer(const LayerOptions& options, std::ostream& out) {
  const LoadedModel loaded = load_model_file(options.checkpoint, {options.allow_nonfinite});
  const LayerDetails details = describe_layer(loaded.model, options.layer);
  std::vector<std::string> written;
  if (!options.save_npy.empty()) written = save_layer_npy(loaded.model, options.layer, options.save_npy);
  if (options.json) {
    nlohmann::json record = layer_json(details);
    record["checkpoint"] = options.checkpoint;
    record["npy"] = written;
    out << json_text(record) << "\n";
  } else {
    out << format_layer(details);
    for (const std::string& path : written) out << "wrote " << path << "\n";
  }
  return 0;
}

}  // namespace gaze::cam
