// Fuzz target: .npy arrays (read_npy and read_npy_integers, core/npy.h). An
// accepted array holds exactly as many values as its shape says, and never
// more than the file could hold.
#include <cstddef>
#include <cstdint>

#include "core/error.h"
#include "core/npy.h"
#include "tests/fuzz/fuzz_input.h"

namespace {
template <typename Array>
void check_count(const Array& array, size_t size) {
  uint64_t count = 1;
  for (int64_t extent : array.shape) {
    GAZE_FUZZ_REQUIRE(extent >= 0);
    count *= static_cast<uint64_t>(extent);
  }
  GAZE_FUZZ_REQUIRE(count == array.values.size());
  GAZE_FUZZ_REQUIRE(count <= size);  // every value takes at least one byte of the file
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const gaze::fuzz::InputFile file(data, size, ".npy");
  try {
    check_count(gaze::read_npy(file.path()), size);
  } catch (const gaze::Error&) {
  }
  try {
    check_count(gaze::read_npy_integers(file.path()), size);
  } catch (const gaze::Error&) {
  }
  return 0;
}
