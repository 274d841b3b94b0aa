#pragma once
// The two Winograd variants behind core/cpu/winograd.h, each with the same
// three entry points and contracts as winograd_forward, winograd_backward_data
// and winograd_backward_weights. Exposed so that tests can compare them.
#include <vector>

#include "core/cpu/winograd.h"

namespace gaze::cpu {

namespace f2x2 {
void forward(const float* x, const float* w, const WinogradShape& s, float* y);
void backward_data(const float* grad_y, const float* w, const WinogradShape& s, float* grad_x);
void backward_weights(const float* x, const float* grad_y, const WinogradShape& s, float* grad_w);
}  // namespace f2x2

namespace f4x4 {
void forward(const float* x, const float* w, const WinogradShape& s, float* y);
void backward_data(const float* grad_y, const float* w, const WinogradShape& s, float* grad_x);
void backward_weights(const float* x, const float* grad_y, const WinogradShape& s, float* grad_w);
}  // namespace f4x4

// True when the shape goes to F(4x4): images at least 16 pixels wide.
bool use_f4x4(const WinogradShape& s);

// The 3x3 kernels laid out tap by tap, for the weight transforms to read
// with vector loads: taps[i * outs * ins + o * ins + c] = tap i (row-major) of
// w[o][c], or of w[c][o] rotated by 180 degrees when `flipped` (the kernel of
// the data gradient, with o and c the gradient conv's out and in). The buffer
// is the calling thread's, reused by its next call.
const float* kernel_taps(const float* w, int64_t outs, int64_t ins, bool flipped);

// The weight transform of a variant with kPositions transformed positions:
// U[e][o][c] = transform(k)[e] for each 3x3 kernel k taken as kernel_taps
// gives it (so `flipped` as there), written to `buffer` (the caller's, grown
// on demand) and returned. transform(const float (&k)[3][3], put) calls
// put(e, value) for each e in [0, kPositions).
template <int kPositions, typename Transform>
const float* transform_kernels(const float* w, int64_t outs, int64_t ins, bool flipped,
                               std::vector<float>& buffer, Transform transform) {
  const int64_t count = outs * ins;
  if (buffer.size() < static_cast<size_t>(kPositions * count)) buffer.resize(static_cast<size_t>(kPositions * count));
  float* u = buffer.data();
  const float* taps = kernel_taps(w, outs, ins, flipped);
#pragma omp parallel for simd schedule(static)
  for (int64_t oc = 0; oc < count; ++oc) {
    float k[3][3];
    for (int i = 0; i < 9; ++i) k[i / 3][i % 3] = taps[i * count + oc];
    transform(k, [&](int e, float value) { u[e * count + oc] = value; });
  }
  return u;
}

}  // namespace gaze::cpu
