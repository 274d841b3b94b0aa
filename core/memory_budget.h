#pragma once
// Host memory checks made before a tensor is allocated. Sizes often come from
// files and configs ("filters: 10000000", a flatten feeding a huge dense), so
// a tensor that cannot fit in this machine's memory is a gaze::Error saying
// how much it would need, instead of std::bad_alloc or the OOM killer.
#include <cstdint>
#include <string>

#include "core/device.h"
#include "core/shape.h"

namespace gaze {

// Physical memory of this machine in bytes (sysconf), or INT64_MAX when unknown.
int64_t physical_memory_bytes();

// Throws gaze::Error when a float tensor of `shape` on `device` would not fit:
// on the CPU, larger than physical memory, or beyond the AllocationBudget
// active on this thread (which it is then charged against).
void check_allocation(const Shape& shape, Device device);

// While alive, every tensor allocated on this thread is charged against
// `bytes`; exceeding it throws, naming `what` and the total needed so far.
// Budgets nest: an allocation must fit every enclosing budget.
// Model construction uses one so that a model whose parameters cannot fit
// fails before most of them are allocated.
class AllocationBudget {
 public:
  AllocationBudget(int64_t bytes, std::string what);
  ~AllocationBudget();
  AllocationBudget(const AllocationBudget&) = delete;
  AllocationBudget& operator=(const AllocationBudget&) = delete;
  int64_t used() const { return used_; }

 private:
  friend void check_allocation(const Shape& shape, Device device);
  int64_t limit_, used_ = 0;
  std::string what_;
  AllocationBudget* outer_;
};

// "1.5 GiB": a byte count for messages.
std::string format_bytes(int64_t bytes);

}  // namespace gaze
