// Convolution on the CPU. 3x3 stride-1 padding-1 layers with enough input
// channels use Winograd F(2x2, 3x3) (core/cpu/winograd.h), depthwise layers
// direct loops (core/cpu/conv_depthwise.h); everything else uses im2col + one
// BLAS GEMM per image and group, images spread over OpenMP threads
// (OpenBLAS runs single-threaded inside a parallel region, so the two levels
// of threading do not fight).
#include <cblas.h>
#include <omp.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "core/cpu/conv_depthwise.h"
#include "core/cpu/cpu_backend.h"
#include "core/cpu/winograd.h"

namespace gaze {

namespace {

// channels and out_channels are one group's; a grouped convolution is
// `groups` such convolutions side by side on consecutive channel blocks.
struct ConvShape {
  int64_t channels, height, width, out_channels, kernel_h, kernel_w, out_h, out_w, groups;
  int64_t columns_rows() const { return channels * kernel_h * kernel_w; }
  int64_t out_pixels() const { return out_h * out_w; }
  int64_t group_image_size() const { return channels * height * width; }
  int64_t group_out_size() const { return out_channels * out_pixels(); }
  int64_t group_weight_size() const { return out_channels * columns_rows(); }
};

ConvShape conv_shape(const Tensor& x, const Tensor& w, const Tensor& y, const Conv2dGeometry& g) {
  return {w.dim(1), x.dim(2), x.dim(3), w.dim(0) / g.groups, w.dim(2), w.dim(3), y.dim(2), y.dim(3), g.groups};
}

cpu::DepthwiseShape depthwise_shape(const ConvShape& s, int64_t batch, const Conv2dGeometry& g) {
  return {batch, s.groups, s.height, s.width, s.out_channels * s.groups, s.kernel_h, s.kernel_w,
          s.out_h, s.out_w, g};
}

// groups == input channels (one input channel per group), as MobileNet's.
bool use_depthwise(const ConvShape& s, int64_t batch, const Conv2dGeometry& g) {
  return s.groups > 1 && s.channels == 1 && cpu::depthwise_applies(depthwise_shape(s, batch, g));
}

// Winograd's 16 GEMMs reduce over the input channels only (K = channels),
// im2col's over 9 x channels: for an RGB input layer K = 3 would leave the
// GEMMs all overhead, so such thin layers keep im2col.
constexpr int64_t kWinogradMinChannels = 8;

bool use_winograd(const ConvShape& s, const Tensor& w, const Conv2dGeometry& g) {
  return s.channels >= kWinogradMinChannels && cpu::winograd_applies(w, g);
}

cpu::WinogradShape winograd_shape(const ConvShape& s, int64_t batch) {
  return {batch, s.channels, s.out_channels, s.height, s.width};
}

void add_bias(const float* bias, int64_t batch, int64_t channels, int64_t pixels, float* y) {
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t n = 0; n < batch; ++n)
    for (int64_t o = 0; o < channels; ++o) {
      float* plane = y + (n * channels + o) * pixels;
      for (int64_t p = 0; p < pixels; ++p) plane[p] += bias[o];
    }
}

// grad_b[o] = sum of grad_y over images and pixels, in a fixed order.
void bias_gradient(const float* grad_y, int64_t batch, int64_t channels, int64_t pixels,
                   float* grad_b) {
#pragma omp parallel for schedule(static)
  for (int64_t o = 0; o < channels; ++o) {
    double acc = 0;
    for (int64_t n = 0; n < batch; ++n) {
      const float* plane = grad_y + (n * channels + o) * pixels;
      for (int64_t p = 0; p < pixels; ++p) acc += plane[p];
    }
    grad_b[o] = static_cast<float>(acc);
  }
}

bool is_pointwise(const ConvShape& s, const Conv2dGeometry& g) {
  return s.kernel_h == 1 && s.kernel_w == 1 && g.stride_h == 1 && g.stride_w == 1 &&
         g.pad_h == 0 && g.pad_w == 0;
}

// The output columns [begin, end) whose input column ox * stride + kj - pad
// lies inside the image (the others read the zero padding).
struct ColumnRange {
  int64_t begin, end;
};

ColumnRange inside_columns(const ConvShape& s, const Conv2dGeometry& g, int64_t kj) {
  const int64_t offset = kj - g.pad_w;  // input column of output column 0
  const int64_t begin = offset >= 0 ? 0 : (-offset + g.stride_w - 1) / g.stride_w;
  const int64_t end = s.width - offset <= 0 ? 0 : (s.width - offset + g.stride_w - 1) / g.stride_w;
  return {std::min(begin, s.out_w), std::clamp(end, std::min(begin, s.out_w), s.out_w)};
}

// columns[(c, ki, kj), (oy, ox)] = image[c, oy*stride + ki - pad, ox*stride + kj - pad] or 0.
void im2col(const float* image, const ConvShape& s, const Conv2dGeometry& g, float* columns) {
  for (int64_t c = 0; c < s.channels; ++c)
    for (int64_t ki = 0; ki < s.kernel_h; ++ki)
      for (int64_t kj = 0; kj < s.kernel_w; ++kj) {
        float* row = columns + ((c * s.kernel_h + ki) * s.kernel_w + kj) * s.out_pixels();
        const ColumnRange inside = inside_columns(s, g, kj);
        const int64_t offset = kj - g.pad_w;
        for (int64_t oy = 0; oy < s.out_h; ++oy) {
          const int64_t iy = oy * g.stride_h + ki - g.pad_h;
          float* dst = row + oy * s.out_w;
          if (iy < 0 || iy >= s.height) {
            std::fill(dst, dst + s.out_w, 0.0f);
            continue;
          }
          const float* src = image + (c * s.height + iy) * s.width;
          std::fill(dst, dst + inside.begin, 0.0f);
          if (g.stride_w == 1 && inside.begin < inside.end)  // (an empty range forms no pointer)
            std::copy(src + inside.begin + offset, src + inside.end + offset, dst + inside.begin);
          else
            for (int64_t ox = inside.begin; ox < inside.end; ++ox) dst[ox] = src[ox * g.stride_w + offset];
          std::fill(dst + inside.end, dst + s.out_w, 0.0f);
        }
      }
}

// The adjoint of im2col: scatters-adds columns back into an image (zeroed first).
void col2im(const float* columns, const ConvShape& s, const Conv2dGeometry& g, float* image) {
  std::fill(image, image + s.channels * s.height * s.width, 0.0f);
  for (int64_t c = 0; c < s.channels; ++c)
    for (int64_t ki = 0; ki < s.kernel_h; ++ki)
      for (int64_t kj = 0; kj < s.kernel_w; ++kj) {
        const float* row = columns + ((c * s.kernel_h + ki) * s.kernel_w + kj) * s.out_pixels();
        const ColumnRange inside = inside_columns(s, g, kj);
        const int64_t offset = kj - g.pad_w;
        for (int64_t oy = 0; oy < s.out_h; ++oy) {
          const int64_t iy = oy * g.stride_h + ki - g.pad_h;
          if (iy < 0 || iy >= s.height) continue;
          float* dst = image + (c * s.height + iy) * s.width;
          const float* src = row + oy * s.out_w;
          for (int64_t ox = inside.begin; ox < inside.end; ++ox) dst[ox * g.stride_w + offset] += src[ox];
        }
      }
}

}  // namespace

void CpuBackend::conv2d_forward(const Tensor& x, const Tensor& w, const Tensor& b,
                                const Conv2dGeometry& g, Tensor& y) {
  const ConvShape s = conv_shape(x, w, y, g);
  const int64_t batch = x.dim(0);
  const bool pointwise = is_pointwise(s, g);
  const float* px = x.data();
  const float* pw = w.data();
  const float* pb = b.defined() ? b.data() : nullptr;
  float* py = y.data();
  if (use_depthwise(s, batch, g)) {
    cpu::depthwise_forward(px, pw, pb, depthwise_shape(s, batch, g), py);
    return;
  }
  if (use_winograd(s, w, g)) {
    cpu::winograd_forward(px, pw, winograd_shape(s, batch), py);
    if (pb) add_bias(pb, batch, s.out_channels, s.out_pixels(), py);
    return;
  }
  const int64_t image_size = s.groups * s.group_image_size();
  const int64_t out_size = s.groups * s.group_out_size();
#pragma omp parallel
  {
    std::vector<float> columns(pointwise ? 0 : static_cast<size_t>(s.columns_rows() * s.out_pixels()));
#pragma omp for schedule(static)
    for (int64_t n = 0; n < batch; ++n)
      for (int64_t group = 0; group < s.groups; ++group) {
        const float* image = px + n * image_size + group * s.group_image_size();
        const float* cols = image;
        if (!pointwise) {
          im2col(image, s, g, columns.data());
          cols = columns.data();
        }
        float* out = py + n * out_size + group * s.group_out_size();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(s.out_channels),
                    static_cast<int>(s.out_pixels()), static_cast<int>(s.columns_rows()), 1.0f,
                    pw + group * s.group_weight_size(), static_cast<int>(s.columns_rows()), cols,
                    static_cast<int>(s.out_pixels()), 0.0f, out, static_cast<int>(s.out_pixels()));
        if (pb)
          for (int64_t o = 0; o < s.out_channels; ++o) {
            float* plane = out + o * s.out_pixels();
            const float bias = pb[group * s.out_channels + o];
            for (int64_t p = 0; p < s.out_pixels(); ++p) plane[p] += bias;
          }
      }
  }
}

void CpuBackend::conv2d_backward(const Tensor& x, const Tensor& w, const Tensor& grad_y,
                                 const Conv2dGeometry& g, Tensor& grad_x, Tensor& grad_w,
                                 Tensor& grad_b) {
  const ConvShape s = conv_shape(x, w, grad_y, g);
  const int64_t batch = x.dim(0);
  const bool pointwise = is_pointwise(s, g);
  const float* px = x.data();
  const float* pw = w.data();
  const float* pgy = grad_y.data();
  if (use_depthwise(s, batch, g)) {
    cpu::depthwise_backward(px, pw, pgy, depthwise_shape(s, batch, g), grad_x.defined() ? grad_x.data() : nullptr,
                            grad_w.defined() ? grad_w.data() : nullptr);
    if (grad_b.defined()) bias_gradient(pgy, batch, s.groups * s.out_channels, s.out_pixels(), grad_b.data());
    return;
  }
  if (use_winograd(s, w, g)) {
    const cpu::WinogradShape ws = winograd_shape(s, batch);
    if (grad_x.defined()) cpu::winograd_backward_data(pgy, pw, ws, grad_x.data());
    if (grad_w.defined()) cpu::winograd_backward_weights(px, pgy, ws, grad_w.data());
    if (grad_b.defined()) bias_gradient(pgy, batch, s.out_channels, s.out_pixels(), grad_b.data());
    return;
  }
  const int64_t image_size = s.groups * s.group_image_size();
  const int64_t out_size = s.groups * s.group_out_size();
  const int64_t k = s.columns_rows();
  const int64_t p = s.out_pixels();
  const int64_t weight_size = s.groups * s.group_weight_size();
  const int64_t all_out_channels = s.groups * s.out_channels;
  const int threads = omp_get_max_threads();
  // Per-thread partial weight/bias gradients, summed at the end: no atomics.
  std::vector<float> partial_w(grad_w.defined() ? static_cast<size_t>(threads * weight_size) : 0, 0.0f);
  std::vector<float> partial_b(grad_b.defined() ? static_cast<size_t>(threads * all_out_channels) : 0, 0.0f);
#pragma omp parallel
  {
    const int t = omp_get_thread_num();
    std::vector<float> columns(pointwise ? 0 : static_cast<size_t>(k * p));
    std::vector<float> grad_columns(grad_x.defined() && !pointwise ? static_cast<size_t>(k * p) : 0);
#pragma omp for schedule(static)
    for (int64_t n = 0; n < batch; ++n) {
      if (grad_b.defined()) {
        const float* gy = pgy + n * out_size;
        float* gb = partial_b.data() + t * all_out_channels;
        for (int64_t o = 0; o < all_out_channels; ++o) {
          float acc = 0;
          for (int64_t q = 0; q < p; ++q) acc += gy[o * p + q];
          gb[o] += acc;
        }
      }
      for (int64_t group = 0; group < s.groups; ++group) {
        const float* gy = pgy + n * out_size + group * s.group_out_size();
        if (grad_w.defined()) {
          const float* cols = px + n * image_size + group * s.group_image_size();
          if (!pointwise) {
            im2col(cols, s, g, columns.data());
            cols = columns.data();
          }
          // dW[O, K] += dY[O, P] * cols[K, P]^T
          cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(s.out_channels),
                      static_cast<int>(k), static_cast<int>(p), 1.0f, gy, static_cast<int>(p), cols,
                      static_cast<int>(p), 1.0f,
                      partial_w.data() + t * weight_size + group * s.group_weight_size(), static_cast<int>(k));
        }
        if (grad_x.defined()) {
          // dcols[K, P] = W[O, K]^T * dY[O, P]
          float* gx = grad_x.data() + n * image_size + group * s.group_image_size();
          float* target = pointwise ? gx : grad_columns.data();
          cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, static_cast<int>(k), static_cast<int>(p),
                      static_cast<int>(s.out_channels), 1.0f, pw + group * s.group_weight_size(),
                      static_cast<int>(k), gy, static_cast<int>(p), 0.0f, target, static_cast<int>(p));
          if (!pointwise) col2im(grad_columns.data(), s, g, gx);
        }
      }
    }
  }
  if (grad_w.defined()) {
    float* gw = grad_w.data();
    std::fill(gw, gw + weight_size, 0.0f);
    for (int t = 0; t < threads; ++t)
      for (int64_t i = 0; i < weight_size; ++i) gw[i] += partial_w[static_cast<size_t>(t * weight_size + i)];
  }
  if (grad_b.defined()) {
    float* gb = grad_b.data();
    std::fill(gb, gb + all_out_channels, 0.0f);
    for (int t = 0; t < threads; ++t)
      for (int64_t o = 0; o < all_out_channels; ++o) gb[o] += partial_b[static_cast<size_t>(t * all_out_channels + o)];
  }
}

}  // namespace gaze
