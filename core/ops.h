#pragma once
// Differentiable operations. Each checks its arguments (throwing gaze::Error
// naming the op and the shapes), allocates its output on the inputs' device,
// runs the device's kernel and records its backward on the autograd tape.
#include <cstdint>
#include <string>
#include <vector>

#include "core/backend.h"
#include "core/tensor.h"

namespace gaze::ops {

// ---- element-wise ----
Tensor add(const Tensor& a, const Tensor& b);  // same shapes
Tensor mul(const Tensor& a, const Tensor& b);  // same shapes
Tensor scale(const Tensor& x, float alpha);
Tensor relu(const Tensor& x);
Tensor leaky_relu(const Tensor& x, float negative_slope);
// y = min(max(x, low), high), as PyTorch's hardtanh; ReLU6 is clamp(x, 0, 6).
Tensor clamp(const Tensor& x, float low, float high);
// Zeroes each element with probability `drop` and scales the rest by
// 1/(1-drop); the mask is drawn from (seed, element index).
Tensor dropout(const Tensor& x, float drop, uint64_t seed);

// ---- reductions ----
Tensor sum(const Tensor& x);   // scalar
Tensor mean(const Tensor& x);  // scalar

// ---- shape ----
Tensor reshape(const Tensor& x, const Shape& shape);  // -1 infers one extent
Tensor flatten(const Tensor& x);                      // [N, ...] -> [N, rest]
Tensor concat(const std::vector<Tensor>& xs, int axis = 1);  // axis 1 only for now

// ---- convolution and pooling (NCHW) ----
// w: [out, in / g.groups, kh, kw]; b: [out] or undefined.
Tensor conv2d(const Tensor& x, const Tensor& w, const Tensor& b, const Conv2dGeometry& g);
Tensor max_pool2d(const Tensor& x, const Pool2dGeometry& g);
Tensor avg_pool2d(const Tensor& x, const Pool2dGeometry& g);
Tensor global_avg_pool(const Tensor& x);  // [N,C,H,W] -> [N,C]

// ---- dense: y = x w^T + b, x [N, in], w [out, in] ----
Tensor dense(const Tensor& x, const Tensor& w, const Tensor& b);

// ---- batch norm over channel 1 of [N,C] or [N,C,H,W] ----
// In training mode uses batch statistics and updates the running buffers in
// place; in eval mode uses the running buffers.
Tensor batch_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                  Tensor& running_mean, Tensor& running_var, bool training,
                  float momentum, float eps);
// relu(batch_norm(...)) with the same arguments: in training one fused
// kernel each way (no separate ReLU pass over the activation), in eval the
// two ops. Models use it for a batchnorm layer whose only reader is a ReLU.
Tensor batch_norm_relu(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                       Tensor& running_mean, Tensor& running_var, bool training,
                       float momentum, float eps);

// ---- classification ----
Tensor softmax(const Tensor& x);      // over dim 1 of [N, C]
Tensor log_softmax(const Tensor& x);  // over dim 1 of [N, C]
// labels: [N] class indices stored as floats. Mean over the batch of
// -(1-s) log p_y - s mean_c log p_c (PyTorch's label smoothing).
Tensor nll_loss(const Tensor& log_probs, const Tensor& labels, float label_smoothing = 0);
Tensor cross_entropy(const Tensor& logits, const Tensor& labels, float label_smoothing = 0);

// Output sizes, shared by ops, layers and shape inference.
int64_t conv_output_size(int64_t input, int kernel, int stride, int pad);

}  // namespace gaze::ops
