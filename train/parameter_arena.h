#pragma once
// ParameterArena: a model's trainable parameters (those of layers that are
// not frozen), and their gradients, each in one flat
// tensor per replica. Every parameter (and its .grad) becomes a view of its
// slice, in named_parameters() order, which is the same on every rank; so the
// gradient all-reduce works on fixed slices of one buffer (buckets, see
// train/gradient_reducer.h) with no packing, and backward() accumulates
// straight into the arena.
#include <cstdint>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "layers/model.h"
#include "train/communicator.h"

namespace gaze::train {

class ParameterArena {
 public:
  // A parameter's place in both arenas.
  struct Slice {
    std::string name;
    int64_t offset = 0;  // in the parameter arena; kControlFloats more in the gradient arena
    Shape shape;
    int64_t numel = 0;
  };

  // The gradient arena starts with these control values, so that they ride
  // along with the gradients' all-reduce instead of needing collectives of
  // their own: [0] this rank's training loss (non-finite on any rank makes
  // the mean non-finite on all), [1] 1 when this rank asks to stop.
  static constexpr int64_t kControlFloats = 2;

  // Moves the model's current parameter values into the arena and rebinds the
  // layers' parameter tensors to it. Call after Model::to(), which would
  // allocate fresh tensors, and before building the optimizer.
  explicit ParameterArena(Model& model);

  // Zeroes the gradient arena (control values included) and points every
  // parameter's .grad at its slice. A parameter unused in a step then
  // contributes zeros to the all-reduce, so every rank reduces the same buffer.
  void zero_grad();

  // Every rank takes rank 0's parameters.
  void broadcast_parameters(Communicator& comm);

  // A hash of the parameters' exact bits: equal on ranks holding identical replicas.
  uint64_t parameter_checksum() const;

  const Tensor& parameters() const { return parameters_; }
  // The parameters' gradients (the gradient arena without its control values).
  Tensor gradients() const { return gradients_.narrow(0, kControlFloats, size()); }
  // The whole gradient arena: control values, then gradients.
  const Tensor& gradient_arena() const { return gradients_; }
  Tensor control() const { return gradients_.narrow(0, 0, kControlFloats); }
  const std::vector<Slice>& slices() const { return slices_; }
  // The parameter tensors (views of the arena), in slice order.
  const std::vector<Tensor>& parameter_views() const { return views_; }
  int64_t size() const { return size_; }

 private:
  Model& model_;
  std::vector<Slice> slices_;
  std::vector<Tensor> views_;
  Tensor parameters_, gradients_;
  int64_t size_ = 0;
};

// FNV-1a over bytes: a checksum that is the same on every rank and build.
uint64_t fnv1a_64(const void* data, size_t bytes, uint64_t hash = 0xcbf29ce484222325ULL);

}  // namespace gaze::train
