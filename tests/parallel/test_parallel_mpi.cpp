// Data parallelism over MPI, run as `mpirun -np 2 test_parallel_mpi`: every
// rank runs every test case in the same order (they share collectives).
// 2 ranks x batch 32 train exactly as 1 rank x batch 64; the ranks' shards
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
  void all_reduce_average(float* data, size_t count) override {
    world().all_reduce_average(data, count);
    if (rank() == 1 && count > 0) data[0] += 1e-3f;
  }
  void all_reduce_sum(double* data, size_t count) override { world().all_reduce_sum(data, count); }
  void broadcast(float* data, size_t count, int root) override { world().broadcast(data, count, root); }
  void check_same(const std::string& what, unsigned long long value) override { world().check_same(what, value); }
};

}  // namespace

TEST_CASE("the test runs on two MPI ranks", "[parallel][mpi]") { REQUIRE(world().size() == 2); }

TEST_CASE("2 ranks x batch 32 train exactly as 1 rank x batch 64", "[parallel][mpi][equivalence]") {
  const fs::path out = shared_dir("equivalence");
  const std::vector<std::string> two_epochs{"train.epochs=2", "train.check_replicas=true"};
  auto with = [&](std::string batch) {
    std::vector<std::string> overrides = two_epochs;
    overrides.push_back("train.batch_per_device=" + batch);
    return tiny_config(overrides);
  };
  const TrainResult parallel = train_quietly(with("32"), out / "two_ranks", world());
  // Every rank trains the single-process reference into its own folder.
  SingleProcess alone;
  const fs::path single_out = out / ("one_rank_on_rank" + std::to_string(world().rank()));
  const TrainResult single = train_quietly(with("64"), single_out, alone);
  barrier();  // rank 0 has written the two-rank checkpoint

  REQUIRE(parallel.history.size() == 2);
  REQUIRE(single.history.size() == 2);
  for (size_t e = 0; e < 2; ++e) {
    CAPTURE(e);
    CHECK(parallel.history[e].val_acc == single.history[e].val_acc);
    CHECK(parallel.history[e].val_loss == Approx(single.history[e].val_loss).epsilon(1e-5));
    CHECK(parallel.history[e].train_loss == Approx(single.history[e].train_loss).epsilon(1e-5));
    CHECK(parallel.history[e].train_acc == single.history[e].train_acc);
  }
  // The run learned something, so equal parameters are not equal by accident.
  CHECK(parallel.best_val_acc > 0.9);
  const auto two = parameters_in(out / "two_ranks" / "last.safetensors");
  const auto one = parameters_in(single_out / "last.safetensors");
  REQUIRE(two.size() == one.size());
  for (const auto& [name, values] : one) {
    CAPTURE(name);
    REQUIRE(two.count(name));
    CHECK(relative_difference(two.at(name), values) <= 1e-5);
  }
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
