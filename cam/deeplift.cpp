// DeepLIFT with the rescale rule (Shrikumar, Greenside & Kundaje 2017,
// "Learning important features through propagating activation
// differences", ICML). Multipliers m flow back from the target logit (m = 1
// there) through cam/propagation.h's walk:
// - linear layers (conv, dense, eval batchnorm, avgpool, gap, flatten,
//   dropout, add, concat, residual_dense) pass m through their transposed
//   Jacobian, the gradient, which is the same at x and at the baseline;
// - ReLU and LeakyReLU take the rescale rule m_in = m (y - y0) / (x - x0),
//   and the gradient where |x - x0| <= 1e-10 (as Captum);
// - maxpool takes Captum's rule, which keeps summation-to-delta exact: with
//   y+ = max(y, y0), m (y+ - y0) goes to the window's maximum in x and
//   m (y - y+) to its maximum in the baseline, divided by x - x0 there.
// Attributions are (x - x0) * m at the input, summed over channels, and sum
// to logit(x) - logit(x0) (summation-to-delta). Any other layer is an error
// naming it.
//
// Baselines x0: zero (the normalized mean pixel, as Captum's default), or
// blur: each channel under a Gaussian of sigma pixels (default a tenth of
// the shorter side), which removes the detail and keeps the colours
// (Sturmfels, Lundberg & Lee 2020, "Visualizing the impact of feature
// attribution baselines", Distill).
#include <algorithm>
#include <cmath>

#include "cam/backprop.h"
#include "cam/methods.h"
#include "cam/propagation.h"
#include "core/error.h"

namespace gaze::cam {

namespace {
using detail::LayerRole;

constexpr float kDeltaEpsilon = 1e-10f;

const char* kHandled =
    "conv, dense, batchnorm, relu, leaky_relu, maxpool, avgpool, gap, flatten, dropout, add, concat and "
    "residual_dense";

// One pass of a normalized 1-D Gaussian along rows or columns, edges clamped.
void blur_pass(std::vector<float>& plane, int height, int width, const std::vector<float>& kernel, bool along_x) {
  const int radius = static_cast<int>(kernel.size() / 2);
  const std::vector<float> source = plane;
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x) {
      float sum = 0;
      for (int t = -radius; t <= radius; ++t) {
        const int sx = along_x ? std::clamp(x + t, 0, width - 1) : x;
        const int sy = along_x ? y : std::clamp(y + t, 0, height - 1);
        sum += kernel[static_cast<size_t>(t + radius)] * source[static_cast<size_t>(sy) * width + sx];
      }
      plane[static_cast<size_t>(y) * width + x] = sum;
    }
}
}  // namespace

Tensor deeplift_baseline(const Tensor& x, Baseline baseline, float sigma) {
  if (baseline == Baseline::zero) return Tensor::zeros(x.shape(), x.device());
  const int height = static_cast<int>(x.dim(2)), width = static_cast<int>(x.dim(3));
  if (sigma <= 0) sigma = static_cast<float>(std::min(height, width)) / 10.0f;
  const int radius = std::max(1, static_cast<int>(std::ceil(3 * sigma)));
  std::vector<float> kernel(static_cast<size_t>(2 * radius + 1));
  float total = 0;
  for (int t = -radius; t <= radius; ++t)
    total += kernel[static_cast<size_t>(t + radius)] = std::exp(-0.5f * static_cast<float>(t * t) / (sigma * sigma));
  for (float& k : kernel) k /= total;
  std::vector<float> values = x.to_vector();
  const size_t plane = static_cast<size_t>(height) * width;
  for (size_t start = 0; start < values.size(); start += plane) {
    std::vector<float> channel(values.begin() + static_cast<std::ptrdiff_t>(start),
                               values.begin() + static_cast<std::ptrdiff_t>(start + plane));
    blur_pass(channel, height, width, kernel, true);
    blur_pass(channel, height, width, kernel, false);
    std::copy(channel.begin(), channel.end(), values.begin() + static_cast<std::ptrdiff_t>(start));
  }
  return Tensor::from_vector(x.shape(), values, x.device());
}

std::vector<Map> deeplift_maps(Model& model, const Tensor& x, const std::vector<int>& targets, Baseline baseline,
                               float blur_sigma) {
  GAZE_CHECK(static_cast<int64_t>(targets.size()) == x.dim(0), "deeplift: ", targets.size(),
             " target classes for ", x.dim(0), " images");
  const std::string logits = model.logits_name();
  for (size_t i = 0; i < model.size(); ++i) {
    if (detail::layer_role(model.layer(i)) == LayerRole::other) detail::unsupported_layer("deeplift", model.layer(i), kHandled);
    if (model.layer(i).name() == logits) break;
  }
  detail::FrozenParameters frozen(model);
  const Tensor reference = deeplift_baseline(x, baseline, blur_sigma);
  const detail::Activations at_reference = detail::forward_activations(model, reference);
  const detail::Activations at_x = detail::forward_activations(model, x);
  const Tensor seed = detail::target_seed(at_x.at(logits), targets, false);
  const Tensor multipliers = detail::propagate_to_input(model, seed, [&](size_t i, const Tensor& m) {
    Layer& layer = model.layer(i);
    const std::string& name = layer.name();
    std::vector<Tensor> inputs, reference_inputs;
    for (const std::string& input : model.inputs_of(name)) {
      inputs.push_back(at_x.at(input));
      reference_inputs.push_back(at_reference.at(input));
    }
    const std::vector<Tensor> gradients = detail::layer_vjp(layer, inputs, m);
    const Tensor& gradient = gradients.front();
    switch (detail::layer_role(layer)) {
      case LayerRole::relu:
      case LayerRole::leaky_relu:
        return std::vector<Tensor>{detail::host_map(
            {inputs[0], reference_inputs[0], at_x.at(name), at_reference.at(name), m, gradient}, [](const float* v) {
              const float dx = v[0] - v[1];
              return std::abs(dx) > kDeltaEpsilon ? v[4] * (v[2] - v[3]) / dx : v[5];
            })};
      case LayerRole::max_pool: {
        const Tensor y = at_x.at(name), y0 = at_reference.at(name);
        const Tensor to_x = detail::host_map({m, y, y0}, [](const float* v) { return v[0] * (std::max(v[1], v[2]) - v[2]); });
        const Tensor to_reference =
            detail::host_map({m, y, y0}, [](const float* v) { return v[0] * (v[1] - std::max(v[1], v[2])); });
        const Tensor routed = detail::plus(detail::layer_vjp(layer, inputs, to_x).front(),
                                           detail::layer_vjp(layer, reference_inputs, to_reference).front());
        return std::vector<Tensor>{
            detail::host_map({inputs[0], reference_inputs[0], routed, gradient}, [](const float* v) {
              const float dx = v[0] - v[1];
              return std::abs(dx) > kDeltaEpsilon ? v[2] / dx : v[3];
            })};
      }
      case LayerRole::other: detail::unsupported_layer("deeplift", layer, kHandled);
      default: return gradients;  // linear: the gradient (add, concat: one per input)
    }
  });
  const Tensor attributions = detail::host_map({x, reference, multipliers}, [](const float* v) { return (v[0] - v[1]) * v[2]; });
  return detail::channel_sum_maps(attributions);
}

}  // namespace gaze::cam
