#include "data/split.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "core/error.h"
#include "data/random.h"

namespace gaze::data {

Split split_train_val(const std::vector<int>& labels, float val_split, std::uint64_t seed) {
  GAZE_CHECK(val_split >= 0.0f && val_split < 1.0f, "val_split is ", val_split,
             "; expected a fraction in [0, 1)");
  std::map<int, std::vector<std::size_t>> by_class;
  for (std::size_t i = 0; i < labels.size(); ++i) by_class[labels[i]].push_back(i);
  Split split;
  for (auto& [label, indices] : by_class) {
    Rng rng(mix_seed({seed, 0x5f11u, static_cast<std::uint64_t>(label)}));
    shuffle(indices, rng);
    const auto val_count =
        static_cast<std::size_t>(std::lround(static_cast<double>(indices.size()) * val_split));
    split.val.insert(split.val.end(), indices.begin(), indices.begin() + val_count);
    split.train.insert(split.train.end(), indices.begin() + val_count, indices.end());
  }
  std::sort(split.train.begin(), split.train.end());
  std::sort(split.val.begin(), split.val.end());
  return split;
}

std::size_t batches_per_epoch(std::size_t count, int batch_size, int world_size, bool drop_last) {
  const std::size_t global = static_cast<std::size_t>(batch_size) * world_size;
  const std::size_t full = count / global;
  const std::size_t rest = count % global;
  return full + (!drop_last && rest >= static_cast<std::size_t>(world_size) ? 1 : 0);
}

std::vector<std::vector<std::size_t>> plan_epoch(const std::vector<std::size_t>& subset,
                                                 bool shuffle_order, std::uint64_t seed,
                                                 int epoch, int batch_size, int rank,
                                                 int world_size, bool drop_last) {
  GAZE_CHECK(batch_size > 0, "batch size is ", batch_size, "; expected > 0");
  GAZE_CHECK(world_size > 0 && rank >= 0 && rank < world_size, "rank ", rank,
             " of world size ", world_size, " is invalid; expected 0 <= rank < world size");
  std::vector<std::size_t> order = subset;
  if (shuffle_order) {
    Rng rng(mix_seed({seed, 0x5407u, static_cast<std::uint64_t>(epoch)}));
    shuffle(order, rng);
  }
  const std::size_t count = batches_per_epoch(order.size(), batch_size, world_size, drop_last);
  const std::size_t global = static_cast<std::size_t>(batch_size) * world_size;
  std::vector<std::vector<std::size_t>> batches(count);
  for (std::size_t b = 0; b < count; ++b) {
    const std::size_t begin = b * global;
    const std::size_t size = std::min(global, order.size() - begin);
    // Rank r's slice of this global batch: equal shares, the first
    // (size % world_size) ranks one larger.
    const std::size_t share = size / world_size, extra = size % world_size;
    const std::size_t r = static_cast<std::size_t>(rank);
    const std::size_t first = begin + r * share + std::min(r, extra);
    const std::size_t length = share + (r < extra ? 1 : 0);
    batches[b].assign(order.begin() + static_cast<std::ptrdiff_t>(first),
                      order.begin() + static_cast<std::ptrdiff_t>(first + length));
  }
  return batches;
}

}  // namespace gaze::data
