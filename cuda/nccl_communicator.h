#pragma once
// NcclCommunicator: this process's rank of an NCCL communicator, one GPU per
// process (as gaze's data parallelism runs). The blocking collectives run in
// place on the device's gaze stream. Gradient all-reduces are started with
// start_all_reduce_average: they run on the communicator's own
// high-priority stream, after the compute stream reaches the point where
// they were started (an event), so they overlap the rest of backward; the
// compute stream waits for them (another event) before the optimizer.
//
// Every collective then waits for its completion, polling NCCL's
// asynchronous error state, and gives up after `timeout_seconds`: a peer that
// died or hangs otherwise blocks the others forever. On timeout or error the
// communicator is aborted and gaze::Error thrown; it cannot be used again.
// Needs NCCL 2.10+ (ncclAvg) and non-blocking communicators (2.14+); built
// against NCCL 2.28.
#include <cuda_runtime.h>
#include <nccl.h>

#include <cstddef>
#include <memory>
#include <string>

namespace gaze::cuda {

class NcclCommunicator;

// A collective started by NcclCommunicator::start_all_reduce_average.
class NcclPending {
 public:
  ~NcclPending();
  NcclPending(const NcclPending&) = delete;
  NcclPending& operator=(const NcclPending&) = delete;
  // Orders the device's compute stream after the collective, then waits on
  // the host until it is done, polling NCCL's error state; throws (and
  // aborts the communicator) on error or after the communicator's timeout.
  void wait();
  // True once the collective is done; throws on a NCCL error. Never blocks.
  bool done();

 private:
  friend class NcclCommunicator;
  NcclPending(NcclCommunicator& comm, cudaEvent_t event) : comm_(comm), event_(event) {}
  NcclCommunicator& comm_;
  cudaEvent_t event_ = nullptr;
  bool ordered_ = false;
};

class NcclCommunicator {
 public:
  // Rank 0 creates the id and hands it to the others (launcher, MPI, file).
  static ncclUniqueId create_unique_id();
  // The id as 256 hex digits and back, to pass it on a command line or in an
  // environment variable.
  static std::string to_hex(const ncclUniqueId& id);
  static ncclUniqueId from_hex(const std::string& hex);

  // Joins the communicator of `size` ranks as `rank`, on cuda:`device`.
  // Blocks until every rank has joined, or throws after timeout_seconds.
  NcclCommunicator(const ncclUniqueId& id, int rank, int size, int device, double timeout_seconds);
  ~NcclCommunicator();
  NcclCommunicator(const NcclCommunicator&) = delete;
  NcclCommunicator& operator=(const NcclCommunicator&) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }
  int device() const { return device_; }

  // In place on device memory: data = mean over ranks of data (gradients).
  void all_reduce_average(float* data, size_t count);
  // Starts the same without waiting, as described at the top.
  std::unique_ptr<NcclPending> start_all_reduce_average(float* data, size_t count);
  // In place on device memory: data = sum over ranks of data (metric counters).
  void all_reduce_sum(double* data, size_t count);
  // In place on device memory: every rank gets root's data (initial parameters).
  void broadcast(float* data, size_t count, int root);
  // Stops all outstanding NCCL work of this rank and frees the communicator.
  void abort();

 private:
  // Waits until NCCL accepted the last call (non-blocking communicators may
  // return ncclInProgress) and, when `until_done`, until the stream finished it.
  void wait(const char* what, bool until_done);
  [[noreturn]] void fail(const char* what, const std::string& why);
  // Throws when NCCL reports an asynchronous error; true while a call is
  // still being accepted (ncclInProgress).
  bool check_async_error(const char* what);

  friend class NcclPending;
  ncclComm_t comm_ = nullptr;
  cudaStream_t comm_stream_ = nullptr;   // where started all-reduces run
  cudaEvent_t compute_reached_ = nullptr;  // marks the compute stream's position at a start
  int rank_ = 0, size_ = 0, device_ = 0;
  double timeout_seconds_ = 0;
};

}  // namespace gaze::cuda
