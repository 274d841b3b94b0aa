#include "layers/layer.h"

#include "core/error.h"

namespace gaze {

Tensor& Layer::tensor(const std::string& local_name) {
  for (auto* list : {&parameters_, &buffers_})
    for (auto& [key, value] : *list)
      if (key == local_name) return value;
  throw Error(where() + " has no parameter or buffer named '" + local_name + "'");
}

Tensor& Layer::add_parameter(const std::string& local_name, Tensor value) {
  value.set_requires_grad(true);
  parameters_.emplace_back(local_name, std::move(value));
  return parameters_.back().second;
}

Tensor& Layer::add_buffer(const std::string& local_name, Tensor value) {
  buffers_.emplace_back(local_name, std::move(value));
  return buffers_.back().second;
}

void Layer::expect_inputs(const std::vector<Shape>& shapes, size_t rank, const char* expected) const {
  for (const Shape& s : shapes)
    GAZE_CHECK(s.size() == rank, where(), ": expected ", expected, " input, got shape ", to_string(s),
               " (without the batch dimension)");
}

Tensor Layer::forward_relu(const std::vector<Tensor>&, const ForwardContext&) {
  throw Error(where() + " does not fuse a following ReLU (its traits() do not say fuses_following_relu)");
}

double Layer::forward_macs(const Shape& output_shape) const {
  if (!traits().weighted || parameters().empty()) return 0;
  // A weight [out, in, ...] spends numel / out multiply-adds on each output value.
  const Tensor& weight = parameters().front().second;
  return static_cast<double>(weight.numel() / weight.dim(0)) * static_cast<double>(numel(output_shape));
}

}  // namespace gaze
