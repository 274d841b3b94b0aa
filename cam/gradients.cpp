// Gradient methods: Grad-CAM (Selvaraju et al. 2017), Grad-CAM++
// (Chattopadhyay et al. 2018), vanilla saliency (Simonyan et al. 2014),
// SmoothGrad (Smilkov et al. 2017), integrated gradients (Sundararajan et
// al. 2017) and input x gradient (Shrikumar et al. 2016, "Not just a black
// box: learning important features through propagating activation
// differences", arXiv:1605.01713), all on the autograd graph:
// model.activation(layer).retain_grad() gives d logit / d A for any conv layer.
//
// Grad-CAM++ against pytorch-grad-cam: both use the closed form for an
// exponential score, alpha = g^2 / (2 g^2 + sum(A) g^3), 0 where g = 0;
// pytorch-grad-cam adds 1e-6 to the denominator, gaze does not (the paper's
// formula; a zero denominator gives alpha 0). --compat pytorch-grad-cam adds it.
#include <algorithm>
#include <cmath>

#include "cam/backprop.h"
#include "cam/graph.h"
#include "cam/methods.h"
#include "cam/propagation.h"
#include "core/error.h"
#include "core/ops.h"
#include "core/random.h"

namespace gaze::cam {

namespace detail {

FrozenParameters::FrozenParameters(const Model& model) : parameters_(model.named_parameters()) {
  for (auto& [name, tensor] : parameters_) {
    was_trainable_.push_back(tensor.requires_grad());
    tensor.set_requires_grad(false);
  }
}

FrozenParameters::~FrozenParameters() {
  for (size_t i = 0; i < parameters_.size(); ++i) parameters_[i].second.set_requires_grad(was_trainable_[i]);
}

GradientPass backprop_targets(Model& model, const Tensor& x, const std::vector<int>& targets,
                              const std::string& layer) {
  GAZE_CHECK(static_cast<int64_t>(targets.size()) == x.dim(0), "gradient pass: ", targets.size(),
             " target classes for ", x.dim(0), " images");
  FrozenParameters frozen(model);
  Tensor input = x.clone();
  input.set_requires_grad(true);
  model.forward(input);
  Tensor activation;
  if (!layer.empty()) {
    activation = model.activation(layer);
    activation.retain_grad();
  }
  const Tensor logits = model.activation(model.logits_name());
  const int64_t classes = logits.dim(1);
  std::vector<float> selector(static_cast<size_t>(logits.numel()), 0.0f);
  for (size_t n = 0; n < targets.size(); ++n) {
    GAZE_CHECK(targets[n] >= 0 && targets[n] < classes, "target class ", targets[n], " is outside the model's ",
               classes, " classes");
    selector[n * static_cast<size_t>(classes) + static_cast<size_t>(targets[n])] = 1.0f;
  }
  const Tensor mask = Tensor::from_vector(logits.shape(), selector, logits.device());
  ops::sum(ops::mul(logits, mask)).backward();
  GradientPass pass;
  pass.input_shape = input.shape();
  pass.input_gradient = input.grad().defined() ? input.grad().to_vector()
                                               : std::vector<float>(static_cast<size_t>(input.numel()), 0.0f);
  if (activation.defined()) {
    pass.activation_shape = activation.shape();
    pass.activation = activation.to_vector();
    // No gradient reaches A when the target logit does not depend on it.
    pass.activation_gradient = activation.grad().defined()
                                   ? activation.grad().to_vector()
                                   : std::vector<float>(static_cast<size_t>(activation.numel()), 0.0f);
  }
  return pass;
}

std::vector<float> max_abs_over_channels(const std::vector<float>& values, const Shape& shape, int64_t n) {
  const int64_t channels = shape[1], plane = shape[2] * shape[3];
  std::vector<float> out(static_cast<size_t>(plane), 0.0f);
  const float* image = values.data() + n * channels * plane;
  for (int64_t c = 0; c < channels; ++c)
    for (int64_t i = 0; i < plane; ++i)
      out[static_cast<size_t>(i)] = std::max(out[static_cast<size_t>(i)], std::abs(image[c * plane + i]));
  return out;
}

std::vector<float> replicate_image(const std::vector<float>& x, const Shape& shape, int64_t n, int64_t copies) {
  const int64_t size = shape[1] * shape[2] * shape[3];
  std::vector<float> out(static_cast<size_t>(copies * size));
  for (int64_t i = 0; i < copies; ++i)
    std::copy(x.begin() + n * size, x.begin() + (n + 1) * size, out.begin() + i * size);
  return out;
}

}  // namespace detail

using detail::backprop_targets;

std::vector<Map> gradcam_maps(Model& model, const Tensor& x, const std::vector<int>& targets,
                              const std::string& layer, bool plus_plus, Compat compat) {
  const double epsilon = compat == Compat::pytorch_grad_cam ? 1e-6 : 0.0;
  check_target_layer(model, layer);
  const detail::GradientPass pass = backprop_targets(model, x, targets, layer);
  const int64_t images = pass.activation_shape[0], channels = pass.activation_shape[1];
  const int h = static_cast<int>(pass.activation_shape[2]), w = static_cast<int>(pass.activation_shape[3]);
  const int64_t plane = static_cast<int64_t>(h) * w;
  std::vector<Map> maps(static_cast<size_t>(images));
  for (int64_t n = 0; n < images; ++n) {
    Map map(h, w);
    for (int64_t k = 0; k < channels; ++k) {
      const float* a = pass.activation.data() + (n * channels + k) * plane;
      const float* g = pass.activation_gradient.data() + (n * channels + k) * plane;
      double weight = 0;
      if (!plus_plus) {
        for (int64_t i = 0; i < plane; ++i) weight += g[i];
        weight /= static_cast<double>(plane);
      } else {
        // Grad-CAM++ with the exponential-score closed form: alpha = g^2 /
        // (2 g^2 + sum(A) g^3), weight = sum alpha relu(g), as pytorch-grad-cam
        // (which adds 1e-6 to the denominator: the compat epsilon).
        double activation_sum = 0;
        for (int64_t i = 0; i < plane; ++i) activation_sum += a[i];
        for (int64_t i = 0; i < plane; ++i) {
          const double g1 = g[i], g2 = g1 * g1, g3 = g2 * g1;
          const double denominator = 2 * g2 + activation_sum * g3 + epsilon;
          const double alpha = g1 != 0 && denominator != 0 ? g2 / denominator : 0.0;
          weight += alpha * std::max(g1, 0.0);
        }
      }
      const float wk = static_cast<float>(weight);
      for (int64_t i = 0; i < plane; ++i) map.values[static_cast<size_t>(i)] += wk * a[i];
    }
    maps[static_cast<size_t>(n)] = std::move(map);
  }
  return maps;
}

std::vector<Map> saliency_maps(Model& model, const Tensor& x, const std::vector<int>& targets) {
  const detail::GradientPass pass = backprop_targets(model, x, targets, "");
  std::vector<Map> maps;
  for (int64_t n = 0; n < x.dim(0); ++n) {
    Map map(static_cast<int>(x.dim(2)), static_cast<int>(x.dim(3)));
    map.values = detail::max_abs_over_channels(pass.input_gradient, pass.input_shape, n);
    maps.push_back(std::move(map));
  }
  return maps;
}

std::vector<Map> input_x_gradient_maps(Model& model, const Tensor& x, const std::vector<int>& targets) {
  const detail::GradientPass pass = backprop_targets(model, x, targets, "");
  const std::vector<float> host = x.to_vector();
  std::vector<float> product(host.size());
  for (size_t i = 0; i < host.size(); ++i) product[i] = host[i] * pass.input_gradient[i];
  std::vector<Map> maps;
  for (int64_t n = 0; n < x.dim(0); ++n) maps.push_back(detail::channel_sum_map(product, x.shape(), n));
  return maps;
}

std::vector<Map> smoothgrad_maps(Model& model, const Tensor& x, const std::vector<int>& targets, int samples,
                                 float sigma, uint64_t seed) {
  GAZE_CHECK(samples > 0, "smoothgrad: the number of samples must be positive, got ", samples);
  const std::vector<float> host = x.to_vector();
  const size_t image_size = host.size() / static_cast<size_t>(x.dim(0));
  std::vector<Map> maps;
  for (int64_t n = 0; n < x.dim(0); ++n) {
    // Each image's noise depends only on that image, the seed and the options,
    // never on its index or the other images of the batch: its own value
    // range sets the scale, and every image draws from a generator seeded
    // afresh, so an image explained alone or in any batch gets the same map.
    const auto first = host.begin() + static_cast<std::ptrdiff_t>(static_cast<size_t>(n) * image_size);
    const auto [low, high] = std::minmax_element(first, first + static_cast<std::ptrdiff_t>(image_size));
    const float stddev = sigma * std::max(*high - *low, 1e-6f);
    Rng rng(seed);
    Shape shape = x.shape();
    shape[0] = samples;
    std::vector<float> noisy = detail::replicate_image(host, x.shape(), n, samples);
    const std::vector<float> noise = Tensor::randn(shape, rng, stddev).to_vector();
    for (size_t i = 0; i < noisy.size(); ++i) noisy[i] += noise[i];
    const detail::GradientPass pass =
        backprop_targets(model, Tensor::from_vector(shape, noisy, x.device()),
                         std::vector<int>(static_cast<size_t>(samples), targets.at(static_cast<size_t>(n))), "");
    Map map(static_cast<int>(x.dim(2)), static_cast<int>(x.dim(3)));
    for (int s = 0; s < samples; ++s) {
      const std::vector<float> saliency = detail::max_abs_over_channels(pass.input_gradient, shape, s);
      for (size_t i = 0; i < saliency.size(); ++i) map.values[i] += saliency[i] / static_cast<float>(samples);
    }
    maps.push_back(std::move(map));
  }
  return maps;
}

std::vector<Map> integrated_gradients_maps(Model& model, const Tensor& x, const std::vector<int>& targets,
                                           int steps) {
  GAZE_CHECK(steps > 0, "integrated-gradients: the number of steps must be positive, got ", steps);
  const std::vector<float> host = x.to_vector();
  const int64_t size = x.dim(1) * x.dim(2) * x.dim(3), plane = x.dim(2) * x.dim(3);
  std::vector<Map> maps;
  for (int64_t n = 0; n < x.dim(0); ++n) {
    Shape shape = x.shape();
    shape[0] = steps;
    // Midpoint rule on the path baseline + alpha (x - baseline), baseline 0.
    std::vector<float> path = detail::replicate_image(host, x.shape(), n, steps);
    for (int s = 0; s < steps; ++s) {
      const float alpha = (static_cast<float>(s) + 0.5f) / static_cast<float>(steps);
      for (int64_t i = 0; i < size; ++i) path[static_cast<size_t>(s * size + i)] *= alpha;
    }
    const detail::GradientPass pass =
        backprop_targets(model, Tensor::from_vector(shape, path, x.device()),
                         std::vector<int>(static_cast<size_t>(steps), targets.at(static_cast<size_t>(n))), "");
    Map map(static_cast<int>(x.dim(2)), static_cast<int>(x.dim(3)));
    for (int64_t i = 0; i < size; ++i) {
      double gradient_sum = 0;
      for (int s = 0; s < steps; ++s) gradient_sum += pass.input_gradient[static_cast<size_t>(s * size + i)];
      const double attribution = host[static_cast<size_t>(n * size + i)] * gradient_sum / steps;
      map.values[static_cast<size_t>(i % plane)] += static_cast<float>(attribution);
    }
    maps.push_back(std::move(map));
  }
  return maps;
}

}  // namespace gaze::cam
