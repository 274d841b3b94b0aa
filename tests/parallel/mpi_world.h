#pragma once
// Shared by the programs that mpirun starts: the process's one MPI
// communicator, a barrier, and the tiny training task in a folder all ranks
// see (rank 0 writes it, the others wait).
#include <filesystem>
#include <string>
#include <vector>

#include "tests/train/train_fixtures.h"
#include "train/config.h"
#include "train/mpi_communicator.h"

namespace gaze::train::testing {

inline const std::string kTinyConfig = std::string(GAZE_SOURCE_DIR) + "/configs/tiny.yaml";

// A short collective timeout: a broken test ends in a minute, not five.
inline MpiCommunicator& world() {
  static MpiCommunicator comm(60);
  return comm;
}

inline void barrier() {
  double nothing = 0;
  world().all_reduce_sum(&nothing, 1);
}

// An empty folder, the same on every rank.
inline std::filesystem::path shared_dir(const std::string& name) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "gaze_test_parallel" / name;
  if (world().is_root()) {
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
  }
  barrier();
  return dir;
}

// 512 training and 32 test images of the halves task: 384 train after the
// 25% validation split, 6 global batches of 64.
inline std::filesystem::path shared_task() {
  static const std::filesystem::path dir = [] {
    const std::filesystem::path d = shared_dir("halves_data");
    if (world().is_root()) write_halves_task(d, 512, 32);
    barrier();
    return d;
  }();
  return dir;
}

// configs/tiny.yaml on the shared task, one thread per rank (two ranks share two cores).
inline TrainConfig tiny_config(std::vector<std::string> overrides) {
  overrides.push_back("data.root=" + shared_task().string());
  overrides.push_back("train.threads=1");
  overrides.push_back("train.collective_timeout_s=60");
  return load_config(kTinyConfig, overrides);
}

}  // namespace gaze::train::testing
