#pragma once
// Attribution on matrices (data.layout: npy): which rows and which columns of
// the input drove the decision. The raw map (any method) is resized to the
// matrix's H x W and summed along the other axis:
//   row r:    signed = sum_c map(r, c),  positive = sum_c max(0, map(r, c))
//   column c: signed = sum_r map(r, c),  positive = sum_r max(0, map(r, c))
// "positive" is the evidence for the class (what a heatmap shows); "signed"
// also subtracts what argued against it. Rankings use the positive part.
#include <string>
#include <vector>

#include "cam/map.h"
#include "data/image.h"

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

// Channel `channel` of a CHW matrix as a picture: its values min-max scaled
// through the colormap (a constant matrix renders in the colormap's low colour).
data::Image render_matrix(const std::vector<float>& values, int channel, int height, int width);

}  // namespace gaze::cam
