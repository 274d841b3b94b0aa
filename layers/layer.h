#pragma once
// Layer: one named node of a Model. A layer owns named parameters (trained)
// and buffers (state such as BatchNorm's running statistics), learns its
// parameter shapes from its input shapes in build(), and computes its output
// from core ops in forward(), so autograd comes for free.
//
// Shapes given to build() exclude the batch dimension: [C, H, W] or [F].
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "core/random.h"
#include "core/tensor.h"
#include "layers/layer_params.h"

namespace gaze {

// Sees Model::forward run (profilers, debuggers): each layer, or fused
// batchnorm + ReLU pair (layers first..last), before it runs and its output
// after, which the observer may replace (e.g. by an identity op of its own).
class ForwardObserver {
 public:
  virtual ~ForwardObserver() = default;
  virtual void before_layer(size_t first, size_t last) = 0;
  virtual Tensor after_layer(size_t first, size_t last, Tensor output) = 0;
};

struct ForwardContext {
  bool training = false;
  uint64_t seed = 0;  // varies per step: dropout masks derive from it
  ForwardObserver* observer = nullptr;  // optional, not owned
};

using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

// What a layer is, for code that must treat some layers specially (fusion,
// CAM's graph, FLOP counts, randomization checks). Such code asks these
// instead of comparing type names, so a user's layer is handled by what it
// declares, whatever name it is registered under.
struct LayerTraits {
  bool relu = false;                   // y = max(0, x), element-wise
  bool fuses_following_relu = false;   // forward_relu() computes relu(forward()) in one pass
  bool running_statistics = false;     // buffers that training updates (BatchNorm)
  bool identity_at_inference = false;  // values pass through unchanged in evaluation (dropout, flatten)
  bool global_average_pool = false;    // [C, H, W] -> [C], the spatial mean
  bool weighted = false;               // multiplies by learned weights ("weight" is its first parameter)
  bool linear = false;                 // y = W x + b on features, W [out, in] (CAM's dense head)
  bool probabilities = false;          // softmax: its input holds the logits
};

class Layer {
 public:
  explicit Layer(std::string name) : name_(std::move(name)) {}
  virtual ~Layer() = default;
  Layer(const Layer&) = delete;
  Layer& operator=(const Layer&) = delete;

  const std::string& name() const { return name_; }
  // The registry name: "conv", "batchnorm", ...
  virtual std::string type() const = 0;
  // How many inputs the layer takes (Add and Concat take two or more).
  virtual int min_inputs() const { return 1; }
  virtual int max_inputs() const { return 1; }

  // Validates the input shapes, creates parameters on first call (drawn from
  // `rng`), and returns the output shape. Throws gaze::Error naming the layer.
  virtual Shape build(const std::vector<Shape>& input_shapes, Rng& rng) = 0;
  virtual Tensor forward(const std::vector<Tensor>& inputs, const ForwardContext& context) = 0;
  // Every hyperparameter as an explicit value (kernel, stride, integer
  // padding, eps, ...): enough to rebuild the layer without defaults.
  virtual nlohmann::json hyperparameters() const = 0;
  virtual LayerTraits traits() const { return {}; }
  // relu(forward(inputs)) in one pass, for layers whose traits() say
  // fuses_following_relu; Model calls it when a ReLU is the only reader.
  virtual Tensor forward_relu(const std::vector<Tensor>& inputs, const ForwardContext& context);
  // Multiply-adds of one sample's forward pass, given this layer's output
  // shape (without the batch); 0 for layers without weights.
  virtual double forward_macs(const Shape& output_shape) const;
  // Checks values loaded from a file that the layer cannot work with (a
  // negative variance, ...); throws gaze::Error naming `source`, the layer
  // and the tensor. Finiteness is checked for every tensor before this.
  virtual void check_state(const std::string& source) const { (void)source; }

  // A frozen layer does not train (fine-tuning's train.freeze): its
  // parameters get no gradients and, in training mode, layers with running
  // statistics normalize with them as in evaluation, leaving them unchanged.
  void set_frozen(bool frozen) { frozen_ = frozen; }
  bool frozen() const { return frozen_; }

  NamedTensors& parameters() { return parameters_; }
  const NamedTensors& parameters() const { return parameters_; }
  NamedTensors& buffers() { return buffers_; }
  const NamedTensors& buffers() const { return buffers_; }
  // Finds a parameter or buffer by its local name ("weight"); throws if absent.
  Tensor& tensor(const std::string& local_name);

 protected:
  Tensor& add_parameter(const std::string& local_name, Tensor value);
  Tensor& add_buffer(const std::string& local_name, Tensor value);
  // "layer 'conv1' (conv)": the prefix of this layer's error messages.
  std::string where() const { return "layer '" + name_ + "' (" + type() + ")"; }
  void expect_inputs(const std::vector<Shape>& shapes, size_t rank, const char* expected) const;

 private:
  std::string name_;
  NamedTensors parameters_;
  NamedTensors buffers_;
  bool frozen_ = false;
};

}  // namespace gaze
