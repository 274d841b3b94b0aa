// CPU-vs-GPU parity of the optimizer update kernels and of a whole CAM-style
// network's loss and parameter gradients (conv, BN, ReLU, pooling, GAP,
// dense, cross-entropy chained through the autograd tape).
#include "tests/cuda/parity.h"

using namespace gaze;
using namespace gaze::testing;

namespace {

struct OptimizerState {
  Tensor param, velocity, m, v;
};

OptimizerState state_on(Device device) {
  return {random({1000}, 60).to(device), random({1000}, 61, 0.1f).to(device), random({1000}, 62, 0.1f).to(device),
          ops::relu(random({1000}, 63, 0.1f)).to(device)};
}

void check_states(const OptimizerState& cpu, const OptimizerState& gpu) {
  check_parity("param", cpu.param, gpu.param, 1e-6);
  check_parity("velocity", cpu.velocity, gpu.velocity, 1e-6);
  check_parity("m", cpu.m, gpu.m, 1e-6);
  check_parity("v", cpu.v, gpu.v, 1e-6);
}

}  // namespace

TEST_CASE("cuda: SGD and Adam updates match the CPU", "[cuda][gpu][parity]") {
  GAZE_REQUIRE_GPU();
  const Tensor grad = random({1000}, 64);
  for (const bool nesterov : {false, true}) {
    OptimizerState cpu = state_on(Device::cpu()), gpu = state_on(kGpu);
    for (int step = 0; step < 3; ++step) {
      backend_for(Device::cpu()).sgd_update(cpu.param, grad, cpu.velocity, 0.1f, 0.9f, 5e-4f, nesterov);
      backend_for(kGpu).sgd_update(gpu.param, grad.to(kGpu), gpu.velocity, 0.1f, 0.9f, 5e-4f, nesterov);
    }
    check_states(cpu, gpu);
  }
  for (const bool decoupled : {false, true}) {
    OptimizerState cpu = state_on(Device::cpu()), gpu = state_on(kGpu);
    for (int step = 1; step <= 3; ++step) {
      const float c1 = 1.0f - std::pow(0.9f, static_cast<float>(step));
      const float c2 = 1.0f - std::pow(0.999f, static_cast<float>(step));
      backend_for(Device::cpu()).adam_update(cpu.param, grad, cpu.m, cpu.v, 1e-3f, 0.9f, 0.999f, 1e-8f, 1e-2f,
                                             decoupled, c1, c2);
      backend_for(kGpu).adam_update(gpu.param, grad.to(kGpu), gpu.m, gpu.v, 1e-3f, 0.9f, 0.999f, 1e-8f, 1e-2f,
                                    decoupled, c1, c2);
    }
    check_states(cpu, gpu);
  }
}

TEST_CASE("cuda: backend fill, copy, axpy and scale match the CPU", "[cuda][gpu][parity]") {
  GAZE_REQUIRE_GPU();
  const Tensor x = random({5, 77}, 65);
  Tensor cpu_y = random({5, 77}, 66), gpu_y = cpu_y.to(kGpu);
  backend_for(Device::cpu()).axpy(-0.25f, x, cpu_y);
  backend_for(kGpu).axpy(-0.25f, x.to(kGpu), gpu_y);
  check_parity("axpy", cpu_y, gpu_y, 1e-6);
  backend_for(kGpu).scale(gpu_y, 3.0f);
  backend_for(Device::cpu()).scale(cpu_y, 3.0f);
  check_parity("scale", cpu_y, gpu_y, 1e-6);
  Tensor target = Tensor::empty({5, 77}, kGpu);
  backend_for(kGpu).copy(target.data(), gpu_y.data(), gpu_y.numel());
  REQUIRE(target.to_vector() == gpu_y.to_vector());
  backend_for(kGpu).fill(target, -3.0f);
  REQUIRE(target.to_vector() == std::vector<float>(5 * 77, -3.0f));
}

TEST_CASE("cuda: a CAM network's loss and gradients match the CPU", "[cuda][gpu][parity]") {
  GAZE_REQUIRE_GPU();
  const Tensor images = random({8, 3, 16, 16}, 70);
  std::vector<float> classes;
  for (int i = 0; i < 8; ++i) classes.push_back(static_cast<float>(i % 4));
  const Tensor labels = Tensor::from_vector({8}, classes);
  const std::vector<Tensor> params = {random({8, 3, 3, 3}, 71, 0.3f), random({8}, 72, 0.1f),
                                      Tensor::full({8}, 1.0f),        Tensor::zeros({8}),
                                      random({16, 8, 3, 3}, 73, 0.2f), random({4, 16}, 74, 0.3f),
                                      random({4}, 75, 0.1f)};
  std::vector<Tensor> inputs = {images, labels};
  inputs.insert(inputs.end(), params.begin(), params.end());
  std::vector<bool> wants(inputs.size(), true);
  wants[1] = false;
  check_op_parity("network loss", inputs, wants, [](const std::vector<Tensor>& t) {
    Tensor running_mean = Tensor::zeros({8}, t[0].device()), running_var = Tensor::full({8}, 1.0f, t[0].device());
    Tensor h = ops::conv2d(t[0], t[2], t[3], {1, 1, 1, 1});
    h = ops::relu(ops::batch_norm(h, t[4], t[5], running_mean, running_var, true, 0.1f, 1e-5f));
    h = ops::max_pool2d(h, {2, 2, 2, 2, 0, 0});
    h = ops::relu(ops::conv2d(h, t[6], Tensor(), {1, 1, 1, 1}));
    const Tensor logits = ops::dense(ops::global_avg_pool(h), t[7], t[8]);
    return ops::cross_entropy(logits, t[1], 0.1f);
  });
}
