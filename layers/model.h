#pragma once
// Model: a named DAG of layers. Layers run in the order listed; each takes
// the previous layer's output unless it names its `inputs` ("input" is the
// image batch). Any layer can be looked up by name to read its parameters
// and, after forward(), its output activation: the CAM module reads the
// dense weights and the last conv feature map this way.
//
// Description format (JSON, and the same keys in YAML configs):
//   {"input": [C, H, W],
//    "layers": [{"type": "conv", "name": "conv1", "filters": 32, "kernel": 3, ...},
//               {"type": "add", "name": "res1", "inputs": ["conv2", "relu1"]}, ...]}
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "core/safetensors.h"
#include "layers/layer.h"

namespace gaze {

struct LayerSpec {
  std::string type;
  std::string name;                 // generated ("conv1", "conv2", ...) when empty
  std::vector<std::string> inputs;  // empty: the previous layer (or "input")
  LayerParams params;
};

class Model {
 public:
  // Builds every layer, checking the wiring and shapes, and draws initial
  // parameters from `seed`.
  Model(const Shape& input_shape, std::vector<LayerSpec> specs, uint64_t seed = 0);
  static Model from_json(const nlohmann::json& description, uint64_t seed = 0);
  // The full description, every hyperparameter explicit; from_json(to_json())
  // rebuilds the same architecture.
  nlohmann::json to_json() const;

  // x: [N, C, H, W] (or [N, F]) matching input_shape(). Returns the last layer's output.
  Tensor forward(const Tensor& x, const ForwardContext& context);
  Tensor forward(const Tensor& x, bool training = false) { return forward(x, {training, 0}); }

  size_t size() const { return layers_.size(); }
  Layer& layer(size_t index) { return *layers_.at(index); }
  const Layer& layer(size_t index) const { return *layers_.at(index); }
  Layer& layer(const std::string& name);
  const Layer& layer(const std::string& name) const;
  bool has_layer(const std::string& name) const { return index_.count(name) > 0; }
  const std::vector<std::string>& inputs_of(const std::string& name) const;
  const Shape& input_shape() const { return input_shape_; }
  const Shape& output_shape(const std::string& name) const;  // without the batch dimension
  const std::string& output_name() const { return layers_.back()->name(); }
  // The layer whose output the loss sees: the input of a final softmax, else the last layer.
  std::string logits_name() const;

  // Output of `name` in the most recent forward() (keeps its autograd node,
  // so retain_grad() on it before backward() gives d loss / d activation).
  Tensor activation(const std::string& name) const;
  // By default forward() keeps every layer's output readable. Training keeps
  // only the ones it reads (the logits): the others are dropped after their
  // last use, so memory holds just what backward needs. Empty = keep all.
  void keep_only_activations(const std::vector<std::string>& names);

  // "<layer>.<param>" names, in layer order.
  NamedTensors named_parameters() const;
  // The parameters of layers that are not frozen: what an optimizer updates.
  NamedTensors trainable_parameters() const;
  // Freezes every layer named in `patterns` (an exact name, or "prefix*"
  // for every layer whose name starts with prefix): see Layer::set_frozen.
  // A pattern that matches no layer is an error. Returns the frozen layers.
  std::vector<std::string> freeze(const std::vector<std::string>& patterns);
  NamedTensors named_buffers() const;
  NamedTensors named_state() const;  // parameters then buffers: what a checkpoint stores
  int64_t parameter_count() const;
  // Bytes of all layers' outputs for one image: the forward pass's
  // activation memory per sample (training keeps about this much per image
  // for backward). The constructor refuses a model whose value exceeds the
  // machine's memory.
  int64_t activation_bytes_per_sample() const;
  // Copies values into the model's tensors; every name must be present with
  // the right shape. `source` names the origin (a file) in error messages.
  void load_state(const TensorFile& file, const std::string& source);
  void zero_grad();
  // True when layer i is a batchnorm whose output only layer i + 1, a ReLU,
  // reads and nobody keeps: forward then runs the two as one fused op
  // (BatchNorm2d::forward_relu), which saves a pass over the activation each
  // way. Public for tools that run layers one by one (gaze-bench's profile).
  bool fuses_with_relu(size_t i, const ForwardContext& context) const;

  void to(Device device);
  Device device() const { return device_; }

 private:
  Shape input_shape_;
  std::vector<std::unique_ptr<Layer>> layers_;
  std::vector<std::vector<std::string>> inputs_;
  std::vector<Shape> output_shapes_;
  std::map<std::string, size_t> index_;
  std::map<std::string, Tensor> activations_;
  std::map<std::string, size_t> last_use_;  // index of the last layer reading each output
  std::set<std::string> kept_;              // empty: keep all
  Device device_;
};

// Layer name patterns of configs (train.freeze, train.lr_groups): "conv1"
// matches layer conv1 only, "layer4_*" every layer whose name starts with "layer4_".
bool matches_layer_pattern(const std::string& pattern, const std::string& name);

}  // namespace gaze
