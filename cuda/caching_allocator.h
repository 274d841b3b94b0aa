#pragma once
// A caching allocator on cudaMalloc (never managed memory). cudaMalloc and
// cudaFree synchronize the device and cost tens of microseconds, and a
// training step frees and re-allocates the same activation sizes every
// iteration, so freed blocks go to per-device free lists keyed by their
// rounded size and are handed out again. Every gaze kernel of a device runs
// on that device's one stream, so a block freed on the host and reused by a
// later launch is ordered after the kernels that used it: no events needed.
#include <cstddef>

namespace gaze::cuda {

// Throws gaze::Error (with the sizes and what is cached) when the device is
// out of memory even after the cache was returned to the driver.
void* allocate_bytes(size_t bytes, int device, const char* op);
void release_bytes(void* pointer, int device);
// Returns every cached free block of `device` to the driver.
void empty_cache(int device);

// Scratch memory for one backend call, released (to the cache) on scope exit.
class DeviceBuffer {
 public:
  DeviceBuffer(size_t bytes, int device, const char* op)
      : data_(bytes ? allocate_bytes(bytes, device, op) : nullptr), device_(device) {}
  ~DeviceBuffer() {
    if (data_) release_bytes(data_, device_);
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  template <typename T>
  T* as() const { return static_cast<T*>(data_); }

 private:
  void* data_;
  int device_;
};

}  // namespace gaze::cuda
