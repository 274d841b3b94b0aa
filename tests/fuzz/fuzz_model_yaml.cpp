// Fuzz target: model descriptions in YAML (the `model` section of a config,
// model_from_yaml), the deeper half of the config reader. A model that builds
// must rebuild from its own description and, when its input is small, run a
// forward pass giving the output shape it promised.
#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "core/error.h"
#include "core/memory_budget.h"
#include "layers/model.h"
#include "layers/model_yaml.h"
#include "tests/fuzz/fuzz_input.h"

namespace {
// Larger inputs are valid too, but a forward pass over them only costs time.
constexpr int64_t kMaxForwardValues = 1 << 14;
// Models that build may still need gigabytes per image (padding: 10^7):
// the constructor only refuses what exceeds the machine's memory.
constexpr int64_t kMaxForwardActivationBytes = 64 << 20;
constexpr int64_t kMaxModelBytes = 256 << 20;
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception&) {
    return 0;  // load_config turns these into gaze::Error (not valid YAML)
  }
  if (!root.IsMap()) return 0;  // load_config refuses those before the model section
  const YAML::Node& const_root = root;
  std::optional<gaze::Model> model;
  try {
    // Models of gigabytes are valid (the constructor refuses only what exceeds
    // the machine's memory) but would exceed the fuzzer's RSS limit.
    const gaze::AllocationBudget budget(kMaxModelBytes, "fuzz: the model's tensors");
    model.emplace(gaze::model_from_yaml(const_root["model"], "fuzz.yaml"));
  } catch (const gaze::Error&) {
    return 0;
  }
  const gaze::Model rebuilt = gaze::Model::from_json(model->to_json());
  GAZE_FUZZ_REQUIRE(rebuilt.size() == model->size());
  if (gaze::numel(model->input_shape()) <= kMaxForwardValues &&
      model->activation_bytes_per_sample() <= kMaxForwardActivationBytes) {
    gaze::Shape batch = {1};
    batch.insert(batch.end(), model->input_shape().begin(), model->input_shape().end());
    const gaze::Tensor y = model->forward(gaze::Tensor::zeros(batch));
    gaze::Shape expected = {1};
    const gaze::Shape& promised = model->output_shape(model->output_name());
    expected.insert(expected.end(), promised.begin(), promised.end());
    GAZE_FUZZ_REQUIRE(y.shape() == expected);
  }
  return 0;
}
