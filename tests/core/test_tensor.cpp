// Tensor basics: creation, views sharing storage, strided copies, devices, RNG.
#include <catch2/catch.hpp>

#include "core/core.h"

using namespace gaze;

TEST_CASE("tensors are created with shape, contiguous strides and values", "[tensor]") {
  const Tensor t = Tensor::from_vector({2, 3}, {1, 2, 3, 4, 5, 6});
  REQUIRE(t.shape() == Shape{2, 3});
  REQUIRE(t.strides() == Shape{3, 1});
  REQUIRE(t.numel() == 6);
  REQUIRE(t.dim(-1) == 3);
  REQUIRE(t.device() == Device::cpu());
  REQUIRE(t.to_vector() == std::vector<float>{1, 2, 3, 4, 5, 6});
  REQUIRE(Tensor::zeros({4}).to_vector() == std::vector<float>(4, 0.0f));
  REQUIRE(Tensor::full({2}, 7.5f).to_vector() == std::vector<float>{7.5f, 7.5f});
  REQUIRE(Tensor::scalar(3).item() == 3.0f);
  REQUIRE_THROWS_WITH(Tensor::from_vector({2, 2}, {1, 2, 3}), Catch::Contains("needs 4 values, got 3"));
  REQUIRE_THROWS_AS(t.dim(2), Error);
}

TEST_CASE("views share storage; narrow gives strided views; contiguous copies", "[tensor]") {
  Tensor t = Tensor::from_vector({2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor v = t.view({3, 2});
  REQUIRE(v.shares_storage_with(t));
  REQUIRE(t.view({-1}).shape() == Shape{6});
  v.data()[0] = 10;
  REQUIRE(t.to_vector()[0] == 10);

  const Tensor column = t.narrow(1, 1, 2);  // [[2,3],[5,6]]
  REQUIRE_FALSE(column.is_contiguous());
  REQUIRE(column.strides() == Shape{3, 1});
  REQUIRE(column.to_vector() == std::vector<float>{2, 3, 5, 6});
  const Tensor rows = t.narrow(0, 1, 1);
  REQUIRE(rows.is_contiguous());
  REQUIRE(rows.to_vector() == std::vector<float>{4, 5, 6});
  REQUIRE_THROWS_WITH(column.view({4}), Catch::Contains("non-contiguous"));
  REQUIRE_THROWS_WITH(t.view({4, 2}), Catch::Contains("cannot view"));
  REQUIRE_THROWS_WITH(t.narrow(1, 2, 2), Catch::Contains("out of range"));

  const Tensor c = t.clone();
  REQUIRE_FALSE(c.shares_storage_with(t));
  REQUIRE(c.to_vector() == t.to_vector());
}

TEST_CASE("random initialisation is deterministic per seed", "[tensor][random]") {
  Rng a(42), b(42), c(43);
  const auto x = Tensor::randn({100}, a).to_vector();
  REQUIRE(x == Tensor::randn({100}, b).to_vector());
  REQUIRE(x != Tensor::randn({100}, c).to_vector());
  double mean = 0, square = 0;
  Rng big(7);
  const auto y = Tensor::randn({20000}, big, 2.0f).to_vector();
  for (float v : y) mean += v, square += v * v;
  mean /= static_cast<double>(y.size());
  square /= static_cast<double>(y.size());
  REQUIRE(std::abs(mean) < 0.05);
  REQUIRE(std::sqrt(square - mean * mean) == Approx(2.0).epsilon(0.03));
  Rng u(1);
  for (float v : Tensor::uniform({1000}, u, -1, 1).to_vector()) REQUIRE((v >= -1 && v < 1));
}

TEST_CASE("devices parse and CUDA tensors fail clearly without a CUDA backend", "[tensor][device]") {
  REQUIRE(Device::parse("cpu") == Device::cpu());
  REQUIRE(Device::parse("cuda:3") == Device::cuda(3));
  REQUIRE(Device::parse("cuda").str() == "cuda:0");
  REQUIRE_THROWS_WITH(Device::parse("gpu0"), Catch::Contains("unknown device 'gpu0'"));
  if (!cuda_backend_available())
    REQUIRE_THROWS_WITH(Tensor::zeros({2}, Device::cuda(0)), Catch::Contains("no CUDA backend"));
}
