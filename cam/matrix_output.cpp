#include "cam/matrix_output.h"

#include <algorithm>
#include <fstream>
#include <iomanip>
#include <numeric>

#include "cam/colormap.h"
#include "core/error.h"

namespace gaze::cam {

MatrixProfiles matrix_profiles(const Map& raw, int height, int width) {
  GAZE_CHECK(height > 0 && width > 0 && raw.height > 0 && raw.width > 0, "matrix profiles of a ", raw.height, "x",
             raw.width, " map at ", height, "x", width, ": expected positive sizes");
  const Map map = raw.height == height && raw.width == width ? raw : resize_bilinear(raw, height, width);
  MatrixProfiles p;
  p.rows.signed_sum.assign(static_cast<size_t>(height), 0.0);
  p.rows.positive_sum.assign(static_cast<size_t>(height), 0.0);
  p.columns.signed_sum.assign(static_cast<size_t>(width), 0.0);
  p.columns.positive_sum.assign(static_cast<size_t>(width), 0.0);
  for (int r = 0; r < height; ++r)
    for (int c = 0; c < width; ++c) {
      const double v = map.at(r, c), positive = std::max(v, 0.0);
      p.rows.signed_sum[static_cast<size_t>(r)] += v;
      p.rows.positive_sum[static_cast<size_t>(r)] += positive;
      p.columns.signed_sum[static_cast<size_t>(c)] += v;
      p.columns.positive_sum[static_cast<size_t>(c)] += positive;
    }
  return p;
}

std::vector<int> top_indices(const std::vector<double>& values, int k) {
  std::vector<int> order(values.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int a, int b) { return values[static_cast<size_t>(a)] > values[static_cast<size_t>(b)]; });
  order.resize(std::min(order.size(), static_cast<size_t>(std::max(k, 0))));
  return order;
}

void write_profile_csv(const std::string& path, const std::string& axis, const AxisProfile& profile) {
  std::ofstream out(path);
  GAZE_CHECK(out, "could not open '", path, "' for writing");
  out << axis << ",importance,positive_importance\n" << std::setprecision(9);
  for (size_t i = 0; i < profile.signed_sum.size(); ++i)
    out << i << "," << profile.signed_sum[i] << "," << profile.positive_sum[i] << "\n";
  GAZE_CHECK(out.good(), "could not write '", path, "' (disk full?)");
}

data::Image render_matrix(const std::vector<float>& values, int channel, int height, int width) {
  const size_t plane = static_cast<size_t>(height) * static_cast<size_t>(width);
  GAZE_CHECK(channel >= 0 && values.size() >= plane * static_cast<size_t>(channel + 1), "render_matrix: channel ",
             channel, " of ", values.size(), " values at ", height, "x", width, " does not exist");
  const auto first = values.begin() + static_cast<std::ptrdiff_t>(plane * static_cast<size_t>(channel));
  const auto [low, high] = std::minmax_element(first, first + static_cast<std::ptrdiff_t>(plane));
  const float range = *high - *low;
  Map scaled(height, width);
  for (size_t i = 0; i < plane; ++i) scaled.values[i] = range > 0 ? (first[static_cast<std::ptrdiff_t>(i)] - *low) / range : 0.0f;
  return colorize(scaled);
}

}  // namespace gaze::cam
