#include <catch2/catch.hpp>

#include <algorithm>
#include <numeric>
#include <set>

#include "data/split.h"

using namespace gaze::data;

namespace {

std::vector<std::size_t> iota_indices(std::size_t n) {
  std::vector<std::size_t> indices(n);
  std::iota(indices.begin(), indices.end(), 0);
  return indices;
}

}  // namespace

TEST_CASE("split is deterministic, disjoint, complete and stratified", "[data][split]") {
  std::vector<int> labels;
  for (int i = 0; i < 100; ++i) labels.push_back(0);
  for (int i = 0; i < 50; ++i) labels.push_back(1);
  for (int i = 0; i < 10; ++i) labels.push_back(2);
  std::rotate(labels.begin(), labels.begin() + 37, labels.end());

  const Split a = split_train_val(labels, 0.2f, 7);
  const Split b = split_train_val(labels, 0.2f, 7);
  CHECK(a.train == b.train);
  CHECK(a.val == b.val);
  CHECK(a.val.size() == 32);  // 20 + 10 + 2
  std::vector<int> val_per_class(3, 0);
  for (std::size_t i : a.val) ++val_per_class[labels[i]];
  CHECK(val_per_class == std::vector<int>{20, 10, 2});

  std::vector<std::size_t> all = a.train;
  all.insert(all.end(), a.val.begin(), a.val.end());
  std::sort(all.begin(), all.end());
  CHECK(all == iota_indices(labels.size()));

  const Split other = split_train_val(labels, 0.2f, 8);
  CHECK(other.val != a.val);
  CHECK(split_train_val(labels, 0.0f, 7).val.empty());
}

TEST_CASE("shards are disjoint and together cover the epoch exactly once", "[data][split]") {
  const auto [count, batch, world, drop_last] = GENERATE(std::tuple{103, 4, 3, false},
                                                         std::tuple{96, 8, 4, false},
                                                         std::tuple{103, 4, 3, true},
                                                         std::tuple{50, 64, 2, false});
  const std::vector<std::size_t> subset = iota_indices(static_cast<std::size_t>(count));
  std::multiset<std::size_t> seen;
  const std::size_t expected_batches =
      batches_per_epoch(subset.size(), batch, world, drop_last);
  for (int rank = 0; rank < world; ++rank) {
    const auto plan = plan_epoch(subset, true, 11, 3, batch, rank, world, drop_last);
    CHECK(plan.size() == expected_batches);
    for (const auto& b : plan) {
      CHECK(!b.empty());
      CHECK(b.size() <= static_cast<std::size_t>(batch));
      if (drop_last) CHECK(b.size() == static_cast<std::size_t>(batch));
      seen.insert(b.begin(), b.end());
    }
  }
  CHECK(std::set<std::size_t>(seen.begin(), seen.end()).size() == seen.size());  // disjoint
  if (drop_last) {
    CHECK(seen.size() == expected_batches * batch * world);
  } else {
    CHECK(seen.size() == subset.size());  // every sample exactly once
  }
}

TEST_CASE("N ranks at batch B see what one rank sees at batch N*B", "[data][split]") {
  const std::vector<std::size_t> subset = iota_indices(77);
  const auto single = plan_epoch(subset, true, 5, 2, 12, 0, 1, false);
  std::vector<std::vector<std::size_t>> joined(single.size());
  for (int rank = 0; rank < 3; ++rank) {
    const auto plan = plan_epoch(subset, true, 5, 2, 4, rank, 3, false);
    REQUIRE(plan.size() == single.size());
    for (std::size_t b = 0; b < plan.size(); ++b)
      joined[b].insert(joined[b].end(), plan[b].begin(), plan[b].end());
  }
  CHECK(joined == single);
}

TEST_CASE("epochs shuffle differently; evaluation keeps the subset order", "[data][split]") {
  const std::vector<std::size_t> subset = iota_indices(40);
  const auto epoch0 = plan_epoch(subset, true, 1, 0, 40, 0, 1, true);
  const auto epoch1 = plan_epoch(subset, true, 1, 1, 40, 0, 1, true);
  CHECK(epoch0 != epoch1);
  CHECK(epoch0 == plan_epoch(subset, true, 1, 0, 40, 0, 1, true));
  CHECK(plan_epoch(subset, false, 1, 0, 40, 0, 1, true)[0] == subset);
}
