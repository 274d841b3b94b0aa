// Picks the Winograd variant for a layer; see core/cpu/winograd.h.
#include "core/cpu/winograd.h"

#include "core/cpu/winograd_kernels.h"

#include <algorithm>
#include <vector>

namespace gaze::cpu {

bool use_f4x4(const WinogradShape& s) {
  // Measured (docs/performance.md): F(4x4) is as fast as F(2x2) or faster
  // from 4 whole tiles a row; below, its 6x6 patches cost more than the
  // multiplications they save.
  constexpr int64_t kMinWidth = 16;
  return s.width >= kMinWidth;
}

const float* kernel_taps(const float* w, int64_t outs, int64_t ins, bool flipped) {
  static thread_local std::vector<float> buffer;
  const int64_t count = outs * ins;
  if (buffer.size() < static_cast<size_t>(9 * count)) buffer.resize(static_cast<size_t>(9 * count));
  float* taps = buffer.data();
  if (!flipped) {
#pragma omp parallel for schedule(static)
    for (int64_t oc = 0; oc < count; ++oc)
      for (int i = 0; i < 9; ++i) taps[i * count + oc] = w[oc * 9 + i];
    return taps;
  }
  // w is [ins][outs][3][3] here: read it in order, 16 of its rows at a time,
  // so that the writes of each (tap, o) are 16 consecutive c.
  constexpr int64_t kRows = 16;
#pragma omp parallel for schedule(static)
  for (int64_t c0 = 0; c0 < ins; c0 += kRows)
    for (int64_t o = 0; o < outs; ++o)
      for (int64_t c = c0; c < std::min(c0 + kRows, ins); ++c)
        for (int i = 0; i < 9; ++i) taps[i * count + o * ins + c] = w[(c * outs + o) * 9 + 8 - i];
  return taps;
}

bool winograd_applies(const Tensor& w, const Conv2dGeometry& g) {
  return g.groups == 1 && w.dim(2) == 3 && w.dim(3) == 3 && g.stride_h == 1 && g.stride_w == 1 && g.pad_h == 1 &&
         g.pad_w == 1;
}

void winograd_forward(const float* x, const float* w, const WinogradShape& s, float* y) {
  if (use_f4x4(s))
    f4x4::forward(x, w, s, y);
  else
    f2x2::forward(x, w, s, y);
}

void winograd_backward_data(const float* grad_y, const float* w, const WinogradShape& s,
                            float* grad_x) {
  if (use_f4x4(s))
    f4x4::backward_data(grad_y, w, s, grad_x);
  else
    f2x2::backward_data(grad_y, w, s, grad_x);
}

void winograd_backward_weights(const float* x, const float* grad_y, const WinogradShape& s,
                               float* grad_w) {
  if (use_f4x4(s))
    f4x4::backward_weights(x, grad_y, s, grad_w);
  else
    f2x2::backward_weights(x, grad_y, s, grad_w);
}

}  // namespace gaze::cpu
