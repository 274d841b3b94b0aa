#include "data/loader.h"

#include <algorithm>
#include <iostream>

#include "core/error.h"
#include "data/augment.h"
#include "data/matrix.h"
#include "data/preprocess.h"
#include "data/split.h"

namespace gaze::data {

Loader::Loader(const Dataset& dataset, std::vector<std::size_t> subset, const DataConfig& config,
               bool training, int batch_size, int rank, int world_size,
               std::shared_ptr<const DecodedCache> cache)
    : dataset_(std::make_shared<const Dataset>(dataset)),
      subset_(std::move(subset)),
      config_(config),
      training_(training),
      batch_size_(batch_size),
      rank_(rank),
      world_size_(world_size),
      cache_(std::move(cache)) {
  if (training_) config_.val_crop = 1.0f;  // augmentation starts from the whole policy window
  validate(config_);
  GAZE_CHECK(batch_size > 0, "batch size is ", batch_size, "; expected > 0");
  GAZE_CHECK(world_size > 0 && rank >= 0 && rank < world_size, "rank ", rank,
             " of world size ", world_size, " is invalid; expected 0 <= rank < world size");
  GAZE_CHECK(!subset_.empty(), "loader for '", dataset.root, "' got an empty subset of samples");
  std::sort(subset_.begin(), subset_.end());
  GAZE_CHECK(subset_.back() < dataset_->samples.size(), "loader subset index ", subset_.back(),
             " is out of range; the dataset has ", dataset_->samples.size(), " samples");
  if (cache_) {
    GAZE_CHECK(cache_->size() == dataset_->samples.size(), "decoded cache '", cache_->path(),
               "' holds ", cache_->size(), " samples; the dataset has ",
               dataset_->samples.size());
    GAZE_CHECK(config_.cache_dir.empty() || cache_->path() == DecodedCache::path_for(*dataset_, config_),
               "decoded cache '", cache_->path(), "' was built with other preprocessing than this loader's (",
               DecodedCache::path_for(*dataset_, config_), "); a validation loader with data.val_crop < 1 needs its own");
  } else if (!config_.cache_dir.empty() && !dataset_->idx && !dataset_->matrices) {
    cache_ = DecodedCache::open_or_build(*dataset_, config_, config_.num_workers);
  }
}

Loader::~Loader() { stop_workers(); }

std::size_t Loader::batches_per_epoch() const {
  return data::batches_per_epoch(subset_.size(), batch_size_, world_size_, config_.drop_last);
}

void Loader::stop_workers() {
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  for (std::thread& worker : workers_) worker.join();
  workers_.clear();
}

void Loader::start_epoch(int epoch) {
  stop_workers();
  epoch_ = epoch;
  plan_ = plan_epoch(subset_, training_, config_.seed, epoch, batch_size_, rank_, world_size_,
                     config_.drop_last);
  next_to_claim_ = next_to_return_ = 0;
  ready_.clear();
  stopping_ = false;
  const std::size_t threads =
      std::min<std::size_t>(static_cast<std::size_t>(config_.num_workers), plan_.size());
  for (std::size_t t = 0; t < threads; ++t) workers_.emplace_back([this] { worker_loop(); });
}

std::optional<Batch> Loader::next() {
  GAZE_CHECK(epoch_ >= 0, "Loader::next() called before start_epoch()");
  for (;;) {
    std::unique_lock lock(mutex_);
    if (next_to_return_ >= plan_.size()) return std::nullopt;
    changed_.wait(lock, [this] { return ready_.count(next_to_return_) > 0; });
    Slot slot = std::move(ready_.at(next_to_return_));
    ready_.erase(next_to_return_);
    ++next_to_return_;
    lock.unlock();
    changed_.notify_all();
    if (slot.error) std::rethrow_exception(slot.error);
    if (slot.batch.n > 0) return std::move(slot.batch);  // empty: every sample of it was undecodable
  }
}

std::vector<std::string> Loader::undecodable_files() const {
  const std::lock_guard lock(bad_mutex_);
  std::vector<std::string> paths;
  for (std::size_t index : undecodable_) paths.push_back(dataset_->samples[index].path);
  return paths;
}

void Loader::worker_loop() {
  for (;;) {
    std::size_t index;
    {
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [this] {
        return stopping_ || next_to_claim_ >= plan_.size() ||
               next_to_claim_ < next_to_return_ + static_cast<std::size_t>(config_.prefetch);
      });
      if (stopping_ || next_to_claim_ >= plan_.size()) return;
      index = next_to_claim_++;
    }
    Slot slot;
    try {
      slot.batch = make_batch(plan_[index]);
    } catch (...) {
      slot.error = std::current_exception();
    }
    {
      const std::lock_guard lock(mutex_);
      ready_.emplace(index, std::move(slot));
    }
    changed_.notify_all();
  }
}

bool Loader::try_base_image(std::size_t index, Image& out) const {
  if (cache_) {
    if (cache_->decoded(index)) {
      out = cache_->image(index);
      return true;
    }
    const std::lock_guard lock(bad_mutex_);
    undecodable_.insert(index);  // the cache build reported it
    return false;
  }
  {
    const std::lock_guard lock(bad_mutex_);
    if (undecodable_.count(index)) return false;
  }
  try {
    out = make_base_image(load_source_image(*dataset_, index, config_), config_);
    return true;
  } catch (const Error& error) {
    const std::lock_guard lock(bad_mutex_);
    if (undecodable_.insert(index).second)
      std::cerr << "gaze data: warning: skipping '" << dataset_->samples[index].path
                << "': " << error.what() << "\n";
    return false;
  }
}

Image Loader::substitute_image(std::size_t& index) const {
  auto position = std::lower_bound(subset_.begin(), subset_.end(), index) - subset_.begin();
  Image image;
  for (std::size_t attempt = 0; attempt < subset_.size(); ++attempt) {
    const std::size_t candidate = subset_[(position + attempt) % subset_.size()];
    if (try_base_image(candidate, image)) {
      index = candidate;
      return image;
    }
  }
  throw Error("no sample of the " + std::to_string(subset_.size()) + " in '" + dataset_->root +
              "' decodes; expected at least one readable image");
}

Batch Loader::make_batch(const std::vector<std::size_t>& indices) const {
  Batch batch;
  batch.channels = config_.channels;
  batch.height = config_.height;
  batch.width = config_.width;
  const std::size_t stride = static_cast<std::size_t>(batch.channels) * batch.height * batch.width;
  batch.images.resize(stride * indices.size());
  std::size_t k = 0;
  if (dataset_->matrices) {
    // Floats from memory: no decoding to fail, no cache, no image augmentation.
    for (std::size_t index : indices) {
      matrix_into(*dataset_, index, config_, training_ ? config_.augment.noise_std : 0.0f, epoch_,
                  batch.images.data() + k++ * stride);
      batch.indices.push_back(index);
      batch.labels.push_back(dataset_->samples[index].label);
    }
    batch.n = static_cast<int>(k);
    return batch;
  }
  for (std::size_t index : indices) {
    Image base;
    if (training_) {
      base = substitute_image(index);
    } else if (!try_base_image(index, base)) {
      continue;  // evaluation never substitutes: the sample is left out and reported
    }
    float* out = batch.images.data() + k++ * stride;
    if (training_) {
      const AugmentDraw draw = draw_augmentation(config_.augment, config_.seed, epoch_, index,
                                                 config_.width, config_.height);
      augment_into(base, draw, config_, out);
    } else {
      normalize_into(base, config_, out);
    }
    batch.indices.push_back(index);
    batch.labels.push_back(dataset_->samples[index].label);
  }
  batch.n = static_cast<int>(k);
  batch.images.resize(stride * k);
  return batch;
}

}  // namespace gaze::data
