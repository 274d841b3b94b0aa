#include "train/mix.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace gaze::train {

namespace {

// Uniform in (0, 1), never 0 (its logarithm is taken), 53 bits.
double open_uniform(Rng& rng) { return (static_cast<double>(rng.next_u64() >> 11) + 0.5) * 0x1.0p-53; }

double standard_normal(Rng& rng) {
  // Box-Muller in double precision.
  const double u1 = open_uniform(rng), u2 = open_uniform(rng);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
}

// log of a Gamma(alpha, 1) draw. Marsaglia and Tsang (2000) for alpha >= 1;
// below 1, Gamma(alpha) = Gamma(alpha + 1) * U^(1 / alpha).
double log_gamma_sample(Rng& rng, double alpha) {
  if (alpha < 1) return log_gamma_sample(rng, alpha + 1) + std::log(open_uniform(rng)) / alpha;
  const double d = alpha - 1.0 / 3.0, c = 1.0 / std::sqrt(9.0 * d);
  for (;;) {
    const double x = standard_normal(rng);
    const double v1 = 1 + c * x;
    if (v1 <= 0) continue;
    const double v = v1 * v1 * v1;
    const double u = open_uniform(rng);
    if (std::log(u) < 0.5 * x * x + d - d * v + d * std::log(v)) return std::log(d * v);
  }
}

}  // namespace

double sample_beta(Rng& rng, double alpha) {
  GAZE_CHECK(alpha > 0 && std::isfinite(alpha), "sample_beta: alpha must be positive, got ", alpha);
  const double log_x = log_gamma_sample(rng, alpha), log_y = log_gamma_sample(rng, alpha);
  return 1.0 / (1.0 + std::exp(log_y - log_x));  // x / (x + y)
}

MixBox cutmix_box(int height, int width, double lambda, int center_y, int center_x) {
  const double ratio = std::sqrt(1.0 - lambda);
  const int cut_h = static_cast<int>(height * ratio), cut_w = static_cast<int>(width * ratio);
  MixBox box;
  box.top = std::clamp(center_y - cut_h / 2, 0, height);
  box.bottom = std::clamp(center_y + cut_h / 2, 0, height);
  box.left = std::clamp(center_x - cut_w / 2, 0, width);
  box.right = std::clamp(center_x + cut_w / 2, 0, width);
  return box;
}

MixResult mix_batch(data::Batch& batch, const MixConfig& config, uint64_t seed) {
  MixResult result;
  if (!config.enabled() || batch.n == 0) return result;
  Rng rng(seed);
  if (!(rng.uniform() < config.prob)) return result;
  const bool both = config.mixup_alpha > 0 && config.cutmix_alpha > 0;
  const bool cutmix = both ? rng.uniform() < 0.5f : config.cutmix_alpha > 0;
  const double lambda = sample_beta(rng, cutmix ? config.cutmix_alpha : config.mixup_alpha);
  const auto n = static_cast<size_t>(batch.n), channels = static_cast<size_t>(batch.channels);
  const auto height = static_cast<size_t>(batch.height), width = static_cast<size_t>(batch.width);
  const size_t plane = height * width, image = channels * plane;
  GAZE_CHECK(batch.images.size() == n * image && batch.labels.size() == n, "mix_batch: the batch holds ",
             batch.images.size(), " values and ", batch.labels.size(), " labels for ", n, " images of ", image);
  const std::vector<float> original = batch.images;  // partners are read unmixed
  for (size_t i = 0; i < n; ++i) result.partner_labels.push_back(batch.labels[n - 1 - i]);
  if (cutmix) {
    result.kind = MixKind::cutmix;
    const int center_y = static_cast<int>(rng.below(batch.height));
    const int center_x = static_cast<int>(rng.below(batch.width));
    result.box = cutmix_box(batch.height, batch.width, lambda, center_y, center_x);
    const MixBox& b = result.box;
    for (size_t i = 0; i < n; ++i) {
      const size_t partner = n - 1 - i;
      for (size_t c = 0; c < channels; ++c)
        for (auto y = static_cast<size_t>(b.top); y < static_cast<size_t>(b.bottom); ++y)
          for (auto x = static_cast<size_t>(b.left); x < static_cast<size_t>(b.right); ++x) {
            const size_t offset = c * plane + y * width + x;
            batch.images[i * image + offset] = original[partner * image + offset];
          }
    }
    result.lambda = static_cast<float>(1.0 - static_cast<double>(b.area()) / static_cast<double>(plane));
  } else {
    result.kind = MixKind::mixup;
    const auto l = static_cast<float>(lambda);
    for (size_t i = 0; i < n; ++i) {
      const size_t partner = n - 1 - i;
      for (size_t k = 0; k < image; ++k)
        batch.images[i * image + k] = l * original[i * image + k] + (1 - l) * original[partner * image + k];
    }
    result.lambda = l;
  }
  return result;
}

}  // namespace gaze::train
