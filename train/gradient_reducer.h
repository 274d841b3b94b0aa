#pragma once
// GradientReducer: averages a ParameterArena's gradients over the ranks while
// backward still runs, as PyTorch DDP's reducer does.
//
// The gradient arena is cut into buckets: contiguous slices holding whole
// parameters, formed in reverse parameter order (the order in which backward
// finishes them), each of about `bucket_floats` floats. A grad-final hook
// (Tensor::add_grad_final_hook) on every parameter counts down its bucket;
// when a bucket's last gradient is final its all-reduce starts. Buckets start
// strictly in order (bucket 0 = the last layers), so every rank issues the
// same collectives in the same order even when one rank's backward finishes
// parameters in another order. The bucket holding the first parameters also
// holds the arena's control values, and is the last to start.
//
// finish() starts whatever has not started (parameters this backward did not
// reach, or every bucket when overlap is off) and waits for all: the
// optimizer then reads averaged gradients.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "train/communicator.h"
#include "train/parameter_arena.h"

namespace gaze::train {

struct ReducerOptions {
  bool overlap = true;  // start buckets from backward's hooks; off: all in finish()
  // 1 Mi floats (4 MiB): few enough collectives for MPI/NCCL to reach full
  // bandwidth, small enough that the first ones start early in backward.
  int64_t bucket_floats = int64_t{1} << 20;
};

class GradientReducer {
 public:
  GradientReducer(ParameterArena& arena, Communicator& comm, ReducerOptions options = {});
  ~GradientReducer();
  GradientReducer(const GradientReducer&) = delete;
  GradientReducer& operator=(const GradientReducer&) = delete;

  // Arms the hooks for the next backward(), whose gradients are the last of
  // this step (with gradient accumulation: the last micro-batch's). Without
  // arm(), backward() only accumulates locally.
  void arm();
  // Starts every bucket not started yet, in order, and waits for all of
  // them. Returns the seconds spent waiting.
  double finish();

  struct Bucket {
    int64_t begin = 0, end = 0;  // in the gradient arena (control values included)
    size_t parameters = 0;       // how many parameters it holds
  };
  const std::vector<Bucket>& buckets() const { return buckets_; }

  // For tests and profiling: called with the bucket index when its all-reduce starts.
  void on_bucket_started(std::function<void(size_t bucket)> callback) { on_started_ = std::move(callback); }

 private:
  void parameter_ready(size_t bucket);
  void start_ready_buckets();
  void start(size_t bucket);

  ParameterArena& arena_;
  Communicator& comm_;
  ReducerOptions options_;
  std::vector<Bucket> buckets_;
  std::vector<size_t> waiting_;  // per bucket: parameters whose gradient is not final yet
  std::vector<std::unique_ptr<PendingCollective>> in_flight_;  // per bucket, once started
  size_t next_to_start_ = 0;
  bool armed_ = false;
  std::vector<std::pair<Tensor, int>> hooks_;  // (parameter, hook id)
  std::function<void(size_t)> on_started_;
};

}  // namespace gaze::train
