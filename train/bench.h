#pragma once
// The CPU training benchmark behind gaze-bench: trains a model description
// (configs/bench-reference.yaml by default) on random data and measures
// images/s, achieved GFLOP/s against an in-process sgemm peak, the RSS
// high-water mark and per-layer forward/backward times. scripts/bench-vs-torch
// runs it side by side with PyTorch's ../shared/bench/torch_ref.py.
#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "train/communicator.h"

namespace gaze::train {

struct BenchOptions {
  std::string config = "configs/bench-reference.yaml";
  int size = 64;     // input height and width, replacing the config's
  int batch = 64;
  int threads = 2;
  int steps = 5;     // timed steps; the median is reported
  int warmup = 2;    // untimed steps after the first step and the profiled step
  bool overlap = true;  // with several ranks: all-reduce gradient buckets during backward
};

struct LayerTiming {
  std::string name, type;
  double forward_ms = 0, backward_ms = 0;
};

struct BenchResult {
  BenchOptions options;
  int ranks = 1;                 // data-parallel ranks, each with its own batch
  double step_ms = 0;            // median over the timed steps
  double reduce_wait_ms = 0;     // median time a step waited for the gradient all-reduce after backward
  double images_per_s = 0;
  double forward_gflop_per_image = 0;  // conv and dense multiply-adds x 2
  double train_gflop_per_s = 0;        // 3x forward FLOPs per step / step time
  double sgemm_peak_gflop_per_s = 0;
  double peak_rss_mib = 0;             // VmHWM of this process
  double peak_tensor_mib = 0;          // most host blocks live at once (tensors and scratch)
  double arena_mib = 0;                // what the CPU allocator's arena holds after the steps
  std::vector<LayerTiming> layers;     // from one extra profiled step
};

// Sets the OpenMP and BLAS thread counts, then runs the benchmark: the
// trainer's TrainStep (train/train_step.h) with SGD + momentum on random
// data, on this process alone or as one rank of `comm` (each rank trains its
// own batch; images/s counts all ranks').
BenchResult run_bench(const BenchOptions& options);
BenchResult run_bench(const BenchOptions& options, Communicator& comm);

// Best GFLOP/s of a square sgemm of side n over a few repetitions.
double measure_sgemm_peak(int n = 2048);

void print_bench(const BenchResult& result, std::ostream& out);
void print_bench_json(const BenchResult& result, std::ostream& out);

}  // namespace gaze::train
