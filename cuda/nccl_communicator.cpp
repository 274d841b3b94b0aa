#include "cuda/nccl_communicator.h"

#include <chrono>
#include <thread>

#include "core/error.h"
#include "cuda/check.h"
#include "cuda/device_context.h"

namespace gaze::cuda {

namespace {

using Clock = std::chrono::steady_clock;

// How often a waiting rank polls; short next to a collective's duration.
constexpr auto kPollInterval = std::chrono::microseconds(100);

std::string nccl_message(ncclComm_t comm, ncclResult_t result) {
  std::string message = ncclGetErrorString(result);
  const char* last = comm ? ncclGetLastError(comm) : nullptr;
  if (last && *last) message += std::string(" (") + last + ")";
  return message;
}

}  // namespace

ncclUniqueId NcclCommunicator::create_unique_id() {
  ncclUniqueId id;
  const ncclResult_t result = ncclGetUniqueId(&id);
  GAZE_CHECK(result == ncclSuccess, "NCCL call ncclGetUniqueId failed: ", nccl_message(nullptr, result));
  return id;
}

std::string NcclCommunicator::to_hex(const ncclUniqueId& id) {
  static const char digits[] = "0123456789abcdef";
  std::string hex;
  for (size_t i = 0; i < sizeof(id.internal); ++i) {
    const auto byte = static_cast<unsigned char>(id.internal[i]);
    hex += digits[byte >> 4];
    hex += digits[byte & 15];
  }
  return hex;
}

ncclUniqueId NcclCommunicator::from_hex(const std::string& hex) {
  ncclUniqueId id;
  GAZE_CHECK(hex.size() == 2 * sizeof(id.internal), "NCCL unique id: expected ", 2 * sizeof(id.internal),
             " hex digits, got ", hex.size());
  auto value = [&](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    throw Error(std::string("NCCL unique id: '") + c + "' is not a lowercase hex digit");
  };
  for (size_t i = 0; i < sizeof(id.internal); ++i)
    id.internal[i] = static_cast<char>(value(hex[2 * i]) * 16 + value(hex[2 * i + 1]));
  return id;
}

NcclCommunicator::NcclCommunicator(const ncclUniqueId& id, int rank, int size, int device,
                                   double timeout_seconds)
    : rank_(rank), size_(size), device_(device), timeout_seconds_(timeout_seconds) {
  GAZE_CHECK(size > 0 && rank >= 0 && rank < size, "NCCL communicator: rank ", rank, " of ", size,
             " is not a valid rank");
  device_context(device, "NCCL init");  // validates the device and makes it current
  // Non-blocking, so that joining a communicator whose peers never arrive
  // times out here instead of hanging inside NCCL.
  ncclConfig_t config = NCCL_CONFIG_INITIALIZER;
  config.blocking = 0;
  const ncclResult_t result = ncclCommInitRankConfig(&comm_, size, id, rank, &config);
  if (result != ncclSuccess && result != ncclInProgress) {
    const std::string why = nccl_message(comm_, result);
    if (comm_) ncclCommAbort(comm_);
    comm_ = nullptr;
    throw Error("NCCL call ncclCommInitRankConfig failed for rank " + std::to_string(rank) + " of " +
                std::to_string(size) + " on cuda:" + std::to_string(device) + ": " + why);
  }
  wait("ncclCommInitRankConfig", false);
}

NcclCommunicator::~NcclCommunicator() {
  if (!comm_) return;
  // Finalize flushes outstanding work; with a non-blocking communicator it
  // may return ncclInProgress, so poll (bounded) before destroying.
  ncclResult_t state = ncclCommFinalize(comm_);
  const auto deadline = Clock::now() + std::chrono::duration<double>(timeout_seconds_);
  while (state == ncclInProgress && Clock::now() < deadline) {
    std::this_thread::sleep_for(kPollInterval);
    if (ncclCommGetAsyncError(comm_, &state) != ncclSuccess) break;
  }
  if (state == ncclSuccess) {
    ncclCommDestroy(comm_);
  } else {
    ncclCommAbort(comm_);
  }
}

void NcclCommunicator::abort() {
  if (comm_) ncclCommAbort(comm_);
  comm_ = nullptr;
}

void NcclCommunicator::fail(const char* what, const std::string& why) {
  abort();
  throw Error(std::string("NCCL ") + what + " failed on rank " + std::to_string(rank_) + " of " +
              std::to_string(size_) + " (cuda:" + std::to_string(device_) + "): " + why +
              "; the communicator was aborted");
}

void NcclCommunicator::wait(const char* what, bool until_done) {
  const auto deadline = Clock::now() + std::chrono::duration<double>(timeout_seconds_);
  const cudaStream_t done_stream = until_done ? stream(device_) : nullptr;
  for (;;) {
    ncclResult_t state = ncclSuccess;
    const ncclResult_t query = ncclCommGetAsyncError(comm_, &state);
    if (query != ncclSuccess) fail(what, nccl_message(comm_, query));
    if (state != ncclSuccess && state != ncclInProgress) fail(what, nccl_message(comm_, state));
    if (state == ncclSuccess) {
      if (!until_done) return;
      const cudaError_t progress = cudaStreamQuery(done_stream);
      if (progress == cudaSuccess) return;
      if (progress != cudaErrorNotReady) {
        cudaGetLastError();
        fail(what, cudaGetErrorString(progress));
      }
    }
    if (Clock::now() > deadline)
      fail(what, "no progress for " + std::to_string(timeout_seconds_) +
                     " s: a peer rank probably died or hangs (see its log)");
    std::this_thread::sleep_for(kPollInterval);
  }
}

void NcclCommunicator::all_reduce_average(float* data, size_t count) {
  GAZE_CHECK(comm_, "NCCL all-reduce on an aborted communicator");
  const ncclResult_t result = ncclAllReduce(data, data, count, ncclFloat32, ncclAvg, comm_, stream(device_));
  if (result != ncclSuccess && result != ncclInProgress) fail("ncclAllReduce (average)", nccl_message(comm_, result));
  wait("ncclAllReduce (average)", true);
}

void NcclCommunicator::all_reduce_sum(double* data, size_t count) {
  GAZE_CHECK(comm_, "NCCL all-reduce on an aborted communicator");
  const ncclResult_t result = ncclAllReduce(data, data, count, ncclFloat64, ncclSum, comm_, stream(device_));
  if (result != ncclSuccess && result != ncclInProgress) fail("ncclAllReduce (sum)", nccl_message(comm_, result));
  wait("ncclAllReduce (sum)", true);
}

void NcclCommunicator::broadcast(float* data, size_t count, int root) {
  GAZE_CHECK(comm_, "NCCL broadcast on an aborted communicator");
  GAZE_CHECK(root >= 0 && root < size_, "NCCL broadcast: root ", root, " is not a rank of ", size_);
  const ncclResult_t result = ncclBroadcast(data, data, count, ncclFloat32, root, comm_, stream(device_));
  if (result != ncclSuccess && result != ncclInProgress) fail("ncclBroadcast", nccl_message(comm_, result));
  wait("ncclBroadcast", true);
}

}  // namespace gaze::cuda
