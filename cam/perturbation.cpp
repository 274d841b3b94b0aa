// Perturbation methods, which need forward passes only: Score-CAM (Wang et
// al. 2020) and occlusion (Zeiler & Fergus 2014). Perturbed copies of an
// image are stacked into batches of `batch` so the forward pass runs at full
// width instead of once per mask.
//
// Score-CAM against pytorch-grad-cam: gaze follows the paper, where channel
// k's weight is the target's softmax probability on the image masked by A_k
// (upsampled with align_corners = false, as everything else in gaze, and
// min-max scaled). pytorch-grad-cam instead takes a softmax over the
// channels of the target's logits on the masked images, upsamples with
// align_corners = True and adds 1e-8 to the min-max denominator;
// --compat pytorch-grad-cam does the same.
#include <algorithm>
#include <cmath>

#include "cam/backprop.h"
#include "cam/graph.h"
#include "cam/methods.h"
#include "core/autograd.h"
#include "core/error.h"

namespace gaze::cam {

namespace {
// The target's logit (or softmax probability) for each of `count` images
// stacked in `images` ([count, C, H, W] host floats).
std::vector<float> target_scores(Model& model, const std::vector<float>& images, const Shape& image_shape,
                                 int64_t count, int target, bool probability, int batch) {
  GAZE_CHECK(batch > 0, "perturbation batch size must be positive, got ", batch);
  const int64_t size = image_shape[1] * image_shape[2] * image_shape[3];
  std::vector<float> scores;
  scores.reserve(static_cast<size_t>(count));
  for (int64_t start = 0; start < count; start += batch) {
    const int64_t n = std::min<int64_t>(batch, count - start);
    Shape shape = image_shape;
    shape[0] = n;
    std::vector<float> chunk(images.begin() + start * size, images.begin() + (start + n) * size);
    for (const Prediction& p : predict(model, Tensor::from_vector(shape, chunk, model.device())))
      scores.push_back(probability ? p.probabilities.at(static_cast<size_t>(target))
                                   : p.logits.at(static_cast<size_t>(target)));
  }
  return scores;
}
}  // namespace

std::vector<Map> scorecam_maps(Model& model, const Tensor& x, const std::vector<int>& targets,
                               const std::string& layer, int batch, Compat compat) {
  const bool compatible = compat == Compat::pytorch_grad_cam;
  check_target_layer(model, layer);
  std::vector<float> features;
  Shape feature_shape;
  {
    NoGradGuard no_grad;
    model.forward(x);
    const Tensor a = model.activation(layer);
    features = a.to_vector();
    feature_shape = a.shape();
  }
  const std::vector<float> host = x.to_vector();
  const int64_t channels = feature_shape[1];
  const int h = static_cast<int>(feature_shape[2]), w = static_cast<int>(feature_shape[3]);
  const int height = static_cast<int>(x.dim(2)), width = static_cast<int>(x.dim(3));
  const int64_t plane = static_cast<int64_t>(h) * w, input_plane = static_cast<int64_t>(height) * width;
  const int64_t size = x.dim(1) * input_plane;
  std::vector<Map> maps;
  for (int64_t n = 0; n < x.dim(0); ++n) {
    // Each channel, upsampled and min-max scaled to [0, 1], masks the image.
    // The scaling reads the upsampled map's own range (as the Score-CAM
    // authors' code and pytorch-grad-cam do): bilinear sampling need not hit
    // the activation's extremes, so its range would leave the mask short of 0 or 1.
    std::vector<float> masked = detail::replicate_image(host, x.shape(), n, channels);
    for (int64_t k = 0; k < channels; ++k) {
      Map activation(h, w);
      std::copy_n(features.begin() + (n * channels + k) * plane, plane, activation.values.begin());
      Map mask = compatible ? resize_bilinear_align_corners(activation, height, width)
                            : resize_bilinear(activation, height, width);
      const float low = mask.min(), high = mask.max();
      for (float& m : mask.values)
        m = compatible ? (m - low) / (high - low + 1e-8f) : high > low ? (m - low) / (high - low) : 0.0f;
      float* image = masked.data() + k * size;
      for (int64_t c = 0; c < x.dim(1); ++c)
        for (int64_t i = 0; i < input_plane; ++i) image[c * input_plane + i] *= mask.values[static_cast<size_t>(i)];
    }
    std::vector<float> scores =
        target_scores(model, masked, x.shape(), channels, targets.at(static_cast<size_t>(n)), !compatible, batch);
    if (compatible) {  // softmax over the channels of the target's logits
      const float top = *std::max_element(scores.begin(), scores.end());
      double total = 0;
      for (float& s : scores) total += s = std::exp(s - top);
      for (float& s : scores) s = static_cast<float>(s / total);
    }
    Map map(h, w);
    for (int64_t k = 0; k < channels; ++k)
      for (int64_t i = 0; i < plane; ++i)
        map.values[static_cast<size_t>(i)] += scores[static_cast<size_t>(k)] * features[static_cast<size_t>((n * channels + k) * plane + i)];
    maps.push_back(std::move(map));
  }
  return maps;
}

std::vector<Map> occlusion_maps(Model& model, const Tensor& x, const std::vector<int>& targets, int window,
                                int stride, int batch) {
  const int height = static_cast<int>(x.dim(2)), width = static_cast<int>(x.dim(3));
  if (window <= 0) window = std::max(1, std::min(height, width) / 4);
  if (stride <= 0) stride = std::max(1, window / 2);
  window = std::min({window, height, width});
  // Window origins cover the whole image, the last one flush with the edge.
  auto origins = [&](int extent) {
    std::vector<int> starts;
    for (int s = 0; s + window < extent; s += stride) starts.push_back(s);
    starts.push_back(extent - window);
    return starts;
  };
  const std::vector<int> ys = origins(height), xs = origins(width);
  const int64_t positions = static_cast<int64_t>(ys.size() * xs.size());
  const std::vector<float> host = x.to_vector();
  const int64_t input_plane = static_cast<int64_t>(height) * width, size = x.dim(1) * input_plane;
  std::vector<Map> maps;
  for (int64_t n = 0; n < x.dim(0); ++n) {
    const int target = targets.at(static_cast<size_t>(n));
    std::vector<float> occluded = detail::replicate_image(host, x.shape(), n, positions + 1);
    for (int64_t p = 0; p < positions; ++p) {
      const int y0 = ys[static_cast<size_t>(p) / xs.size()], x0 = xs[static_cast<size_t>(p) % xs.size()];
      float* image = occluded.data() + (p + 1) * size;
      for (int64_t c = 0; c < x.dim(1); ++c)
        for (int y = y0; y < y0 + window; ++y)
          std::fill_n(image + c * input_plane + static_cast<int64_t>(y) * width + x0, window, 0.0f);
    }
    const std::vector<float> scores = target_scores(model, occluded, x.shape(), positions + 1, target, false, batch);
    Map total(height, width), covered(height, width);
    for (int64_t p = 0; p < positions; ++p) {
      const int y0 = ys[static_cast<size_t>(p) / xs.size()], x0 = xs[static_cast<size_t>(p) % xs.size()];
      const float drop = scores[0] - scores[static_cast<size_t>(p + 1)];
      for (int y = y0; y < y0 + window; ++y)
        for (int xx = x0; xx < x0 + window; ++xx) {
          total.at(y, xx) += drop;
          covered.at(y, xx) += 1;
        }
    }
    for (size_t i = 0; i < total.values.size(); ++i)
      if (covered.values[i] > 0) total.values[i] /= covered.values[i];
    maps.push_back(std::move(total));
  }
  return maps;
}

}  // namespace gaze::cam
