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

}  // namespace gaze
