// Row and column importance of a matrix's map, worked out by hand, and the
// files and charts cam-infer writes from them.
#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "cam/matrix_output.h"
#include "tests/temp_dir.h"

using namespace gaze;
using namespace gaze::cam;

TEST_CASE("row and column profiles sum the map along the other axis", "[cam][npy]") {
  Map map(2, 3);
  map.values = {1, -2, 3, -4, 5, -6};
  const MatrixProfiles p = matrix_profiles(map, 2, 3);
  CHECK(p.rows.signed_sum == std::vector<double>{2, -5});
  CHECK(p.rows.positive_sum == std::vector<double>{4, 5});
  CHECK(p.columns.signed_sum == std::vector<double>{-3, 3, -3});
  CHECK(p.columns.positive_sum == std::vector<double>{1, 5, 3});
  // A coarser map is resized to the matrix first: a constant 1x1 map fills every cell.
  Map constant(1, 1, 2.0f);
  const MatrixProfiles q = matrix_profiles(constant, 2, 3);
  CHECK(q.rows.signed_sum == std::vector<double>{6, 6});
  CHECK(q.columns.positive_sum == std::vector<double>{4, 4, 4});
  CHECK_THROWS_WITH(matrix_profiles(map, 0, 3), Catch::Contains("positive sizes"));
}

TEST_CASE("top indices rank by value, ties by index", "[cam][npy]") {
  CHECK(top_indices({1, 5, 3, 5, 0}, 3) == std::vector<int>{1, 3, 2});
  CHECK(top_indices({1, 2}, 5) == std::vector<int>{1, 0});
  CHECK(top_indices({1, 2}, 0).empty());
}

TEST_CASE("explain_matrix writes rows.csv and cols.csv and lists the top rows and columns", "[cam][npy]") {
  test_support::TempDir dir;
  Map map(2, 3);
  map.values = {1, -2, 3, -4, 5, -6};
  const MatrixExplanation e = explain_matrix(dir.path().string(), "m", map, 2, 3, 2);
  std::ifstream rows(dir / "m.rows.csv"), columns(dir / "m.cols.csv");
  std::stringstream rows_text, columns_text;
  rows_text << rows.rdbuf();
  columns_text << columns.rdbuf();
  CHECK(rows_text.str() == "row,importance,positive_importance\n0,2,4\n1,-5,5\n");
  CHECK(columns_text.str() == "column,importance,positive_importance\n0,-3,1\n1,3,5\n2,-3,3\n");
  CHECK(e.json["rows_csv"] == "m.rows.csv");
  CHECK(e.json["top_rows"][0]["index"] == 1);
  CHECK(e.json["top_rows"][0]["importance"] == -5.0);
  CHECK(e.json["top_cols"].size() == 2);
  CHECK(e.json["top_cols"][1]["index"] == 2);
  // Two charts, one bar per row and per column, green above the line and red below.
  CHECK(e.svg.find("<svg") != std::string::npos);
  size_t bars = 0;
  for (size_t at = e.svg.find("<rect"); at != std::string::npos; at = e.svg.find("<rect", at + 1)) ++bars;
  CHECK(bars == 5);
  CHECK(e.svg.find("#c44") != std::string::npos);
}

TEST_CASE("a matrix renders in gray, enlarged by a whole factor, for display only", "[cam][npy]") {
  const data::Image image = render_matrix({0, 10, 5, 10}, 0, 2, 2, 2);
  REQUIRE(image.width == 4);
  CHECK(image.channels == 1);
  CHECK(image.at(0, 0, 0) == 0);
  CHECK(image.at(3, 0, 0) == 255);
  CHECK(image.at(1, 3, 0) == 128);  // 5 of 0..10, rounded
  data::InferenceMatrix matrix;
  matrix.channels = 1;
  matrix.height = 16;
  matrix.width = 32;
  matrix.values.assign(512, 1.0f);
  matrix.normalized.assign(512, 0.25f);
  const data::InferenceImage input = matrix_inference_image(matrix);
  CHECK(input.pixels == matrix.normalized);
  CHECK(input.original_width == 32 * 8);
  CHECK(input.original_height == 16 * 8);
  CHECK(input.crop.width == 256.0f);
}
