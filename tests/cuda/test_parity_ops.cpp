// CPU-vs-GPU parity of the element-wise, reduction, shape, memory, softmax
// and loss kernels.
#include "tests/cuda/parity.h"

using namespace gaze;
using namespace gaze::testing;

TEST_CASE("cuda: host-device round trips are exact", "[cuda][gpu][parity]") {
  GAZE_REQUIRE_GPU();
  const Tensor x = random({3, 4, 5}, 1);
  const Tensor on_gpu = x.to(kGpu);
  REQUIRE(on_gpu.device() == kGpu);
  REQUIRE(on_gpu.to_vector() == x.to_vector());
  REQUIRE(on_gpu.clone().to_vector() == x.to_vector());  // device-to-device copy
  REQUIRE(Tensor::full({1000}, 2.5f, kGpu).to_vector() == std::vector<float>(1000, 2.5f));
  REQUIRE(Tensor::zeros({0}, kGpu).numel() == 0);
}

TEST_CASE("cuda: make_contiguous gathers strided views exactly", "[cuda][gpu][parity]") {
  GAZE_REQUIRE_GPU();
  const Tensor x = random({4, 6, 5, 7}, 2);
  const Tensor g = x.to(kGpu);
  for (int axis = 0; axis < 4; ++axis) {
    const Tensor cpu_view = x.narrow(axis, 1, x.dim(axis) - 2), gpu_view = g.narrow(axis, 1, g.dim(axis) - 2);
    if (axis > 0) REQUIRE_FALSE(gpu_view.is_contiguous());
    REQUIRE(gpu_view.contiguous().to_vector() == cpu_view.contiguous().to_vector());
  }
  const Tensor nested = g.narrow(1, 2, 3).narrow(3, 1, 4).narrow(0, 1, 2);
  REQUIRE(nested.contiguous().to_vector() == x.narrow(1, 2, 3).narrow(3, 1, 4).narrow(0, 1, 2).contiguous().to_vector());
}

TEST_CASE("cuda: element-wise ops match the CPU", "[cuda][gpu][parity]") {
  GAZE_REQUIRE_GPU();
  const Tensor a = random({3, 5, 7, 11}, 3), b = random({3, 5, 7, 11}, 4);
  check_op_parity("add", {a, b}, {true, true}, [](const std::vector<Tensor>& t) { return ops::add(t[0], t[1]); });
  check_op_parity("mul", {a, b}, {true, true}, [](const std::vector<Tensor>& t) { return ops::mul(t[0], t[1]); });
  check_op_parity("scale", {a}, {true}, [](const std::vector<Tensor>& t) { return ops::scale(t[0], -1.75f); });
  check_op_parity("relu", {a}, {true}, [](const std::vector<Tensor>& t) { return ops::relu(t[0]); });
  check_op_parity("leaky_relu", {a}, {true},
                  [](const std::vector<Tensor>& t) { return ops::leaky_relu(t[0], 0.1f); });
  check_op_parity("clamp (relu6)", {ops::scale(a, 4.0f).detach()}, {true},
                  [](const std::vector<Tensor>& t) { return ops::clamp(t[0], 0.0f, 6.0f); });
  // Gradient accumulation (axpy) when one tensor feeds two ops.
  check_op_parity("x * x + x", {a}, {true},
                  [](const std::vector<Tensor>& t) { return ops::add(ops::mul(t[0], t[0]), t[0]); });
}

TEST_CASE("cuda: dropout masks equal the CPU's bit for bit", "[cuda][gpu][parity]") {
  GAZE_REQUIRE_GPU();
  const Tensor ones = Tensor::full({8, 1000}, 1.0f);
  for (const float drop : {0.1f, 0.5f, 0.9f}) {
    const uint64_t seed = 12345 + static_cast<uint64_t>(drop * 10);
    REQUIRE(ops::dropout(ones.to(kGpu), drop, seed).to_vector() == ops::dropout(ones, drop, seed).to_vector());
  }
  check_op_parity("dropout", {random({4, 33}, 5)}, {true},
                  [](const std::vector<Tensor>& t) { return ops::dropout(t[0], 0.3f, 77); });
}

TEST_CASE("cuda: sum and mean match the CPU on large tensors", "[cuda][gpu][parity]") {
  GAZE_REQUIRE_GPU();
  const Tensor x = random({(1 << 20) + 37}, 6);
  check_op_parity("sum", {x}, {true}, [](const std::vector<Tensor>& t) { return ops::sum(t[0]); }, 1e-6);
  check_op_parity("mean", {x}, {true}, [](const std::vector<Tensor>& t) { return ops::mean(t[0]); }, 1e-6);
  REQUIRE(ops::sum(Tensor::full({3, 1000}, 0.5f, kGpu)).item() == 1500.0f);
}

TEST_CASE("cuda: reshape, flatten and channel concatenation match the CPU", "[cuda][gpu][parity]") {
  GAZE_REQUIRE_GPU();
  const Tensor a = random({2, 3, 4, 5}, 7), b = random({2, 1, 4, 5}, 8), c = random({2, 6, 4, 5}, 9);
  check_op_parity("concat", {a, b, c}, {true, true, true},
                  [](const std::vector<Tensor>& t) { return ops::concat({t[0], t[1], t[2]}, 1); });
  check_op_parity("flatten", {a}, {true}, [](const std::vector<Tensor>& t) { return ops::flatten(t[0]); });
  check_op_parity("reshape", {a}, {true}, [](const std::vector<Tensor>& t) { return ops::reshape(t[0], {6, -1}); });
}

TEST_CASE("cuda: softmax and log-softmax match the CPU", "[cuda][gpu][parity]") {
  GAZE_REQUIRE_GPU();
  for (const Shape& shape : {Shape{7, 10}, Shape{64, 1000}, Shape{3, 1}}) {
    const Tensor x = random(shape, 10, 3.0f);
    check_op_parity("softmax", {x}, {true}, [](const std::vector<Tensor>& t) { return ops::softmax(t[0]); });
    check_op_parity("log_softmax", {x}, {true},
                    [](const std::vector<Tensor>& t) { return ops::log_softmax(t[0]); });
  }
}

TEST_CASE("cuda: label-smoothed NLL and cross-entropy match the CPU", "[cuda][gpu][parity]") {
  GAZE_REQUIRE_GPU();
  const Tensor logits = random({37, 10}, 11, 2.0f);
  std::vector<float> classes;
  for (int i = 0; i < 37; ++i) classes.push_back(static_cast<float>((i * 7) % 10));
  const Tensor labels = Tensor::from_vector({37}, classes);
  for (const float smoothing : {0.0f, 0.1f}) {
    check_op_parity("cross_entropy", {logits, labels}, {true, false},
                    [smoothing](const std::vector<Tensor>& t) { return ops::cross_entropy(t[0], t[1], smoothing); });
    check_op_parity("nll_loss", {ops::log_softmax(logits), labels}, {true, false},
                    [smoothing](const std::vector<Tensor>& t) { return ops::nll_loss(t[0], t[1], smoothing); });
  }
}
