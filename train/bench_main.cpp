// gaze-bench: CPU training throughput of a model description on random data.
//   gaze-bench --config configs/bench-reference.yaml --size 64 --batch 64 --threads 2
// Data parallel, each rank with its own batch (scripts/bench-dp):
//   mpirun -np 2 gaze-bench --mpi --threads 1 [--overlap off]
#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>

#include "core/program.h"
#include "train/bench.h"
#ifdef GAZE_HAVE_MPI
#include "train/mpi_communicator.h"
#endif

int main(int argc, char** argv) {
  gaze::train::BenchOptions options;
  bool json = false;
  CLI::App app{"gaze-bench: training images/s, GFLOP/s, peak memory and per-layer times"};
  app.add_option("--config", options.config, "model YAML with a 'model' section");
  app.add_option("--size", options.size, "input height and width");
  app.add_option("--batch", options.batch, "images per step");
  app.add_option("--threads", options.threads, "OpenMP and BLAS threads");
  app.add_option("--steps", options.steps, "timed steps (median reported)");
  app.add_option("--warmup", options.warmup, "untimed steps first");
  app.add_flag("--json", json, "print one JSON object instead of the table");
  bool mpi = false;
  app.add_flag("--mpi", mpi, "run as one rank of the MPI job mpirun started (rank 0 prints)");
  std::string overlap = "on";
  app.add_option("--overlap", overlap, "with --mpi: all-reduce gradient buckets during backward")
      ->check(CLI::IsMember({"on", "off"}))
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  options.overlap = overlap == "on";
  return gaze::run_program("gaze-bench", [&] {
    std::unique_ptr<gaze::train::Communicator> comm = std::make_unique<gaze::train::SingleProcess>();
    if (mpi) {
#ifdef GAZE_HAVE_MPI
      comm = std::make_unique<gaze::train::MpiCommunicator>(300.0);
#else
      throw gaze::Error("gaze-bench --mpi: this build has no MPI (install libopenmpi-dev and reconfigure)");
#endif
    }
    const gaze::train::BenchResult result = gaze::train::run_bench(options, *comm);
    if (!comm->is_root()) return 0;
    if (json) {
      gaze::train::print_bench_json(result, std::cout);
    } else {
      gaze::train::print_bench(result, std::cout);
    }
    return 0;
  });
}
