#pragma once
// ParameterArena: a model's parameters, and their gradients, each in one flat
// tensor per replica. Every parameter (and its .grad) becomes a view of its
// slice, in named_parameters() order, which is the same on every rank; so the
// gradient all-reduce works on fixed slices of one buffer (buckets) with no
// packing, and backward() accumulates straight into the arena.
#include <cstdint>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "layers/model.h"
#include "train/communicator.h"

namespace gaze::train {

class ParameterArena {
 public:
  // Moves the model's current parameter values into the arena and rebinds the
  // layers' parameter tensors to it. Call after Model::to(), which would
  // allocate fresh tensors, and before building the optimizer.
  explicit ParameterArena(Model& model);

  // Zeroes the gradient arena and points every parameter's .grad at its
  // slice. A parameter unused in a step then contributes zeros to the
  // all-reduce, so every rank reduces the same buffer.
  void zero_grad();

  // Replaces every gradient by its mean over ranks, one bucket of at most
  // `bucket_floats` floats at a time, in the same order on every rank.
  void average_gradients(Communicator& comm, int64_t bucket_floats = kDefaultBucketFloats);

  // Every rank takes rank 0's parameters.
  void broadcast_parameters(Communicator& comm);

  // A hash of the parameters' exact bits: equal on ranks holding identical replicas.
  uint64_t parameter_checksum() const;

  const Tensor& parameters() const { return parameters_; }
  const Tensor& gradients() const { return gradients_; }
  int64_t size() const { return parameters_.numel(); }

  // 4 MiB of floats: large enough for MPI/NCCL to reach full bandwidth,
  // small enough that staging a bucket through host memory costs little.
  static constexpr int64_t kDefaultBucketFloats = int64_t{1} << 20;

 private:
  struct Slice {
    std::string name;
    int64_t offset = 0;
    Shape shape;
  };
  Tensor view_of(const Tensor& arena, const Slice& slice) const;

  Model& model_;
  std::vector<Slice> slices_;
  Tensor parameters_, gradients_;
};

// FNV-1a over bytes: a checksum that is the same on every rank and build.
uint64_t fnv1a_64(const void* data, size_t bytes, uint64_t hash = 0xcbf29ce484222325ULL);

}  // namespace gaze::train
