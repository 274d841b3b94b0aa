#pragma once
// Internal to cam/: the machinery of the rule-based backward passes (LRP,
// Deep Taylor, DeepLift, PatternAttribution). They walk the model's layers
// from the logits back to the input, each layer turning the signal at its
// output (relevance, or DeepLift's multipliers) into signals at its inputs by
// its own rule; where a layer output has several readers their signals add
// up, as gradients do on the autograd tape.
//
// The linear piece of every rule, a layer's transposed Jacobian applied to a
// signal (with the layer's own weights or modified ones: W+, W-, a folded
// batchnorm, W * pattern), is a vector-Jacobian product taken on the autograd
// tape through the layer's own forward(), so it runs on the model's device
// and honours all of the layer's hyperparameters. Element-wise ratios
// (relevance / stabilized pre-activation, DeepLift's delta quotients) have no
// backend kernel: they run on host copies (Tensor::to_vector) and go back to
// the device with Tensor::from_vector. No device pointer is ever read.
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "cam/map.h"
#include "core/tensor.h"
#include "layers/model.h"

namespace gaze::cam::detail {

// What a layer is to the propagation rules.
enum class LayerRole {
  weighted,         // conv, dense: y = W x + b
  batchnorm,        // eval-mode batchnorm: per-channel affine
  relu,
  leaky_relu,
  max_pool,
  average_pool,     // avgpool and gap: positive fixed weights, no bias
  route,            // flatten, dropout, concat: values move, no arithmetic
  sum,              // add
  residual_dense,   // x + W x + b (linear)
  other             // anything else: softmax inside the network, a user's layer
};
LayerRole layer_role(const Layer& layer);

// The layers from the input to the logits, checked against the rules of
// LRP and PatternAttribution (kFoldPlanHandled lists what they handle; the
// error for any other layer names it). Returns, for each conv or dense layer
// that a batchnorm folds into, that batchnorm's name: a batchnorm must read a
// conv or dense layer that nothing else reads.
extern const char* const kFoldPlanHandled;
std::map<std::string, std::string> fold_plan(const Model& model, const std::string& method);

// Every layer output of x's forward pass by name ("input" included), with
// gradients off.
using Activations = std::map<std::string, Tensor>;
Activations forward_activations(Model& model, const Tensor& x);

// [N, classes] signal, zero but at [n, targets[n]]: there 1, or the logit
// itself with `logit_valued` (LRP's starting relevance). On the logits'
// device; the error names a target outside the classes.
Tensor target_seed(const Tensor& logits, const std::vector<int>& targets, bool logit_valued);

// The signals a layer's rule sends to the layer's inputs, one per input
// (an undefined tensor sends none).
using LayerRule = std::function<std::vector<Tensor>(size_t layer, const Tensor& signal)>;

// Walks the layers from the logits back to the input in reverse model order
// (a reverse topological order: a layer runs after all its readers), calling
// `rule` on every layer some signal reached. Returns the signal at the input
// ([N, C, H, W], zeros when none arrived).
Tensor propagate_to_input(const Model& model, const Tensor& seed, const LayerRule& rule);

// d sum(layer(inputs) * s) / d inputs: the layer's transposed Jacobian at
// `inputs` applied to s, through the layer's own forward on the tape. For a
// linear layer it does not depend on the inputs' values; for maxpool it
// routes s to each window's maximum.
std::vector<Tensor> layer_vjp(Layer& layer, const std::vector<Tensor>& inputs, const Tensor& s);

// While alive, `layer` computes with `weight` in place of its own and a zero
// bias (a conv or dense layer), so its forward() and layer_vjp give W' x and
// W'^T s. Restores the layer's own tensors on destruction.
class WeightOverride {
 public:
  WeightOverride(Layer& layer, const Tensor& weight);
  ~WeightOverride();
  WeightOverride(const WeightOverride&) = delete;
  WeightOverride& operator=(const WeightOverride&) = delete;

 private:
  Layer& layer_;
  Tensor weight_, bias_;
};

// The weight of a conv or dense layer with the batchnorm that reads it
// folded in (W' = W gamma / sqrt(var + eps) per output channel), on the
// layer's device.
Tensor folded_weight(const Layer& weighted, const Layer& batchnorm);

// Positive and negative parts: relu(t) and t - relu(t), on t's device.
Tensor positive_part(const Tensor& t);
Tensor negative_part(const Tensor& t);

// a * b, a + b and factor * a element-wise, gradients off (tensors of one shape).
Tensor product(const Tensor& a, const Tensor& b);
Tensor plus(const Tensor& a, const Tensor& b);
Tensor scaled(const Tensor& a, float factor);

// numerator / denominator element-wise, 0 where the denominator is 0, the
// denominator first moved away from 0 by `epsilon` in its own sign
// (d + epsilon sign(d), sign(0) = +1): epsilon 0 is the plain "safe divide".
Tensor stabilized_ratio(const Tensor& numerator, const Tensor& denominator, float epsilon);

// out[i] = f(v) with v[k] = args[k][i], on the host, the result on args[0]'s
// device (every arg of args[0]'s shape).
Tensor host_map(const std::vector<Tensor>& args, const std::function<float(const float*)>& f);

// Image n of [N, C, H, W] values summed over channels.
Map channel_sum_map(const std::vector<float>& values, const Shape& shape, int64_t n);
std::vector<Map> channel_sum_maps(const Tensor& attributions);

// "method 'lrp-epsilon' cannot ... layer 'x' (type)": the error for a layer a rule set does not handle.
[[noreturn]] void unsupported_layer(const std::string& method, const Layer& layer, const std::string& handled);

}  // namespace gaze::cam::detail
