// CPU-vs-GPU parity of convolution, pooling, dense and batch norm, forward
// and backward, over the geometries the layers use.
#include "tests/cuda/parity.h"

using namespace gaze;
using namespace gaze::testing;

namespace {

struct ConvCase {
  Shape x, w;
  Conv2dGeometry g;
  bool bias;
};

}  // namespace

TEST_CASE("cuda: conv2d matches the CPU forward and backward", "[cuda][gpu][parity]") {
  GAZE_REQUIRE_GPU();
  const std::vector<ConvCase> cases = {
      {{2, 3, 9, 9}, {8, 3, 3, 3}, {1, 1, 1, 1}, true},     // same padding
      {{3, 4, 11, 10}, {5, 4, 3, 3}, {2, 2, 0, 0}, false},  // strided, no bias
      {{2, 16, 7, 7}, {32, 16, 1, 1}, {1, 1, 0, 0}, true},  // pointwise
      {{1, 2, 12, 9}, {3, 2, 5, 3}, {2, 1, 2, 0}, true},    // non-square everything
      {{16, 32, 16, 16}, {64, 32, 3, 3}, {1, 1, 1, 1}, true},
      {{2, 8, 9, 9}, {6, 4, 3, 3}, {2, 2, 1, 1, 2}, true},      // 2 groups (cuDNN group count)
      {{4, 32, 14, 14}, {32, 1, 3, 3}, {1, 1, 1, 1, 32}, false},  // depthwise (MobileNet)
      {{2, 16, 15, 15}, {32, 1, 3, 3}, {2, 2, 1, 1, 16}, true},   // depthwise, multiplier 2, strided
  };
  for (const ConvCase& c : cases) {
    const Tensor x = random(c.x, 20), w = random(c.w, 21, 0.2f);
    const Tensor b = c.bias ? random({c.w[0]}, 22) : Tensor();
    const Conv2dGeometry g = c.g;
    if (c.bias) {
      check_op_parity("conv2d " + to_string(c.x) + " * " + to_string(c.w), {x, w, b}, {true, true, true},
                      [g](const std::vector<Tensor>& t) { return ops::conv2d(t[0], t[1], t[2], g); });
    } else {
      check_op_parity("conv2d " + to_string(c.x) + " * " + to_string(c.w), {x, w}, {true, true},
                      [g](const std::vector<Tensor>& t) { return ops::conv2d(t[0], t[1], Tensor(), g); });
    }
  }
  // Only the weight gradient wanted (a frozen input), then only the input's.
  const Tensor x = random({2, 3, 8, 8}, 23), w = random({4, 3, 3, 3}, 24);
  check_op_parity("conv2d weight gradient only", {x, w}, {false, true},
                  [](const std::vector<Tensor>& t) { return ops::conv2d(t[0], t[1], Tensor(), {1, 1, 1, 1}); });
  check_op_parity("conv2d input gradient only", {x, w}, {true, false},
                  [](const std::vector<Tensor>& t) { return ops::conv2d(t[0], t[1], Tensor(), {1, 1, 1, 1}); });
}

TEST_CASE("cuda: pooling matches the CPU, ties included", "[cuda][gpu][parity]") {
  GAZE_REQUIRE_GPU();
  const Tensor x = random({2, 3, 9, 8}, 30);
  // After a ReLU and rounding many windows hold equal maxima: the gradient
  // must go to the first one, as on the CPU.
  const Tensor ties = ops::relu(Tensor::from_vector(x.shape(), [&] {
    std::vector<float> v = x.to_vector();
    for (float& e : v) e = std::round(e);
    return v;
  }()));
  for (const Pool2dGeometry& g : {Pool2dGeometry{2, 2, 2, 2, 0, 0}, Pool2dGeometry{3, 3, 2, 2, 1, 1},
                                  Pool2dGeometry{3, 3, 1, 1, 1, 1}, Pool2dGeometry{2, 3, 1, 2, 0, 1}}) {
    for (const Tensor& input : {x, ties}) {
      check_op_parity("max_pool2d", {input}, {true},
                      [g](const std::vector<Tensor>& t) { return ops::max_pool2d(t[0], g); });
      check_op_parity("avg_pool2d", {input}, {true},
                      [g](const std::vector<Tensor>& t) { return ops::avg_pool2d(t[0], g); });
    }
  }
  check_op_parity("global_avg_pool", {random({4, 130, 7, 5}, 31)}, {true},
                  [](const std::vector<Tensor>& t) { return ops::global_avg_pool(t[0]); });
}

TEST_CASE("cuda: dense matches the CPU", "[cuda][gpu][parity]") {
  GAZE_REQUIRE_GPU();
  for (const auto& [n, in, out] : {std::tuple{7, 33, 10}, std::tuple{64, 512, 10}, std::tuple{1, 5, 3}}) {
    const Tensor x = random({n, in}, 40), w = random({out, in}, 41, 0.1f), b = random({out}, 42);
    check_op_parity("dense with bias", {x, w, b}, {true, true, true},
                    [](const std::vector<Tensor>& t) { return ops::dense(t[0], t[1], t[2]); });
    check_op_parity("dense without bias", {x, w}, {true, true},
                    [](const std::vector<Tensor>& t) { return ops::dense(t[0], t[1], Tensor()); });
  }
}

TEST_CASE("cuda: batch norm matches the CPU in training and eval mode", "[cuda][gpu][parity]") {
  GAZE_REQUIRE_GPU();
  for (const Shape& shape : {Shape{4, 6, 5, 7}, Shape{16, 10}}) {
    const int64_t channels = shape[1];
    const Tensor x = ops::add(random(shape, 50, 2.0f), Tensor::full(shape, 0.5f));
    const Tensor gamma = random({channels}, 51), beta = random({channels}, 52);
    const Tensor mean0 = random({channels}, 53, 0.1f);
    const Tensor var0 = ops::add(ops::relu(random({channels}, 54, 0.1f)), Tensor::full({channels}, 1.0f));
    for (const bool training : {true, false}) {
      Tensor cpu_mean = mean0.clone(), cpu_var = var0.clone();
      Tensor gpu_mean = mean0.to(kGpu), gpu_var = var0.to(kGpu);
      check_op_parity(std::string("batch_norm ") + (training ? "training " : "eval ") + to_string(shape),
                      {x, gamma, beta}, {true, true, true}, [&](const std::vector<Tensor>& t) {
                        const bool gpu = t[0].device().is_cuda();
                        return ops::batch_norm(t[0], t[1], t[2], gpu ? gpu_mean : cpu_mean, gpu ? gpu_var : cpu_var,
                                               training, 0.1f, 1e-5f);
                      });
      check_parity("running mean", cpu_mean, gpu_mean);
      check_parity("running variance", cpu_var, gpu_var);
    }
  }
}

namespace {

// Forward and backward of one convolution on cuda:0: output, dx, dw, db.
std::vector<std::vector<float>> conv_results(const Tensor& x_host, const Tensor& w_host, const Tensor& b_host) {
  Tensor x = x_host.to(kGpu), w = w_host.to(kGpu), b = b_host.to(kGpu);
  for (Tensor* t : {&x, &w, &b}) t->set_requires_grad();
  const Tensor y = ops::conv2d(x, w, b, {1, 1, 1, 1});
  ops::sum(ops::mul(y, random(y.shape(), 31).to(kGpu))).backward();
  return {y.to_vector(), x.grad().to_vector(), w.grad().to_vector(), b.grad().to_vector()};
}

// Restores cuda.deterministic's default on scope exit.
struct DeterministicSetting {
  explicit DeterministicSetting(bool value) { set_cuda_deterministic(value); }
  ~DeterministicSetting() { set_cuda_deterministic(true); }
};

}  // namespace

TEST_CASE("cuda: deterministic convolutions repeat bit for bit", "[cuda][gpu][parity]") {
  GAZE_REQUIRE_GPU();
  REQUIRE(cuda::deterministic_enabled());  // the default
  // A large batch and many channels: where atomics-based algorithms would differ.
  const Tensor x = random({32, 64, 16, 16}, 32), w = random({64, 64, 3, 3}, 33, 0.05f), b = random({64}, 34);
  const auto first = conv_results(x, w, b);
  const auto second = conv_results(x, w, b);
  const char* names[] = {"output", "input gradient", "weight gradient", "bias gradient"};
  for (size_t i = 0; i < first.size(); ++i) {
    INFO(names[i]);
    CHECK(first[i] == second[i]);
  }
}

TEST_CASE("cuda: with cuda.deterministic off, cudnnFind's choice matches the CPU", "[cuda][gpu][parity][find]") {
  GAZE_REQUIRE_GPU();
  DeterministicSetting fastest(false);
  REQUIRE_FALSE(cuda::deterministic_enabled());
  const Tensor x = random({4, 8, 10, 10}, 35), w = random({16, 8, 3, 3}, 36, 0.2f), b = random({16}, 37);
  check_op_parity("conv2d, any algorithm", {x, w, b}, {true, true, true},
                  [](const std::vector<Tensor>& t) { return ops::conv2d(t[0], t[1], t[2], {1, 1, 1, 1}); });
}
