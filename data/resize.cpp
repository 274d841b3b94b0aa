#include "data/resize.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace gaze::data {
namespace {

// For each output position along one axis: the source taps and their
// weights (summing to 1).
struct AxisTaps {
  std::vector<int> first;       // per output: index into index/weight
  std::vector<int> count;
  std::vector<int> index;
  std::vector<float> weight;
};

AxisTaps make_taps(int src_len, float start, float len, int out_len) {
  AxisTaps taps;
  const double scale = static_cast<double>(len) / out_len;
  auto clamp_index = [src_len](long k) {
    return static_cast<int>(std::clamp<long>(k, 0, src_len - 1));
  };
  for (int j = 0; j < out_len; ++j) {
    taps.first.push_back(static_cast<int>(taps.index.size()));
    if (scale > 1.0) {
      const double a = start + j * scale, b = start + (j + 1) * scale;
      const long k_begin = static_cast<long>(std::floor(a));
      const long k_end = static_cast<long>(std::ceil(b));
      for (long k = k_begin; k < k_end; ++k) {
        const double overlap = std::min(b, k + 1.0) - std::max(a, static_cast<double>(k));
        if (overlap <= 0) continue;
        taps.index.push_back(clamp_index(k));
        taps.weight.push_back(static_cast<float>(overlap / scale));
      }
    } else {
      const double centre = start + (j + 0.5) * scale - 0.5;
      const long k0 = static_cast<long>(std::floor(centre));
      const float t = static_cast<float>(centre - k0);
      taps.index.push_back(clamp_index(k0));
      taps.weight.push_back(1.0f - t);
      taps.index.push_back(clamp_index(k0 + 1));
      taps.weight.push_back(t);
    }
    taps.count.push_back(static_cast<int>(taps.index.size()) - taps.first.back());
  }
  return taps;
}

}  // namespace

CropRect policy_crop(int src_w, int src_h, int out_w, int out_h, ResizePolicy policy) {
  if (policy == ResizePolicy::stretch)
    return {0.0f, 0.0f, static_cast<float>(src_w), static_cast<float>(src_h)};
  // Scale so the shorter side (relative to the output aspect) fills the
  // output, then keep the centred window of the output's aspect.
  const double scale = std::max(static_cast<double>(out_w) / src_w,
                                static_cast<double>(out_h) / src_h);
  const double w = std::min<double>(src_w, out_w / scale);
  const double h = std::min<double>(src_h, out_h / scale);
  return {static_cast<float>((src_w - w) / 2), static_cast<float>((src_h - h) / 2),
          static_cast<float>(w), static_cast<float>(h)};
}

CropRect central_part(const CropRect& crop, float fraction) {
  GAZE_CHECK(fraction > 0.0f && fraction <= 1.0f, "central crop fraction ", fraction, "; expected (0, 1]");
  if (fraction == 1.0f) return crop;
  const double w = static_cast<double>(crop.width) * fraction;
  const double h = static_cast<double>(crop.height) * fraction;
  return {static_cast<float>(crop.x + (crop.width - w) / 2), static_cast<float>(crop.y + (crop.height - h) / 2),
          static_cast<float>(w), static_cast<float>(h)};
}

Image resize_crop(const Image& src, const CropRect& crop, int out_w, int out_h) {
  GAZE_CHECK(src.width > 0 && src.height > 0 && out_w > 0 && out_h > 0 && crop.width > 0 &&
                 crop.height > 0,
             "resize of an empty image or to an empty size (", src.width, "x", src.height,
             " -> ", out_w, "x", out_h, ")");
  const int c = src.channels;
  const AxisTaps tx = make_taps(src.width, crop.x, crop.width, out_w);
  const AxisTaps ty = make_taps(src.height, crop.y, crop.height, out_h);
  const int row_lo = *std::min_element(ty.index.begin(), ty.index.end());
  const int row_hi = *std::max_element(ty.index.begin(), ty.index.end());

  // Horizontal pass over the source rows the vertical taps touch.
  const int rows = row_hi - row_lo + 1;
  std::vector<float> horizontal(static_cast<std::size_t>(rows) * out_w * c);
  for (int r = 0; r < rows; ++r) {
    const std::uint8_t* in = &src.pixels[static_cast<std::size_t>(row_lo + r) * src.width * c];
    float* out = &horizontal[static_cast<std::size_t>(r) * out_w * c];
    for (int j = 0; j < out_w; ++j) {
      for (int ch = 0; ch < c; ++ch) out[j * c + ch] = 0.0f;
      for (int t = tx.first[j]; t < tx.first[j] + tx.count[j]; ++t) {
        const std::uint8_t* p = in + static_cast<std::size_t>(tx.index[t]) * c;
        for (int ch = 0; ch < c; ++ch) out[j * c + ch] += tx.weight[t] * p[ch];
      }
    }
  }

  Image out(out_w, out_h, c);
  const std::size_t row_len = static_cast<std::size_t>(out_w) * c;
  std::vector<float> acc(row_len);
  for (int i = 0; i < out_h; ++i) {
    std::fill(acc.begin(), acc.end(), 0.0f);
    for (int t = ty.first[i]; t < ty.first[i] + ty.count[i]; ++t) {
      const float* in = &horizontal[static_cast<std::size_t>(ty.index[t] - row_lo) * row_len];
      const float w = ty.weight[t];
      for (std::size_t k = 0; k < row_len; ++k) acc[k] += w * in[k];
    }
    std::uint8_t* dst = &out.pixels[static_cast<std::size_t>(i) * row_len];
    for (std::size_t k = 0; k < row_len; ++k)
      dst[k] = static_cast<std::uint8_t>(std::clamp(acc[k] + 0.5f, 0.0f, 255.0f));
  }
  return out;
}

void flip_horizontal(Image& image) {
  const int c = image.channels;
  for (int y = 0; y < image.height; ++y) {
    for (int x = 0; x < image.width / 2; ++x) {
      const int mirror = image.width - 1 - x;
      for (int ch = 0; ch < c; ++ch) std::swap(image.at(x, y, ch), image.at(mirror, y, ch));
    }
  }
}

}  // namespace gaze::data
