// CPU-vs-GPU parity of every attribution method (cam/methods.h): one model
// and one batch of images on the CPU and on cuda:0 give the same raw maps.
// The methods run through the same ops on both devices (the rule-based ones
// too: their linear steps are taken on the autograd tape, their element-wise
// ratios on host copies), so a method that read a device pointer on the host
// or called a CPU kernel directly would crash or disagree here.
#include "cam/checkpoint_input.h"
#include "cam/methods.h"
#include "cam/patterns.h"
#include "layers/model.h"
#include "tests/cuda/parity.h"

using namespace gaze;
using namespace gaze::testing;

namespace {
// conv -> bn -> relu -> maxpool -> conv -> relu -> gap -> dense -> softmax.
Model cam_network() {
  Model model = Model::from_json(
      {{"input", {3, 16, 16}},
       {"layers",
        {{{"type", "conv"}, {"name", "conv1"}, {"filters", 6}, {"kernel", 3}, {"padding", 1}},
         {{"type", "batchnorm"}, {"name", "bn1"}},
         {{"type", "relu"}, {"name", "relu1"}},
         {{"type", "maxpool"}, {"name", "pool1"}, {"kernel", 2}},
         {{"type", "conv"}, {"name", "conv2"}, {"filters", 8}, {"kernel", 3}, {"padding", 1}},
         {{"type", "relu"}, {"name", "relu2"}},
         {{"type", "gap"}, {"name", "gap"}},
         {{"type", "dense"}, {"name", "fc"}, {"units", 3}},
         {{"type", "softmax"}, {"name", "probs"}}}}},
      7);
  Rng rng(3);
  Layer& bn = model.layer("bn1");
  bn.tensor("running_mean").copy_from(Tensor::uniform({6}, rng, -0.2f, 0.2f));
  bn.tensor("running_var").copy_from(Tensor::uniform({6}, rng, 0.5f, 2.0f));
  return model;
}

std::vector<float> flatten(const std::vector<cam::Map>& maps) {
  std::vector<float> values;
  for (const cam::Map& map : maps) values.insert(values.end(), map.values.begin(), map.values.end());
  return values;
}
}  // namespace

TEST_CASE("cuda: every attribution method gives the CPU's maps", "[cuda][gpu][parity][cam]") {
  GAZE_REQUIRE_GPU();
  Model cpu = cam_network();
  Model gpu = cam::copy_model(cpu, cpu.to_json());
  gpu.to(kGpu);
  Rng rng(11);
  const Tensor x = Tensor::uniform({2, 3, 16, 16}, rng, 0.0f, 1.0f);  // pixels as images give them, >= 0
  const Tensor x_gpu = x.to(kGpu);
  const std::vector<int> targets = {2, 0};

  // The patterns estimated on either device agree, and both runs use the CPU's.
  cam::PatternEstimator on_cpu(cpu), on_gpu(gpu);
  const Tensor sample = Tensor::uniform({6, 3, 16, 16}, rng, 0.0f, 1.0f);
  on_cpu.add(cpu, sample);
  on_gpu.add(gpu, sample.to(kGpu));
  const cam::Patterns patterns = on_cpu.patterns(), patterns_gpu = on_gpu.patterns();
  for (const auto& [layer, pattern] : patterns.layers) {
    INFO("pattern of " << layer);
    CHECK(relative_error(pattern.to_vector(), patterns_gpu.layers.at(layer).to_vector()) <= 1e-3);
  }

  for (const std::string& name : cam::method_names()) {
    cam::MethodOptions options;
    options.method = cam::parse_method(name);
    options.smoothgrad_samples = 4;
    options.integrated_gradients_steps = 8;
    options.batch = 5;
    options.patterns = std::make_shared<cam::Patterns>(patterns);
    for (cam::Compat compat : {cam::Compat::gaze, cam::Compat::pytorch_grad_cam}) {
      options.compat = compat;
      const std::vector<float> on_host = flatten(cam::compute_maps(cpu, x, targets, options));
      const std::vector<float> on_device = flatten(cam::compute_maps(gpu, x_gpu, targets, options));
      INFO(name << " (" << cam::to_string(compat) << ")");
      REQUIRE(on_host.size() == on_device.size());
      CHECK(relative_error(on_host, on_device) <= 1e-3);
    }
  }
}
