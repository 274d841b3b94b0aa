#include "cam/map.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace gaze::cam {

float Map::min() const { return values.empty() ? 0.0f : *std::min_element(values.begin(), values.end()); }
float Map::max() const { return values.empty() ? 0.0f : *std::max_element(values.begin(), values.end()); }

Map normalize_relu_minmax(const Map& raw, bool* degenerate) {
  Map out(raw.height, raw.width);
  float low = 0, high = 0;
  bool first = true;
  for (float v : raw.values) {
    const float r = std::isfinite(v) ? std::max(v, 0.0f) : 0.0f;
    low = first ? r : std::min(low, r);
    high = first ? r : std::max(high, r);
    first = false;
  }
  const bool flat = !(high > low);
  if (degenerate) *degenerate = flat;
  if (flat) return out;
  const float scale = 1.0f / (high - low);
  for (size_t i = 0; i < raw.values.size(); ++i) {
    const float v = raw.values[i];
    const float r = std::isfinite(v) ? std::max(v, 0.0f) : 0.0f;
    out.values[i] = (r - low) * scale;
  }
  return out;
}

Map normalize_max_abs_clipped(const Map& raw, bool* degenerate) {
  Map out(raw.height, raw.width);
  float largest = 0;
  for (float v : raw.values)
    if (std::isfinite(v)) largest = std::max(largest, std::abs(v));
  bool flat = !(largest > 0);
  if (!flat) {
    flat = true;
    for (size_t i = 0; i < raw.values.size(); ++i) {
      const float v = std::isfinite(raw.values[i]) ? raw.values[i] : 0.0f;
      out.values[i] = std::clamp(v / largest, 0.0f, 1.0f);
      flat = flat && out.values[i] == 0.0f;
    }
  }
  if (degenerate) *degenerate = flat;
  return out;
}

namespace {
// Source coordinate and the two neighbours/weight for output index i when
// `in` samples are stretched over `out` samples (align_corners = false).
struct Tap {
  int lo, hi;
  float frac;
};
std::vector<Tap> bilinear_taps(int in, int out, float origin, float span) {
  std::vector<Tap> taps(static_cast<size_t>(out));
  for (int i = 0; i < out; ++i) {
    const float src = (static_cast<float>(i) + 0.5f - origin) * static_cast<float>(in) / span - 0.5f;
    const float clamped = std::clamp(src, 0.0f, static_cast<float>(in - 1));
    const int lo = static_cast<int>(std::floor(clamped));
    taps[static_cast<size_t>(i)] = {lo, std::min(lo + 1, in - 1), clamped - static_cast<float>(lo)};
  }
  return taps;
}

Map resample(const Map& map, int height, int width, const std::vector<Tap>& ys, const std::vector<Tap>& xs,
             const std::vector<bool>& inside_y, const std::vector<bool>& inside_x) {
  Map out(height, width);
#pragma omp parallel for schedule(static) if (static_cast<long>(height) * width > 65536)
  for (int y = 0; y < height; ++y) {
    if (!inside_y[static_cast<size_t>(y)]) continue;
    const Tap ty = ys[static_cast<size_t>(y)];
    for (int x = 0; x < width; ++x) {
      if (!inside_x[static_cast<size_t>(x)]) continue;
      const Tap tx = xs[static_cast<size_t>(x)];
      const float top = map.at(ty.lo, tx.lo) * (1 - tx.frac) + map.at(ty.lo, tx.hi) * tx.frac;
      const float bottom = map.at(ty.hi, tx.lo) * (1 - tx.frac) + map.at(ty.hi, tx.hi) * tx.frac;
      out.at(y, x) = top * (1 - ty.frac) + bottom * ty.frac;
    }
  }
  return out;
}
}  // namespace

Map resize_bilinear(const Map& map, int height, int width) {
  GAZE_CHECK(map.height > 0 && map.width > 0 && height > 0 && width > 0, "resize_bilinear: cannot resize a ",
             map.height, "x", map.width, " map to ", height, "x", width);
  return resample(map, height, width, bilinear_taps(map.height, height, 0, static_cast<float>(height)),
                  bilinear_taps(map.width, width, 0, static_cast<float>(width)),
                  std::vector<bool>(static_cast<size_t>(height), true),
                  std::vector<bool>(static_cast<size_t>(width), true));
}

Map resize_bilinear_align_corners(const Map& map, int height, int width) {
  GAZE_CHECK(map.height > 0 && map.width > 0 && height > 0 && width > 0, "resize_bilinear_align_corners: cannot "
             "resize a ", map.height, "x", map.width, " map to ", height, "x", width);
  auto taps = [](int in, int out) {
    std::vector<Tap> result(static_cast<size_t>(out));
    for (int i = 0; i < out; ++i) {
      const float src = out > 1 ? static_cast<float>(i) * static_cast<float>(in - 1) / static_cast<float>(out - 1) : 0.0f;
      const int lo = std::min(static_cast<int>(std::floor(src)), in - 1);
      result[static_cast<size_t>(i)] = {lo, std::min(lo + 1, in - 1), src - static_cast<float>(lo)};
    }
    return result;
  };
  return resample(map, height, width, taps(map.height, height), taps(map.width, width),
                  std::vector<bool>(static_cast<size_t>(height), true),
                  std::vector<bool>(static_cast<size_t>(width), true));
}

Map normalize_relu_minmax_eps(const Map& raw, bool* degenerate) {
  Map out(raw.height, raw.width);
  float low = 0, high = 0;
  for (size_t i = 0; i < raw.values.size(); ++i) {
    const float v = raw.values[i];
    out.values[i] = std::isfinite(v) ? std::max(v, 0.0f) : 0.0f;
    low = i == 0 ? out.values[i] : std::min(low, out.values[i]);
    high = i == 0 ? out.values[i] : std::max(high, out.values[i]);
  }
  if (degenerate) *degenerate = !(high > low);
  for (float& v : out.values) v = (v - low) / (high - low + 1e-7f);
  return out;
}

Map map_to_original(const Map& input_map, const data::CropRect& crop, int original_width, int original_height) {
  GAZE_CHECK(crop.width > 0 && crop.height > 0 && original_width > 0 && original_height > 0,
             "map_to_original: empty crop or original image (", crop.width, "x", crop.height, " of ",
             original_width, "x", original_height, ")");
  // In original pixel units, the model's pixel grid spans [crop.x, crop.x + crop.width).
  auto inside = [](int count, float start, float span) {
    std::vector<bool> in(static_cast<size_t>(count));
    for (int i = 0; i < count; ++i) {
      const float centre = static_cast<float>(i) + 0.5f;
      in[static_cast<size_t>(i)] = centre >= start && centre <= start + span;
    }
    return in;
  };
  return resample(input_map, original_height, original_width,
                  bilinear_taps(input_map.height, original_height, crop.y, crop.height),
                  bilinear_taps(input_map.width, original_width, crop.x, crop.width),
                  inside(original_height, crop.y, crop.height), inside(original_width, crop.x, crop.width));
}

}  // namespace gaze::cam
