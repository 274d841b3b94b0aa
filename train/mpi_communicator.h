#pragma once
// MpiCommunicator: the CPU data-parallel transport, over MPI_COMM_WORLD.
// Rank, world size and local rank come from MPI (mpirun starts the
// processes, on one machine or many). Every MPI call returns its error
// (MPI_ERRORS_RETURN), which becomes a gaze::Error naming the call and rank;
// every collective runs under a CollectiveWatchdog so that a dead or hung
// peer ends the job instead of blocking it forever.
//
// Gradient all-reduces are non-blocking (MPI_Iallreduce): they progress
// whenever this rank calls into MPI (PendingCollective::test, which the
// gradient reducer calls as backward produces gradients) and finish in wait().
// Tensors must be in host memory; a GPU tensor is staged through the host
// (CUDA-aware MPI is not assumed; GPU ranks use NCCL instead).
#include <memory>
#include <string>

#include "train/collective_watchdog.h"
#include "train/communicator.h"

namespace gaze::train {

class MpiCommunicator final : public Communicator {
 public:
  // Initializes MPI; one instance per process (MPI cannot be initialized twice).
  explicit MpiCommunicator(double collective_timeout_seconds);
  // Finalizes MPI after a normal run; after abort() the process is gone.
  ~MpiCommunicator() override;
  MpiCommunicator(const MpiCommunicator&) = delete;
  MpiCommunicator& operator=(const MpiCommunicator&) = delete;

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  // Rank among the processes on this machine (which GPU or socket to use).
  int local_rank() const { return local_rank_; }
  // Ranks on this machine.
  int local_size() const { return local_size_; }

  std::unique_ptr<PendingCollective> start_all_reduce_average(Tensor t) override;
  void all_reduce_sum(double* data, size_t count) override;
  void broadcast(Tensor t, int root) override;
  void check_same(const std::string& what, unsigned long long value) override;
  // Every rank gets root's text (the NCCL unique id of GPU ranks).
  void broadcast_text(std::string& text, int root);

  // Ends every rank of the job (after one rank failed alone, so that the
  // others do not wait for it in their next collective).
  [[noreturn]] void abort(int exit_code);

 private:
  friend class MpiPendingAverage;
  int rank_ = 0, size_ = 1, local_rank_ = 0, local_size_ = 1;
  std::unique_ptr<CollectiveWatchdog> watchdog_;
};

}  // namespace gaze::train
