// Helper for the fault tests that ctest runs under mpirun (see CMakeLists.txt):
//   parallel_helper write-task DIR     writes the tiny halves task into DIR
//   parallel_helper die|hang DIR OUT   trains tiny.yaml on DIR with 2 ranks;
//       in the second epoch rank 1 exits abruptly (die) or stops responding
//       (hang). The run must then end with an error, not wait.
//   parallel_helper check-checkpoints OUT   loads OUT's best and last
//       checkpoints, which the first epoch wrote before the fault
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "core/error.h"
#include "layers/model_file.h"
#include "tests/train/train_fixtures.h"
#include "train/config.h"
#include "train/mpi_communicator.h"
#include "train/trainer.h"

using namespace gaze::train;
using gaze::Tensor;

namespace {

// tiny.yaml on the halves task runs 12 steps per epoch at 2 x 16.
constexpr int kFaultyStep = 15;

class FaultyRank final : public Communicator {
 public:
  FaultyRank(MpiCommunicator& world, std::string fault) : world_(world), fault_(std::move(fault)) {}
  int rank() const override { return world_.rank(); }
  int size() const override { return world_.size(); }
  std::unique_ptr<PendingCollective> start_all_reduce_average(Tensor t) override {
    if (rank() == 1 && ++reductions_ == kFaultyStep) {
      std::fprintf(stderr, "parallel_helper: rank 1 simulates a %s\n", fault_ == "die" ? "crash" : "hang");
      std::fflush(stderr);
      if (fault_ == "die") _exit(9);
      while (true) pause();
    }
    return world_.start_all_reduce_average(std::move(t));
  }
  void all_reduce_sum(double* data, size_t count) override { world_.all_reduce_sum(data, count); }
  void broadcast(Tensor t, int root) override { world_.broadcast(std::move(t), root); }
  void check_same(const std::string& what, unsigned long long value) override { world_.check_same(what, value); }

 private:
  MpiCommunicator& world_;
  std::string fault_;
  int reductions_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "write-task" && argc == 3) {
    testing::write_halves_task(argv[2], 512, 32);
    return 0;
  }
  if (mode == "check-checkpoints" && argc == 3) {
    try {
      for (const char* name : {"best.safetensors", "last.safetensors"}) {
        const std::string path = std::string(argv[2]) + "/" + name;
        const int epoch = gaze::load_model_file(path).info.value("epoch", 0);
        std::printf("parallel_helper: %s loads, written after epoch %d\n", path.c_str(), epoch);
      }
      return 0;
    } catch (const gaze::Error& e) {
      std::fprintf(stderr, "parallel_helper: %s\n", e.what());
      return 1;
    }
  }
  if ((mode != "die" && mode != "hang") || argc != 4) {
    std::fprintf(stderr,
                 "usage: parallel_helper write-task DIR | die DIR OUT | hang DIR OUT | check-checkpoints OUT\n");
    return 2;
  }
  // A hang is caught by the collective watchdog (3 s here); a crash by mpirun
  // itself, so that case gets a timeout longer than the ctest one.
  const double timeout = mode == "hang" ? 3 : 600;
  MpiCommunicator world(timeout);
  try {
    const TrainConfig config = load_config(std::string(GAZE_SOURCE_DIR) + "/configs/tiny.yaml",
                                           {"data.root=" + std::string(argv[2]), "train.threads=1"});
    // A checkpoint left by an earlier run must not pass for this run's.
    if (world.is_root()) std::filesystem::remove_all(argv[3]);
    FaultyRank comm(world, mode);
    run_training(config, {argv[3], "", "", world.is_root(), 0}, comm);
    std::printf("parallel_helper: training finished although rank 1 failed\n");
    return 0;
  } catch (const gaze::Error& e) {
    std::fprintf(stderr, "parallel_helper: error on rank %d: %s\n", world.rank(), e.what());
    world.abort(1);
  }
}
