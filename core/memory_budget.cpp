#include "core/memory_budget.h"

#include <unistd.h>

#include <climits>
#include <cstdio>

#include "core/error.h"

namespace gaze {

namespace {
thread_local AllocationBudget* t_budget = nullptr;
}

int64_t physical_memory_bytes() {
  const long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGESIZE);
  if (pages <= 0 || page <= 0) return INT64_MAX;
  int64_t bytes = 0;
  return __builtin_mul_overflow(static_cast<int64_t>(pages), static_cast<int64_t>(page), &bytes) ? INT64_MAX : bytes;
}

std::string format_bytes(int64_t bytes) {
  const char* units[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  double value = static_cast<double>(bytes);
  size_t unit = 0;
  while (value >= 1024 && unit + 1 < std::size(units)) value /= 1024, ++unit;
  char text[64];
  std::snprintf(text, sizeof text, unit ? "%.1f %s" : "%.0f %s", value, units[unit]);
  return text;
}

void check_allocation(const Shape& shape, Device device) {
  const int64_t bytes = checked_multiply(numel(shape), sizeof(float), "tensor size in bytes");
  if (device.is_cpu()) {
    static const int64_t physical = physical_memory_bytes();
    GAZE_CHECK(bytes <= physical, "a tensor of shape ", to_string(shape), " needs ", format_bytes(bytes),
               " but this machine has ", format_bytes(physical), " of memory");
  }
  // Every enclosing budget is charged, so an outer limit (a caller's, a
  // fuzzer's) holds even while an inner one (Model's) is active.
  for (AllocationBudget* budget = t_budget; budget; budget = budget->outer_) {
    const int64_t total = checked_add(budget->used_, bytes, "allocation budget");
    GAZE_CHECK(total <= budget->limit_, budget->what_, " need at least ", format_bytes(total), " (a tensor of shape ",
               to_string(shape), " alone takes ", format_bytes(bytes), ") but at most ", format_bytes(budget->limit_),
               " is available");
  }
  for (AllocationBudget* budget = t_budget; budget; budget = budget->outer_) budget->used_ += bytes;
}

AllocationBudget::AllocationBudget(int64_t bytes, std::string what)
    : limit_(bytes), what_(std::move(what)), outer_(t_budget) {
  t_budget = this;
}

AllocationBudget::~AllocationBudget() { t_budget = outer_; }

}  // namespace gaze
