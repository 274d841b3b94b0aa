// pytorch-grad-cam's other layer methods, on the target layer's activations
// A [K, h, w] and the gradients g = d logit / d A of one backward pass:
// - HiResCAM (Draelos & Carin 2020, "Use HiResCAM instead of Grad-CAM for
//   faithful explanations of convolutional neural networks",
//   arXiv:2011.08891): M = sum_k g_k * A_k, element-wise. Where the layer
//   feeds gap -> dense, g_k = w_ck / (h w) everywhere, so it equals Grad-CAM
//   and both equal CAM / (h w).
// - XGrad-CAM (Fu et al. 2020, "Axiom-based Grad-CAM: towards accurate
//   visualization and explanation of CNNs", BMVC): channel weights
//   w_k = sum_ij A_kij g_kij / sum_ij A_kij, 0 where sum A_k = 0;
//   pytorch-grad-cam adds 1e-7 to the denominator (--compat pytorch-grad-cam).
// - LayerCAM (Jiang et al. 2021, "LayerCAM: exploring hierarchical class
//   activation maps for localization", IEEE TIP 30): M = sum_k relu(g_k) * A_k.
// - EigenCAM (Muhammad & Yeasin 2020, "Eigen-CAM: class activation map using
//   principal components", IJCNN): A as a (pixels x channels) matrix,
//   centred per channel, projected onto its first right singular vector v1:
//   M = (A - mean) v1, the scores of the first principal component. No
//   gradient and no class: every target gets the same map. The paper writes
//   the projection of the uncentred A; pytorch-grad-cam centres, and so does
//   gaze. A singular vector's sign is arbitrary (pytorch-grad-cam keeps
//   whatever LAPACK returns, which can show the background); gaze picks the
//   sign that makes M correlate positively with the channel sum of A, so the
//   strongly activated regions come out positive.
// Ablation-CAM is in ablation_cam.cpp.
#include <cmath>

#include "cam/backprop.h"
#include "cam/graph.h"
#include "cam/methods.h"
#include "core/autograd.h"
#include "core/error.h"

namespace gaze::cam {

namespace {
// One map per image: combine(a, g, out, plane) adds one channel's
// contribution, from its activations a and gradients g, into out.
template <typename Combine>
std::vector<Map> combine_channels(Model& model, const Tensor& x, const std::vector<int>& targets,
                                  const std::string& layer, Combine combine) {
  check_target_layer(model, layer);
  const detail::GradientPass pass = detail::backprop_targets(model, x, targets, layer);
  const int64_t images = pass.activation_shape[0], channels = pass.activation_shape[1];
  const int h = static_cast<int>(pass.activation_shape[2]), w = static_cast<int>(pass.activation_shape[3]);
  const int64_t plane = static_cast<int64_t>(h) * w;
  std::vector<Map> maps;
  for (int64_t n = 0; n < images; ++n) {
    Map map(h, w);
    for (int64_t k = 0; k < channels; ++k)
      combine(pass.activation.data() + (n * channels + k) * plane,
              pass.activation_gradient.data() + (n * channels + k) * plane, map.values.data(), plane);
    maps.push_back(std::move(map));
  }
  return maps;
}

// The top eigenvector of the symmetric positive semi-definite m x m matrix
// g (row-major) by power iteration; its eigenvalue in *lambda.
std::vector<double> top_eigenvector(const std::vector<double>& g, size_t m, double* lambda) {
  std::vector<double> v(m), next(m);
  double norm = 0;
  for (size_t i = 0; i < m; ++i) norm += (v[i] = 1.0 + static_cast<double>(i) / static_cast<double>(m)) * v[i];
  for (double& value : v) value /= std::sqrt(norm);
  *lambda = 0;
  for (int iteration = 0; iteration < 5000; ++iteration) {
    norm = 0;
    for (size_t i = 0; i < m; ++i) {
      double sum = 0;
      for (size_t j = 0; j < m; ++j) sum += g[i * m + j] * v[j];
      next[i] = sum;
      norm += sum * sum;
    }
    *lambda = std::sqrt(norm);  // |G v| with |v| = 1
    if (*lambda == 0) return std::vector<double>(m, 0.0);
    double change = 0;
    for (size_t i = 0; i < m; ++i) {
      next[i] /= *lambda;
      change += (next[i] - v[i]) * (next[i] - v[i]);
    }
    v.swap(next);
    if (change < 1e-26) break;
  }
  return v;
}

// Image n's first principal component scores, [h, w].
Map first_component(const std::vector<float>& activation, int64_t n, int64_t channels, int h, int w) {
  const size_t pixels = static_cast<size_t>(h) * w, k = static_cast<size_t>(channels);
  const float* a = activation.data() + static_cast<size_t>(n) * k * pixels;
  // X[p][c] centred per channel.
  std::vector<double> centred(pixels * k), channel_sum(pixels, 0.0);
  for (size_t c = 0; c < k; ++c) {
    double mean = 0;
    for (size_t p = 0; p < pixels; ++p) mean += a[c * pixels + p];
    mean /= static_cast<double>(pixels);
    for (size_t p = 0; p < pixels; ++p) {
      centred[p * k + c] = a[c * pixels + p] - mean;
      channel_sum[p] += a[c * pixels + p];
    }
  }
  std::vector<double> scores(pixels, 0.0);
  double lambda = 0;
  if (k <= pixels) {  // v1 from X^T X (channels x channels), scores X v1
    std::vector<double> gram(k * k, 0.0);
    for (size_t p = 0; p < pixels; ++p)
      for (size_t i = 0; i < k; ++i)
        for (size_t j = 0; j < k; ++j) gram[i * k + j] += centred[p * k + i] * centred[p * k + j];
    const std::vector<double> v = top_eigenvector(gram, k, &lambda);
    for (size_t p = 0; p < pixels; ++p)
      for (size_t c = 0; c < k; ++c) scores[p] += centred[p * k + c] * v[c];
  } else {  // u1 from X X^T (pixels x pixels), scores sigma1 u1
    std::vector<double> gram(pixels * pixels, 0.0);
    for (size_t p = 0; p < pixels; ++p)
      for (size_t q = 0; q < pixels; ++q)
        for (size_t c = 0; c < k; ++c) gram[p * pixels + q] += centred[p * k + c] * centred[q * k + c];
    const std::vector<double> u = top_eigenvector(gram, pixels, &lambda);
    for (size_t p = 0; p < pixels; ++p) scores[p] = std::sqrt(lambda) * u[p];
  }
  double agreement = 0;
  for (size_t p = 0; p < pixels; ++p) agreement += scores[p] * channel_sum[p];
  Map map(h, w);
  for (size_t p = 0; p < pixels; ++p) map.values[p] = static_cast<float>(agreement < 0 ? -scores[p] : scores[p]);
  return map;
}
}  // namespace

std::vector<Map> hirescam_maps(Model& model, const Tensor& x, const std::vector<int>& targets,
                               const std::string& layer) {
  return combine_channels(model, x, targets, layer, [](const float* a, const float* g, float* out, int64_t plane) {
    for (int64_t i = 0; i < plane; ++i) out[i] += g[i] * a[i];
  });
}

std::vector<Map> xgradcam_maps(Model& model, const Tensor& x, const std::vector<int>& targets,
                               const std::string& layer, Compat compat) {
  const double epsilon = compat == Compat::pytorch_grad_cam ? 1e-7 : 0.0;
  return combine_channels(model, x, targets, layer, [epsilon](const float* a, const float* g, float* out,
                                                              int64_t plane) {
    double weighted = 0, total = 0;
    for (int64_t i = 0; i < plane; ++i) {
      weighted += static_cast<double>(a[i]) * g[i];
      total += a[i];
    }
    const double denominator = total + epsilon;
    const float weight = denominator != 0 ? static_cast<float>(weighted / denominator) : 0.0f;
    for (int64_t i = 0; i < plane; ++i) out[i] += weight * a[i];
  });
}

std::vector<Map> layercam_maps(Model& model, const Tensor& x, const std::vector<int>& targets,
                               const std::string& layer) {
  return combine_channels(model, x, targets, layer, [](const float* a, const float* g, float* out, int64_t plane) {
    for (int64_t i = 0; i < plane; ++i) out[i] += std::max(g[i], 0.0f) * a[i];
  });
}

std::vector<Map> eigencam_maps(Model& model, const Tensor& x, const std::string& layer) {
  check_target_layer(model, layer);
  Tensor a;
  {
    NoGradGuard no_grad;
    model.forward(x);
    a = model.activation(layer);
  }
  const std::vector<float> values = a.to_vector();
  std::vector<Map> maps;
  for (int64_t n = 0; n < a.dim(0); ++n)
    maps.push_back(first_component(values, n, a.dim(1), static_cast<int>(a.dim(2)), static_cast<int>(a.dim(3))));
  return maps;
}

}  // namespace gaze::cam
