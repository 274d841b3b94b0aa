#include "cam/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>

#include "cam/checkpoint_input.h"
#include "core/error.h"
#include "core/random.h"

namespace gaze::cam {

namespace {
// Softmax probability of targets[n] for each stacked image, in chunks.
std::vector<float> probabilities(Model& model, const std::vector<float>& images, Shape shape,
                                 const std::vector<int>& targets, int batch) {
  const int64_t count = shape[0], size = shape[1] * shape[2] * shape[3];
  std::vector<float> result;
  for (int64_t start = 0; start < count; start += batch) {
    const int64_t n = std::min<int64_t>(batch, count - start);
    shape[0] = n;
    const std::vector<float> chunk(images.begin() + start * size, images.begin() + (start + n) * size);
    const std::vector<Prediction> predictions = predict(model, Tensor::from_vector(shape, chunk, model.device()));
    for (int64_t i = 0; i < n; ++i)
      result.push_back(predictions[static_cast<size_t>(i)].probabilities.at(static_cast<size_t>(targets[static_cast<size_t>(start + i)])));
  }
  return result;
}

// Two passes of a (2r+1)-wide box blur per axis: close to a Gaussian, the
// RISE insertion canvas.
std::vector<float> blurred(const float* image, int64_t channels, int height, int width, int radius) {
  std::vector<float> out(image, image + channels * height * width), tmp(out.size());
  for (int pass = 0; pass < 4; ++pass) {
    const bool horizontal = pass % 2 == 0;
    for (int64_t c = 0; c < channels; ++c)
      for (int y = 0; y < height; ++y)
        for (int x = 0; x < width; ++x) {
          double sum = 0;
          int count = 0;
          for (int d = -radius; d <= radius; ++d) {
            const int xx = horizontal ? x + d : x, yy = horizontal ? y : y + d;
            if (xx < 0 || yy < 0 || xx >= width || yy >= height) continue;
            sum += out[static_cast<size_t>((c * height + yy) * width + xx)];
            ++count;
          }
          tmp[static_cast<size_t>((c * height + y) * width + x)] = static_cast<float>(sum / count);
        }
    std::swap(out, tmp);
  }
  return out;
}

double trapezoid_mean(const std::vector<float>& curve) {
  double area = 0;
  for (size_t i = 1; i < curve.size(); ++i) area += 0.5 * (curve[i - 1] + curve[i]);
  return area / static_cast<double>(curve.size() - 1);
}

std::vector<double> ranks(const std::vector<float>& values) {
  std::vector<size_t> order(values.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return values[a] < values[b]; });
  std::vector<double> rank(values.size());
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    while (j + 1 < order.size() && values[order[j + 1]] == values[order[i]]) ++j;
    const double average = 0.5 * static_cast<double>(i + j);
    for (size_t k = i; k <= j; ++k) rank[order[k]] = average;
    i = j + 1;
  }
  return rank;
}
}  // namespace

void FaithfulnessMetrics::add(Model& model, const Tensor& x, const std::vector<Map>& maps,
                              const std::vector<int>& targets) {
  const std::vector<float> host = x.to_vector();
  const int64_t images = x.dim(0), channels = x.dim(1);
  const int height = static_cast<int>(x.dim(2)), width = static_cast<int>(x.dim(3));
  const int64_t plane = static_cast<int64_t>(height) * width, size = channels * plane;
  for (int64_t n = 0; n < images; ++n) {
    const Map& map = maps.at(static_cast<size_t>(n));
    GAZE_CHECK(map.height == height && map.width == width, "metrics: map ", map.height, "x", map.width,
               " does not match the input ", height, "x", width);
    const int target = targets.at(static_cast<size_t>(n));
    const float* image = host.data() + n * size;
    // [0]: full image, [1]: image * map, then the deletion and insertion curves.
    const int64_t count = 2 + 2 * (steps_ + 1);
    std::vector<float> stack(static_cast<size_t>(count * size));
    std::copy_n(image, size, stack.begin());
    for (int64_t i = 0; i < size; ++i) stack[static_cast<size_t>(size + i)] = image[i] * map.values[static_cast<size_t>(i % plane)];
    std::vector<int64_t> order(static_cast<size_t>(plane));
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
      return map.values[static_cast<size_t>(a)] > map.values[static_cast<size_t>(b)];
    });
    const std::vector<float> canvas = blurred(image, channels, height, width, std::max(1, std::min(height, width) / 20));
    for (int s = 0; s <= steps_; ++s) {
      float* deleted = stack.data() + (2 + s) * size;
      float* inserted = stack.data() + (2 + steps_ + 1 + s) * size;
      std::copy_n(image, size, deleted);
      std::copy(canvas.begin(), canvas.end(), inserted);
      const int64_t changed = plane * s / steps_;
      for (int64_t i = 0; i < changed; ++i)
        for (int64_t c = 0; c < channels; ++c) {
          const int64_t at = c * plane + order[static_cast<size_t>(i)];
          deleted[at] = 0.0f;
          inserted[at] = image[at];
        }
    }
    Shape shape = x.shape();
    shape[0] = count;
    const std::vector<float> p =
        probabilities(model, stack, shape, std::vector<int>(static_cast<size_t>(count), target), batch_);
    const float full = p[0], masked = p[1];
    drop_sum_ += full > 0 ? std::max(0.0f, full - masked) / full : 0.0;
    increases_ += masked > full ? 1 : 0;
    deletion_sum_ += trapezoid_mean({p.begin() + 2, p.begin() + 2 + steps_ + 1});
    insertion_sum_ += trapezoid_mean({p.begin() + 2 + steps_ + 1, p.end()});
    ++images_;
  }
}

FaithfulnessSummary FaithfulnessMetrics::summary() const {
  if (images_ == 0) return {};
  const double n = images_;
  return {images_, 100 * drop_sum_ / n, 100 * increases_ / n, deletion_sum_ / n, insertion_sum_ / n};
}

double spearman_correlation(const Map& a, const Map& b) {
  GAZE_CHECK(a.values.size() == b.values.size(), "spearman_correlation: maps of ", a.values.size(), " and ",
             b.values.size(), " values");
  const std::vector<double> ra = ranks(a.values), rb = ranks(b.values);
  const double n = static_cast<double>(ra.size());
  const double mean = (n - 1) / 2;
  double covariance = 0, va = 0, vb = 0;
  for (size_t i = 0; i < ra.size(); ++i) {
    covariance += (ra[i] - mean) * (rb[i] - mean);
    va += (ra[i] - mean) * (ra[i] - mean);
    vb += (rb[i] - mean) * (rb[i] - mean);
  }
  return va > 0 && vb > 0 ? covariance / std::sqrt(va * vb) : 0.0;
}

Map normalize_for_method(const Map& raw, Method method, bool* degenerate) {
  return method == Method::contrastive ? normalize_max_abs_clipped(raw, degenerate)
                                       : normalize_relu_minmax(raw, degenerate);
}

Map display_map(const Map& raw, const MethodOptions& options, int height, int width, bool* degenerate) {
  if (options.compat != Compat::pytorch_grad_cam || options.method == Method::contrastive)
    return resize_bilinear(normalize_for_method(raw, options.method, degenerate), height, width);
  return normalize_relu_minmax_eps(resize_bilinear(normalize_relu_minmax_eps(raw, degenerate), height, width));
}

std::vector<SanityStage> randomization_sanity_check(const Model& model, const Tensor& x,
                                                    const std::vector<int>& targets, const MethodOptions& options,
                                                    const std::vector<Map>& original_maps, uint64_t seed) {
  Model randomized = copy_model(model, model.to_json());
  Rng rng(seed);
  std::vector<SanityStage> stages;
  for (size_t i = model.size(); i-- > 0;) {
    Layer& layer = randomized.layer(i);
    if (!layer.traits().weighted) continue;
    // Re-draw each parameter at its trained scale, so activations keep their
    // magnitude and only the learned structure is destroyed.
    for (auto& [name, tensor] : layer.parameters()) {
      const std::vector<float> values = tensor.to_vector();
      double square_sum = 0;
      for (float v : values) square_sum += static_cast<double>(v) * v;
      const float scale = static_cast<float>(std::sqrt(square_sum / static_cast<double>(values.size())));
      if (scale > 0) tensor.copy_from(Tensor::randn(tensor.shape(), rng, scale));
    }
    const std::vector<Map> maps = compute_maps(randomized, x, targets, options);
    double total = 0;
    for (size_t n = 0; n < maps.size(); ++n)
      total += spearman_correlation(original_maps.at(n), normalize_for_method(maps[n], options.method));
    stages.push_back({layer.name(), maps.empty() ? 0.0 : total / static_cast<double>(maps.size())});
  }
  return stages;
}

std::string format_metrics_table(const FaithfulnessSummary& f, const std::vector<SanityStage>& sanity,
                                 const std::string& method) {
  char line[256];
  std::string text = "metrics for " + method + " on " + std::to_string(f.images) + " image(s)\n";
  std::snprintf(line, sizeof line, "  %-34s %8.2f%%  (lower is better)\n", "Average Drop", f.average_drop);
  text += line;
  std::snprintf(line, sizeof line, "  %-34s %8.2f%%  (higher is better)\n", "Increase in Confidence",
                f.increase_in_confidence);
  text += line;
  std::snprintf(line, sizeof line, "  %-34s %8.4f   (lower is better)\n", "Deletion AUC", f.deletion_auc);
  text += line;
  std::snprintf(line, sizeof line, "  %-34s %8.4f   (higher is better)\n", "Insertion AUC", f.insertion_auc);
  text += line;
  if (!sanity.empty()) {
    text += "  sanity check: Spearman correlation with the original maps after randomizing, top-down\n";
    for (const SanityStage& stage : sanity) {
      std::snprintf(line, sizeof line, "    up to %-26s %8.4f\n", stage.randomized_layer.c_str(), stage.mean_spearman);
      text += line;
    }
    text += "    (a faithful method falls towards 0 as layers are randomized)\n";
  }
  return text;
}

nlohmann::json metrics_json(const FaithfulnessSummary& f, const std::vector<SanityStage>& sanity,
                            const std::string& method) {
  nlohmann::json stages = nlohmann::json::array();
  for (const SanityStage& stage : sanity)
    stages.push_back({{"randomized_up_to", stage.randomized_layer}, {"spearman", stage.mean_spearman}});
  return {{"method", method},
          {"images", f.images},
          {"average_drop_percent", f.average_drop},
          {"increase_in_confidence_percent", f.increase_in_confidence},
          {"deletion_auc", f.deletion_auc},
          {"insertion_auc", f.insertion_auc},
          {"sanity_check", stages}};
}

}  // namespace gaze::cam
