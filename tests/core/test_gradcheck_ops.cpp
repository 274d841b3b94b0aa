// Finite-difference gradient checks for every op in core/ops.h, with respect
// to every differentiable input, plus a self-test showing that the checker
// rejects gradients with a wrong sign, a missing term or a wrong scale.
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>

#include "core/core.h"
#include "tests/core/gradcheck.h"

using namespace gaze;
using gaze::testing::away_from_zero;
using gaze::testing::check_gradients;
using gaze::testing::compute_gradient_check;
using gaze::testing::distinct_values;
using gaze::testing::GradCheckReport;
using gaze::testing::random_input;

namespace {

Tensor leaf(Tensor t) { return t.set_requires_grad(true); }

// y = x * x (element-wise) computed on the host, with a caller-supplied backward.
Tensor square_with_backward(const Tensor& x, Node::BackwardFn backward) {
  std::vector<float> values = x.to_vector();
  for (float& v : values) v *= v;
  return record("square", Tensor::from_vector(x.shape(), values), {x}, std::move(backward));
}

Tensor host_map(const Tensor& g, const Tensor& x, float (*fn)(float g, float x)) {
  std::vector<float> gv = g.to_vector(), xv = x.to_vector();
  for (size_t i = 0; i < gv.size(); ++i) gv[i] = fn(gv[i], xv[i]);
  return Tensor::from_vector(x.shape(), gv);
}

}  // namespace

TEST_CASE("the gradient checker accepts a right gradient and rejects broken ones", "[gradcheck]") {
  Rng rng(1);
  const Tensor x = leaf(random_input({3, 4}, rng));
  const Tensor x_const = x.detach();

  SECTION("correct: d(x^2)/dx = 2x") {
    const auto f = [&](const std::vector<Tensor>& in) {
      return square_with_backward(in[0], [x_const](const Tensor& g) {
        return std::vector<Tensor>{host_map(g, x_const, [](float gi, float xi) { return 2 * gi * xi; })};
      });
    };
    const GradCheckReport report = compute_gradient_check(f, {x});
    INFO(report.summary());
    REQUIRE(report.passed);
    REQUIRE(report.checked == 12);
  }
  SECTION("wrong sign") {
    const auto f = [&](const std::vector<Tensor>& in) {
      return square_with_backward(in[0], [x_const](const Tensor& g) {
        return std::vector<Tensor>{host_map(g, x_const, [](float gi, float xi) { return -2 * gi * xi; })};
      });
    };
    REQUIRE_FALSE(compute_gradient_check(f, {x}).passed);
  }
  SECTION("wrong scale factor") {
    const auto f = [&](const std::vector<Tensor>& in) {
      return square_with_backward(in[0], [x_const](const Tensor& g) {
        return std::vector<Tensor>{host_map(g, x_const, [](float gi, float xi) { return gi * xi; })};
      });
    };
    REQUIRE_FALSE(compute_gradient_check(f, {x}).passed);
  }
  SECTION("a scale factor off by 10%") {
    const auto f = [&](const std::vector<Tensor>& in) {
      return square_with_backward(in[0], [x_const](const Tensor& g) {
        return std::vector<Tensor>{host_map(g, x_const, [](float gi, float xi) { return 2.2f * gi * xi; })};
      });
    };
    REQUIRE_FALSE(compute_gradient_check(f, {x}).passed);
  }
  SECTION("missing term: y = x^2 + 3x with the backward of x^2 only") {
    const auto f = [&](const std::vector<Tensor>& in) {
      const Tensor squared = square_with_backward(in[0], [x_const](const Tensor& g) {
        return std::vector<Tensor>{host_map(g, x_const, [](float gi, float xi) { return 2 * gi * xi; })};
      });
      // Adds 3x through a node that claims no gradient flows to x.
      return ops::add(squared, record("detached_linear", ops::scale(in[0].detach(), 3.0f), {in[0]},
                                      [](const Tensor&) { return std::vector<Tensor>{Tensor()}; }));
    };
    REQUIRE_FALSE(compute_gradient_check(f, {x}).passed);
  }
  SECTION("the checker restores the inputs it perturbs") {
    const std::vector<float> before = x.to_vector();
    compute_gradient_check([](const std::vector<Tensor>& in) { return ops::scale(in[0], 2.0f); }, {x});
    REQUIRE(x.to_vector() == before);
  }
}

TEST_CASE("gradcheck: element-wise ops", "[gradcheck][ops]") {
  Rng rng(2);
  const Tensor a = leaf(random_input({2, 3, 2}, rng)), b = leaf(random_input({2, 3, 2}, rng));
  SECTION("add") {
    check_gradients([](const std::vector<Tensor>& in) { return ops::add(in[0], in[1]); }, {a, b});
  }
  SECTION("add of a tensor to itself") {
    check_gradients([](const std::vector<Tensor>& in) { return ops::add(in[0], in[0]); }, {a});
  }
  SECTION("mul") {
    check_gradients([](const std::vector<Tensor>& in) { return ops::mul(in[0], in[1]); }, {a, b});
  }
  SECTION("mul with only the second input requiring a gradient") {
    const Tensor constant = random_input({2, 3, 2}, rng);
    check_gradients([&](const std::vector<Tensor>& in) { return ops::mul(constant, in[0]); }, {b});
  }
  SECTION("scale") {
    check_gradients([](const std::vector<Tensor>& in) { return ops::scale(in[0], -1.7f); }, {a});
  }
  SECTION("relu") {
    const Tensor x = leaf(away_from_zero({3, 4, 2}, rng));
    check_gradients([](const std::vector<Tensor>& in) { return ops::relu(in[0]); }, {x});
  }
  SECTION("leaky_relu") {
    const Tensor x = leaf(away_from_zero({3, 4, 2}, rng));
    check_gradients([](const std::vector<Tensor>& in) { return ops::leaky_relu(in[0], 0.2f); }, {x});
  }
  SECTION("dropout with a fixed seed") {
    const Tensor x = leaf(random_input({4, 8}, rng));
    check_gradients([](const std::vector<Tensor>& in) { return ops::dropout(in[0], 0.3f, 77); }, {x});
  }
}

TEST_CASE("gradcheck: reductions and shape ops", "[gradcheck][ops]") {
  Rng rng(3);
  const Tensor x = leaf(random_input({2, 3, 2, 2}, rng));
  SECTION("sum") {
    check_gradients([](const std::vector<Tensor>& in) { return ops::sum(in[0]); }, {x});
  }
  SECTION("mean") {
    check_gradients([](const std::vector<Tensor>& in) { return ops::mean(in[0]); }, {x});
  }
  SECTION("reshape") {
    // The product with a non-uniform tensor after the reshape makes the
    // element order matter.
    const Tensor w = random_input({4, 6}, rng);
    check_gradients([&](const std::vector<Tensor>& in) { return ops::mul(ops::reshape(in[0], {4, -1}), w); },
                    {x});
  }
  SECTION("flatten") {
    check_gradients([](const std::vector<Tensor>& in) { return ops::flatten(in[0]); }, {x});
  }
  SECTION("concat of image tensors along channels") {
    const Tensor y = leaf(random_input({2, 1, 2, 2}, rng));
    const Tensor z = leaf(random_input({2, 2, 2, 2}, rng));
    check_gradients([](const std::vector<Tensor>& in) { return ops::concat({in[0], in[1], in[2]}); },
                    {x, y, z});
  }
  SECTION("concat of feature vectors") {
    const Tensor p = leaf(random_input({3, 2}, rng)), q = leaf(random_input({3, 4}, rng));
    check_gradients([](const std::vector<Tensor>& in) { return ops::concat({in[0], in[1]}); }, {p, q});
  }
}

TEST_CASE("gradcheck: conv2d", "[gradcheck][ops][conv]") {
  Rng rng(4);
  // A batch larger than the thread count: per-thread partial sums must add up.
  const Tensor x = leaf(random_input({3, 3, 5, 6}, rng));
  SECTION("3x3, bias, stride 1, no padding") {
    const Tensor w = leaf(random_input({4, 3, 3, 3}, rng, 0.5f)), b = leaf(random_input({4}, rng));
    check_gradients([](const std::vector<Tensor>& in) { return ops::conv2d(in[0], in[1], in[2], {}); },
                    {x, w, b});
  }
  SECTION("3x3 without bias, stride 2, padding 1") {
    const Tensor w = leaf(random_input({4, 3, 3, 3}, rng, 0.5f));
    const Conv2dGeometry g{2, 2, 1, 1};
    check_gradients([g](const std::vector<Tensor>& in) { return ops::conv2d(in[0], in[1], Tensor(), g); },
                    {x, w});
  }
  SECTION("non-square 2x3 kernel, stride (1, 2), padding (1, 0)") {
    const Tensor w = leaf(random_input({2, 3, 2, 3}, rng, 0.5f)), b = leaf(random_input({2}, rng));
    const Conv2dGeometry g{1, 2, 1, 0};
    check_gradients([g](const std::vector<Tensor>& in) { return ops::conv2d(in[0], in[1], in[2], g); },
                    {x, w, b});
  }
  SECTION("1x1 pointwise path") {
    const Tensor w = leaf(random_input({5, 3, 1, 1}, rng)), b = leaf(random_input({5}, rng));
    check_gradients([](const std::vector<Tensor>& in) { return ops::conv2d(in[0], in[1], in[2], {}); },
                    {x, w, b});
  }
  SECTION("1x1 with stride 2 (im2col path)") {
    const Tensor w = leaf(random_input({2, 3, 1, 1}, rng));
    const Conv2dGeometry g{2, 2, 0, 0};
    check_gradients([g](const std::vector<Tensor>& in) { return ops::conv2d(in[0], in[1], Tensor(), g); },
                    {x, w});
  }
  SECTION("gradient with respect to the weight only") {
    const Tensor constant_x = random_input({2, 3, 4, 4}, rng);
    const Tensor w = leaf(random_input({2, 3, 3, 3}, rng));
    check_gradients([&](const std::vector<Tensor>& in) { return ops::conv2d(constant_x, in[0], Tensor(), {1, 1, 1, 1}); },
                    {w});
  }
}

TEST_CASE("gradcheck: pooling", "[gradcheck][ops][pool]") {
  Rng rng(5);
  SECTION("max_pool2d 2x2 stride 2") {
    const Tensor x = leaf(distinct_values({2, 2, 4, 4}, rng));
    check_gradients([](const std::vector<Tensor>& in) { return ops::max_pool2d(in[0], {}); }, {x});
  }
  SECTION("max_pool2d 3x3 stride 2 padding 1 (overlapping windows)") {
    const Tensor x = leaf(distinct_values({1, 2, 5, 5}, rng));
    const Pool2dGeometry g{3, 3, 2, 2, 1, 1};
    check_gradients([g](const std::vector<Tensor>& in) { return ops::max_pool2d(in[0], g); }, {x});
  }
  SECTION("avg_pool2d 2x2 stride 2") {
    const Tensor x = leaf(random_input({2, 2, 4, 6}, rng));
    check_gradients([](const std::vector<Tensor>& in) { return ops::avg_pool2d(in[0], {}); }, {x});
  }
  SECTION("avg_pool2d 3x3 stride 2 padding 1") {
    const Tensor x = leaf(random_input({2, 2, 5, 5}, rng));
    const Pool2dGeometry g{3, 3, 2, 2, 1, 1};
    check_gradients([g](const std::vector<Tensor>& in) { return ops::avg_pool2d(in[0], g); }, {x});
  }
  SECTION("avg_pool2d non-square 2x3 window, stride 1, padding (1, 1)") {
    const Tensor x = leaf(random_input({1, 2, 4, 5}, rng));
    const Pool2dGeometry g{2, 3, 1, 1, 1, 1};
    check_gradients([g](const std::vector<Tensor>& in) { return ops::avg_pool2d(in[0], g); }, {x});
  }
  SECTION("global_avg_pool") {
    const Tensor x = leaf(random_input({2, 3, 3, 4}, rng));
    check_gradients([](const std::vector<Tensor>& in) { return ops::global_avg_pool(in[0]); }, {x});
  }
}

TEST_CASE("gradcheck: dense", "[gradcheck][ops][dense]") {
  Rng rng(6);
  const Tensor x = leaf(random_input({3, 4}, rng)), w = leaf(random_input({5, 4}, rng));
  SECTION("with bias") {
    const Tensor b = leaf(random_input({5}, rng));
    check_gradients([](const std::vector<Tensor>& in) { return ops::dense(in[0], in[1], in[2]); }, {x, w, b});
  }
  SECTION("without bias") {
    check_gradients([](const std::vector<Tensor>& in) { return ops::dense(in[0], in[1], Tensor()); }, {x, w});
  }
}

TEST_CASE("gradcheck: batch_norm", "[gradcheck][ops][batchnorm]") {
  Rng rng(7);
  const Tensor gamma = leaf(Tensor::from_vector({3}, {1.5f, -0.7f, 0.9f}));
  const Tensor beta = leaf(Tensor::from_vector({3}, {0.1f, 0.2f, -0.3f}));
  Tensor running_mean = Tensor::from_vector({3}, {0.3f, -0.2f, 0.5f});
  Tensor running_var = Tensor::from_vector({3}, {1.2f, 0.6f, 2.0f});
  SECTION("training mode, [N, C, H, W]") {
    const Tensor x = leaf(random_input({3, 3, 2, 2}, rng));
    check_gradients(
        [&](const std::vector<Tensor>& in) {
          return ops::batch_norm(in[0], in[1], in[2], running_mean, running_var, true, 0.1f, 1e-5f);
        },
        {x, gamma, beta});
  }
  SECTION("training mode, [N, C]") {
    const Tensor x = leaf(random_input({5, 3}, rng));
    check_gradients(
        [&](const std::vector<Tensor>& in) {
          return ops::batch_norm(in[0], in[1], in[2], running_mean, running_var, true, 0.1f, 1e-5f);
        },
        {x, gamma, beta});
  }
  SECTION("eval mode uses the running statistics as constants") {
    const Tensor x = leaf(random_input({2, 3, 2, 3}, rng));
    check_gradients(
        [&](const std::vector<Tensor>& in) {
          return ops::batch_norm(in[0], in[1], in[2], running_mean, running_var, false, 0.1f, 1e-5f);
        },
        {x, gamma, beta});
  }
}

// The fused op must equal relu(batch_norm(...)), whose parts pass the
// gradient checks above: outputs, all gradients and the running statistics.
// (Finite differences of the fused op itself are unreliable: moving one input
// moves every normalized value of its channel, and some cross ReLU's kink.)
TEST_CASE("batch_norm_relu equals relu of batch_norm", "[gradcheck][ops][batchnorm]") {
  Rng rng(17);
  const Shape shape{4, 5, 6, 7};
  const std::vector<float> x_values = random_input(shape, rng).to_vector();
  const std::vector<float> gamma_values{1.5f, -0.7f, 0.9f, 1.1f, 0.4f}, beta_values{0.1f, 0.2f, -0.3f, 0.5f, -1.0f};
  const Tensor grad_z = random_input(shape, rng);
  struct Result {
    std::vector<float> z, grad_x, grad_gamma, grad_beta, running_mean, running_var;
  };
  auto run = [&](bool fused) {
    Tensor x = leaf(Tensor::from_vector(shape, x_values));
    Tensor gamma = leaf(Tensor::from_vector({5}, gamma_values)), beta = leaf(Tensor::from_vector({5}, beta_values));
    Tensor running_mean = Tensor::zeros({5}), running_var = Tensor::full({5}, 1.0f);
    const Tensor z = fused ? ops::batch_norm_relu(x, gamma, beta, running_mean, running_var, true, 0.1f, 1e-5f)
                           : ops::relu(ops::batch_norm(x, gamma, beta, running_mean, running_var, true, 0.1f, 1e-5f));
    ops::sum(ops::mul(z, grad_z)).backward();
    return Result{z.to_vector(),           x.grad().to_vector(),         gamma.grad().to_vector(),
                  beta.grad().to_vector(), running_mean.to_vector(), running_var.to_vector()};
  };
  const Result fused = run(true), composed = run(false);
  size_t zeros = 0;
  for (const float v : fused.z) zeros += v == 0.0f;
  REQUIRE(zeros > fused.z.size() / 4);  // the ReLU cuts a real share of the values
  testing::check_close(fused.z, composed.z, 1e-6);
  testing::check_close(fused.grad_x, composed.grad_x, 1e-5);
  testing::check_close(fused.grad_gamma, composed.grad_gamma, 1e-4);
  testing::check_close(fused.grad_beta, composed.grad_beta, 1e-4);
  testing::check_close(fused.running_mean, composed.running_mean, 1e-6);
  testing::check_close(fused.running_var, composed.running_var, 1e-6);
}

TEST_CASE("ReLU keeps NaN and maps -inf to 0; the fused batchnorm + ReLU keeps NaN", "[ops][batchnorm]") {
  const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
  // The pattern repeated, so that the kernels' vector loops see it, not only their scalar tails.
  const std::vector<float> pattern{-inf, -1.0f, 0.0f, 2.0f, inf, nan};
  std::vector<float> values;
  for (int copy = 0; copy < 16; ++copy) values.insert(values.end(), pattern.begin(), pattern.end());
  const Tensor x = Tensor::from_vector({static_cast<int64_t>(values.size())}, values);
  const std::vector<float> relu = ops::relu(x).to_vector(), leaky = ops::leaky_relu(x, 0.1f).to_vector();
  for (size_t i = 0; i < values.size(); ++i) {
    INFO("element " << i << " = " << values[i]);
    const float v = values[i];
    if (std::isnan(v)) {
      CHECK(std::isnan(relu[i]));
      CHECK(std::isnan(leaky[i]));
    } else {
      CHECK(relu[i] == (v < 0 ? 0.0f : v));
      CHECK(leaky[i] == (v < 0 ? 0.1f * v : v));
    }
  }

  // One NaN in channel 0 makes that channel's statistics NaN: the fused op
  // must pass NaN on (as relu(batch_norm(x)) does), not clamp it to 0.
  std::vector<float> input(2 * 2 * 4 * 4);
  for (size_t i = 0; i < input.size(); ++i) input[i] = static_cast<float>(i % 7) - 3.0f;
  input[5] = nan;  // image 0, channel 0
  const Tensor gamma = Tensor::full({2}, 1.0f), beta = Tensor::zeros({2});
  Tensor running_mean = Tensor::zeros({2}), running_var = Tensor::full({2}, 1.0f);
  const std::vector<float> z =
      ops::batch_norm_relu(Tensor::from_vector({2, 2, 4, 4}, input), gamma, beta, running_mean, running_var, true,
                           0.1f, 1e-5f)
          .to_vector();
  for (int64_t n = 0; n < 2; ++n)
    for (int64_t i = 0; i < 16; ++i) {
      CHECK(std::isnan(z[static_cast<size_t>((n * 2 + 0) * 16 + i)]));   // channel 0
      CHECK(!std::isnan(z[static_cast<size_t>((n * 2 + 1) * 16 + i)]));  // channel 1
    }
}

TEST_CASE("gradcheck: softmax family and losses", "[gradcheck][ops][loss]") {
  Rng rng(8);
  const Tensor logits = leaf(random_input({4, 5}, rng));
  const Tensor labels = Tensor::from_vector({4}, {0, 3, 4, 3});
  SECTION("softmax") {
    check_gradients([](const std::vector<Tensor>& in) { return ops::softmax(in[0]); }, {logits});
  }
  SECTION("log_softmax") {
    check_gradients([](const std::vector<Tensor>& in) { return ops::log_softmax(in[0]); }, {logits});
  }
  SECTION("nll_loss") {
    check_gradients([&](const std::vector<Tensor>& in) { return ops::nll_loss(in[0], labels); }, {logits});
  }
  SECTION("nll_loss with label smoothing") {
    check_gradients([&](const std::vector<Tensor>& in) { return ops::nll_loss(in[0], labels, 0.2f); },
                    {logits});
  }
  SECTION("cross_entropy") {
    check_gradients([&](const std::vector<Tensor>& in) { return ops::cross_entropy(in[0], labels); },
                    {logits});
  }
  SECTION("cross_entropy with label smoothing") {
    check_gradients([&](const std::vector<Tensor>& in) { return ops::cross_entropy(in[0], labels, 0.1f); },
                    {logits});
  }
}

TEST_CASE("gradcheck: a chain of ops (conv, bn, relu, pool, gap, dense, loss)", "[gradcheck][ops]") {
  Rng rng(9);
  const Tensor x = leaf(random_input({2, 2, 6, 6}, rng));
  const Tensor w = leaf(random_input({3, 2, 3, 3}, rng, 0.5f)), b = leaf(random_input({3}, rng, 0.1f));
  const Tensor gamma = leaf(Tensor::from_vector({3}, {1.0f, 0.8f, 1.2f}));
  const Tensor beta = leaf(Tensor::from_vector({3}, {0.0f, 0.1f, -0.1f}));
  const Tensor dw = leaf(random_input({2, 3}, rng)), db = leaf(random_input({2}, rng));
  Tensor running_mean = Tensor::zeros({3}), running_var = Tensor::full({3}, 1.0f);
  const Tensor labels = Tensor::from_vector({2}, {1, 0});
  // Eval-mode BN keeps the ReLU inputs a fixed function of each element, so
  // the kink is rarely near; a small step keeps the check smooth.
  gaze::testing::GradCheckOptions options;
  options.step = 1e-3f;
  options.atol = 5e-3;
  check_gradients(
      [&](const std::vector<Tensor>& in) {
        Tensor h = ops::conv2d(in[0], in[1], in[2], {1, 1, 1, 1});
        h = ops::batch_norm(h, in[3], in[4], running_mean, running_var, false, 0.1f, 1e-5f);
        h = ops::relu(h);
        h = ops::avg_pool2d(h, {});
        h = ops::global_avg_pool(h);
        h = ops::dense(h, in[5], in[6]);
        return ops::cross_entropy(h, labels, 0.1f);
      },
      {x, w, b, gamma, beta, dw, db}, options);
}
