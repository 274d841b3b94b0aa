#pragma once
// Communicator: what data-parallel training needs from its transport.
// Training code calls these on every rank; with one process they are no-ops.
// MPI (CPU ranks) and NCCL (GPU ranks) implementations plug in behind the
// same interface. Gradients and statistics are Tensors on the rank's device:
// NCCL reduces GPU memory in place on the device, never through the host.
#include <cstddef>
#include <memory>
#include <string>

#include "core/tensor.h"

namespace gaze::train {

// A started collective on a tensor.
class PendingCollective {
 public:
  virtual ~PendingCollective() = default;
  // Makes the result visible to whatever runs next on the tensor's device:
  // on the CPU the data holds the result when wait() returns; on a GPU the
  // compute stream is ordered after the collective (the host need not wait).
  // Throws gaze::Error when the collective failed or timed out.
  virtual void wait() = 0;
  // Lets the collective advance without blocking (MPI progresses
  // non-blocking collectives only inside MPI calls); true once it is done.
  virtual bool test() = 0;
};

// A collective that completed when it was started.
class CompletedCollective final : public PendingCollective {
 public:
  void wait() override {}
  bool test() override { return true; }
};

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  // Starts, in place: t = mean over ranks of t. `t` is contiguous and stays
  // alive and untouched until wait() returns. Every rank starts the same
  // collectives in the same order.
  virtual std::unique_ptr<PendingCollective> start_all_reduce_average(Tensor t) = 0;
  // In place: data = sum over ranks of data (host metric counters, once per epoch).
  virtual void all_reduce_sum(double* data, size_t count) = 0;
  // In place: every rank gets root's t (initial parameters and buffers).
  virtual void broadcast(Tensor t, int root) = 0;
  // Throws gaze::Error on every rank unless all ranks pass the same value.
  virtual void check_same(const std::string& what, unsigned long long value) = 0;

  // Blocking all-reduce: t = mean over ranks of t.
  void all_reduce_average(Tensor t) { start_all_reduce_average(std::move(t))->wait(); }
  bool is_root() const { return rank() == 0; }
};

class SingleProcess final : public Communicator {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  std::unique_ptr<PendingCollective> start_all_reduce_average(Tensor) override {
    return std::make_unique<CompletedCollective>();
  }
  void all_reduce_sum(double*, size_t) override {}
  void broadcast(Tensor, int) override {}
  void check_same(const std::string&, unsigned long long) override {}
};

}  // namespace gaze::train
