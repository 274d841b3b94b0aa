#include "train/nccl_bootstrap.h"

#include "core/error.h"

#ifdef GAZE_HAVE_NCCL
#include <cstdint>

#include "core/backend.h"
#include "core/tensor.h"
#include "cuda/nccl_communicator.h"
#endif

namespace gaze::train {

#ifndef GAZE_HAVE_NCCL

std::string new_nccl_unique_id() {
  throw Error("multi-GPU training needs NCCL, and this build has none: configure with -DGAZE_CUDA=ON on a machine "
              "with the CUDA toolkit and NCCL");
}

std::unique_ptr<Communicator> make_nccl_communicator(const WorkerIdentity& identity, double) {
  throw Error("worker rank " + std::to_string(identity.rank) + " was asked to train on " + identity.device +
              " with NCCL, but this build has no NCCL: configure with -DGAZE_CUDA=ON");
}

#else

namespace {

// A gradient all-reduce on the communicator's own stream (see cuda/nccl_communicator.h).
class NcclPendingAverage final : public PendingCollective {
 public:
  NcclPendingAverage(std::unique_ptr<cuda::NcclPending> pending, Tensor t)
      : pending_(std::move(pending)), tensor_(std::move(t)) {}
  void wait() override { pending_->wait(); }
  bool test() override { return pending_->done(); }

 private:
  std::unique_ptr<cuda::NcclPending> pending_;
  Tensor tensor_;  // kept alive until the collective is done
};

// Tensors are reduced in place in device memory. Only the per-epoch metric
// sums (a few doubles from the host) go through a small device buffer.
class NcclRank final : public Communicator {
 public:
  NcclRank(const WorkerIdentity& identity, double timeout_seconds)
      : device_(Device::parse(identity.device)),
        nccl_(cuda::NcclCommunicator::from_hex(identity.nccl_id), identity.rank, identity.world_size,
              device_.index, timeout_seconds) {
    GAZE_CHECK(device_.is_cuda(), "NCCL worker rank ", identity.rank, " needs a CUDA device, got '",
               identity.device, "'");
  }

  int rank() const override { return nccl_.rank(); }
  int size() const override { return nccl_.size(); }

  std::unique_ptr<PendingCollective> start_all_reduce_average(Tensor t) override {
    check_on_device(t, "all-reduce");
    auto pending = nccl_.start_all_reduce_average(t.data(), static_cast<size_t>(t.numel()));
    return std::make_unique<NcclPendingAverage>(std::move(pending), std::move(t));
  }

  void all_reduce_sum(double* data, size_t count) override {
    auto* floats = reinterpret_cast<float*>(data);  // copies move bytes: a double is two floats' worth
    float* staged = stage_in(floats, 2 * count);
    nccl_.all_reduce_sum(reinterpret_cast<double*>(staged), count);
    stage_out(floats, 2 * count);
  }

  void broadcast(Tensor t, int root) override {
    check_on_device(t, "broadcast");
    nccl_.broadcast(t.data(), static_cast<size_t>(t.numel()), root);
  }

  // With only sums at hand: split the value into 16-bit pieces x; all ranks
  // hold the same x exactly when (sum x)^2 == size * sum x^2 (Cauchy-Schwarz),
  // which every rank computes from the same exact sums, so all agree.
  void check_same(const std::string& what, unsigned long long value) override {
    double sums[8];
    for (int piece = 0; piece < 4; ++piece) {
      const double x = static_cast<double>((value >> (16 * piece)) & 0xffff);
      sums[2 * piece] = x;
      sums[2 * piece + 1] = x * x;
    }
    all_reduce_sum(sums, 8);
    bool same = true;
    for (int piece = 0; piece < 4; ++piece)
      same = same && sums[2 * piece] * sums[2 * piece] == size() * sums[2 * piece + 1];
    GAZE_CHECK(same, what, " differs across the ", size(), " ranks (rank ", rank(), " has ", std::hex, value,
               std::dec, "): every rank must run the same config and build");
  }

 private:
  void check_on_device(const Tensor& t, const char* what) const {
    GAZE_CHECK(t.device() == device_ && t.is_contiguous(), "NCCL ", what, " on rank ", rank(),
               " needs a contiguous tensor on ", device_.str(), ", got one on ", t.device().str());
  }

  float* stage_in(const float* host, size_t count) {
    if (static_cast<size_t>(staging_.defined() ? staging_.numel() : 0) < count)
      staging_ = Tensor::empty({static_cast<int64_t>(count)}, device_);
    backend_for(device_).copy_host(staging_.data(), host, static_cast<int64_t>(count), true);
    return staging_.data();
  }

  void stage_out(float* host, size_t count) {
    backend_for(device_).copy_host(staging_.data(), host, static_cast<int64_t>(count), false);
  }

  Device device_;
  cuda::NcclCommunicator nccl_;
  Tensor staging_;
};

}  // namespace

std::string new_nccl_unique_id() {
  return cuda::NcclCommunicator::to_hex(cuda::NcclCommunicator::create_unique_id());
}

std::unique_ptr<Communicator> make_nccl_communicator(const WorkerIdentity& identity, double collective_timeout_seconds) {
  return std::make_unique<NcclRank>(identity, collective_timeout_seconds);
}

#endif

}  // namespace gaze::train
