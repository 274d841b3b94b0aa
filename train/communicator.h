#pragma once
// Communicator: what data-parallel training needs from its transport.
// Training code calls these on every rank; with one process they are no-ops.
// MPI (CPU) and NCCL (GPU) implementations plug in behind the same interface.
#include <cstddef>
#include <string>

namespace gaze::train {

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  // In place: data = mean over ranks of data (gradients).
  virtual void all_reduce_average(float* data, size_t count) = 0;
  // In place: data = sum over ranks of data (metric counters).
  virtual void all_reduce_sum(double* data, size_t count) = 0;
  // In place: every rank gets root's data (initial parameters).
  virtual void broadcast(float* data, size_t count, int root) = 0;
  // Throws gaze::Error on every rank unless all ranks pass the same value.
  virtual void check_same(const std::string& what, unsigned long long value) = 0;
  bool is_root() const { return rank() == 0; }
};

class SingleProcess final : public Communicator {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  void all_reduce_average(float*, size_t) override {}
  void all_reduce_sum(double*, size_t) override {}
  void broadcast(float*, size_t, int) override {}
  void check_same(const std::string&, unsigned long long) override {}
};

}  // namespace gaze::train
