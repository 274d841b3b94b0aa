#pragma once
// Helpers shared by the layer tests: build a layer through the registry, the
// way a config does, and gradient-check it with respect to its inputs and
// every parameter.
#include <catch2/catch.hpp>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/core.h"
#include "layers/layers.h"
#include "tests/core/gradcheck.h"

namespace gaze::testing {

inline std::unique_ptr<Layer> make_layer(const std::string& type, const std::string& name,
                                         const nlohmann::json& params = nlohmann::json::object()) {
  return LayerRegistry::instance().create(type, name, LayerParams(params, name));
}

// Constructs and builds in one go (for error tests: either step may throw).
inline Shape make_and_build(const std::string& type, const std::string& name, const nlohmann::json& params,
                            const std::vector<Shape>& input_shapes) {
  Rng rng(0);
  return make_layer(type, name, params)->build(input_shapes, rng);
}

inline std::vector<std::string> parameter_names(const Layer& layer) {
  std::vector<std::string> names;
  for (const auto& [name, tensor] : layer.parameters()) names.push_back(name);
  return names;
}

inline std::vector<std::string> buffer_names(const Layer& layer) {
  std::vector<std::string> names;
  for (const auto& [name, tensor] : layer.buffers()) names.push_back(name);
  return names;
}

// Gradient check of layer.forward(inputs) with respect to every input and
// every parameter (the checker perturbs the parameters in place: they share
// storage with the layer's own tensors).
inline void check_layer_gradients(Layer& layer, std::vector<Tensor> inputs, const ForwardContext& context = {},
                                  const GradCheckOptions& options = {}) {
  const size_t input_count = inputs.size();
  for (Tensor& x : inputs) x.set_requires_grad(true);
  std::vector<Tensor> all = inputs;
  for (auto& [name, tensor] : layer.parameters()) {
    REQUIRE(tensor.requires_grad());
    all.push_back(tensor);
  }
  check_gradients(
      [&layer, input_count, context](const std::vector<Tensor>& in) {
        return layer.forward(std::vector<Tensor>(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(input_count)),
                             context);
      },
      all, options);
}

// Overwrites a parameter with random values (e.g. a zero bias), so that the
// gradient check does not run at a special point.
inline void randomize(Tensor tensor, Rng& rng, float stddev = 0.5f) {
  tensor.copy_from(Tensor::randn(tensor.shape(), rng, stddev));
}

}  // namespace gaze::testing
