#include "train/gradient_reducer.h"

#include "core/error.h"

namespace gaze::train {

namespace {
using Clock = std::chrono::steady_clock;
}

GradientReducer::GradientReducer(ParameterArena& arena, Communicator& comm, ReducerOptions options)
    : arena_(arena), comm_(comm), options_(options) {
  GAZE_CHECK(options_.bucket_floats > 0, "gradient bucket size must be positive, got ", options_.bucket_floats);
  const auto& slices = arena.slices();
  std::vector<size_t> bucket_of_parameter(slices.size());
  // Walk the parameters from the last; a bucket closes once it reaches the
  // size (a parameter larger than a bucket gets one of its own).
  int64_t end = ParameterArena::kControlFloats + arena.size();
  int64_t filled = 0;
  size_t members = 0;
  for (size_t i = slices.size(); i-- > 0;) {
    bucket_of_parameter[i] = buckets_.size();
    filled += slices[i].numel;
    ++members;
    if (filled >= options_.bucket_floats && i > 0) {
      const int64_t begin = ParameterArena::kControlFloats + slices[i].offset;
      buckets_.push_back({begin, end, members});
      end = begin;
      filled = 0;
      members = 0;
    }
  }
  buckets_.push_back({0, end, members});  // the first parameters and the control values
  waiting_.assign(buckets_.size(), 0);
  in_flight_.resize(buckets_.size());
  if (comm_.size() == 1) return;  // nothing to reduce: no hooks, no cost
  for (size_t i = 0; i < slices.size(); ++i) {
    Tensor parameter = arena.parameter_views()[i];
    const size_t bucket = bucket_of_parameter[i];
    hooks_.emplace_back(parameter, parameter.add_grad_final_hook([this, bucket](const Tensor&) {
      parameter_ready(bucket);
    }));
  }
}

GradientReducer::~GradientReducer() {
  for (auto& [parameter, id] : hooks_) parameter.remove_grad_final_hook(id);
}

void GradientReducer::arm() {
  if (comm_.size() == 1) return;
  GAZE_CHECK(next_to_start_ == 0, "GradientReducer::arm() while a reduction is under way: call finish() first");
  for (size_t b = 0; b < buckets_.size(); ++b) waiting_[b] = buckets_[b].parameters;
  armed_ = options_.overlap;
}

void GradientReducer::parameter_ready(size_t bucket) {
  if (!armed_) return;
  // Every hook is a chance for MPI to progress the buckets already started.
  for (size_t b = 0; b < next_to_start_; ++b) in_flight_[b]->test();
  if (waiting_[bucket] > 0 && --waiting_[bucket] == 0) start_ready_buckets();
}

void GradientReducer::start_ready_buckets() {
  while (next_to_start_ < buckets_.size() && waiting_[next_to_start_] == 0) start(next_to_start_++);
}

void GradientReducer::start(size_t bucket) {
  const Bucket& b = buckets_[bucket];
  in_flight_[bucket] = comm_.start_all_reduce_average(arena_.gradient_arena().narrow(0, b.begin, b.end - b.begin));
  if (on_started_) on_started_(bucket);
}

double GradientReducer::finish() {
  armed_ = false;
  if (comm_.size() == 1) return 0;
  while (next_to_start_ < buckets_.size()) start(next_to_start_++);
  const auto waiting_since = Clock::now();
  for (auto& pending : in_flight_) {
    pending->wait();
    pending.reset();
  }
  next_to_start_ = 0;
  return std::chrono::duration<double>(Clock::now() - waiting_since).count();
}

}  // namespace gaze::train
