// The runtime's device handling, the caching allocator and the NCCL
// wrapper. The first cases run everywhere, GPU or not.
#include <cuda_runtime.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "cuda/caching_allocator.h"
#include "cuda/check.h"
#ifdef GAZE_HAVE_NCCL
#include "cuda/nccl_communicator.h"
#endif
#include "tests/cuda/parity.h"

using namespace gaze;
using namespace gaze::testing;

TEST_CASE("cuda: init_runtime never fails for want of a GPU", "[cuda][runtime]") {
  REQUIRE_NOTHROW(init_runtime());
  REQUIRE_NOTHROW(init_runtime());  // idempotent
  const int count = cuda_device_count();
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

#ifdef GAZE_HAVE_NCCL
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

TEST_CASE("cuda: the caching allocator reuses freed blocks of the same size", "[cuda][gpu]") {
  GAZE_REQUIRE_GPU();
  void* first = cuda::allocate_bytes(1000, 0, "test");
  cuda::release_bytes(first, 0);
  void* second = cuda::allocate_bytes(900, 0, "test");  // same 512-byte bucket
  REQUIRE(second == first);
  cuda::release_bytes(second, 0);
  cuda::empty_cache(0);
  REQUIRE_THROWS_WITH(cuda::allocate_bytes(size_t{1} << 50, 0, "test"), Catch::Contains("out of GPU memory"));
}

TEST_CASE("cuda: a one-rank NCCL communicator reduces and broadcasts in place", "[cuda][gpu][nccl]") {
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

TEST_CASE("cuda: an overlapped NCCL all-reduce runs after the compute stream's kernels", "[cuda][gpu][nccl]") {
  GAZE_REQUIRE_GPU();
  cuda::NcclCommunicator comm(cuda::NcclCommunicator::create_unique_id(), 0, 1, 0, 60.0);
  Tensor data = random({5000}, 81).to(kGpu);
  const std::vector<float> before = data.to_vector();
  // Queued on the compute stream just before the start: the all-reduce must see its result.
  backend_for(kGpu).scale(data, 2.0f);
  auto pending = comm.start_all_reduce_average(data.data(), 5000);
  pending->wait();
  REQUIRE(pending->done());
  const std::vector<float> after = data.to_vector();
  for (size_t i = 0; i < before.size(); ++i) REQUIRE(after[i] == 2.0f * before[i]);
}
#endif  // GAZE_HAVE_NCCL

namespace {

// A host function queued on a stream: the stream's work does not end until
// the test opens the gate (bounded, so that a bug cannot hang the suite).
struct Gate {
  std::atomic<bool> open{false};
};
void CUDART_CB wait_for_gate(void* data) {
  auto* gate = static_cast<Gate*>(data);
  for (int i = 0; i < 30000 && !gate->open; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

}  // namespace

TEST_CASE("cuda: a block another stream uses is not reused before that stream's work ends", "[cuda][gpu]") {
  GAZE_REQUIRE_GPU();
  cudaStream_t side = nullptr;
  REQUIRE(cudaStreamCreateWithFlags(&side, cudaStreamNonBlocking) == cudaSuccess);
  // Two blocks of one size on the compute stream; B goes back to the cache first.
  void* a = cuda::allocate_bytes(3000, 0, "test");
  void* b = cuda::allocate_bytes(3000, 0, "test");
  Gate gate;
  REQUIRE(cudaLaunchHostFunc(side, wait_for_gate, &gate) == cudaSuccess);
  cuda::record_stream(a, 0, side);  // as a communication stream reading a gradient bucket
  cuda::release_bytes(b, 0);
  cuda::release_bytes(a, 0);
  // Without the stream record A, freed last, would come back first.
  void* while_busy = cuda::allocate_bytes(3000, 0, "test");
  CHECK(while_busy == b);
  gate.open = true;
  REQUIRE(cudaStreamSynchronize(side) == cudaSuccess);
  void* after = cuda::allocate_bytes(3000, 0, "test");
  CHECK(after == a);
  cuda::release_bytes(while_busy, 0);
  cuda::release_bytes(after, 0);
  REQUIRE(cudaStreamDestroy(side) == cudaSuccess);
  REQUIRE_THROWS_WITH(cuda::record_stream(a, 0, side), Catch::Contains("not a live block"));
}

#ifdef GAZE_HAVE_NCCL
TEST_CASE("cuda: two GPUs average a buffer over NCCL", "[cuda][multi-gpu][nccl]") {
  GAZE_REQUIRE_GPUS(2);
  const ncclUniqueId id = cuda::NcclCommunicator::create_unique_id();
  constexpr size_t kCount = 4099;  // not a multiple of any NCCL chunk
  std::vector<std::vector<float>> results(2);
  std::vector<std::string> errors(2);
  // One thread per rank: joining blocks until both ranks have joined.
  std::vector<std::thread> ranks;
  for (int rank = 0; rank < 2; ++rank)
    ranks.emplace_back([&, rank] {
      try {
        cuda::NcclCommunicator comm(id, rank, 2, rank, 60.0);
        std::vector<float> values(kCount);
        for (size_t i = 0; i < kCount; ++i) values[i] = static_cast<float>(i % 97) * (rank == 0 ? 1.0f : 3.0f);
        cuda::DeviceBuffer buffer(kCount * sizeof(float), rank, "test");
        cuda::detail::check(cudaMemcpy(buffer.as<float>(), values.data(), kCount * sizeof(float),
                                       cudaMemcpyHostToDevice), "cudaMemcpy", "test", __FILE__, __LINE__);
        comm.all_reduce_average(buffer.as<float>(), kCount);
        results[static_cast<size_t>(rank)].resize(kCount);
        cuda::detail::check(cudaMemcpy(results[static_cast<size_t>(rank)].data(), buffer.as<float>(),
                                       kCount * sizeof(float), cudaMemcpyDeviceToHost),
                            "cudaMemcpy", "test", __FILE__, __LINE__);
      } catch (const std::exception& e) {
        errors[static_cast<size_t>(rank)] = e.what();
      }
    });
  for (std::thread& t : ranks) t.join();
  REQUIRE(errors[0].empty());
  REQUIRE(errors[1].empty());
  for (size_t i = 0; i < kCount; ++i) {
    const float expected = static_cast<float>(i % 97) * 2.0f;  // (x + 3x) / 2
    INFO("element " << i);
    REQUIRE(results[0][i] == expected);
    REQUIRE(results[1][i] == expected);
  }
}

TEST_CASE("cuda: two GPUs average gradient buckets overlapped, in place", "[cuda][multi-gpu][nccl]") {
  GAZE_REQUIRE_GPUS(2);
  const ncclUniqueId id = cuda::NcclCommunicator::create_unique_id();
  constexpr int64_t kCount = 6000;
  std::vector<std::vector<float>> results(2);
  std::vector<std::string> errors(2);
  std::vector<std::thread> ranks;
  for (int rank = 0; rank < 2; ++rank)
    ranks.emplace_back([&, rank] {
      try {
        cuda::NcclCommunicator comm(id, rank, 2, rank, 60.0);
        std::vector<float> values(kCount);
        for (int64_t i = 0; i < kCount; ++i) values[static_cast<size_t>(i)] = static_cast<float>(i % 89) * (rank + 1);
        Tensor arena = Tensor::from_vector({kCount}, values, Device::cuda(rank));
        // Three buckets started back to back, as backward finishes them, then waited for.
        std::vector<std::unique_ptr<cuda::NcclPending>> pending;
        for (int64_t begin : {4000, 1000, 0}) {
          const int64_t end = begin == 4000 ? kCount : begin == 1000 ? 4000 : 1000;
          pending.push_back(comm.start_all_reduce_average(arena.data() + begin, static_cast<size_t>(end - begin)));
        }
        for (auto& p : pending) p->wait();
        results[static_cast<size_t>(rank)] = arena.to_vector();
      } catch (const std::exception& e) {
        errors[static_cast<size_t>(rank)] = e.what();
      }
    });
  for (std::thread& t : ranks) t.join();
  REQUIRE(errors[0].empty());
  REQUIRE(errors[1].empty());
  for (size_t i = 0; i < static_cast<size_t>(kCount); ++i) {
    const float expected = static_cast<float>(i % 89) * 1.5f;  // (x + 2x) / 2
    INFO("element " << i);
    REQUIRE(results[0][i] == expected);
    REQUIRE(results[1][i] == expected);
  }
}
#endif  // GAZE_HAVE_NCCL
