// The runtime's device handling, the caching allocator and the NCCL
// wrapper. The first cases run everywhere, GPU or not.
#include <cuda_runtime.h>

#include "cuda/caching_allocator.h"
#include "cuda/nccl_communicator.h"
#include "tests/cuda/parity.h"

using namespace gaze;
using namespace gaze::testing;

TEST_CASE("cuda: init_runtime never fails for want of a GPU", "[cuda][runtime]") {
  REQUIRE_NOTHROW(init_runtime());
  REQUIRE_NOTHROW(init_runtime());  // idempotent
  const int count = cuda_device_count();
  REQUIRE(count >= 0);
  REQUIRE(cuda_backend_available() == (count > 0));
  REQUIRE_THROWS_WITH(require_cuda_device(count), Catch::Contains("cuda:" + std::to_string(count)));
  REQUIRE_THROWS_AS(Tensor::zeros({2}, Device::cuda(count)), Error);
  if (count == 0) {
    REQUIRE_THROWS_WITH(require_cuda_device(0), Catch::Contains("cannot be used on this machine"));
  } else {
    REQUIRE_NOTHROW(require_cuda_device(0));
  }
}

TEST_CASE("cuda: TF32 is off by default and can be switched", "[cuda][runtime]") {
  gpu_available();
  REQUIRE_FALSE(cuda::tf32_enabled());
  cuda::set_tf32(true);
  REQUIRE(cuda::tf32_enabled());
  cuda::set_tf32(false);
  REQUIRE_FALSE(cuda::tf32_enabled());
}

TEST_CASE("cuda: NCCL unique ids survive the hex round trip", "[cuda][nccl]") {
  ncclUniqueId id;
  for (size_t i = 0; i < sizeof(id.internal); ++i) id.internal[i] = static_cast<char>(i * 37 + 5);
  const std::string hex = cuda::NcclCommunicator::to_hex(id);
  REQUIRE(hex.size() == 2 * sizeof(id.internal));
  const ncclUniqueId back = cuda::NcclCommunicator::from_hex(hex);
  REQUIRE(std::equal(id.internal, id.internal + sizeof(id.internal), back.internal));
  REQUIRE_THROWS_AS(cuda::NcclCommunicator::from_hex("abc"), Error);
  REQUIRE_THROWS_AS(cuda::NcclCommunicator::from_hex(std::string(hex.size(), 'z')), Error);
}

TEST_CASE("cuda: the caching allocator reuses freed blocks of the same size", "[cuda]") {
  GAZE_REQUIRE_GPU();
  void* first = cuda::allocate_bytes(1000, 0, "test");
  cuda::release_bytes(first, 0);
  void* second = cuda::allocate_bytes(900, 0, "test");  // same 512-byte bucket
  REQUIRE(second == first);
  cuda::release_bytes(second, 0);
  cuda::empty_cache(0);
  REQUIRE_THROWS_WITH(cuda::allocate_bytes(size_t{1} << 50, 0, "test"), Catch::Contains("out of GPU memory"));
}

TEST_CASE("cuda: a one-rank NCCL communicator reduces and broadcasts in place", "[cuda][nccl]") {
  GAZE_REQUIRE_GPU();
  cuda::NcclCommunicator comm(cuda::NcclCommunicator::create_unique_id(), 0, 1, 0, 60.0);
  REQUIRE(comm.size() == 1);
  Tensor data = random({1000}, 80).to(kGpu);
  const std::vector<float> before = data.to_vector();
  comm.all_reduce_average(data.data(), 1000);
  REQUIRE(data.to_vector() == before);
  comm.broadcast(data.data(), 1000, 0);
  REQUIRE(data.to_vector() == before);
  const double counters[2] = {3.0, 4.5};
  cuda::DeviceBuffer device_counters(sizeof(counters), 0, "test");
  REQUIRE(cudaMemcpy(device_counters.as<double>(), counters, sizeof(counters), cudaMemcpyHostToDevice) == cudaSuccess);
  comm.all_reduce_sum(device_counters.as<double>(), 2);
  double after[2] = {0, 0};
  REQUIRE(cudaMemcpy(after, device_counters.as<double>(), sizeof(after), cudaMemcpyDeviceToHost) == cudaSuccess);
  REQUIRE(after[0] == 3.0);
  REQUIRE(after[1] == 4.5);
}
