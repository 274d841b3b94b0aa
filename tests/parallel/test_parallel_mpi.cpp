// Data parallelism over MPI, run as `mpirun -np 2 test_parallel_mpi`: every
// rank runs every test case in the same order (they share collectives).
// 2 ranks x batch 32 train exactly as 1 rank x batch 64 (with overlap on and
// off, and with gradient accumulation); the ranks' shards
// cover each epoch exactly once; mismatched configs and diverged replicas
// are errors on every rank.
#include <catch2/catch.hpp>
#include <cmath>
#include <map>
#include <numeric>

#include "data/data.h"
#include "layers/model_file.h"
#include "tests/parallel/mpi_world.h"
#include "train/trainer.h"

using namespace gaze;
using namespace gaze::train;
using namespace gaze::train::testing;
namespace fs = std::filesystem;

namespace {

TrainResult train_quietly(const TrainConfig& config, const fs::path& out, Communicator& comm) {
  clear_stop_request();
  return run_training(config, {out.string(), "", "", false, 0}, comm);
}

std::map<std::string, std::vector<float>> parameters_in(const fs::path& checkpoint) {
  std::map<std::string, std::vector<float>> values;
  for (const auto& [name, tensor] : load_model_file(checkpoint.string()).model.named_parameters())
    values[name] = tensor.to_vector();
  return values;
}

// ||a - b|| / ||b||
double relative_difference(const std::vector<float>& a, const std::vector<float>& b) {
  double difference = 0, norm = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    difference += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
    norm += double(b[i]) * b[i];
  }
  return std::sqrt(difference / std::max(norm, 1e-30));
}

// Forwards to the world, but rank 1 nudges every averaged gradient: its
// replica drifts away from rank 0's, as a bug in a reduction would make it.
class DriftingRank final : public Communicator {
 public:
  int rank() const override { return world().rank(); }
  int size() const override { return world().size(); }
  std::unique_ptr<PendingCollective> start_all_reduce_average(Tensor t) override {
    world().all_reduce_average(t);
    if (rank() == 1 && t.numel() > 0) t.data()[t.numel() - 1] += 1e-3f;  // a gradient, never a control value
    return std::make_unique<CompletedCollective>();
  }
  void all_reduce_sum(double* data, size_t count) override { world().all_reduce_sum(data, count); }
  void broadcast(Tensor t, int root) override { world().broadcast(std::move(t), root); }
  void check_same(const std::string& what, unsigned long long value) override { world().check_same(what, value); }
};

// Rank 1's loss turns NaN at one step: it writes NaN into the control value
// that rides in the step's (single, whole-arena) gradient all-reduce, as its
// TrainStep would after a NaN loss.
class PoisonedRank final : public Communicator {
 public:
  explicit PoisonedRank(int poisoned_step) : poisoned_step_(poisoned_step) {}
  int rank() const override { return world().rank(); }
  int size() const override { return world().size(); }
  std::unique_ptr<PendingCollective> start_all_reduce_average(Tensor t) override {
    if (rank() == 1 && ++starts_ == poisoned_step_) t.data()[0] = std::nanf("");
    return world().start_all_reduce_average(std::move(t));
  }
  void all_reduce_sum(double* data, size_t count) override { world().all_reduce_sum(data, count); }
  void broadcast(Tensor t, int root) override { world().broadcast(std::move(t), root); }
  void check_same(const std::string& what, unsigned long long value) override { world().check_same(what, value); }

 private:
  int poisoned_step_, starts_ = 0;
};

}  // namespace

TEST_CASE("the test runs on two MPI ranks", "[parallel][mpi]") { REQUIRE(world().size() == 2); }

// Every variant of the data-parallel step must give 1 rank x batch 64:
// buckets all-reduced during backward (many small ones, so that several
// start before backward ends), all after backward, and 2 micro-batches of 16
// per rank accumulated before one all-reduce.
TEST_CASE("2 ranks x batch 32 train exactly as 1 rank x batch 64", "[parallel][mpi][equivalence]") {
  const fs::path out = shared_dir("equivalence");
  const std::vector<std::string> two_epochs{"train.epochs=2", "train.check_replicas=true"};
  auto with = [&](std::vector<std::string> overrides) {
    overrides.insert(overrides.end(), two_epochs.begin(), two_epochs.end());
    return tiny_config(overrides);
  };
  // Every rank trains the single-process reference into its own folder.
  SingleProcess alone;
  const fs::path single_out = out / ("one_rank_on_rank" + std::to_string(world().rank()));
  const TrainResult single = train_quietly(with({"train.batch_per_device=64"}), single_out, alone);
  const auto one = parameters_in(single_out / "last.safetensors");
  REQUIRE(single.history.size() == 2);
  // The run learned something, so equal parameters are not equal by accident.
  CHECK(single.best_val_acc > 0.9);

  const std::vector<std::pair<std::string, std::vector<std::string>>> variants{
      {"overlapped, 1 KiB buckets", {"train.batch_per_device=32", "train.overlap=true", "train.bucket_mib=0.001"}},
      {"after backward", {"train.batch_per_device=32", "train.overlap=false"}},
      {"2 x 16 accumulated", {"train.batch_per_device=16", "train.accumulate=2", "train.bucket_mib=0.001"}}};
  for (const auto& [label, overrides] : variants) {
    CAPTURE(label);
    const fs::path parallel_out = out / ("two_ranks_" + std::to_string(&label - &variants.front().first));
    const TrainResult parallel = train_quietly(with(overrides), parallel_out, world());
    barrier();  // rank 0 has written the two-rank checkpoint
    REQUIRE(parallel.history.size() == 2);
    for (size_t e = 0; e < 2; ++e) {
      CAPTURE(e);
      CHECK(parallel.history[e].val_acc == single.history[e].val_acc);
      CHECK(parallel.history[e].val_loss == Approx(single.history[e].val_loss).epsilon(1e-5));
      CHECK(parallel.history[e].train_loss == Approx(single.history[e].train_loss).epsilon(1e-5));
      CHECK(parallel.history[e].train_acc == single.history[e].train_acc);
    }
    const auto two = parameters_in(parallel_out / "last.safetensors");
    REQUIRE(two.size() == one.size());
    for (const auto& [name, values] : one) {
      CAPTURE(name);
      REQUIRE(two.count(name));
      CHECK(relative_difference(two.at(name), values) <= 1e-5);
    }
  }
}

// The EMA is updated after every step from parameters that are identical on
// every rank, so 2 ranks x 32 average (and validate) as 1 rank x 64 does.
TEST_CASE("with train.ema, 2 ranks x batch 32 validate the same EMA as 1 rank x batch 64",
          "[parallel][mpi][ema]") {
  const fs::path out = shared_dir("ema");
  const std::vector<std::string> common{"train.epochs=2", "train.ema=0.9", "train.check_replicas=true"};
  auto with = [&](std::vector<std::string> overrides) {
    overrides.insert(overrides.end(), common.begin(), common.end());
    return tiny_config(overrides);
  };
  SingleProcess alone;
  const fs::path single_out = out / ("one_rank_on_rank" + std::to_string(world().rank()));
  const TrainResult single = train_quietly(with({"train.batch_per_device=64"}), single_out, alone);
  const TrainResult parallel = train_quietly(with({"train.batch_per_device=32"}), out / "two_ranks", world());
  barrier();
  REQUIRE(parallel.history.size() == 2);
  for (size_t e = 0; e < 2; ++e) {
    CAPTURE(e);
    CHECK(parallel.history[e].val_acc == single.history[e].val_acc);
    CHECK(parallel.history[e].val_loss == Approx(single.history[e].val_loss).epsilon(1e-5));
  }
  // best.safetensors holds the EMA weights in both.
  const auto one = parameters_in(single_out / "best.safetensors");
  const auto two = parameters_in(out / "two_ranks" / "best.safetensors");
  for (const auto& [name, values] : one) {
    CAPTURE(name);
    CHECK(relative_difference(two.at(name), values) <= 1e-5);
  }
}

TEST_CASE("a NaN loss on one rank stops every rank at the same step, best.safetensors untouched",
          "[parallel][mpi][nan]") {
  const fs::path out = shared_dir("nan");
  // tiny.yaml at 2 x 32: 6 steps per epoch; step 2 of epoch 2 is the 8th all-reduce.
  PoisonedRank poisoned(8);
  const TrainConfig config = tiny_config({"train.epochs=3", "train.batch_per_device=32"});
  CHECK_THROWS_WITH(train_quietly(config, out, poisoned),
                    Catch::Contains("loss became nan at epoch 2, step 2") && Catch::Contains("untouched"));
  barrier();
  if (world().is_root()) CHECK(load_model_file((out / "best.safetensors").string()).info.value("epoch", 0) == 1);
}

TEST_CASE("over an epoch the ranks together see every training sample exactly once", "[parallel][mpi][shards]") {
  data::DataConfig d;
  d.root = shared_task().string();
  d.channels = 1;
  d.height = d.width = 12;
  d.cache_dir = "";
  d.num_workers = 1;
  d.drop_last = false;
  const data::Dataset dataset = data::scan_dataset(d);
  std::vector<size_t> subset = data::split_train_val(data::labels_of(dataset), 0.25f, 7).train;
  subset.pop_back();  // 383 samples: the last global batch of 64 is short (32 + 31)
  const int batch = 32;
  data::Loader mine(dataset, subset, d, true, batch, world().rank(), world().size());
  data::Loader whole(dataset, subset, d, true, batch * world().size(), 0, 1);
  REQUIRE(mine.batches_per_epoch() == whole.batches_per_epoch());

  for (int epoch = 0; epoch < 2; ++epoch) {
    CAPTURE(epoch);
    // times_seen[i]: how often the ranks drew sample i; step_seen[i]: the
    // (1-based) step at which they did, to compare with one rank at batch 64.
    std::vector<double> times_seen(dataset.samples.size(), 0), step_seen(dataset.samples.size(), 0);
    mine.start_epoch(epoch);
    double step = 0;
    while (auto b = mine.next()) {
      ++step;
      for (size_t index : b->indices) {
        times_seen[index] += 1;
        step_seen[index] += step;
      }
    }
    world().all_reduce_sum(times_seen.data(), times_seen.size());
    world().all_reduce_sum(step_seen.data(), step_seen.size());
    std::vector<double> expected_times(dataset.samples.size(), 0), expected_step(dataset.samples.size(), 0);
    whole.start_epoch(epoch);
    step = 0;
    while (auto b = whole.next()) {
      ++step;
      for (size_t index : b->indices) {
        expected_times[index] += 1;
        expected_step[index] = step;
      }
    }
    for (size_t index : subset) REQUIRE(times_seen[index] == 1);
    CHECK(std::accumulate(times_seen.begin(), times_seen.end(), 0.0) == subset.size());
    CHECK(times_seen == expected_times);
    CHECK(step_seen == expected_step);
  }
}

TEST_CASE("ranks started with different configs stop with an error on every rank", "[parallel][mpi][config]") {
  const fs::path out = shared_dir("mismatch");
  std::vector<std::string> overrides{"train.epochs=1"};
  if (world().rank() == 1) overrides.push_back("train.lr=0.2");
  REQUIRE_THROWS_WITH(train_quietly(tiny_config(overrides), out, world()),
                      Catch::Contains("resolved config") && Catch::Contains("differs across the 2 ranks"));
  CHECK_FALSE(fs::exists(out / "last.safetensors"));
}

TEST_CASE("check_same passes equal values and rejects different ones everywhere", "[parallel][mpi][config]") {
  REQUIRE_NOTHROW(world().check_same("a shared value", 0x1234));
  REQUIRE_THROWS_WITH(world().check_same("the rank", static_cast<unsigned long long>(world().rank())),
                      Catch::Contains("the rank differs across the 2 ranks"));
}

TEST_CASE("train.check_replicas catches replicas that drifted apart", "[parallel][mpi][replicas]") {
  const fs::path out = shared_dir("drift");
  DriftingRank drifting;
  REQUIRE_THROWS_WITH(train_quietly(tiny_config({"train.epochs=1", "train.check_replicas=true"}), out, drifting),
                      Catch::Contains("parameters after epoch 1") && Catch::Contains("differs across"));
}
