// PatternAttribution: pattern estimation, its cache and the attribution
// pass (see cam/patterns.h for the method and its paper).
#include "cam/patterns.h"

#include <filesystem>
#include <fstream>

#include "cam/backprop.h"
#include "cam/graph.h"
#include "cam/infer.h"
#include "cam/propagation.h"
#include "core/autograd.h"
#include "core/error.h"
#include "core/ops.h"
#include "core/safetensors.h"
#include "data/preprocess.h"

namespace gaze::cam {

namespace fs = std::filesystem;

namespace {
using detail::LayerRole;

// sum over samples of g (an output-shaped signal) times each weight's input:
// the weight gradient of sum(layer(a) * g), on the layer's device.
std::vector<float> weight_gradient(Layer& layer, const Tensor& a, const Tensor& g) {
  Tensor weight = layer.tensor("weight").clone();
  weight.set_requires_grad(true);
  {
    detail::WeightOverride override_weight(layer, weight);
    const Tensor y = layer.forward({a.detach()}, ForwardContext{});
    ops::sum(ops::mul(y, g)).backward();
  }
  return weight.grad().defined() ? weight.grad().to_vector() : std::vector<float>(static_cast<size_t>(weight.numel()), 0.0f);
}

// The ReLU that `layer` feeds, directly or through the batchnorm folded into
// it, when it is the only reader; else "".
std::string fed_relu(const Model& model, const std::string& layer) {
  std::map<std::string, std::vector<std::string>> readers;
  for (size_t i = 0; i < model.size(); ++i)
    for (const std::string& input : model.inputs_of(model.layer(i).name())) readers[input].push_back(model.layer(i).name());
  std::string current = layer;
  for (int step = 0; step < 2; ++step) {
    const std::vector<std::string>& next = readers[current];
    if (next.size() != 1) return "";
    const LayerRole role = detail::layer_role(model.layer(next.front()));
    if (role == LayerRole::relu) return next.front();
    if (role != LayerRole::batchnorm) return "";
    current = next.front();
  }
  return "";
}

uint64_t fnv1a(uint64_t hash, const void* data, size_t size) {
  const auto* bytes = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < size; ++i) hash = (hash ^ bytes[i]) * 1099511628211ull;
  return hash;
}

std::string file_fingerprint(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  GAZE_CHECK(in, "cannot read '", path, "'");
  uint64_t hash = 14695981039346656037ull;
  std::vector<char> buffer(1 << 20);
  while (in.read(buffer.data(), static_cast<std::streamsize>(buffer.size())) || in.gcount() > 0)
    hash = fnv1a(hash, buffer.data(), static_cast<size_t>(in.gcount()));
  return std::to_string(fs::file_size(path)) + ":" + std::to_string(hash);
}

std::string list_fingerprint(const std::vector<std::string>& paths) {
  uint64_t hash = 14695981039346656037ull;
  for (const std::string& path : paths) {
    const std::string entry = fs::absolute(path).lexically_normal().string() + "\n" +
                              std::to_string(fs::file_size(path)) + "\n";
    hash = fnv1a(hash, entry.data(), entry.size());
  }
  return std::to_string(paths.size()) + ":" + std::to_string(hash);
}
}  // namespace

PatternEstimator::PatternEstimator(const Model& model) {
  detail::fold_plan(model, "pattern-attribution");
  const std::string logits = model.logits_name();
  for (size_t i = 0; i < model.size(); ++i) {
    const Layer& layer = model.layer(i);
    if (detail::layer_role(layer) == LayerRole::weighted) {
      Sums& sums = sums_[layer.name()];
      sums.relu = fed_relu(model, layer.name());
      const Tensor weight = layer_parameter(model, layer.name(), "weight");
      sums.shape = weight.shape();
      sums.x.assign(static_cast<size_t>(weight.numel()), 0.0);
      sums.xy = sums.x;
      sums.count.assign(static_cast<size_t>(weight.dim(0)), 0.0);
      sums.y = sums.yy = sums.count;
    }
    if (layer.name() == logits) break;
  }
}

void PatternEstimator::add(Model& model, const Tensor& x) {
  detail::FrozenParameters frozen(model);
  const detail::Activations activations = detail::forward_activations(model, x);
  for (auto& [name, sums] : sums_) {
    Layer& layer = model.layer(name);
    const Tensor a = activations.at(model.inputs_of(name).front()), y = activations.at(name);
    const Tensor mask = sums.relu.empty() ? Tensor::full(y.shape(), 1.0f, y.device())
                                          : detail::host_map({activations.at(sums.relu)},
                                                             [](const float* v) { return v[0] > 0 ? 1.0f : 0.0f; });
    const std::vector<float> selected = mask.to_vector(), values = y.to_vector();
    const size_t units = sums.count.size(), block = values.size() / (static_cast<size_t>(y.dim(0)) * units);
    for (size_t i = 0; i < values.size(); ++i) {
      if (selected[i] == 0) continue;
      const size_t unit = (i / block) % units;
      sums.count[unit] += 1;
      sums.y[unit] += values[i];
      sums.yy[unit] += static_cast<double>(values[i]) * values[i];
    }
    const std::vector<float> x_sum = weight_gradient(layer, a, mask);
    const std::vector<float> xy_sum = weight_gradient(layer, a, detail::product(mask, y));
    for (size_t i = 0; i < x_sum.size(); ++i) {
      sums.x[i] += x_sum[i];
      sums.xy[i] += xy_sum[i];
    }
  }
  images_ += x.dim(0);
}

Patterns PatternEstimator::patterns() const {
  Patterns result;
  result.images = images_;
  for (const auto& [name, sums] : sums_) {
    const size_t units = sums.count.size(), per_unit = sums.x.size() / units;
    std::vector<float> pattern(sums.x.size(), 0.0f);
    for (size_t j = 0; j < units; ++j) {
      const double n = sums.count[j];
      if (n < 2) continue;
      const double mean_y = sums.y[j] / n, variance = sums.yy[j] / n - mean_y * mean_y;
      if (!(variance > 1e-12 * std::max(1.0, sums.yy[j] / n))) continue;
      for (size_t i = j * per_unit; i < (j + 1) * per_unit; ++i)
        pattern[i] = static_cast<float>((sums.xy[i] / n - sums.x[i] / n * mean_y) / variance);
    }
    result.layers[name] = Tensor::from_vector(sums.shape, pattern);
  }
  return result;
}

std::vector<Map> pattern_attribution_maps(Model& model, const Tensor& x, const std::vector<int>& targets,
                                          const Patterns& patterns) {
  GAZE_CHECK(static_cast<int64_t>(targets.size()) == x.dim(0), "pattern-attribution: ", targets.size(),
             " target classes for ", x.dim(0), " images");
  detail::fold_plan(model, "pattern-attribution");
  // W * A for every conv and dense layer, on the model's device.
  std::map<std::string, Tensor> weights;
  for (size_t i = 0; i < model.size(); ++i) {
    Layer& layer = model.layer(i);
    if (detail::layer_role(layer) != LayerRole::weighted) continue;
    const auto found = patterns.layers.find(layer.name());
    const Tensor& weight = layer.tensor("weight");
    GAZE_CHECK(found != patterns.layers.end() && found->second.numel() == weight.numel(),
               "pattern-attribution: the patterns have no ", found == patterns.layers.end() ? "entry" : "matching shape",
               " for layer '", layer.name(), "' ", gaze::to_string(weight.shape()),
               ": they were estimated for another model");
    weights[layer.name()] =
        detail::product(weight, found->second.contiguous().view(weight.shape()).to(weight.device()));
  }
  detail::FrozenParameters frozen(model);
  const detail::Activations activations = detail::forward_activations(model, x);
  const Tensor seed = detail::target_seed(activations.at(model.logits_name()), targets, false);
  const Tensor signal = detail::propagate_to_input(model, seed, [&](size_t i, const Tensor& s) {
    Layer& layer = model.layer(i);
    std::vector<Tensor> inputs;
    for (const std::string& input : model.inputs_of(layer.name())) inputs.push_back(activations.at(input));
    switch (detail::layer_role(layer)) {
      case LayerRole::weighted: {
        detail::WeightOverride override_weight(layer, weights.at(layer.name()));
        return detail::layer_vjp(layer, inputs, s);
      }
      case LayerRole::batchnorm: return std::vector<Tensor>{s};  // folded: w' * a' = w * a
      default: return detail::layer_vjp(layer, inputs, s);     // relu, pooling, flatten, ...: the gradient
    }
  });
  return detail::channel_sum_maps(signal);
}

std::string patterns_cache_path(const std::string& checkpoint_path) {
  fs::path path(checkpoint_path);
  return (path.parent_path() / (path.stem().string() + ".patterns.safetensors")).string();
}

std::shared_ptr<const Patterns> load_or_estimate_patterns(InferenceCheckpoint& checkpoint,
                                                          const std::string& folder, int batch, std::ostream& err) {
  GAZE_CHECK(batch > 0, "pattern estimation: the batch size must be positive, got ", batch);
  std::error_code error;
  GAZE_CHECK(fs::is_directory(folder, error), "--patterns-from '", folder, "' is not a folder");
  const std::vector<std::string> paths = collect_images({folder}, err);
  GAZE_CHECK(!paths.empty(), "--patterns-from '", folder, "' holds no image files");
  const std::string cache = patterns_cache_path(checkpoint.path);
  const std::string model_print = file_fingerprint(checkpoint.path), images_print = list_fingerprint(paths);
  auto patterns = std::make_shared<Patterns>();
  if (fs::exists(cache, error)) {
    try {
      const TensorFile file = load_safetensors(cache);
      const auto meta = [&](const std::string& key) {
        const auto found = file.metadata.find(key);
        return found == file.metadata.end() ? std::string() : found->second;
      };
      if (meta("gaze_patterns_checkpoint") == model_print && meta("gaze_patterns_images") == images_print) {
        for (const auto& [name, tensor] : file.tensors) patterns->layers[name] = tensor;
        patterns->images = std::stoll(meta("gaze_patterns_image_count"));
        err << "patterns: " << cache << " (estimated from " << patterns->images << " images)\n";
        return patterns;
      }
      err << "patterns: " << cache << " was estimated for another checkpoint or image folder; estimating again\n";
    } catch (const std::exception& e) {
      err << "patterns: cannot use " << cache << " (" << e.what() << "); estimating again\n";
    }
  }
  Model& model = checkpoint.model;
  PatternEstimator estimator(model);
  const data::DataConfig& config = checkpoint.preprocessing;
  const int64_t size = static_cast<int64_t>(config.channels) * config.height * config.width;
  for (size_t first = 0; first < paths.size(); first += static_cast<size_t>(batch)) {
    std::vector<float> pixels;
    for (size_t i = first; i < std::min(paths.size(), first + static_cast<size_t>(batch)); ++i) {
      try {
        const data::InferenceImage image = data::load_image_for_inference(paths[i], config);
        pixels.insert(pixels.end(), image.pixels.begin(), image.pixels.end());
      } catch (const Error& e) {
        err << "patterns: skipping " << paths[i] << ": " << e.what() << "\n";
      }
    }
    if (pixels.empty()) continue;
    const int64_t count = static_cast<int64_t>(pixels.size()) / size;
    estimator.add(model, Tensor::from_vector({count, config.channels, config.height, config.width}, pixels,
                                             model.device()));
  }
  *patterns = estimator.patterns();
  GAZE_CHECK(patterns->images > 0, "--patterns-from '", folder, "': none of its images could be read");
  TensorFile file;
  for (const auto& [name, tensor] : patterns->layers) file.tensors.emplace_back(name, tensor);
  file.metadata = {{"gaze_patterns_checkpoint", model_print},
                   {"gaze_patterns_images", images_print},
                   {"gaze_patterns_image_count", std::to_string(patterns->images)}};
  try {
    save_safetensors(cache, file);
    err << "patterns: estimated from " << patterns->images << " images, cached in " << cache << "\n";
  } catch (const Error& e) {
    err << "warning: patterns estimated from " << patterns->images << " images but not cached: " << e.what() << "\n";
  }
  return patterns;
}

}  // namespace gaze::cam
