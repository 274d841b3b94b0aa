#pragma once
// Attribution on matrices (data.layout: npy): which rows and which columns of
// the input drove the decision. The raw map (any method) is resized to the
// matrix's H x W and summed along the other axis:
//   row r:    signed = sum_c map(r, c),  positive = sum_c max(0, map(r, c))
//   column c: signed = sum_r map(r, c),  positive = sum_r max(0, map(r, c))
// "positive" is the evidence for the class (what a heatmap shows); "signed"
// also subtracts what argued against it. Rankings use the positive part.
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "cam/map.h"
#include "data/image.h"
#include "data/matrix.h"
#include "data/preprocess.h"

namespace gaze::cam {

struct AxisProfile {
  std::vector<double> signed_sum, positive_sum;  // one entry per row (or column)
};

struct MatrixProfiles {
  AxisProfile rows, columns;
};

// `raw` at any resolution; `height` x `width` is the input matrix's.
MatrixProfiles matrix_profiles(const Map& raw, int height, int width);

// Indices of the k largest values (ties by lower index), largest first.
std::vector<int> top_indices(const std::vector<double>& values, int k);

// CSV with header "<axis>,importance,positive_importance" ("row" or
// "column"), one line per index.
void write_profile_csv(const std::string& path, const std::string& axis, const AxisProfile& profile);

// Channel `channel` of a CHW matrix as a gray picture (min-max scaled; a
// constant matrix is black), each cell a `scale` x `scale` block of pixels.
data::Image render_matrix(const std::vector<float>& values, int channel, int height, int width, int scale = 1);

// A matrix as cam-infer's input record: the model sees `normalized`; the
// "original" picture is the matrix's first channel in gray, enlarged by a
// whole factor so that small matrices stay readable (at least 256 pixels on
// the longer side when that takes at most 16x), which the heatmap and the
// overlay follow. Nothing here feeds the model: the 8-bit picture is display only.
data::InferenceImage matrix_inference_image(const data::InferenceMatrix& matrix);

// .npy files named by `inputs`, folders expanded recursively (sorted);
// missing paths are reported on `err` and skipped.
std::vector<std::string> collect_matrices(const std::vector<std::string>& inputs, std::ostream& err);

// Writes <prefix>.rows.csv and <prefix>.cols.csv into `out_dir` for `raw`
// on a height x width matrix. `json` names the files and lists the top `top_k`
// rows and columns (index, importance, positive_importance; ranked by the
// positive part); `svg` draws both signed profiles as bar charts for the report.
struct MatrixExplanation {
  nlohmann::json json;
  std::string svg;
};
MatrixExplanation explain_matrix(const std::string& out_dir, const std::string& prefix, const Map& raw, int height,
                                 int width, int top_k);

// Inline SVG bar charts of the signed row and column profiles (green for
// evidence for the class, red against).
std::string profile_svg(const MatrixProfiles& profiles);

}  // namespace gaze::cam
