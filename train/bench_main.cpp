// gaze-bench: CPU training throughput of a model description on random data.
//   gaze-bench --config configs/bench-reference.yaml --size 64 --batch 64 --threads 2
#include <CLI/CLI.hpp>
#include <iostream>

#include "core/program.h"
#include "train/bench.h"

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
  CLI11_PARSE(app, argc, argv);
  return gaze::run_program("gaze-bench", [&] {
    const gaze::train::BenchResult result = gaze::train::run_bench(options);
    if (json) {
      gaze::train::print_bench_json(result, std::cout);
    } else {
      gaze::train::print_bench(result, std::cout);
    }
    return 0;
  });
}
