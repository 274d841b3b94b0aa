#pragma once
// The GPU side of data-parallel training: a fresh NCCL unique id for the
// launcher to hand to its workers, and the Communicator a GPU worker trains
// with, adapting cuda/'s NcclCommunicator to the Communicator interface
// (tensors reduced in place in device memory). Builds without NCCL (GAZE_HAVE_NCCL unset) compile
// the same functions; they explain what is missing.
#include <memory>
#include <string>

#include "train/communicator.h"
#include "train/launcher.h"

namespace gaze::train {

// ncclGetUniqueId, as 256 hex digits for an environment variable.
std::string new_nccl_unique_id();

// Joins the NCCL communicator of `identity.nccl_id` as identity.rank on
// identity.device. Joining, or any collective, that does not finish within
// `collective_timeout_seconds` aborts the communicator and throws, so that a
// dead peer never blocks this rank forever.
std::unique_ptr<Communicator> make_nccl_communicator(const WorkerIdentity& identity,
                                                     double collective_timeout_seconds);

}  // namespace gaze::train
