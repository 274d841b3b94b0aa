#pragma once
// gaze_runtime: what every program and test main calls once at start,
// whatever the build. In CUDA builds init_runtime() registers the CUDA
// backend when a GPU is present; in CPU-only builds it does nothing. Either
// way it never fails for want of a GPU: asking for a cuda:N tensor later is
// what reports that (see require_cuda_device).

namespace gaze {

// Idempotent; call before creating any tensor on a CUDA device.
void init_runtime();
// Visible CUDA devices: 0 in CPU-only builds and on machines without a GPU.
int cuda_device_count();
// Throws gaze::Error explaining why cuda:`index` cannot be used (CPU-only
// build, no driver, no GPU, index out of range); returns when it can.
void require_cuda_device(int index);
// cuda.deterministic: when true (the default) cuDNN convolutions use only
// deterministic algorithms, chosen by cuDNN's heuristics rather than by
// timing them, so that a run repeats bit for bit on the same GPU and
// software, as on the CPU; false lets cudnnFind pick the fastest of all.
// A no-op in CPU-only builds.
void set_cuda_deterministic(bool deterministic);

}  // namespace gaze
