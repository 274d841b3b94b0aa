// custom_layer: a layer of your own, from registration to training.
//  1. register SqueezeExcitation under its type name;
//  2. check its gradients (input and every parameter) with core/gradcheck.h;
//  3. use it from a YAML model like any built-in layer and train a few steps
//     on a synthetic task (the class is which of two channels is brighter).
// Exits non-zero when the gradient check fails or the loss does not fall.
#include <yaml-cpp/yaml.h>

#include <cstdio>

#include "core/gradcheck.h"
#include "core/ops.h"
#include "core/program.h"
#include "cuda/runtime.h"
#include "layers/model_yaml.h"
#include "layers/registry.h"
#include "squeeze_excitation.h"
#include "train/optimizer.h"

const char* kModel = R"(
input: [2, 8, 8]
layers:
  - {type: conv, name: conv1, filters: 8, kernel: 3, padding: 1}
  - {type: relu}
  - {type: squeeze_excitation, name: se, reduction: 2}
  - {type: gap, name: gap}
  - {type: dense, name: fc, units: 2}
)";

int main() {
  return gaze::run_program("custom_layer", [] {
    using namespace gaze;
    init_runtime();
    LayerRegistry::instance().add<SqueezeExcitation>();

    // 2. Gradients against central differences, for the input and every parameter.
    Rng rng(3);
    SqueezeExcitation se("se", LayerParams(nlohmann::json{{"reduction", 2}}, "se"));
    se.build({{4, 3, 3}}, rng);
    std::vector<Tensor> inputs{Tensor::randn({2, 4, 3, 3}, rng).set_requires_grad(true)};
    for (auto& [name, parameter] : se.parameters()) inputs.push_back(parameter);
    const testing::GradCheckReport report = testing::compute_gradient_check(
        [&](const std::vector<Tensor>& in) { return se.forward({in[0]}, {}); }, inputs);
    std::printf("gradient check: %s\n", report.summary().c_str());
    if (!report.passed) return 1;

    // 3. The layer inside a model from YAML, trained like any other.
    Model model = model_from_yaml(YAML::Load(kModel), "custom_layer.cpp", 1);
    train::Optimizer optimizer({"sgd", 0.1, 0.9}, model.named_parameters());
    float first = 0, last = 0;
    for (int step = 0; step < 60; ++step) {
      std::vector<float> images(32 * 2 * 8 * 8), labels(32);
      for (size_t n = 0; n < 32; ++n) {
        labels[n] = static_cast<float>(n % 2);
        for (size_t i = 0; i < 2 * 64; ++i)
          images[n * 128 + i] = rng.uniform(0, 1) + ((i / 64 == n % 2) ? 0.5f : 0.0f);
      }
      model.zero_grad();
      const Tensor loss = ops::cross_entropy(model.forward(Tensor::from_vector({32, 2, 8, 8}, images), {true, 0}),
                                             Tensor::from_vector({32}, labels));
      loss.backward();
      optimizer.step(0.1f);
      (step == 0 ? first : last) = loss.item();
    }
    std::printf("model with %s: loss %.4f -> %.4f after 60 steps\n", SqueezeExcitation::kType, first, last);
    return last < 0.5f * first ? 0 : 1;
  });
}
