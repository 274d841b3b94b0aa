// Fuzz target: .npy arrays (cam::read_npy). An accepted array holds exactly
// as many values as its shape says.
#include <cstddef>
#include <cstdint>

#include "cam/npy.h"
#include "core/error.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const gaze::fuzz::InputFile file(data, size, ".npy");
  try {
    const gaze::cam::NpyArray array = gaze::cam::read_npy(file.path());
    uint64_t count = 1;
    for (int64_t extent : array.shape) {
      GAZE_FUZZ_REQUIRE(extent >= 0);
      count *= static_cast<uint64_t>(extent);
    }
    GAZE_FUZZ_REQUIRE(count == array.values.size());
    GAZE_FUZZ_REQUIRE(count * sizeof(float) <= size);
  } catch (const gaze::Error&) {
  }
  return 0;
}
