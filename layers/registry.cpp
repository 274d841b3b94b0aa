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
  registry.add<Conv2d>("conv");
  registry.add<BatchNorm2d>("batchnorm");
  registry.add<ReLU>("relu");
  registry.add<LeakyReLU>("leaky_relu");
  registry.add<MaxPool2d>("maxpool");
  registry.add<AvgPool2d>("avgpool");
  registry.add<GlobalAvgPool>("gap");
  registry.add<Dense>("dense");
  registry.add<Dropout>("dropout");
  registry.add<Softmax>("softmax");
  registry.add<Flatten>("flatten");
  registry.add<Add>("add");
  registry.add<Concat>("concat");
  registry.add<ResidualDense>("residual_dense");
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
