#include "train/parameter_arena.h"

#include <algorithm>

#include "core/error.h"

namespace gaze::train {

uint64_t fnv1a_64(const void* data, size_t bytes, uint64_t hash) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < bytes; ++i) hash = (hash ^ p[i]) * 0x100000001b3ULL;
  return hash;
}

ParameterArena::ParameterArena(Model& model) : model_(model) {
  int64_t total = 0;
  for (const auto& [name, tensor] : model.named_parameters()) {
    slices_.push_back({name, total, tensor.shape()});
    total += tensor.numel();
  }
  parameters_ = Tensor::zeros({std::max<int64_t>(total, 1)}, model.device());
  gradients_ = Tensor::zeros({std::max<int64_t>(total, 1)}, model.device());
  size_t next = 0;
  for (size_t i = 0; i < model.size(); ++i)
    for (auto& [key, tensor] : model.layer(i).parameters()) {
      const Slice& slice = slices_.at(next++);
      GAZE_CHECK(slice.name == model.layer(i).name() + "." + key, "parameter arena: expected '", slice.name,
                 "' at this position but found '", model.layer(i).name(), ".", key, "'");
      Tensor view = view_of(parameters_, slice);
      view.copy_from(tensor);
      tensor = view.set_requires_grad(true);
    }
  zero_grad();
}

Tensor ParameterArena::view_of(const Tensor& arena, const Slice& slice) const {
  int64_t numel = 1;
  for (int64_t extent : slice.shape) numel *= extent;
  return arena.narrow(0, slice.offset, numel).view(slice.shape);
}

void ParameterArena::zero_grad() {
  gradients_.fill_(0.0f);
  size_t next = 0;
  for (const auto& [name, tensor] : model_.named_parameters()) {
    Tensor parameter = tensor;
    parameter.set_grad(view_of(gradients_, slices_.at(next++)));
  }
}

void ParameterArena::average_gradients(Communicator& comm, int64_t bucket_floats) {
  if (comm.size() == 1) return;
  GAZE_CHECK(bucket_floats > 0, "gradient bucket size must be positive, got ", bucket_floats);
  const int64_t total = size();
  for (int64_t offset = 0; offset < total; offset += bucket_floats) {
    Tensor bucket = gradients_.narrow(0, offset, std::min(bucket_floats, total - offset));
    // The Communicator works on host memory: buckets of a GPU arena are staged.
    Tensor host = bucket.to(Device::cpu());
    comm.all_reduce_average(host.data(), static_cast<size_t>(host.numel()));
    if (!bucket.shares_storage_with(host)) bucket.copy_from(host);
  }
}

void ParameterArena::broadcast_parameters(Communicator& comm) {
  if (comm.size() == 1) return;
  Tensor host = parameters_.to(Device::cpu());
  comm.broadcast(host.data(), static_cast<size_t>(host.numel()), 0);
  if (!parameters_.shares_storage_with(host)) parameters_.copy_from(host);
}

uint64_t ParameterArena::parameter_checksum() const {
  const std::vector<float> values = parameters_.to_vector();
  return fnv1a_64(values.data(), values.size() * sizeof(float));
}

}  // namespace gaze::train
