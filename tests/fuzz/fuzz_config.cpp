// Fuzz target: training configs (train::load_config). The reader checks that
// data.root exists early, so the seeds point it at "/". An accepted config
// must render back to YAML (to_yaml, what a run writes as config.yaml).
#include <cstddef>
#include <cstdint>

#include "core/error.h"
#include "tests/fuzz/fuzz_input.h"
#include "train/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const gaze::fuzz::InputFile file(data, size, ".yaml");
  try {
    const gaze::train::TrainConfig config = gaze::train::load_config(file.path());
    GAZE_FUZZ_REQUIRE(!gaze::train::to_yaml(config).empty());
  } catch (const gaze::Error&) {
  }
  return 0;
}
