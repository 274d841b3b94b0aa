// gpu-info: the GPUs and library versions this build runs with, as JSON,
// for scripts/gpu-check's report. Exits 1 when CUDA sees no GPU.
#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cudnn.h>
#ifdef GAZE_HAVE_NCCL
#include <nccl.h>
#endif

#include <cstdio>
#include <string>

#include "cuda/check.h"

namespace {

std::string version(int major, int minor, int patch) {
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
}

std::string cuda_version(int v) { return std::to_string(v / 1000) + "." + std::to_string(v % 1000 / 10); }

}  // namespace

int main() {
  const char* op = "gpu-info";
  try {
    int count = 0;
    GAZE_CUDA_CHECK(cudaGetDeviceCount(&count), op);
    int driver = 0, runtime = 0;
    GAZE_CUDA_CHECK(cudaDriverGetVersion(&driver), op);
    GAZE_CUDA_CHECK(cudaRuntimeGetVersion(&runtime), op);
    int blas[3] = {0, 0, 0};
    GAZE_CUDA_CHECK(cublasGetProperty(MAJOR_VERSION, &blas[0]), op);
    GAZE_CUDA_CHECK(cublasGetProperty(MINOR_VERSION, &blas[1]), op);
    GAZE_CUDA_CHECK(cublasGetProperty(PATCH_LEVEL, &blas[2]), op);
    int nccl = 0;  // 0.0.0: this build has no NCCL
#ifdef GAZE_HAVE_NCCL
    if (ncclGetVersion(&nccl) != ncclSuccess) nccl = 0;
#endif
    const size_t cudnn = cudnnGetVersion();
    std::printf("{\"cuda_driver_api\": \"%s\", \"cuda_runtime\": \"%s\", \"cudnn\": \"%zu.%zu.%zu\", "
                "\"cublas\": \"%s\", \"nccl\": \"%d.%d.%d\", \"gpus\": [",
                cuda_version(driver).c_str(), cuda_version(runtime).c_str(), cudnn / 10000, cudnn % 10000 / 100,
                cudnn % 100, version(blas[0], blas[1], blas[2]).c_str(), nccl / 10000, nccl % 10000 / 100,
                nccl % 100);
    for (int i = 0; i < count; ++i) {
      cudaDeviceProp properties{};
      GAZE_CUDA_CHECK(cudaGetDeviceProperties(&properties, i), op);
      std::printf("%s{\"index\": %d, \"name\": \"%s\", \"compute_capability\": \"%d.%d\", \"memory_mib\": %zu, "
                  "\"multiprocessors\": %d}",
                  i ? ", " : "", i, properties.name, properties.major, properties.minor,
                  properties.totalGlobalMem >> 20, properties.multiProcessorCount);
    }
    std::printf("]}\n");
    return count > 0 ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gpu-info: %s\n", e.what());
    return 1;
  }
}
