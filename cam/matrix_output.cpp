#include "cam/matrix_output.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <numeric>
#include <sstream>

#include "cam/infer.h"
#include "core/error.h"

namespace gaze::cam {

namespace fs = std::filesystem;

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

data::Image render_matrix(const std::vector<float>& values, int channel, int height, int width, int scale) {
  const size_t plane = static_cast<size_t>(height) * static_cast<size_t>(width);
  GAZE_CHECK(channel >= 0 && scale >= 1 && values.size() >= plane * static_cast<size_t>(channel + 1),
             "render_matrix: channel ", channel, " of ", values.size(), " values at ", height, "x", width,
             " does not exist");
  const float* first = values.data() + plane * static_cast<size_t>(channel);
  const auto [low, high] = std::minmax_element(first, first + plane);
  const float range = *high - *low;
  data::Image image(width * scale, height * scale, 1);
  for (int y = 0; y < image.height; ++y)
    for (int x = 0; x < image.width; ++x) {
      const float v = first[static_cast<size_t>(y / scale) * static_cast<size_t>(width) + static_cast<size_t>(x / scale)];
      image.at(x, y, 0) = static_cast<std::uint8_t>(range > 0 ? std::lround(255.0f * (v - *low) / range) : 0);
    }
  return image;
}

data::InferenceImage matrix_inference_image(const data::InferenceMatrix& matrix) {
  const int longer = std::max(matrix.height, matrix.width);
  const int scale = std::clamp((256 + longer - 1) / longer, 1, 16);
  data::InferenceImage image;
  image.pixels = matrix.normalized;
  image.channels = matrix.channels;
  image.height = matrix.height;
  image.width = matrix.width;
  image.original = render_matrix(matrix.values, 0, matrix.height, matrix.width, scale);
  image.original_width = image.original.width;
  image.original_height = image.original.height;
  image.crop = {0, 0, static_cast<float>(image.original.width), static_cast<float>(image.original.height)};
  return image;
}

std::vector<std::string> collect_matrices(const std::vector<std::string>& inputs, std::ostream& err) {
  return collect_files(inputs, data::has_npy_extension, ".npy files", err);
}

namespace {
nlohmann::json top_entries(const AxisProfile& profile, int k) {
  nlohmann::json list = nlohmann::json::array();
  for (int index : top_indices(profile.positive_sum, k))
    list.push_back({{"index", index},
                    {"importance", profile.signed_sum[static_cast<size_t>(index)]},
                    {"positive_importance", profile.positive_sum[static_cast<size_t>(index)]}});
  return list;
}

// One bar chart: bars from a zero line, `label` under it.
std::string bar_chart(const std::vector<double>& values, const std::string& label) {
  double extent = 0;
  for (double v : values) extent = std::max(extent, std::abs(v));
  if (extent == 0) extent = 1;
  constexpr double kWidth = 320, kHeight = 90, kMid = kHeight / 2;
  const double step = kWidth / static_cast<double>(std::max<size_t>(values.size(), 1));
  std::ostringstream svg;
  svg << std::fixed << std::setprecision(1) << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << kWidth
      << "\" height=\"" << kHeight + 16 << "\"><line x1=\"0\" y1=\"" << kMid << "\" x2=\"" << kWidth << "\" y2=\""
      << kMid << "\" stroke=\"#888\"/>";
  for (size_t i = 0; i < values.size(); ++i) {
    const double h = values[i] / extent * (kMid - 2);
    svg << "<rect x=\"" << static_cast<double>(i) * step << "\" y=\"" << (h >= 0 ? kMid - h : kMid) << "\" width=\""
        << std::max(step - 1, 0.5) << "\" height=\"" << std::abs(h) << "\" fill=\"" << (h >= 0 ? "#4a7" : "#c44")
        << "\"><title>" << i << ": " << values[i] << "</title></rect>";
  }
  svg << "<text x=\"0\" y=\"" << kHeight + 12 << "\" font-size=\"11\">" << label << "</text></svg>";
  return svg.str();
}
}  // namespace

std::string profile_svg(const MatrixProfiles& profiles) {
  return "<div class=\"profiles\">" + bar_chart(profiles.rows.signed_sum, "row importance (row 0 at the left)") +
         bar_chart(profiles.columns.signed_sum, "column importance (column 0 at the left)") + "</div>";
}

MatrixExplanation explain_matrix(const std::string& out_dir, const std::string& prefix, const Map& raw, int height,
                                 int width, int top_k) {
  const MatrixProfiles profiles = matrix_profiles(raw, height, width);
  const std::string rows = prefix + ".rows.csv", columns = prefix + ".cols.csv";
  write_profile_csv((fs::path(out_dir) / rows).string(), "row", profiles.rows);
  write_profile_csv((fs::path(out_dir) / columns).string(), "column", profiles.columns);
  MatrixExplanation result;
  result.json = {{"rows_csv", rows},
                 {"cols_csv", columns},
                 {"top_rows", top_entries(profiles.rows, top_k)},
                 {"top_cols", top_entries(profiles.columns, top_k)}};
  result.svg = profile_svg(profiles);
  return result;
}

}  // namespace gaze::cam
