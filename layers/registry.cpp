#include "layers/registry.h"

#include "core/error.h"
#include "layers/activation.h"
#include "layers/batch_norm.h"
#include "layers/conv2d.h"
#include "layers/dense.h"
#include "layers/dropout.h"
#include "layers/flatten.h"
#include "layers/merge.h"
#include "layers/pooling.h"
#include "layers/residual_dense.h"
#include "layers/softmax.h"

namespace gaze {

namespace {
void register_builtin_layers(LayerRegistry& registry) {
  registry.add<Conv2d>();
  registry.add<BatchNorm2d>();
  registry.add<ReLU>();
  registry.add<LeakyReLU>();
  registry.add<ReLU6>();
  registry.add<MaxPool2d>();
  registry.add<AvgPool2d>();
  registry.add<GlobalAvgPool>();
  registry.add<Dense>();
  registry.add<Dropout>();
  registry.add<Softmax>();
  registry.add<Flatten>();
  registry.add<Add>();
  registry.add<Concat>();
  registry.add<ResidualDense>();
}
}  // namespace

LayerRegistry& LayerRegistry::instance() {
  static LayerRegistry registry = [] {
    LayerRegistry r;
    register_builtin_layers(r);
    return r;
  }();
  return registry;
}

void LayerRegistry::add(const std::string& type, LayerFactory factory) {
  GAZE_CHECK(!type.empty() && factory, "layer registry: empty type name or factory");
  factories_[type] = std::move(factory);
}

std::unique_ptr<Layer> LayerRegistry::create(const std::string& type, const std::string& name,
                                             const LayerParams& params) const {
  const auto found = factories_.find(type);
  if (found == factories_.end()) {
    std::string known;
    for (const auto& [key, factory] : factories_) known += (known.empty() ? "" : ", ") + key;
    throw Error(params.context() + ": unknown layer type '" + type + "'; known types: " + known);
  }
  return found->second(name, params);
}

std::vector<std::string> LayerRegistry::types() const {
  std::vector<std::string> names;
  for (const auto& [key, factory] : factories_) names.push_back(key);
  return names;
}

}  // namespace gaze
