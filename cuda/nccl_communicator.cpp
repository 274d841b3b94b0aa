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
  // Highest priority, as PyTorch gives its NCCL streams: the all-reduce of a
  // finished bucket should not queue behind the rest of backward's kernels.
  int least = 0, greatest = 0;
  GAZE_CUDA_CHECK(cudaDeviceGetStreamPriorityRange(&least, &greatest), "NCCL init");
  GAZE_CUDA_CHECK(cudaStreamCreateWithPriority(&comm_stream_, cudaStreamNonBlocking, greatest), "NCCL init");
  GAZE_CUDA_CHECK(cudaEventCreateWithFlags(&compute_reached_, cudaEventDisableTiming), "NCCL init");
}

NcclCommunicator::~NcclCommunicator() {
  // Destruction must not throw: failures to free are ignored here.
  if (compute_reached_) cudaEventDestroy(compute_reached_);
  if (comm_stream_) cudaStreamDestroy(comm_stream_);
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

bool NcclCommunicator::check_async_error(const char* what) {
  ncclResult_t state = ncclSuccess;
  const ncclResult_t query = ncclCommGetAsyncError(comm_, &state);
  if (query != ncclSuccess) fail(what, nccl_message(comm_, query));
  if (state != ncclSuccess && state != ncclInProgress) fail(what, nccl_message(comm_, state));
  return state == ncclInProgress;
}

std::unique_ptr<NcclPending> NcclCommunicator::start_all_reduce_average(float* data, size_t count) {
  const char* what = "ncclAllReduce (average, overlapped with backward)";
  GAZE_CHECK(comm_, "NCCL all-reduce on an aborted communicator");
  device_context(device_, what);
  // The gradients were produced by kernels queued on the compute stream.
  GAZE_CUDA_CHECK(cudaEventRecord(compute_reached_, stream(device_)), what);
  GAZE_CUDA_CHECK(cudaStreamWaitEvent(comm_stream_, compute_reached_, 0), what);
  const ncclResult_t result = ncclAllReduce(data, data, count, ncclFloat32, ncclAvg, comm_, comm_stream_);
  if (result != ncclSuccess && result != ncclInProgress) fail(what, nccl_message(comm_, result));
  wait(what, false);  // a non-blocking communicator may still be accepting the call
  cudaEvent_t done = nullptr;
  GAZE_CUDA_CHECK(cudaEventCreateWithFlags(&done, cudaEventDisableTiming), what);
  std::unique_ptr<NcclPending> pending(new NcclPending(*this, done));
  GAZE_CUDA_CHECK(cudaEventRecord(done, comm_stream_), what);
  return pending;
}

NcclPending::~NcclPending() {
  // cudaEventDestroy on an event still pending returns at once and frees it
  // when the work completes.
  if (event_) cudaEventDestroy(event_);
}

bool NcclPending::done() {
  const char* what = "ncclAllReduce (average, overlapped with backward)";
  comm_.check_async_error(what);
  const cudaError_t state = cudaEventQuery(event_);
  if (state == cudaSuccess) return true;
  if (state != cudaErrorNotReady) {
    cudaGetLastError();
    comm_.fail(what, cudaGetErrorString(state));
  }
  return false;
}

void NcclPending::wait() {
  const char* what = "ncclAllReduce (average, overlapped with backward)";
  if (!ordered_) {
    GAZE_CUDA_CHECK(cudaStreamWaitEvent(stream(comm_.device_), event_, 0), what);
    ordered_ = true;
  }
  const auto deadline = Clock::now() + std::chrono::duration<double>(comm_.timeout_seconds_);
  while (!done()) {
    if (Clock::now() > deadline)
      comm_.fail(what, "no progress for " + std::to_string(comm_.timeout_seconds_) +
                           " s: a peer rank probably died or hangs (see its log)");
    std::this_thread::sleep_for(kPollInterval);
  }
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
