#pragma once
// Single-machine multi-process launch: `train --device cuda:0,1` (or
// train.devices: all) starts one worker process per GPU itself, as mpirun
// would, and watches them. Workers learn who they are from GAZE_* environment
// variables; rank 0's NCCL unique id travels hex-encoded in GAZE_NCCL_ID.
// CPU data parallelism needs mpirun instead (MPI must start the processes).
#include <optional>
#include <string>
#include <vector>

namespace gaze::train {

// True when this process was started by an MPI launcher (mpirun, srun with
// PMI/PMIx): then MPI, not this launcher, provides the ranks, and a plain
// `train` never needs MPI at run time.
bool launched_by_mpi();

// The CUDA device indices that `devices` ("cpu", "cuda", "cuda:N",
// "cuda:0,1,...", "all") asks for, given how many exist; empty for "cpu".
// `source` names where the text came from ("--device" or "train.devices").
// Throws when a GPU is asked for and none (or not that one) exists.
std::vector<int> requested_cuda_devices(const std::string& devices, int available, const std::string& source);

// Who a launched worker is, as passed through its environment.
struct WorkerIdentity {
  int rank = 0, world_size = 1, local_rank = 0;
  std::string device;   // "cuda:1"
  std::string nccl_id;  // hex-encoded ncclUniqueId, the same for every worker
};

// "GAZE_RANK=1", ... for the worker's environment.
std::vector<std::string> worker_environment(const WorkerIdentity& identity);
// The identity of this process when the launcher started it (GAZE_RANK set).
std::optional<WorkerIdentity> worker_identity_from_environment();

std::string to_hex(const void* data, size_t bytes);
// Throws unless `hex` is exactly 2 * bytes hex digits.
void from_hex(const std::string& hex, void* data, size_t bytes);

// Host threads (OpenMP and BLAS) for one worker: `configured` (train.threads)
// when positive; else `omp_num_threads` (the OMP_NUM_THREADS environment
// variable, 0 when unset or invalid) when positive; else the machine's `cores`
// shared evenly among the `workers_on_machine` processes training on it, so
// that 8 GPU workers on a 64-core machine get 8 threads each rather than 64
// each. Never below 1.
int host_threads_per_worker(int configured, int omp_num_threads, int cores, int workers_on_machine);

// OMP_NUM_THREADS as a positive integer, 0 when unset or not one.
int omp_num_threads_from_environment();

struct WorkerProcess {
  std::string label;                     // "rank 1 (cuda:1)", for messages
  std::vector<std::string> environment;  // added to the parent's environment
};

// Runs `argv` once per worker and waits for all of them. The first worker
// that exits non-zero or dies ends the launch: the others get SIGTERM and,
// after `grace_seconds`, SIGKILL, so that none waits forever for a dead peer;
// then gaze::Error names that worker and how it ended. A SIGINT/SIGTERM to the
// launcher is passed on once (workers stop after their current step and write
// last.safetensors); a second one kills them. Workers die with the launcher.
// Returns 0 when every worker succeeded, 130 when they stopped on request.
int run_workers(const std::vector<std::string>& argv, const std::vector<WorkerProcess>& workers,
                double grace_seconds = 10);

}  // namespace gaze::train
