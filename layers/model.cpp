#include "layers/model.h"

#include <cctype>
#include <set>

#include "core/error.h"
#include "core/memory_budget.h"
#include "layers/registry.h"

namespace gaze {

namespace {
const char* kInputName = "input";
}

Model::Model(const Shape& input_shape, std::vector<LayerSpec> specs, uint64_t seed)
    : input_shape_(input_shape) {
  GAZE_CHECK(!specs.empty(), "model: the layer list is empty");
  GAZE_CHECK(!input_shape.empty(), "model: the input shape is empty");
  for (int64_t d : input_shape)
    GAZE_CHECK(d > 0, "model: input shape ", to_string(input_shape), " must be positive");
  Rng rng(seed);
  // Sizes come from configs and checkpoints: a model whose parameters cannot
  // fit in memory fails here, naming what it would need, before it is built.
  AllocationBudget budget(physical_memory_bytes(), "the model's parameters and buffers");
  std::map<std::string, int> type_counts;
  std::set<std::string> explicit_names;
  for (const LayerSpec& spec : specs)
    if (!spec.name.empty()) explicit_names.insert(spec.name);
  std::map<std::string, Shape> shapes{{kInputName, input_shape}};
  for (LayerSpec& spec : specs) {
    // Generated names skip any name the user wrote, so "conv2" never collides.
    while (spec.name.empty()) {
      const std::string candidate = spec.type + std::to_string(++type_counts[spec.type]);
      if (!explicit_names.count(candidate)) spec.name = candidate;
    }
    spec.params.set_layer_name(spec.name);
    const std::string where = spec.params.context();
    bool plain = !spec.name.empty();
    for (char c : spec.name) plain = plain && (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-');
    GAZE_CHECK(plain, where, ": layer name '", spec.name,
               "' may only use letters, digits, '_' and '-' (parameters are named <layer>.<param>)");
    GAZE_CHECK(spec.name != kInputName && !index_.count(spec.name), where, ": the name '", spec.name,
               "' is ", spec.name == kInputName ? "reserved for the model input" : "used twice");
    auto layer = LayerRegistry::instance().create(spec.type, spec.name, spec.params);
    std::vector<std::string> inputs = spec.inputs;
    if (inputs.empty()) inputs.push_back(layers_.empty() ? kInputName : layers_.back()->name());
    const int count = static_cast<int>(inputs.size());
    GAZE_CHECK(count >= layer->min_inputs() && count <= layer->max_inputs(), where, ": takes ",
               layer->min_inputs(), layer->min_inputs() == layer->max_inputs() ? "" : " or more",
               " input(s), got ", count);
    std::vector<Shape> in_shapes;
    for (const std::string& input : inputs) {
      last_use_[input] = layers_.size();
      const auto found = shapes.find(input);
      GAZE_CHECK(found != shapes.end(), where, ": input '", input,
                 "' is not the model input or an earlier layer");
      in_shapes.push_back(found->second);
    }
    Shape out;
    try {
      out = layer->build(in_shapes, rng);
    } catch (const Error& e) {
      const std::string message = e.what();
      if (message.find(spec.name) != std::string::npos) throw;
      throw Error(where + ": " + message);
    }
    shapes[spec.name] = out;
    index_[spec.name] = layers_.size();
    layers_.push_back(std::move(layer));
    inputs_.push_back(inputs);
    output_shapes_.push_back(out);
  }
  // The activations of one image must fit too, or the first forward pass
  // would fail (or be killed) far from the config line that caused it.
  const int64_t activations = activation_bytes_per_sample();
  static const int64_t memory = physical_memory_bytes();
  GAZE_CHECK(activations <= memory, "model: the layers' outputs for a single image need ",
             format_bytes(activations), " but this machine has ", format_bytes(memory),
             " of memory (check kernel, stride, padding and filters)");
}

int64_t Model::activation_bytes_per_sample() const {
  int64_t bytes = 0;
  for (const Shape& shape : output_shapes_)
    bytes = checked_add(bytes, checked_multiply(numel(shape), sizeof(float), "activation size"), "activation size");
  return bytes;
}

Model Model::from_json(const nlohmann::json& description, uint64_t seed) {
  GAZE_CHECK(description.is_object() && description.contains("input") && description.contains("layers"),
             "model description needs 'input' and 'layers'");
  const Shape input = description.at("input").get<Shape>();
  std::vector<LayerSpec> specs;
  for (const nlohmann::json& entry : description.at("layers")) {
    GAZE_CHECK(entry.is_object() && entry.contains("type"), "model description: every layer needs a 'type'");
    LayerSpec spec;
    nlohmann::json params = entry;
    spec.type = entry.at("type").get<std::string>();
    spec.name = entry.value("name", "");
    if (entry.contains("inputs")) spec.inputs = entry.at("inputs").get<std::vector<std::string>>();
    for (const char* key : {"type", "name", "inputs"}) params.erase(key);
    spec.params = LayerParams(params, spec.name.empty() ? spec.type : spec.name);
    specs.push_back(std::move(spec));
  }
  return Model(input, std::move(specs), seed);
}

nlohmann::json Model::to_json() const {
  nlohmann::json list = nlohmann::json::array();
  for (size_t i = 0; i < layers_.size(); ++i) {
    nlohmann::json entry = {{"type", layers_[i]->type()}, {"name", layers_[i]->name()}, {"inputs", inputs_[i]}};
    entry.update(layers_[i]->hyperparameters());
    list.push_back(entry);
  }
  return {{"input", input_shape_}, {"layers", list}};
}

Tensor Model::forward(const Tensor& x, const ForwardContext& context) {
  GAZE_CHECK(x.defined() && x.ndim() == static_cast<int>(input_shape_.size()) + 1, "model: expected input [N, ",
             to_string(input_shape_).substr(1), " got ", x.defined() ? to_string(x.shape()) : "nothing");
  for (size_t d = 0; d < input_shape_.size(); ++d)
    GAZE_CHECK(x.dim(static_cast<int>(d) + 1) == input_shape_[d], "model: expected input [N, ",
               to_string(input_shape_).substr(1), " got ", to_string(x.shape()));
  GAZE_CHECK(x.device() == device_, "model: input on ", x.device().str(), " but the model is on ", device_.str());
  activations_.clear();
  activations_[kInputName] = x;
  ForwardObserver* observer = context.observer;
  for (size_t i = 0; i < layers_.size(); ++i) {
    std::vector<Tensor> inputs;
    for (const std::string& name : inputs_[i]) inputs.push_back(activations_.at(name));
    if (fuses_with_relu(i, context)) {
      // The batchnorm's own output is never stored: it goes straight to the ReLU's name.
      if (observer) observer->before_layer(i, i + 1);
      Tensor output = layers_[i]->forward_relu(inputs, context);
      activations_[layers_[i + 1]->name()] = observer ? observer->after_layer(i, i + 1, std::move(output)) : output;
      ++i;
      for (const std::string& name : inputs_[i - 1])
        if (last_use_.at(name) == i - 1 && !kept_.count(name)) activations_.erase(name);
      continue;
    }
    if (observer) observer->before_layer(i, i);
    Tensor output = layers_[i]->forward(inputs, context);
    activations_[layers_[i]->name()] = observer ? observer->after_layer(i, i, std::move(output)) : output;
    if (kept_.empty()) continue;
    for (const std::string& name : inputs_[i])
      if (last_use_.at(name) == i && !kept_.count(name)) activations_.erase(name);
  }
  return activations_.at(output_name());
}

bool Model::fuses_with_relu(size_t i, const ForwardContext& context) const {
  if (!context.training || kept_.empty() || i + 1 >= layers_.size()) return false;
  const std::string& name = layers_[i]->name();
  return layers_[i]->traits().fuses_following_relu && layers_[i + 1]->traits().relu &&
         inputs_[i + 1] == std::vector<std::string>{name} && last_use_.at(name) == i + 1 && !kept_.count(name);
}

Layer& Model::layer(const std::string& name) {
  const auto found = index_.find(name);
  GAZE_CHECK(found != index_.end(), "model has no layer named '", name, "'");
  return *layers_[found->second];
}

const Layer& Model::layer(const std::string& name) const { return const_cast<Model*>(this)->layer(name); }

const std::vector<std::string>& Model::inputs_of(const std::string& name) const {
  layer(name);
  return inputs_[index_.at(name)];
}

const Shape& Model::output_shape(const std::string& name) const {
  if (name == kInputName) return input_shape_;
  layer(name);
  return output_shapes_[index_.at(name)];
}

std::string Model::logits_name() const {
  if (layers_.back()->traits().probabilities) return inputs_.back().front();
  return output_name();
}

void Model::keep_only_activations(const std::vector<std::string>& names) {
  kept_.clear();
  for (const std::string& name : names) {
    if (name != kInputName) layer(name);  // throws for unknown names
    kept_.insert(name);
  }
  if (!kept_.empty()) kept_.insert(output_name());
}

Tensor Model::activation(const std::string& name) const {
  const auto found = activations_.find(name);
  GAZE_CHECK(found != activations_.end(), "model: no activation for '", name,
             "' (no such layer, forward() has not run yet, or keep_only_activations() dropped it)");
  return found->second;
}

NamedTensors Model::named_parameters() const {
  NamedTensors all;
  for (const auto& layer : layers_)
    for (const auto& [key, tensor] : layer->parameters()) all.emplace_back(layer->name() + "." + key, tensor);
  return all;
}

NamedTensors Model::named_buffers() const {
  NamedTensors all;
  for (const auto& layer : layers_)
    for (const auto& [key, tensor] : layer->buffers()) all.emplace_back(layer->name() + "." + key, tensor);
  return all;
}

NamedTensors Model::named_state() const {
  NamedTensors all = named_parameters();
  for (auto& entry : named_buffers()) all.push_back(entry);
  return all;
}

int64_t Model::parameter_count() const {
  int64_t count = 0;
  for (const auto& [name, tensor] : named_parameters()) count += tensor.numel();
  return count;
}

void Model::load_state(const TensorFile& file, const std::string& source) {
  std::set<std::string> expected;
  for (auto& [name, tensor] : named_state()) {
    expected.insert(name);
    const Tensor* stored = file.find(name);
    GAZE_CHECK(stored, "'", source, "' has no tensor '", name, "' that the model needs");
    GAZE_CHECK(stored->shape() == tensor.shape(), "'", source, "': tensor '", name, "' has shape ",
               to_string(stored->shape()), " but the model expects ", to_string(tensor.shape()));
  }
  for (const auto& [name, tensor] : file.tensors)
    GAZE_CHECK(expected.count(name), "'", source, "' has tensor '", name, "' that the model does not know");
  for (auto& [name, tensor] : named_state()) {
    Tensor target = tensor;
    target.copy_from(*file.find(name));
  }
  for (const auto& layer : layers_) layer->check_state(source);
}

void Model::zero_grad() {
  for (auto& [name, tensor] : named_parameters()) {
    Tensor t = tensor;
    t.zero_grad();
  }
}

NamedTensors Model::trainable_parameters() const {
  NamedTensors all;
  for (const auto& layer : layers_)
    if (!layer->frozen())
      for (const auto& [key, tensor] : layer->parameters()) all.emplace_back(layer->name() + "." + key, tensor);
  return all;
}

bool matches_layer_pattern(const std::string& pattern, const std::string& name) {
  if (!pattern.empty() && pattern.back() == '*') return name.rfind(pattern.substr(0, pattern.size() - 1), 0) == 0;
  return name == pattern;
}

std::vector<std::string> Model::freeze(const std::vector<std::string>& patterns) {
  std::vector<std::string> frozen;
  for (const std::string& pattern : patterns) {
    bool matched = false;
    for (auto& layer : layers_) {
      if (!matches_layer_pattern(pattern, layer->name())) continue;
      matched = true;
      if (layer->frozen()) continue;
      layer->set_frozen(true);
      for (auto& [key, tensor] : layer->parameters()) tensor.set_requires_grad(false);
      frozen.push_back(layer->name());
    }
    GAZE_CHECK(matched, "freeze: no layer matches '", pattern, "' (an exact layer name, or \"prefix*\")");
  }
  return frozen;
}

void Model::to(Device device) {
  for (auto& layer : layers_) {
    for (auto& [key, tensor] : layer->parameters())
      tensor = tensor.to(device).detach().set_requires_grad(!layer->frozen());
    for (auto& [key, tensor] : layer->buffers()) tensor = tensor.to(device).detach();
  }
  device_ = device;
  activations_.clear();
}

}  // namespace gaze
