#include "cuda/caching_allocator.h"

#include <mutex>
#include <string>
#include <unordered_map>

#include "core/error.h"
#include "cuda/check.h"
#include "cuda/device_context.h"
#include "cuda/stream_block_pool.h"

namespace gaze::cuda {

namespace {

constexpr size_t kSmallGranule = 512;             // cudaMalloc's own alignment
constexpr size_t kLargeThreshold = size_t{1} << 20;
constexpr size_t kLargeGranule = size_t{2} << 20;  // bounds waste on big activations

// Rounded sizes are the free-list keys: a freed block serves any later request
// that rounds to the same size (on the same stream).
size_t bucket_size(size_t bytes) {
  const size_t granule = bytes < kLargeThreshold ? kSmallGranule : kLargeGranule;
  return (bytes + granule - 1) / granule * granule;
}

StreamId id_of(cudaStream_t stream) { return reinterpret_cast<StreamId>(stream); }

// Events for the pool of `device`. Timing is disabled: these events only
// order. No CUDA call is made unless the pool asks for an event, so freeing a
// single-stream block (the common case, also during exit) stays host-only.
class CudaEvents final : public EventSource {
 public:
  CudaEvents(int device, const char* op) : device_(device), op_(op) {}
  EventId record(StreamId stream) override {
    // An event must be created on the device of the stream it is recorded on.
    int current = 0;
    GAZE_CUDA_CHECK(cudaGetDevice(&current), op_);
    if (current != device_) GAZE_CUDA_CHECK(cudaSetDevice(device_), op_);
    cudaEvent_t event = nullptr;
    GAZE_CUDA_CHECK(cudaEventCreateWithFlags(&event, cudaEventDisableTiming), op_);
    GAZE_CUDA_CHECK(cudaEventRecord(event, reinterpret_cast<cudaStream_t>(stream)), op_);
    if (current != device_) GAZE_CUDA_CHECK(cudaSetDevice(current), op_);
    return reinterpret_cast<EventId>(event);
  }
  bool completed(EventId event) override {
    const cudaError_t status = cudaEventQuery(reinterpret_cast<cudaEvent_t>(event));
    if (status == cudaErrorNotReady) {
      cudaGetLastError();  // not an error: the work is still running
      return false;
    }
    GAZE_CUDA_CHECK(status, op_);
    return true;
  }
  void destroy(EventId event) override {
    GAZE_CUDA_CHECK(cudaEventDestroy(reinterpret_cast<cudaEvent_t>(event)), op_);
  }

 private:
  int device_;
  const char* op_;
};

// Never destroyed: tensors in static storage release their blocks after
// main returns, when destroyed globals would already be gone.
std::mutex& cache_mutex() {
  static auto* mutex = new std::mutex;
  return *mutex;
}
StreamBlockPool& device_pool(int device) {
  static auto* pools = new std::unordered_map<int, StreamBlockPool>;
  return (*pools)[device];
}

// Waits for the device, then gives every cached block back to the driver.
void free_cached(StreamBlockPool& pool, int device, const char* op) {
  GAZE_CUDA_CHECK(cudaDeviceSynchronize(), op);
  CudaEvents events(device, op);
  pool.poll(events);
  for (const auto& [block, size] : pool.drain_free()) GAZE_CUDA_CHECK(cudaFree(block), op);
}

}  // namespace

void* allocate_bytes(size_t bytes, int device, const char* op) {
  return allocate_bytes(bytes, device, device_context(device, op).stream, op);
}

void* allocate_bytes(size_t bytes, int device, cudaStream_t stream, const char* op) {
  const size_t size = bucket_size(bytes == 0 ? 1 : bytes);
  device_context(device, op);  // validates the index and makes it current
  std::lock_guard<std::mutex> lock(cache_mutex());
  StreamBlockPool& pool = device_pool(device);
  CudaEvents events(device, op);
  if (void* block = pool.take(size, id_of(stream), events)) return block;
  void* block = nullptr;
  cudaError_t status = cudaMalloc(&block, size);
  if (status == cudaErrorMemoryAllocation) {
    cudaGetLastError();
    // Cached blocks of other sizes or streams may add up to enough: give them back and retry.
    free_cached(pool, device, op);
    status = cudaMalloc(&block, size);
  }
  if (status == cudaErrorMemoryAllocation) {
    cudaGetLastError();
    size_t free_bytes = 0, total_bytes = 0;
    cudaMemGetInfo(&free_bytes, &total_bytes);
    throw Error("out of GPU memory on cuda:" + std::to_string(device) + " in " + op + ": asked for " +
                std::to_string(size >> 20) + " MiB with " + std::to_string(pool.live_bytes() >> 20) +
                " MiB in use by gaze and " + std::to_string(free_bytes >> 20) + " of " +
                std::to_string(total_bytes >> 20) +
                " MiB free on the device; lower the batch size or the image size");
  }
  GAZE_CUDA_CHECK(status, op);
  pool.add_live(block, size, id_of(stream));
  return block;
}

void release_bytes(void* pointer, int device) {
  const char* op = "release_bytes";
  std::lock_guard<std::mutex> lock(cache_mutex());
  StreamBlockPool& pool = device_pool(device);
  GAZE_CHECK(pool.is_live(pointer), "release of GPU pointer ", pointer, " on cuda:", device,
             " that the caching allocator did not hand out");
  CudaEvents events(device, op);
  pool.release(pointer, events);
}

void record_stream(void* pointer, int device, cudaStream_t stream) {
  std::lock_guard<std::mutex> lock(cache_mutex());
  GAZE_CHECK(device_pool(device).record_stream(pointer, id_of(stream)), "record_stream of GPU pointer ", pointer,
             " on cuda:", device, " that is not a live block of the caching allocator");
}

void empty_cache(int device) {
  device_context(device, "empty_cache");
  std::lock_guard<std::mutex> lock(cache_mutex());
  free_cached(device_pool(device), device, "empty_cache");
}

}  // namespace gaze::cuda
