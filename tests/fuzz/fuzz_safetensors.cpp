// Fuzz target: safetensors files and gaze checkpoints (load_safetensors, then
// load_model_file on the same bytes). An accepted checkpoint must describe a
// model that rebuilds from its own description (from_json(to_json())).
#include <cstddef>
#include <cstdint>
#include <optional>

#include "core/error.h"
#include "core/safetensors.h"
#include "layers/model_file.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const gaze::fuzz::InputFile file(data, size, ".safetensors");
  try {
    const gaze::TensorFile tensors = gaze::load_safetensors(file.path());
    for (const auto& [name, tensor] : tensors.tensors)
      GAZE_FUZZ_REQUIRE(static_cast<uint64_t>(tensor.numel()) * sizeof(float) <= size);
  } catch (const gaze::Error&) {
    return 0;
  }
  std::optional<gaze::LoadedModel> loaded;
  try {
    loaded.emplace(gaze::load_model_file(file.path()));
  } catch (const gaze::Error&) {
    return 0;
  }
  const gaze::Model rebuilt = gaze::Model::from_json(loaded->model.to_json());
  GAZE_FUZZ_REQUIRE(rebuilt.size() == loaded->model.size());
  return 0;
}
