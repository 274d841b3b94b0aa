#include "cam/propagation.h"

#include <cmath>

#include "core/autograd.h"
#include "core/error.h"
#include "core/ops.h"
#include "layers/layers.h"

namespace gaze::cam::detail {

LayerRole layer_role(const Layer& layer) {
  const std::string type = layer.type();
  if (type == Conv2d::kType || type == Dense::kType) return LayerRole::weighted;
  if (type == BatchNorm2d::kType) return LayerRole::batchnorm;
  if (layer.traits().relu) return LayerRole::relu;
  if (type == LeakyReLU::kType) return LayerRole::leaky_relu;
  if (type == MaxPool2d::kType) return LayerRole::max_pool;
  if (type == AvgPool2d::kType || layer.traits().global_average_pool) return LayerRole::average_pool;
  if (layer.traits().identity_at_inference || type == Concat::kType) return LayerRole::route;
  if (type == Add::kType) return LayerRole::sum;
  if (type == ResidualDense::kType) return LayerRole::residual_dense;
  return LayerRole::other;
}

const char* const kFoldPlanHandled =
    "conv, dense, batchnorm (folded into the conv or dense layer it reads), maxpool, avgpool, gap, relu, "
    "flatten, dropout, add and concat";

std::map<std::string, std::string> fold_plan(const Model& model, const std::string& method) {
  std::map<std::string, int> readers;
  for (size_t i = 0; i < model.size(); ++i)
    for (const std::string& input : model.inputs_of(model.layer(i).name())) ++readers[input];
  std::map<std::string, std::string> folds;
  const std::string logits = model.logits_name();
  for (size_t i = 0; i < model.size(); ++i) {
    const Layer& layer = model.layer(i);
    switch (layer_role(layer)) {
      case LayerRole::weighted:
      case LayerRole::relu:
      case LayerRole::max_pool:
      case LayerRole::average_pool:
      case LayerRole::route:
      case LayerRole::sum: break;
      case LayerRole::batchnorm: {
        const std::string& source = model.inputs_of(layer.name()).front();
        const bool foldable = source != "input" && layer_role(model.layer(source)) == LayerRole::weighted;
        GAZE_CHECK(foldable, "method '", method, "' folds each batchnorm into the conv or dense layer it reads, but "
                   "batchnorm '", layer.name(), "' reads ", source == "input" ? std::string("the model input")
                   : "'" + source + "' (" + model.layer(source).type() + ")");
        GAZE_CHECK(readers[source] == 1, "method '", method, "' cannot fold batchnorm '", layer.name(), "' into '",
                   source, "': other layers read '", source, "' too");
        folds[source] = layer.name();
        break;
      }
      default: unsupported_layer(method, layer, kFoldPlanHandled);
    }
    if (layer.name() == logits) break;
  }
  return folds;
}

Activations forward_activations(Model& model, const Tensor& x) {
  NoGradGuard no_grad;
  model.forward(x);
  Activations activations{{"input", x}};
  for (size_t i = 0; i < model.size(); ++i) {
    const std::string& name = model.layer(i).name();
    activations[name] = model.activation(name);
  }
  return activations;
}

Tensor target_seed(const Tensor& logits, const std::vector<int>& targets, bool logit_valued) {
  GAZE_CHECK(logits.ndim() == 2 && static_cast<int64_t>(targets.size()) == logits.dim(0), "target_seed: ",
             targets.size(), " targets for logits ", gaze::to_string(logits.shape()));
  const int64_t classes = logits.dim(1);
  const std::vector<float> values = logit_valued ? logits.to_vector() : std::vector<float>{};
  std::vector<float> seed(static_cast<size_t>(logits.numel()), 0.0f);
  for (size_t n = 0; n < targets.size(); ++n) {
    GAZE_CHECK(targets[n] >= 0 && targets[n] < classes, "target class ", targets[n], " is outside the model's ",
               classes, " classes");
    const size_t at = n * static_cast<size_t>(classes) + static_cast<size_t>(targets[n]);
    seed[at] = logit_valued ? values[at] : 1.0f;
  }
  return Tensor::from_vector(logits.shape(), seed, logits.device());
}

Tensor propagate_to_input(const Model& model, const Tensor& seed, const LayerRule& rule) {
  std::map<std::string, Tensor> signals{{model.logits_name(), seed}};
  for (size_t i = model.size(); i-- > 0;) {
    const std::string& name = model.layer(i).name();
    const auto found = signals.find(name);
    if (found == signals.end()) continue;  // after the logits (softmax), or no signal reached it
    const Tensor signal = found->second;
    signals.erase(found);
    const std::vector<Tensor> sent = rule(i, signal);
    const std::vector<std::string>& inputs = model.inputs_of(name);
    GAZE_CHECK(sent.size() == inputs.size(), "layer '", name, "': its rule gave ", sent.size(), " signals for ",
               inputs.size(), " inputs");
    for (size_t k = 0; k < inputs.size(); ++k) {
      if (!sent[k].defined()) continue;
      Tensor& slot = signals[inputs[k]];
      slot = slot.defined() ? plus(slot, sent[k]) : sent[k];
    }
  }
  const auto input = signals.find("input");
  if (input != signals.end()) return input->second;
  Shape shape = model.input_shape();
  shape.insert(shape.begin(), seed.dim(0));
  return Tensor::zeros(shape, seed.device());
}

std::vector<Tensor> layer_vjp(Layer& layer, const std::vector<Tensor>& inputs, const Tensor& s) {
  std::vector<Tensor> leaves;
  for (const Tensor& input : inputs) {
    Tensor leaf = input.detach();
    leaf.set_requires_grad(true);
    leaves.push_back(leaf);
  }
  // The layer's own tensors are read, not differentiated: only the inputs'
  // gradients are wanted, and the model's .grad() must stay untouched.
  std::vector<std::pair<Tensor, bool>> frozen;
  for (auto& [name, tensor] : layer.parameters()) {
    frozen.emplace_back(tensor, tensor.requires_grad());
    tensor.set_requires_grad(false);
  }
  struct Restore {
    std::vector<std::pair<Tensor, bool>>& tensors;
    ~Restore() {
      for (auto& [tensor, trainable] : tensors) tensor.set_requires_grad(trainable);
    }
  } restore{frozen};
  GAZE_CHECK(grad_enabled(), "layer '", layer.name(), "': attribution needs the autograd tape, but gradients are "
             "disabled (a NoGradGuard is alive)");
  const Tensor y = layer.forward(leaves, ForwardContext{});
  GAZE_CHECK(y.shape() == s.shape(), "layer '", layer.name(), "': output ", gaze::to_string(y.shape()), " but signal ",
             gaze::to_string(s.shape()));
  if (y.requires_grad()) ops::sum(ops::mul(y, s)).backward();
  std::vector<Tensor> grads;
  for (const Tensor& leaf : leaves)
    grads.push_back(leaf.grad().defined() ? leaf.grad() : Tensor::zeros(leaf.shape(), leaf.device()));
  return grads;
}

WeightOverride::WeightOverride(Layer& layer, const Tensor& weight) : layer_(layer) {
  Tensor& own = layer.tensor("weight");
  GAZE_CHECK(own.shape() == weight.shape(), "layer '", layer.name(), "': replacement weight ",
             gaze::to_string(weight.shape()), " for ", gaze::to_string(own.shape()));
  weight_ = own;
  own = weight;
  for (auto& [name, tensor] : layer.parameters())
    if (name == "bias") {
      bias_ = tensor;
      tensor = Tensor::zeros(tensor.shape(), tensor.device());
    }
}

WeightOverride::~WeightOverride() {
  layer_.tensor("weight") = weight_;
  if (bias_.defined()) layer_.tensor("bias") = bias_;
}

Tensor folded_weight(const Layer& weighted, const Layer& batchnorm) {
  auto find = [](const Layer& layer, const std::string& local) {
    for (const auto& [name, tensor] : layer.parameters())
      if (name == local) return tensor;
    for (const auto& [name, tensor] : layer.buffers())
      if (name == local) return tensor;
    throw Error("layer '" + layer.name() + "' has no tensor '" + local + "'");
  };
  const Tensor weight = find(weighted, "weight");
  std::vector<float> w = weight.to_vector();
  const std::vector<float> gamma = find(batchnorm, "weight").to_vector();
  const std::vector<float> variance = find(batchnorm, "running_var").to_vector();
  const double eps = batchnorm.hyperparameters().at("eps").get<double>();
  const size_t outputs = static_cast<size_t>(weight.dim(0)), per_output = w.size() / outputs;
  GAZE_CHECK(gamma.size() == outputs, "batchnorm '", batchnorm.name(), "' has ", gamma.size(),
             " channels for the ", outputs, " outputs of '", weighted.name(), "'");
  for (size_t o = 0; o < outputs; ++o) {
    const double scale = gamma[o] / std::sqrt(static_cast<double>(variance[o]) + eps);
    for (size_t i = 0; i < per_output; ++i) w[o * per_output + i] = static_cast<float>(w[o * per_output + i] * scale);
  }
  return Tensor::from_vector(weight.shape(), w, weight.device());
}

Tensor positive_part(const Tensor& t) {
  NoGradGuard no_grad;
  return ops::relu(t);
}

Tensor negative_part(const Tensor& t) {
  NoGradGuard no_grad;
  return ops::add(t, ops::scale(ops::relu(t), -1.0f));
}

Tensor product(const Tensor& a, const Tensor& b) {
  NoGradGuard no_grad;
  return ops::mul(a, b);
}

Tensor plus(const Tensor& a, const Tensor& b) {
  NoGradGuard no_grad;
  return ops::add(a, b);
}

Tensor scaled(const Tensor& a, float factor) {
  NoGradGuard no_grad;
  return ops::scale(a, factor);
}

Tensor stabilized_ratio(const Tensor& numerator, const Tensor& denominator, float epsilon) {
  return host_map({numerator, denominator}, [epsilon](const float* v) {
    const float d = v[1] + (v[1] >= 0 ? epsilon : -epsilon);
    return d != 0 ? v[0] / d : 0.0f;
  });
}

Tensor host_map(const std::vector<Tensor>& args, const std::function<float(const float*)>& f) {
  GAZE_CHECK(!args.empty(), "host_map: no arguments");
  std::vector<std::vector<float>> host;
  for (const Tensor& t : args) {
    GAZE_CHECK(t.shape() == args[0].shape(), "host_map: shapes ", gaze::to_string(t.shape()), " and ",
               gaze::to_string(args[0].shape()));
    host.push_back(t.to_vector());
  }
  std::vector<float> out(host[0].size());
  std::vector<float> v(args.size());
  for (size_t i = 0; i < out.size(); ++i) {
    for (size_t k = 0; k < host.size(); ++k) v[k] = host[k][i];
    out[i] = f(v.data());
  }
  return Tensor::from_vector(args[0].shape(), out, args[0].device());
}

Map channel_sum_map(const std::vector<float>& values, const Shape& shape, int64_t n) {
  const int64_t channels = shape[1], plane = shape[2] * shape[3];
  Map map(static_cast<int>(shape[2]), static_cast<int>(shape[3]));
  const float* image = values.data() + n * channels * plane;
  for (int64_t c = 0; c < channels; ++c)
    for (int64_t i = 0; i < plane; ++i) map.values[static_cast<size_t>(i)] += image[c * plane + i];
  return map;
}

std::vector<Map> channel_sum_maps(const Tensor& attributions) {
  GAZE_CHECK(attributions.ndim() == 4, "attribution maps need an [N, C, H, W] input, got ",
             gaze::to_string(attributions.shape()));
  const std::vector<float> values = attributions.to_vector();
  std::vector<Map> maps;
  for (int64_t n = 0; n < attributions.dim(0); ++n) maps.push_back(channel_sum_map(values, attributions.shape(), n));
  return maps;
}

void unsupported_layer(const std::string& method, const Layer& layer, const std::string& handled) {
  throw Error("method '" + method + "' cannot propagate through layer '" + layer.name() + "' (" + layer.type() +
              "): its rules handle " + handled + ". Use a gradient method (saliency, input-x-gradient, "
              "integrated-gradients) or a layer method (gradcam) for this network.");
}

}  // namespace gaze::cam::detail
