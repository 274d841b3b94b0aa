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

TEST_CASE("a grad-final hook sees a leaf's complete gradient once, before backward returns", "[core][autograd][hooks]") {
  // w is used by two ops, so its gradient arrives in two parts: the hook must
  // run after the second. loss = sum(w * x) + sum(w * w): dloss/dw = x + 2w.
  Tensor w = Tensor::from_vector({3}, {1, -2, 0.5f}).set_requires_grad(true);
  Tensor unused = Tensor::from_vector({2}, {1, 1}).set_requires_grad(true);
  const Tensor x = Tensor::from_vector({3}, {4, 5, 6});
  std::vector<std::vector<float>> seen;
  int unused_calls = 0;
  const int id = w.add_grad_final_hook([&](const Tensor& grad) { seen.push_back(grad.to_vector()); });
  unused.add_grad_final_hook([&](const Tensor&) { ++unused_calls; });
  const Tensor loss = ops::add(ops::sum(ops::mul(w, x)), ops::sum(ops::mul(w, w)));
  bool returned = false;
  const int order_check = w.add_grad_final_hook([&](const Tensor&) { CHECK_FALSE(returned); });
  loss.backward();
  returned = true;
  w.remove_grad_final_hook(order_check);
  REQUIRE(seen.size() == 1);
  CHECK(seen[0] == std::vector<float>{4 + 2 * 1, 5 + 2 * -2, 6 + 2 * 0.5f});
  CHECK(unused_calls == 0);  // not reached by this backward
  // Removed hooks stay quiet; the next backward calls the others again.
  w.remove_grad_final_hook(id);
  ops::sum(ops::mul(w, x)).backward();
  CHECK(seen.size() == 1);
}

TEST_CASE("grad-final hooks fire in backward's order: later layers first", "[core][autograd][hooks]") {
  Tensor a = Tensor::from_vector({2}, {1, 2}).set_requires_grad(true);
  Tensor b = Tensor::from_vector({2}, {3, 4}).set_requires_grad(true);
  std::vector<std::string> order;
  a.add_grad_final_hook([&](const Tensor&) { order.push_back("a"); });
  b.add_grad_final_hook([&](const Tensor&) { order.push_back("b"); });
  // a is used first (layer 1), b last (layer 2): b's gradient is final first.
  const Tensor hidden = ops::relu(ops::mul(a, a));
  ops::sum(ops::mul(hidden, b)).backward();
  CHECK(order == std::vector<std::string>{"b", "a"});
}

TEST_CASE("only leaves that require a gradient take grad-final hooks", "[core][autograd][hooks]") {
  Tensor plain = Tensor::from_vector({1}, {1});
  CHECK_THROWS_WITH(plain.add_grad_final_hook([](const Tensor&) {}), Catch::Contains("leaf that requires a gradient"));
  Tensor w = Tensor::from_vector({1}, {1}).set_requires_grad(true);
  const Tensor y = ops::mul(w, w);
  Tensor intermediate = y;
  CHECK_THROWS_WITH(intermediate.add_grad_final_hook([](const Tensor&) {}), Catch::Contains("leaf"));
}
