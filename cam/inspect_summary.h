#pragma once
// gaze-inspect summary and layer: what a checkpoint holds, as text or JSON.
//   summary: one row per layer (name, type, inputs, output shape, trainable
//            parameters, buffer values, forward multiply-adds for one
//            image) and the totals: parameters vs buffers, the memory of the
//            weights, the forward FLOPs, and the memory of the activations
//            (every layer's output, what a forward pass that keeps them all
//            holds, Model::activation_bytes_per_sample) at batch 1 and 64.
//   layer:   one layer's config as in the model JSON (type, name, inputs and
//            every hyperparameter explicit) and per tensor its shape, mean,
//            standard deviation (population, numpy's default ddof=0), min,
//            max, fraction of exact zeros and count of non-finite values;
//            optionally each tensor as <layer>.<param>.npy.
// Multiply-adds come from Layer::forward_macs (conv and dense count
// in * kh * kw per output value; layers without weights count 0); FLOPs are
// twice that, the usual convention (gaze-bench reports the same number).
#include <cstdint>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "layers/model.h"

namespace gaze::cam {

struct LayerSummary {
  std::string name, type;
  std::vector<std::string> inputs;
  Shape output_shape;       // without the batch dimension
  int64_t parameters = 0;   // trainable values
  int64_t buffers = 0;      // non-trainable state (BatchNorm running statistics)
  double macs = 0;          // forward multiply-adds for one image
};

struct ModelSummary {
  Shape input_shape;
  std::vector<LayerSummary> layers;
  int64_t trainable_parameters = 0;
  int64_t buffer_values = 0;
  int64_t weight_bytes = 0;  // (parameters + buffers) * 4 bytes
  double macs_per_image = 0;
  int64_t activation_bytes_per_image = 0;
};

ModelSummary summarize_model(const Model& model);
// The table and totals, as printed by gaze-inspect summary.
std::string format_summary(const ModelSummary& summary);
nlohmann::json summary_json(const ModelSummary& summary);

struct TensorStatistics {
  std::string name;  // "<layer>.<param>", the checkpoint's tensor name
  bool trainable = true;
  Shape shape;
  int64_t count = 0;
  // Over the finite values; NaN when there are none.
  double mean = 0, stddev = 0, min = 0, max = 0;
  double zero_fraction = 0;  // exact zeros / count
  int64_t nonfinite = 0;     // NaN and Inf values (only in --allow-nonfinite checkpoints)
};

TensorStatistics tensor_statistics(const std::string& name, const Tensor& tensor, bool trainable);

struct LayerDetails {
  nlohmann::json config;  // the layer's entry of Model::to_json()
  Shape output_shape;
  double macs = 0;
  std::vector<TensorStatistics> tensors;  // parameters, then buffers
};

// Throws gaze::Error listing the model's layers when `name` is not one.
LayerDetails describe_layer(const Model& model, const std::string& name);
std::string format_layer(const LayerDetails& details);
nlohmann::json layer_json(const LayerDetails& details);

// Writes each of the layer's tensors as DIR/<layer>.<param>.npy (creating
// DIR); returns the paths written.
std::vector<std::string> save_layer_npy(const Model& model, const std::string& layer, const std::string& dir);

// The verbs, as gaze-inspect runs them (output to `out`).
struct SummaryOptions {
  std::string checkpoint;
  bool json = false;
  bool allow_nonfinite = false;
};
int run_inspect_summary(const SummaryOptions& options, std::ostream& out);

struct LayerOptions {
  std::string checkpoint, layer;
  std::string save_npy;  // folder; empty: no files
  bool json = false;
  bool allow_nonfinite = false;
};
int run_inspect_layer(const LayerOptions& options, std::ostream& out);

// Checks that `name` is a layer of the model; the error lists them all.
void check_layer_name(const Model& model, const std::string& name, const std::string& option = "layer");

}  // namespace gaze::cam
