#include "train/parameter_arena.h"

#include <algorithm>

#include "core/error.h"
#include "core/shape.h"

namespace gaze::train {

uint64_t fnv1a_64(const void* data, size_t bytes, uint64_t hash) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < bytes; ++i) hash = (hash ^ p[i]) * 0x100000001b3ULL;
  return hash;
}

ParameterArena::ParameterArena(Model& model) : model_(model) {
  for (const auto& [name, tensor] : model.trainable_parameters()) {
    slices_.push_back({name, size_, tensor.shape(), tensor.numel()});
    size_ = checked_add(size_, tensor.numel());
  }
  parameters_ = Tensor::zeros({std::max<int64_t>(size_, 1)}, model.device());
  gradients_ = Tensor::zeros({checked_add(size_, kControlFloats)}, model.device());
  size_t next = 0;
  for (size_t i = 0; i < model.size(); ++i) {
    if (model.layer(i).frozen()) continue;  // frozen parameters stay outside: no gradients, no updates
    for (auto& [key, tensor] : model.layer(i).parameters()) {
      const Slice& slice = slices_.at(next++);
      GAZE_CHECK(slice.name == model.layer(i).name() + "." + key, "parameter arena: expected '", slice.name,
                 "' at this position but found '", model.layer(i).name(), ".", key, "'");
      Tensor view = parameters_.narrow(0, slice.offset, slice.numel).view(slice.shape);
      view.copy_from(tensor);
      tensor = view.set_requires_grad(true);
      views_.push_back(tensor);
    }
  }
  zero_grad();
}

void ParameterArena::zero_grad() {
  gradients_.fill_(0.0f);
  for (size_t i = 0; i < slices_.size(); ++i) {
    const Slice& slice = slices_[i];
    views_[i].set_grad(gradients_.narrow(0, kControlFloats + slice.offset, slice.numel).view(slice.shape));
  }
}

void ParameterArena::broadcast_parameters(Communicator& comm) {
  if (comm.size() > 1) comm.broadcast(parameters_, 0);
}

uint64_t ParameterArena::parameter_checksum() const {
  const std::vector<float> values = parameters_.to_vector();
  return fnv1a_64(values.data(), values.size() * sizeof(float));
}

}  // namespace gaze::train
