#include "train/mpi_communicator.h"

#include <mpi.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <vector>

#include "core/backend.h"
#include "core/error.h"

namespace gaze::train {

namespace {

std::string rank_label(int rank, int size) {
  return "rank " + std::to_string(rank) + " of " + std::to_string(size);
}

// Throws a gaze::Error for a failed MPI call, with MPI's own explanation.
void check_mpi(int code, const char* call, int rank, int size) {
  if (code == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(code, text, &length);
  throw Error(std::string(call) + " failed on " + rank_label(rank, size) + ": " + std::string(text, length));
}

// MPI counts are ints; larger buffers go in pieces of at most INT_MAX elements.
template <typename Call>
void in_chunks(size_t count, Call call) {
  for (size_t offset = 0; offset < count; offset += INT_MAX)
    call(offset, static_cast<int>(std::min<size_t>(INT_MAX, count - offset)));
}

}  // namespace

MpiCommunicator::MpiCommunicator(double collective_timeout_seconds) {
  int initialized = 0;
  MPI_Initialized(&initialized);
  GAZE_CHECK(!initialized, "MPI is already initialized in this process: create one MpiCommunicator per process");
  // Only the main thread calls MPI (the data loader's threads never do).
  int provided = 0;
  check_mpi(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread", 0, 1);
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
  MPI_Comm node;
  check_mpi(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &node),
            "MPI_Comm_split_type (finding the ranks on this machine)", rank_, size_);
  MPI_Comm_rank(node, &local_rank_);
  MPI_Comm_size(node, &local_size_);
  MPI_Comm_free(&node);
  watchdog_ = std::make_unique<CollectiveWatchdog>(collective_timeout_seconds, rank_label(rank_, size_));
}

MpiCommunicator::~MpiCommunicator() {
  watchdog_.reset();
  MPI_Finalize();
}

// An MPI_Iallreduce (sum) of a host tensor, in pieces of at most INT_MAX
// floats; wait() completes it and divides by the world size.
class MpiPendingAverage final : public PendingCollective {
 public:
  MpiPendingAverage(MpiCommunicator& comm, Tensor t) : comm_(comm), tensor_(std::move(t)) {
    float* data = tensor_.data();
    in_chunks(static_cast<size_t>(tensor_.numel()), [&](size_t offset, int n) {
      requests_.push_back(MPI_REQUEST_NULL);
      check_mpi(MPI_Iallreduce(MPI_IN_PLACE, data + offset, n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD, &requests_.back()),
                "MPI_Iallreduce of floats", comm_.rank_, comm_.size_);
    });
  }

  ~MpiPendingAverage() override {
    // Abandoned after an error: the buffer must not be written once freed.
    if (!done_) {
      CollectiveWatchdog::Guard guard(*comm_.watchdog_, "MPI_Wait (an abandoned gradient all-reduce)");
      for (MPI_Request& request : requests_)
        if (request != MPI_REQUEST_NULL) MPI_Wait(&request, MPI_STATUS_IGNORE);
    }
  }

  bool test() override {
    if (done_) return true;
    int flag = 0;
    check_mpi(MPI_Testall(static_cast<int>(requests_.size()), requests_.data(), &flag, MPI_STATUSES_IGNORE),
              "MPI_Testall (progressing a gradient all-reduce)", comm_.rank_, comm_.size_);
    if (flag) finish();
    return done_;
  }

  void wait() override {
    if (done_) return;
    CollectiveWatchdog::Guard guard(*comm_.watchdog_, "MPI_Iallreduce (averaging gradients or BatchNorm statistics)");
    check_mpi(MPI_Waitall(static_cast<int>(requests_.size()), requests_.data(), MPI_STATUSES_IGNORE),
              "MPI_Waitall of a gradient all-reduce", comm_.rank_, comm_.size_);
    finish();
  }

 private:
  void finish() {
    done_ = true;
    backend_for(tensor_.device()).scale(tensor_, 1.0f / static_cast<float>(comm_.size_));
  }

  MpiCommunicator& comm_;
  Tensor tensor_;
  std::vector<MPI_Request> requests_;
  bool done_ = false;
};

std::unique_ptr<PendingCollective> MpiCommunicator::start_all_reduce_average(Tensor t) {
  GAZE_CHECK(t.is_contiguous(), "MPI all-reduce needs a contiguous tensor, got shape ", to_string(t.shape()));
  if (t.device().is_cpu()) return std::make_unique<MpiPendingAverage>(*this, std::move(t));
  // Staged through the host, blocking: MPI ranks are CPU ranks; this keeps a
  // GPU tensor handed to MPI correct rather than fast.
  Tensor host = t.to(Device::cpu());
  MpiPendingAverage(*this, host).wait();
  t.copy_from(host);
  return std::make_unique<CompletedCollective>();
}

void MpiCommunicator::all_reduce_sum(double* data, size_t count) {
  CollectiveWatchdog::Guard guard(*watchdog_, "MPI_Allreduce (summing metrics or stop flags)");
  in_chunks(count, [&](size_t offset, int n) {
    check_mpi(MPI_Allreduce(MPI_IN_PLACE, data + offset, n, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD),
              "MPI_Allreduce of doubles", rank_, size_);
  });
}

void MpiCommunicator::broadcast(Tensor t, int root) {
  GAZE_CHECK(t.is_contiguous(), "MPI broadcast needs a contiguous tensor, got shape ", to_string(t.shape()));
  Tensor host = t.device().is_cpu() ? t : t.to(Device::cpu());
  float* data = host.data();
  {
    CollectiveWatchdog::Guard guard(*watchdog_, "MPI_Bcast (initial parameters from rank 0)");
    in_chunks(static_cast<size_t>(host.numel()), [&](size_t offset, int n) {
      check_mpi(MPI_Bcast(data + offset, n, MPI_FLOAT, root, MPI_COMM_WORLD), "MPI_Bcast", rank_, size_);
    });
  }
  if (!t.shares_storage_with(host)) t.copy_from(host);
}

void MpiCommunicator::broadcast_text(std::string& text, int root) {
  CollectiveWatchdog::Guard guard(*watchdog_, "MPI_Bcast (a text from one rank)");
  int length = static_cast<int>(text.size());
  check_mpi(MPI_Bcast(&length, 1, MPI_INT, root, MPI_COMM_WORLD), "MPI_Bcast of a text length", rank_, size_);
  text.resize(static_cast<size_t>(length));
  check_mpi(MPI_Bcast(text.data(), length, MPI_CHAR, root, MPI_COMM_WORLD), "MPI_Bcast of a text", rank_, size_);
}

void MpiCommunicator::check_same(const std::string& what, unsigned long long value) {
  unsigned long long range[2] = {value, ~value};  // min of value and of ~value gives min and max at once
  {
    CollectiveWatchdog::Guard guard(*watchdog_, "MPI_Allreduce (comparing a checksum across ranks)");
    check_mpi(MPI_Allreduce(MPI_IN_PLACE, range, 2, MPI_UNSIGNED_LONG_LONG, MPI_MIN, MPI_COMM_WORLD),
              "MPI_Allreduce of a checksum", rank_, size_);
  }
  const unsigned long long low = range[0], high = ~range[1];
  GAZE_CHECK(low == high, what, " differs across the ", size_, " ranks (", rank_label(rank_, size_), " has ",
             std::hex, value, ", the ranks range from ", low, " to ", high, std::dec,
             "): every rank must run the same config and build");
}

void MpiCommunicator::abort(int exit_code) {
  MPI_Abort(MPI_COMM_WORLD, exit_code);
  std::_Exit(exit_code);  // MPI_Abort does not return; this keeps [[noreturn]] honest
}

}  // namespace gaze::train
