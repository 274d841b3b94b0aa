// cam-infer --device cuda: every attribution method runs through the same
// ops on the GPU and gives the CPU's maps (same model, same images).
#include "cam/methods.h"
#include "tests/cuda/parity.h"

using namespace gaze;
using namespace gaze::testing;

TEST_CASE("cuda: every attribution method's maps match the CPU's", "[cuda][gpu][cam]") {
  GAZE_REQUIRE_GPU();
  Model cpu_model = Model::from_json(nlohmann::json::parse(R"({"input": [3, 12, 12], "layers": [
      {"type": "conv", "name": "conv1", "filters": 6, "kernel": 3, "padding": 1},
      {"type": "batchnorm", "name": "bn1"},
      {"type": "relu", "name": "relu1"},
      {"type": "maxpool", "name": "pool1", "kernel": 2},
      {"type": "conv", "name": "conv2", "filters": 8, "kernel": 3, "padding": 1},
      {"type": "relu", "name": "relu2"},
      {"type": "gap", "name": "gap"},
      {"type": "dense", "name": "fc", "units": 3},
      {"type": "softmax", "name": "probs"}]})"),
                                     5);
  // Running statistics away from 0 and 1, so that eval-mode BatchNorm is not the identity.
  Rng rng(6);
  for (auto& [name, buffer] : cpu_model.named_buffers()) {
    Tensor values = Tensor::uniform(buffer.shape(), rng, 0.5f, 1.5f);
    buffer.copy_from(values);
  }
  Model gpu_model = Model::from_json(cpu_model.to_json(), 5);
  gpu_model.load_state(
      [&] {
        TensorFile file;
        for (auto& [name, tensor] : cpu_model.named_state()) file.tensors.emplace_back(name, tensor);
        return file;
      }(),
      "the CPU model");
  gpu_model.to(kGpu);
  Rng input_rng(8);
  const Tensor x = Tensor::randn({3, 3, 12, 12}, input_rng);
  const std::vector<int> targets{0, 2, 1};
  for (const std::string& name : cam::method_names()) {
    CAPTURE(name);
    cam::MethodOptions options;
    options.method = cam::parse_method(name);
    options.smoothgrad_samples = 4;
    options.integrated_gradients_steps = 8;
    options.batch = 4;
    const std::vector<cam::Map> on_cpu = cam::compute_maps(cpu_model, x, targets, options);
    const std::vector<cam::Map> on_gpu = cam::compute_maps(gpu_model, x.to(kGpu), targets, options);
    REQUIRE(on_gpu.size() == on_cpu.size());
    for (size_t n = 0; n < on_cpu.size(); ++n) {
      CAPTURE(n);
      REQUIRE(on_gpu[n].height == on_cpu[n].height);
      REQUIRE(on_gpu[n].width == on_cpu[n].width);
      CHECK(relative_error(on_cpu[n].values, on_gpu[n].values) <= 1e-3);
    }
  }
}
