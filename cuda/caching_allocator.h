#pragma once
// A caching allocator on cudaMalloc (never managed memory). cudaMalloc and
// cudaFree synchronize the device and cost tens of microseconds, and a
// training step frees and re-allocates the same activation sizes every
// iteration, so freed blocks go to per-device free lists keyed by their
// rounded size and are handed out again.
//
// Streams: a block belongs to the stream it was allocated for (by default the
// device's compute stream, device_context(device).stream) and is handed out
// again only for that stream, where a block freed on the host and reused by a
// later launch is ordered after the kernels that used it. Code that uses a
// block on another stream (a communication stream) calls record_stream; the
// block then returns to the cache only after an event recorded on that stream
// at free time has completed. The bookkeeping is cuda/stream_block_pool.h.
#include <cuda_runtime.h>

#include <cstddef>

namespace gaze::cuda {

// Throws gaze::Error (with the sizes and what is cached) when the device is
// out of memory even after the cache was returned to the driver.
void* allocate_bytes(size_t bytes, int device, const char* op);
// The same for work queued on `stream` (a stream of `device`).
void* allocate_bytes(size_t bytes, int device, cudaStream_t stream, const char* op);
void release_bytes(void* pointer, int device);
// Declares that work queued on `stream` uses the live block `pointer` (from
// allocate_bytes on `device`), so that it is not reused before that work ends.
void record_stream(void* pointer, int device, cudaStream_t stream);
// Returns every cached free block of `device` to the driver.
void empty_cache(int device);

// Scratch memory for one backend call on the device's compute stream,
// released (to the cache) on scope exit.
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
