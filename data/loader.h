#pragma once
// Loader: turns a subset of a Dataset into batches on background threads.
// Worker threads decode (or read the decoded cache), augment when training
// and normalize whole batches ahead of the consumer, at most `prefetch`
// batches ahead; batches come out in plan order regardless of which worker
// finished first. A worker's exception is rethrown by next(). Destroying the
// loader (or starting another epoch) stops and joins the workers.
//
// A sample that fails to decode during loading (its header was fine at scan
// time, e.g. a truncated JPEG) is reported once on stderr. In training it is
// replaced by the next decodable sample of the subset, so batch sizes, and
// with them the ranks' all-reduces, stay in step. In evaluation (training =
// false) it is left out, never substituted: the batch is one sample shorter
// (an empty batch is skipped) and undecodable_files() names it, so no image
// is counted twice and n is the number of images really evaluated.
#include <condition_variable>
#include <cstddef>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include "data/cache.h"
#include "data/config.h"
#include "data/dataset.h"
#include "data/image.h"

namespace gaze::data {

struct Batch {
  std::vector<float> images;         // n * channels * height * width, NCHW, normalized
  std::vector<int> labels;           // n class indices
  std::vector<std::size_t> indices;  // dataset index of each sample
  int n = 0, channels = 0, height = 0, width = 0;
};

class Loader {
 public:
  // `subset`: dataset indices this loader draws from (e.g. Split::train).
  // Training shuffles every epoch and augments; otherwise the order is the
  // subset's and only the deterministic path runs. When `cache` is null and
  // config.cache_dir is set, the loader opens (or builds) the cache itself;
  // IDX and matrix (npy) datasets are already in memory and are never cached.
  // A given `cache` must hold this loader's base images (same resize and,
  // when not training, the same val_crop); a training loader uses the whole
  // policy window whatever config.val_crop says.
  Loader(const Dataset& dataset, std::vector<std::size_t> subset, const DataConfig& config,
         bool training, int batch_size, int rank = 0, int world_size = 1,
         std::shared_ptr<const DecodedCache> cache = nullptr);
  ~Loader();
  Loader(const Loader&) = delete;
  Loader& operator=(const Loader&) = delete;

  void start_epoch(int epoch);
  // The next batch of the current epoch, or nullopt once it is exhausted.
  std::optional<Batch> next();
  std::size_t batches_per_epoch() const;
  const std::shared_ptr<const DecodedCache>& cache() const { return cache_; }
  // Paths of the samples found undecodable so far (sorted by dataset index).
  std::vector<std::string> undecodable_files() const;

 private:
  struct Slot {
    Batch batch;
    std::exception_ptr error;
  };
  void stop_workers();
  void worker_loop();
  Batch make_batch(const std::vector<std::size_t>& indices) const;
  Image substitute_image(std::size_t& index) const;
  bool try_base_image(std::size_t index, Image& out) const;

  std::shared_ptr<const Dataset> dataset_;
  std::vector<std::size_t> subset_;  // ascending
  DataConfig config_;
  bool training_;
  int batch_size_, rank_, world_size_;
  std::shared_ptr<const DecodedCache> cache_;

  int epoch_ = -1;
  std::vector<std::vector<std::size_t>> plan_;
  std::vector<std::thread> workers_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::size_t next_to_claim_ = 0, next_to_return_ = 0;
  std::map<std::size_t, Slot> ready_;
  bool stopping_ = false;

  mutable std::mutex bad_mutex_;
  mutable std::set<std::size_t> undecodable_;  // reported once, then skipped
};

}  // namespace gaze::data
