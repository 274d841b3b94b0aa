#pragma once
// Train/validation split and per-epoch batch plans with data-parallel
// sharding. Both are pure functions of their arguments (no thread or rank
// state), so every rank computes the same split and the same global order.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace gaze::data {

struct Split {
  std::vector<std::size_t> train;  // dataset indices, ascending
  std::vector<std::size_t> val;
};

// Stratified: each class sends round(count * val_split) of its samples,
// chosen by a shuffle seeded from (seed, class), to validation.
Split split_train_val(const std::vector<int>& labels, float val_split, std::uint64_t seed);

// The batches of one epoch for one rank, as dataset indices. The epoch order
// (shuffled from (seed, epoch) when `shuffle`) is cut into global batches of
// batch_size * world_size; rank r takes the r-th slice of each, so N ranks at
// batch B see exactly what one rank at batch N*B sees. With drop_last the
// incomplete global batch is dropped; otherwise it is split as evenly as
// possible, and when it holds fewer samples than there are ranks it is
// dropped too, so every rank always gets the same number of non-empty batches
// (an uneven count would deadlock the gradient all-reduce).
std::vector<std::vector<std::size_t>> plan_epoch(const std::vector<std::size_t>& subset,
                                                 bool shuffle, std::uint64_t seed, int epoch,
                                                 int batch_size, int rank, int world_size,
                                                 bool drop_last);

std::size_t batches_per_epoch(std::size_t count, int batch_size, int world_size, bool drop_last);

}  // namespace gaze::data
