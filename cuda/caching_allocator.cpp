#include "cuda/caching_allocator.h"

#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/error.h"
#include "cuda/check.h"
#include "cuda/device_context.h"

namespace gaze::cuda {

namespace {

constexpr size_t kSmallGranule = 512;             // cudaMalloc's own alignment
constexpr size_t kLargeThreshold = size_t{1} << 20;
constexpr size_t kLargeGranule = size_t{2} << 20;  // bounds waste on big activations

// Rounded sizes are the free-list keys: a freed block serves any later request
// that rounds to the same size.
size_t bucket_size(size_t bytes) {
  const size_t granule = bytes < kLargeThreshold ? kSmallGranule : kLargeGranule;
  return (bytes + granule - 1) / granule * granule;
}

struct DeviceCache {
  std::unordered_map<size_t, std::vector<void*>> free_blocks;  // bucket size -> blocks
  std::unordered_map<void*, size_t> live;                      // block -> bucket size
  size_t cached_bytes = 0, live_bytes = 0;
};

// Never destroyed: tensors in static storage release their blocks after
// main returns, when destroyed globals would already be gone.
std::mutex& cache_mutex() {
  static auto* mutex = new std::mutex;
  return *mutex;
}
DeviceCache& device_cache(int device) {
  static auto* caches = new std::unordered_map<int, DeviceCache>;
  return (*caches)[device];
}

void free_cached(DeviceCache& cache, const char* op) {
  for (auto& [size, blocks] : cache.free_blocks)
    for (void* block : blocks) GAZE_CUDA_CHECK(cudaFree(block), op);
  cache.free_blocks.clear();
  cache.cached_bytes = 0;
}

}  // namespace

void* allocate_bytes(size_t bytes, int device, const char* op) {
  const size_t size = bucket_size(bytes == 0 ? 1 : bytes);
  device_context(device, op);  // validates the index and makes it current
  std::lock_guard<std::mutex> lock(cache_mutex());
  DeviceCache& cache = device_cache(device);
  auto found = cache.free_blocks.find(size);
  if (found != cache.free_blocks.end() && !found->second.empty()) {
    void* block = found->second.back();
    found->second.pop_back();
    cache.cached_bytes -= size;
    cache.live_bytes += size;
    cache.live.emplace(block, size);
    return block;
  }
  void* block = nullptr;
  cudaError_t status = cudaMalloc(&block, size);
  if (status == cudaErrorMemoryAllocation) {
    cudaGetLastError();
    // Cached blocks of other sizes may add up to enough: give them back and retry.
    GAZE_CUDA_CHECK(cudaDeviceSynchronize(), op);
    free_cached(cache, op);
    status = cudaMalloc(&block, size);
  }
  if (status == cudaErrorMemoryAllocation) {
    cudaGetLastError();
    size_t free_bytes = 0, total_bytes = 0;
    cudaMemGetInfo(&free_bytes, &total_bytes);
    throw Error("out of GPU memory on cuda:" + std::to_string(device) + " in " + op + ": asked for " +
                std::to_string(size >> 20) + " MiB with " + std::to_string(cache.live_bytes >> 20) +
                " MiB in use by gaze and " + std::to_string(free_bytes >> 20) + " of " +
                std::to_string(total_bytes >> 20) +
                " MiB free on the device; lower the batch size or the image size");
  }
  GAZE_CUDA_CHECK(status, op);
  cache.live_bytes += size;
  cache.live.emplace(block, size);
  return block;
}

void release_bytes(void* pointer, int device) {
  std::lock_guard<std::mutex> lock(cache_mutex());
  DeviceCache& cache = device_cache(device);
  auto found = cache.live.find(pointer);
  GAZE_CHECK(found != cache.live.end(), "release of GPU pointer ", pointer, " on cuda:", device,
             " that the caching allocator did not hand out");
  cache.free_blocks[found->second].push_back(pointer);
  cache.cached_bytes += found->second;
  cache.live_bytes -= found->second;
  cache.live.erase(found);
}

void empty_cache(int device) {
  device_context(device, "empty_cache");
  std::lock_guard<std::mutex> lock(cache_mutex());
  GAZE_CUDA_CHECK(cudaDeviceSynchronize(), "empty_cache");
  free_cached(device_cache(device), "empty_cache");
}

}  // namespace gaze::cuda
