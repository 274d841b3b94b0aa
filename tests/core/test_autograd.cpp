// The autograd tape: chain rule, fan-out accumulation, leaves vs retained
// intermediates, no-grad scopes and freeing the graph after backward.
#include <catch2/catch.hpp>

#include "core/core.h"

using namespace gaze;

TEST_CASE("backward applies the chain rule and accumulates fan-out", "[autograd]") {
  Tensor x = Tensor::from_vector({3}, {1, -2, 3}).set_requires_grad(true);
  Tensor w = Tensor::from_vector({3}, {0.5, 2, -1}).set_requires_grad(true);
  // L = sum(x*w + x*x): dL/dx = w + 2x, dL/dw = x; x is used three times.
  const Tensor loss = ops::sum(ops::add(ops::mul(x, w), ops::mul(x, x)));
  REQUIRE(loss.item() == Approx(0.5 - 4 - 3 + 1 + 4 + 9));
  loss.backward();
  REQUIRE(x.grad().to_vector() == std::vector<float>{2.5f, -2.0f, 5.0f});
  REQUIRE(w.grad().to_vector() == std::vector<float>{1, -2, 3});
}

TEST_CASE("gradients accumulate across backward calls until zeroed", "[autograd]") {
  Tensor x = Tensor::from_vector({2}, {1, 2}).set_requires_grad(true);
  ops::sum(ops::scale(x, 3)).backward();
  ops::sum(ops::scale(x, 3)).backward();
  REQUIRE(x.grad().to_vector() == std::vector<float>{6, 6});
  x.zero_grad();
  REQUIRE_FALSE(x.grad().defined());
}

TEST_CASE("intermediate gradients are available through retain_grad", "[autograd]") {
  Tensor x = Tensor::from_vector({1, 1, 2, 2}, {1, 2, 3, 4}).set_requires_grad(true);
  Tensor feature = ops::relu(ops::scale(x, 2));  // an intermediate activation
  feature.retain_grad();
  Tensor pooled = ops::global_avg_pool(feature);  // [1, 1]
  Tensor hidden = ops::scale(pooled, 5);          // not retained
  ops::sum(hidden).backward();
  // d sum / d feature = 5 / (H*W) = 1.25 everywhere.
  REQUIRE(feature.grad().to_vector() == std::vector<float>(4, 1.25f));
  REQUIRE_FALSE(hidden.grad().defined());
  REQUIRE(x.grad().to_vector() == std::vector<float>(4, 2.5f));
}

TEST_CASE("no-grad scopes record nothing", "[autograd]") {
  Tensor x = Tensor::from_vector({2}, {1, 2}).set_requires_grad(true);
  {
    NoGradGuard guard;
    REQUIRE_FALSE(grad_enabled());
    const Tensor y = ops::scale(x, 2);
    REQUIRE_FALSE(y.requires_grad());
    REQUIRE(y.grad_fn() == nullptr);
    REQUIRE_THROWS_WITH(ops::sum(y).backward(), Catch::Contains("does not require a gradient"));
  }
  REQUIRE(grad_enabled());
  REQUIRE(ops::scale(x, 2).requires_grad());
}

TEST_CASE("the graph is freed after backward", "[autograd]") {
  Tensor x = Tensor::from_vector({2}, {1, 2}).set_requires_grad(true);
  Tensor big = ops::scale(x, 2);
  std::weak_ptr<Storage> saved = big.impl()->storage;
  const Tensor loss = ops::sum(ops::mul(big, big));  // mul saves `big` for backward
  big = Tensor();
  REQUIRE_FALSE(saved.expired());  // still held by the mul node
  loss.backward();
  REQUIRE(saved.expired());  // released once mul's backward ran
  REQUIRE_THROWS_WITH(loss.backward(), Catch::Contains("twice"));
}

TEST_CASE("backward needs a scalar", "[autograd]") {
  Tensor x = Tensor::from_vector({2}, {1, 2}).set_requires_grad(true);
  REQUIRE_THROWS_WITH(ops::scale(x, 2).backward(), Catch::Contains("scalar"));
}

TEST_CASE("deep chains do not overflow the stack", "[autograd]") {
  Tensor x = Tensor::from_vector({1}, {1}).set_requires_grad(true);
  Tensor y = x;
  for (int i = 0; i < 20000; ++i) y = ops::scale(y, 1.0f);
  ops::sum(y).backward();
  REQUIRE(x.grad().item() == 1.0f);
}

TEST_CASE("the tape does not keep intermediates that no backward function saved", "[autograd]") {
  // scale's backward needs only its factor, and relu saves its output: once
  // the forward pass drops `scaled`, nothing may hold its memory (as with
  // BatchNorm's output under ReLU, which would cost a tensor per layer).
  Tensor x = Tensor::from_vector({4}, {1, -2, 3, -4}).set_requires_grad(true);
  std::weak_ptr<TensorImpl> scaled_impl;
  Tensor loss;
  {
    const Tensor scaled = ops::scale(x, 2);
    scaled_impl = scaled.impl_ptr();
    loss = ops::sum(ops::relu(scaled));
  }
  REQUIRE(scaled_impl.expired());
  loss.backward();
  REQUIRE(x.grad().to_vector() == std::vector<float>{2, 0, 2, 0});
}
