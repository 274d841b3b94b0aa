#pragma once
// RAII for the (not deprecated) cuDNN tensor descriptor: a 4-d NCHW float
// tensor, the only layout gaze uses.
#include <cudnn.h>

#include <cstdint>

#include "cuda/check.h"

namespace gaze::cuda {

class TensorDescriptor {
 public:
  TensorDescriptor(int64_t n, int64_t c, int64_t h, int64_t w, const char* op) {
    GAZE_CUDA_CHECK(cudnnCreateTensorDescriptor(&descriptor_), op);
    const cudnnStatus_t status = cudnnSetTensor4dDescriptor(
        descriptor_, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, static_cast<int>(n), static_cast<int>(c),
        static_cast<int>(h), static_cast<int>(w));
    if (status != CUDNN_STATUS_SUCCESS) {
      cudnnDestroyTensorDescriptor(descriptor_);
      GAZE_CUDA_CHECK(status, op);
    }
  }
  ~TensorDescriptor() { cudnnDestroyTensorDescriptor(descriptor_); }
  TensorDescriptor(const TensorDescriptor&) = delete;
  TensorDescriptor& operator=(const TensorDescriptor&) = delete;
  cudnnTensorDescriptor_t get() const { return descriptor_; }

 private:
  cudnnTensorDescriptor_t descriptor_ = nullptr;
};

}  // namespace gaze::cuda
