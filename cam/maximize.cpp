#include "cam/maximize.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "cam/checkpoint_input.h"
#include "cam/image_io.h"
#include "cam/inspect_images.h"
#include "cam/inspect_summary.h"
#include "cam/methods.h"
#include "core/autograd.h"
#include "core/error.h"
#include "core/json_text.h"
#include "core/ops.h"
#include "core/random.h"

namespace gaze::cam {

namespace fs = std::filesystem;

namespace {
// Switches parameter gradients off for its lifetime: the ascent needs only
// the input's gradient, and the model's .grad() must stay untouched.
class FrozenParameters {
 public:
  explicit FrozenParameters(const Model& model) : parameters_(model.named_parameters()) {
    for (auto& [name, tensor] : parameters_) {
      was_trainable_.push_back(tensor.requires_grad());
      tensor.set_requires_grad(false);
    }
  }
  ~FrozenParameters() {
    for (size_t i = 0; i < parameters_.size(); ++i) parameters_[i].second.set_requires_grad(was_trainable_[i]);
  }
  FrozenParameters(const FrozenParameters&) = delete;
  FrozenParameters& operator=(const FrozenParameters&) = delete;

 private:
  NamedTensors parameters_;
  std::vector<bool> was_trainable_;
};

struct Geometry {
  int channels, height, width;
  size_t plane() const { return static_cast<size_t>(height) * width; }
  size_t size() const { return plane() * static_cast<size_t>(channels); }
};

// out[c, (y + dy) mod H, (x + dx) mod W] = v[c, y, x], as torch.roll.
std::vector<float> roll(const std::vector<float>& v, const Geometry& g, int dy, int dx) {
  std::vector<float> out(v.size());
  auto wrap = [](int i, int n) { return ((i % n) + n) % n; };
  for (int c = 0; c < g.channels; ++c)
    for (int y = 0; y < g.height; ++y)
      for (int x = 0; x < g.width; ++x)
        out[c * g.plane() + static_cast<size_t>(wrap(y + dy, g.height)) * g.width + static_cast<size_t>(wrap(x + dx, g.width))] =
            v[c * g.plane() + static_cast<size_t>(y) * g.width + static_cast<size_t>(x)];
  return out;
}

// Separable Gaussian blur of every channel, borders replicated.
void blur(std::vector<float>& v, const Geometry& g, float sigma) {
  const int radius = std::max(1, static_cast<int>(std::ceil(3 * sigma)));
  std::vector<float> kernel(static_cast<size_t>(2 * radius + 1));
  float total = 0;
  for (int i = -radius; i <= radius; ++i) total += kernel[static_cast<size_t>(i + radius)] = std::exp(-0.5f * i * i / (sigma * sigma));
  for (float& k : kernel) k /= total;
  std::vector<float> temp(g.plane());
  for (int c = 0; c < g.channels; ++c) {
    float* plane = v.data() + c * g.plane();
    for (int y = 0; y < g.height; ++y)
      for (int x = 0; x < g.width; ++x) {
        float sum = 0;
        for (int i = -radius; i <= radius; ++i)
          sum += kernel[static_cast<size_t>(i + radius)] * plane[static_cast<size_t>(y) * g.width + static_cast<size_t>(std::clamp(x + i, 0, g.width - 1))];
        temp[static_cast<size_t>(y) * g.width + x] = sum;
      }
    for (int y = 0; y < g.height; ++y)
      for (int x = 0; x < g.width; ++x) {
        float sum = 0;
        for (int i = -radius; i <= radius; ++i)
          sum += kernel[static_cast<size_t>(i + radius)] * temp[static_cast<size_t>(std::clamp(y + i, 0, g.height - 1)) * g.width + x];
        plane[static_cast<size_t>(y) * g.width + x] = sum;
      }
  }
}

class Objective {
 public:
  Objective(Model& model, const MaximizeTarget& target, const Geometry& geometry)
      : model_(model), target_(target), geometry_(geometry) {}

  // The objective at `image`; with `gradient`, also d objective / d image.
  float evaluate(const std::vector<float>& image, std::vector<float>* gradient) {
    Tensor input = Tensor::from_vector({1, geometry_.channels, geometry_.height, geometry_.width}, image, model_.device());
    if (!gradient) {
      NoGradGuard no_grad;
      model_.forward(input);
      return ops::sum(ops::mul(model_.activation(target_.layer), mask())).item();
    }
    input.set_requires_grad(true);
    model_.forward(input);
    const Tensor objective = ops::sum(ops::mul(model_.activation(target_.layer), mask()));
    const float value = objective.item();
    objective.backward();
    // No gradient reaches the input when the unit is dead for this image.
    *gradient = input.grad().defined() ? input.grad().to_vector() : std::vector<float>(image.size(), 0.0f);
    return value;
  }

 private:
  // 1 / (H W) on the target channel of a [1, C, H, W] output, 1 on unit K of [1, F].
  const Tensor& mask() {
    if (mask_.defined()) return mask_;
    const Tensor activation = model_.activation(target_.layer);
    const int64_t per_channel = activation.numel() / activation.dim(1);
    std::vector<float> values(static_cast<size_t>(activation.numel()), 0.0f);
    std::fill_n(values.begin() + target_.channel * per_channel, per_channel, 1.0f / static_cast<float>(per_channel));
    mask_ = Tensor::from_vector(activation.shape(), values, activation.device());
    return mask_;
  }

  Model& model_;
  const MaximizeTarget& target_;
  Geometry geometry_;
  Tensor mask_;
};

std::string file_safe(const std::string& text) {
  std::string out = text;
  for (char& c : out)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') c = '_';
  return out;
}

int class_by_name(const std::vector<std::string>& classes, const std::string& name, const std::string& path) {
  std::string known;
  for (size_t i = 0; i < classes.size(); ++i) {
    if (classes[i] == name) return static_cast<int>(i);
    known += (i ? ", " : "") + classes[i];
  }
  throw Error("--class '" + name + "': not a class of '" + path + "' (classes: " + known + ")");
}
}  // namespace

MaximizeTarget class_target(const Model& model, int index, const std::string& class_name) {
  const std::string logits = model.logits_name();
  const Shape& shape = model.output_shape(logits);
  GAZE_CHECK(shape.size() == 1, "the logits layer '", logits, "' gives ", gaze::to_string(shape), ", expected [classes]");
  GAZE_CHECK(index >= 0 && index < shape[0], "class index ", index, " is outside the model's ", shape[0], " classes");
  return {logits, index, "class '" + class_name + "' (logit " + std::to_string(index) + " of " + logits + ")"};
}

MaximizeTarget channel_target(const Model& model, const std::string& layer, int channel) {
  check_layer_name(model, layer, "--layer");
  const Shape& shape = model.output_shape(layer);
  GAZE_CHECK(shape.size() == 3 || shape.size() == 1, "--layer '", layer, "': its output ", gaze::to_string(shape),
             " is neither a feature map [C, H, W] nor features [F]");
  GAZE_CHECK(channel >= 0 && channel < shape[0], "--channel ", channel, ": layer '", layer, "' has ", shape[0],
             shape.size() == 3 ? " channels" : " features", " (0 to ", shape[0] - 1, ")");
  return {layer, channel,
          (shape.size() == 3 ? "channel " : "unit ") + std::to_string(channel) + " of layer '" + layer + "'" +
              (shape.size() == 3 ? " (its spatial mean)" : "")};
}

MaximizeResult maximize_activation(Model& model, const data::DataConfig& preprocessing, const MaximizeTarget& target,
                                   const MaximizeOptions& o) {
  GAZE_CHECK(o.iterations >= 0, "maximize: --iterations must not be negative, got ", o.iterations);
  GAZE_CHECK(o.step > 0 && std::isfinite(o.step), "maximize: --step must be positive, got ", o.step);
  GAZE_CHECK(o.l2_decay >= 0 && o.l2_decay < 1, "maximize: --l2-decay must be in [0, 1), got ", o.l2_decay);
  GAZE_CHECK(o.jitter >= 0, "maximize: --jitter must not be negative, got ", o.jitter);
  GAZE_CHECK(o.blur_sigma >= 0 && o.blur_sigma <= 16, "maximize: --blur must be in [0, 16] pixels, got ", o.blur_sigma);
  GAZE_CHECK(o.blur_every > 0, "maximize: --blur-every must be positive, got ", o.blur_every);
  GAZE_CHECK(o.start_noise >= 0 && o.start_noise <= 1, "maximize: the start noise must be in [0, 1], got ", o.start_noise);
  const Shape& input = model.input_shape();
  const Geometry g{preprocessing.channels, preprocessing.height, preprocessing.width};
  GAZE_CHECK(input.size() == 3 && input[0] == g.channels && input[1] == g.height && input[2] == g.width,
             "maximize: the preprocessing gives ", g.channels, "x", g.height, "x", g.width,
             " images but the model takes ", gaze::to_string(input));
  // Valid pixels: [0, 1] before normalization.
  std::vector<float> low(g.size()), high(g.size());
  for (int c = 0; c < g.channels; ++c) {
    const float mean = preprocessing.mean[static_cast<size_t>(c)], stddev = preprocessing.stddev[static_cast<size_t>(c)];
    std::fill_n(low.begin() + static_cast<std::ptrdiff_t>(c * g.plane()), g.plane(), (0.0f - mean) / stddev);
    std::fill_n(high.begin() + static_cast<std::ptrdiff_t>(c * g.plane()), g.plane(), (1.0f - mean) / stddev);
  }
  auto clip = [&](std::vector<float>& x) {
    for (size_t i = 0; i < x.size(); ++i) x[i] = std::clamp(x[i], low[i], high[i]);
  };

  Rng rng(o.seed);
  MaximizeResult result;
  result.image.resize(g.size());
  for (int c = 0; c < g.channels; ++c)
    for (size_t i = 0; i < g.plane(); ++i)
      result.image[c * g.plane() + i] = o.start_noise * rng.normal() / preprocessing.stddev[static_cast<size_t>(c)];
  clip(result.image);

  FrozenParameters frozen(model);
  Objective objective(model, target, g);
  result.start = objective.evaluate(result.image, nullptr);
  std::vector<float>& x = result.image;
  std::vector<float> gradient;
  for (int it = 0; it < o.iterations; ++it) {
    const int dy = o.jitter ? static_cast<int>(rng.below(2 * o.jitter + 1)) - o.jitter : 0;
    const int dx = o.jitter ? static_cast<int>(rng.below(2 * o.jitter + 1)) - o.jitter : 0;
    result.activation.push_back(objective.evaluate(roll(x, g, dy, dx), &gradient));
    gradient = roll(gradient, g, -dy, -dx);
    double mean_abs = 0;
    for (float v : gradient) mean_abs += std::abs(v);
    mean_abs /= static_cast<double>(gradient.size());
    if (mean_abs > 0 && std::isfinite(mean_abs)) {
      const float scale = static_cast<float>(o.step / mean_abs);
      for (size_t i = 0; i < x.size(); ++i) x[i] += scale * gradient[i];
    }
    for (float& v : x) v *= 1.0f - o.l2_decay;
    if (o.blur_sigma > 0 && (it + 1) % o.blur_every == 0) blur(x, g, o.blur_sigma);
    clip(x);
  }
  result.final = objective.evaluate(x, nullptr);
  return result;
}

data::Image maximized_picture(const MaximizeResult& result, const data::DataConfig& preprocessing, int scale) {
  return enlarge(denormalized_picture(result.image, preprocessing), scale);
}

int run_inspect_maximize(const MaximizeRunOptions& options, std::ostream& out) {
  const bool by_class = !options.target_class.empty();
  const bool by_channel = !options.layer.empty() || options.channel >= 0;
  GAZE_CHECK(by_class != by_channel, "maximize: give either --class NAME or --layer NAME --channel K");
  GAZE_CHECK(by_class || (!options.layer.empty() && options.channel >= 0),
             "maximize: --layer and --channel go together (the channel K of layer NAME, counted from 0)");
  InferenceCheckpoint checkpoint = load_inference_checkpoint(options.checkpoint, {options.allow_nonfinite});
  Model& model = checkpoint.model;
  const int class_index = by_class ? class_by_name(checkpoint.classes, options.target_class, checkpoint.path) : -1;
  const MaximizeTarget target = by_class ? class_target(model, class_index, options.target_class)
                                         : channel_target(model, options.layer, options.channel);
  GAZE_CHECK(options.scale >= 0 && options.scale <= 64, "maximize: --scale must be in 0..64, got ", options.scale);
  const data::DataConfig& config = checkpoint.preprocessing;
  const MaximizeResult result = maximize_activation(model, config, target, options.ascent);
  const int scale = options.scale > 0 ? options.scale : std::max(1, (256 + std::max(config.height, config.width) - 1) /
                                                                        std::max(config.height, config.width));
  const std::string path = !options.out.empty() ? options.out
                           : by_class           ? "maximize-" + file_safe(options.target_class) + ".png"
                                                : "maximize-" + options.layer + "-" + std::to_string(options.channel) + ".png";
  const fs::path parent = fs::path(path).parent_path();
  if (!parent.empty()) {
    std::error_code error;
    fs::create_directories(parent, error);
    GAZE_CHECK(!error && fs::is_directory(parent, error), "cannot create the folder '", parent.string(), "'");
  }
  write_png(path, maximized_picture(result, config, scale));
  const Tensor x = Tensor::from_vector({1, config.channels, config.height, config.width}, result.image, model.device());
  const Prediction prediction = predict(model, x).front();
  const std::string& top = checkpoint.classes[static_cast<size_t>(prediction.top)];
  if (options.json) {
    nlohmann::json target_json = {{"kind", by_class ? "class" : "channel"}, {"layer", target.layer}, {"channel", target.channel}};
    if (by_class) target_json.update({{"class", options.target_class}, {"index", class_index}});
    const MaximizeOptions& a = options.ascent;
    out << json_text(nlohmann::json{
               {"checkpoint", options.checkpoint},
               {"target", target_json},
               {"options", {{"iterations", a.iterations}, {"step", a.step}, {"l2_decay", a.l2_decay}, {"jitter", a.jitter},
                            {"blur_sigma", a.blur_sigma}, {"blur_every", a.blur_every}, {"start_noise", a.start_noise},
                            {"seed", a.seed}}},
               {"start", result.start},
               {"final", result.final},
               {"activation", result.activation},
               {"predicted", {{"class", top}, {"index", prediction.top},
                              {"probability", prediction.probabilities[static_cast<size_t>(prediction.top)]}}},
               {"image", path}})
        << "\n";
  } else {
    char line[160];
    std::snprintf(line, sizeof line, "%.4g at the start -> %.4g after %d iterations", result.start, result.final,
                  options.ascent.iterations);
    out << target.description << ": " << line;
    if (result.start > 0 && result.final > 0) out << " (" << short_number(result.final / result.start) << "x)";
    char percent[32];
    std::snprintf(percent, sizeof percent, "%.1f%%", 100.0 * prediction.probabilities[static_cast<size_t>(prediction.top)]);
    out << "\nthe network calls the result " << top << " " << percent << "\nwrote " << path << "\n";
  }
  return 0;
}

}  // namespace gaze::cam
