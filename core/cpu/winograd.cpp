// Picks the Winograd variant for a layer; see core/cpu/winograd.h.
#include "core/cpu/winograd.h"

#include "core/cpu/winograd_kernels.h"

namespace gaze::cpu {

bool use_f4x4(const WinogradShape& s) {
  constexpr int64_t kMinTilesPerRow = 8;  // one vector of F(4x4) tiles
  return (s.width + 3) / 4 >= kMinTilesPerRow;
}

bool winograd_applies(const Tensor& w, const Conv2dGeometry& g) {
  return w.dim(2) == 3 && w.dim(3) == 3 && g.stride_h == 1 && g.stride_w == 1 && g.pad_h == 1 &&
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
