// train --config FILE [--set KEY=VALUE]... [--resume CKPT] [--device D] [--out DIR]
// One process trains on one device. Several GPUs of this machine
// (--device cuda:0,1 or train.devices: all) get one launched worker each,
// talking over NCCL; under mpirun every rank trains on its shard, over MPI
// on CPUs and NCCL on GPUs. See docs/data-parallel.md.
#include <CLI/CLI.hpp>
#include <cstdio>

#include "core/program.h"
#include "cuda/runtime.h"
#include "train/config.h"
#include "train/launcher.h"
#include "train/nccl_bootstrap.h"
#include "train/trainer.h"
#ifdef GAZE_HAVE_MPI
#include "train/mpi_communicator.h"
#endif

namespace {

using namespace gaze::train;

struct Job {
  TrainConfig config;
  TrainOptions options;
  std::vector<std::string> arguments;  // argv[1..], for launched workers
  // The device text and where it came from, for messages.
  std::string devices() const { return options.device.empty() ? config.devices : options.device; }
  std::string devices_source() const { return options.device.empty() ? "train.devices" : "--device"; }
};

int finish(const TrainResult& result, bool root) {
  if (root && result.best_epoch > 0)
    std::printf("best val_acc %.2f%% at epoch %d: %s/best.safetensors\n", 100 * result.best_val_acc,
                result.best_epoch, result.out_dir.c_str());
  return result.interrupted ? gaze::kExitInterrupted : 0;
}

// A worker started by this program's own launcher: one GPU, NCCL.
int run_launched_worker(Job& job, const WorkerIdentity& identity) {
  install_stop_handlers();
  const auto comm = make_nccl_communicator(identity, job.config.collective_timeout_s);
  job.options.device = identity.device;
  job.options.workers_on_machine = identity.world_size;  // this launcher starts workers on its own machine only
  return finish(run_training(job.config, job.options, *comm), comm->is_root());
}

// A process on its own: one device, or the launcher of one worker per GPU.
int run_standalone(Job& job) {
  const std::vector<int> gpus =
      requested_cuda_devices(job.devices(), gaze::cuda_device_count(), job.devices_source());
  if (gpus.size() <= 1) {
    install_stop_handlers();
    job.options.device = gpus.empty() ? "cpu" : "cuda:" + std::to_string(gpus[0]);
    SingleProcess comm;
    return finish(run_training(job.config, job.options, comm), true);
  }
  const std::string nccl_id = new_nccl_unique_id();
  std::vector<WorkerProcess> workers;
  for (size_t rank = 0; rank < gpus.size(); ++rank) {
    const WorkerIdentity identity{static_cast<int>(rank), static_cast<int>(gpus.size()), static_cast<int>(rank),
                                  "cuda:" + std::to_string(gpus[rank]), nccl_id};
    workers.push_back({"rank " + std::to_string(rank) + " (" + identity.device + ")", worker_environment(identity)});
  }
  std::printf("launching %zu workers, one per GPU\n", workers.size());
  std::fflush(stdout);
  std::vector<std::string> argv{"/proc/self/exe"};
  argv.insert(argv.end(), job.arguments.begin(), job.arguments.end());
  return run_workers(argv, workers);
}

#ifdef GAZE_HAVE_MPI
// A rank started by mpirun. CPU ranks all-reduce over MPI; GPU ranks use
// NCCL, with MPI carrying rank 0's unique id to the others. A failure on one
// rank ends them all (MPI_Abort) instead of leaving them in a collective.
int run_mpi_rank(Job& job) {
  MpiCommunicator mpi(job.config.collective_timeout_s);
  job.options.workers_on_machine = mpi.local_size();
  try {
    install_stop_handlers();
    const std::vector<int> gpus =
      requested_cuda_devices(job.devices(), gaze::cuda_device_count(), job.devices_source());
    if (gpus.empty()) {
      job.options.device = "cpu";
      return finish(run_training(job.config, job.options, mpi), mpi.is_root());
    }
    GAZE_CHECK(static_cast<size_t>(mpi.local_rank()) < gpus.size(), "rank ", mpi.rank(), " is local rank ",
               mpi.local_rank(), " on its machine, but ", job.devices_source(), " gives ", gpus.size(),
               " GPU(s) per machine: start at most that many ranks per machine (mpirun -npernode ", gpus.size(), ")");
    WorkerIdentity identity{mpi.rank(), mpi.size(), mpi.local_rank(),
                            "cuda:" + std::to_string(gpus[static_cast<size_t>(mpi.local_rank())]), ""};
    if (mpi.is_root()) identity.nccl_id = new_nccl_unique_id();
    mpi.broadcast_text(identity.nccl_id, 0);
    const auto nccl = make_nccl_communicator(identity, job.config.collective_timeout_s);
    job.options.device = identity.device;
    return finish(run_training(job.config, job.options, *nccl), nccl->is_root());
  } catch (const std::exception& e) {  // any failure: the other ranks must not wait for this one
    std::fprintf(stderr, "train: error on rank %d of %d: %s\n", mpi.rank(), mpi.size(), e.what());
    std::fflush(stderr);
    mpi.abort(1);
  }
}
#endif

int run(Job& job) {
  if (const auto identity = worker_identity_from_environment()) return run_launched_worker(job, *identity);
#ifdef GAZE_HAVE_MPI
  if (launched_by_mpi()) return run_mpi_rank(job);
#else
  GAZE_CHECK(!launched_by_mpi(), "train was started by an MPI launcher, but this build has no MPI: install libopenmpi-dev "
             "(scripts/setup.sh) and rebuild");
#endif
  return run_standalone(job);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"gaze train: train a CNN from a YAML config, keeping the best validation checkpoint"};
  std::string config_path, resume, device, out;
  std::vector<std::string> overrides;
  int64_t max_steps = 0;
  app.add_option("--config", config_path, "YAML config (see configs/)")->required();
  app.add_option("--set", overrides, "override a config key: --set train.epochs=3 (repeatable)");
  app.add_option("--resume", resume, "continue from a last.safetensors");
  app.add_option("--device", device,
                 "cpu, cuda, cuda:N, cuda:0,1,... (one worker per GPU) or all (overrides train.devices)");
  app.add_option("--out", out, "output folder (default runs/<config name>)");
  app.add_option("--max-steps", max_steps, "stop after this many steps, writing last.safetensors (smoke tests)");
  CLI11_PARSE(app, argc, argv);
  return gaze::run_program("train", [&] {
    gaze::init_runtime();
    Job job{load_config(config_path, overrides), {out, resume, device, true, max_steps},
            std::vector<std::string>(argv + 1, argv + argc)};
    return run(job);
  });
}
