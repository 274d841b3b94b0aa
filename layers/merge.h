#pragma once
// Layers that join branches of the DAG; both take two or more `inputs`.
// Add:    y = x1 + x2 + ... (same shapes; residual connections)
// Concat: y = [x1, x2, ...] along channels (same shapes apart from channels)
#include "layers/layer.h"

namespace gaze {

class Add final : public Layer {
 public:
  Add(const std::string& name, const LayerParams& params);
  static constexpr const char* kType = "add";
  std::string type() const override { return kType; }
  int min_inputs() const override { return 2; }
  int max_inputs() const override { return 64; }
  Shape build(const std::vector<Shape>& input_shapes, Rng& rng) override;
  Tensor forward(const std::vector<Tensor>& inputs, const ForwardContext& context) override;
  nlohmann::json hyperparameters() const override { return nlohmann::json::object(); }
};

class Concat final : public Layer {
 public:
  Concat(const std::string& name, const LayerParams& params);
  static constexpr const char* kType = "concat";
  std::string type() const override { return kType; }
  int min_inputs() const override { return 2; }
  int max_inputs() const override { return 64; }
  Shape build(const std::vector<Shape>& input_shapes, Rng& rng) override;
  Tensor forward(const std::vector<Tensor>& inputs, const ForwardContext& context) override;
  nlohmann::json hyperparameters() const override { return nlohmann::json::object(); }
};

}  // namespace gaze
