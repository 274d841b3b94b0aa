#include "squeeze_excitation.h"

#include <cmath>

#include "core/autograd.h"
#include "core/error.h"
#include "core/ops.h"

using gaze::Shape;
using gaze::Tensor;

Tensor sigmoid(const Tensor& x_in) {
  const Tensor x = x_in.contiguous();
  Tensor y = Tensor::empty(x.shape());
  for (int64_t i = 0; i < x.numel(); ++i) y.data()[i] = 1.0f / (1.0f + std::exp(-x.data()[i]));
  const Tensor saved = y.detach();
  return gaze::record("sigmoid", y, {x_in}, [saved](const Tensor& g_in) {
    const Tensor g = g_in.contiguous();
    Tensor grad = Tensor::empty(saved.shape());
    for (int64_t i = 0; i < g.numel(); ++i) grad.data()[i] = g.data()[i] * saved.data()[i] * (1 - saved.data()[i]);
    return std::vector<Tensor>{grad};
  });
}

Tensor scale_channels(const Tensor& x_in, const Tensor& s_in) {
  const Tensor x = x_in.contiguous(), s = s_in.contiguous();
  GAZE_CHECK(x.ndim() == 4 && s.ndim() == 2 && s.dim(0) == x.dim(0) && s.dim(1) == x.dim(1),
             "scale_channels: expected x [N, C, H, W] and scale [N, C], got ", gaze::to_string(x.shape()), " and ",
             gaze::to_string(s.shape()));
  const int64_t planes = x.dim(0) * x.dim(1), area = x.dim(2) * x.dim(3);
  Tensor y = Tensor::empty(x.shape());
  for (int64_t p = 0; p < planes; ++p)
    for (int64_t i = 0; i < area; ++i) y.data()[p * area + i] = x.data()[p * area + i] * s.data()[p];
  return gaze::record("scale_channels", y, {x_in, s_in}, [x, s, planes, area](const Tensor& g_in) {
    const Tensor g = g_in.contiguous();
    Tensor grad_x = Tensor::empty(x.shape()), grad_s = Tensor::zeros(s.shape());
    for (int64_t p = 0; p < planes; ++p)
      for (int64_t i = 0; i < area; ++i) {
        grad_x.data()[p * area + i] = g.data()[p * area + i] * s.data()[p];
        grad_s.data()[p] += g.data()[p * area + i] * x.data()[p * area + i];
      }
    return std::vector<Tensor>{grad_x, grad_s};
  });
}

SqueezeExcitation::SqueezeExcitation(const std::string& name, const gaze::LayerParams& p) : Layer(name) {
  p.reject_unknown({"reduction"});
  reduction_ = p.integer("reduction", 4);
  GAZE_CHECK(reduction_ > 0, p.context("reduction"), ": must be positive, got ", reduction_);
}

Shape SqueezeExcitation::build(const std::vector<Shape>& in, gaze::Rng& rng) {
  GAZE_CHECK(in[0].size() == 3, where(), ": expected a [channels, height, width] input, got ", gaze::to_string(in[0]));
  const int64_t channels = in[0][0], hidden = std::max<int64_t>(1, channels / reduction_);
  if (parameters().empty()) {
    const float bound1 = 1.0f / std::sqrt(static_cast<float>(channels));
    const float bound2 = 1.0f / std::sqrt(static_cast<float>(hidden));
    add_parameter("fc1.weight", Tensor::uniform({hidden, channels}, rng, -bound1, bound1));
    add_parameter("fc1.bias", Tensor::zeros({hidden}));
    add_parameter("fc2.weight", Tensor::uniform({channels, hidden}, rng, -bound2, bound2));
    add_parameter("fc2.bias", Tensor::zeros({channels}));
  }
  return in[0];
}

Tensor SqueezeExcitation::forward(const std::vector<Tensor>& inputs, const gaze::ForwardContext&) {
  const Tensor& x = inputs[0];
  const Tensor hidden = gaze::ops::relu(gaze::ops::dense(gaze::ops::global_avg_pool(x), tensor("fc1.weight"),
                                                         tensor("fc1.bias")));
  return scale_channels(x, sigmoid(gaze::ops::dense(hidden, tensor("fc2.weight"), tensor("fc2.bias"))));
}
