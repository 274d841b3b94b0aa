// Matrices end to end: the synthetic task of data/matrix_demo.h (a planted
// block of rows and columns decides the class) trained by the normal training
// code with mean/std auto; the checkpoint carries the training split's
// statistics, evaluate reads matrices the way training did, and the CAM's
// row and column importance ranks the planted rows and columns first.
// Plus the config rules for matrices.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "cam/checkpoint_input.h"
#include "cam/infer.h"
#include "cam/matrix_output.h"
#include "cam/methods.h"
#include "core/core.h"
#include "core/npy.h"
#include "data/data.h"
#include "data/matrix_demo.h"
#include "tests/temp_dir.h"
#include "train/config.h"
#include "train/evaluate.h"
#include "train/trainer.h"

using namespace gaze;
using namespace gaze::train;
namespace fs = std::filesystem;

namespace {

constexpr int kSize = 16;
const data::MatrixDemoSpec kTask{240, kSize, kSize, 3, 9, 5, 1.5f, 11};

std::string config_text(const std::string& root, const std::string& extra_data = "") {
  return "data:\n  root: " + root +
         "\n  layout: npy\n  val_split: 0.25\n  mean: auto\n  std: auto\n  workers: 1\n  cache_dir: \"\"\n" +
         extra_data +
         "model:\n  input: [1, 16, 16]\n  layers:\n"
         "    - {type: conv, name: conv1, filters: 8, kernel: 3, padding: 1}\n"
         "    - {type: relu, name: relu1}\n"
         "    - {type: conv, name: conv2, filters: 8, kernel: 3, padding: 1}\n"
         "    - {type: relu, name: relu2}\n"
         "    - {type: gap, name: gap}\n"
         "    - {type: dense, name: fc, units: 2}\n"
         "    - {type: softmax, name: probs}\n"
         "train:\n  epochs: 6\n  batch_per_device: 16\n  optimizer: adam\n  lr: 0.01\n  schedule: constant\n"
         "  seed: 5\n";
}

fs::path write_config(const fs::path& dir, const std::string& text) {
  const fs::path path = dir / "matrix.yaml";
  std::ofstream(path) << text;
  return path;
}

size_t overlap(const std::vector<int>& found, int first, int count) {
  size_t hits = 0;
  for (int index : found) hits += index >= first && index < first + count;
  return hits;
}

}  // namespace

TEST_CASE("a CNN trained on matrices ranks the planted rows and columns first", "[train][npy][slow]") {
  test_support::TempDir dir;
  const fs::path task = dir.path() / "task", held_out = dir.path() / "held_out", out = dir.path() / "run";
  data::write_matrix_demo(task.string(), kTask);
  data::MatrixDemoSpec fresh = kTask;
  fresh.count = 40;
  fresh.seed = 99;
  data::write_matrix_demo(held_out.string(), fresh);

  const TrainConfig config = load_config(write_config(dir.path(), config_text(task.string())).string());
  SingleProcess comm;
  clear_stop_request();
  const TrainResult result = run_training(config, {out.string(), "", "", false, 0}, comm);
  REQUIRE(result.best_val_acc >= 0.9);
  const std::string best = (out / "best.safetensors").string();

  // By hand: background N(0, 1), and 25 of 256 cells shifted by +-A (half
  // the matrices each way), so the mean is near 0 and the variance near
  // 1 + A^2 * 25/256.
  cam::InferenceCheckpoint checkpoint = cam::load_inference_checkpoint(best);
  const data::DataConfig& pre = checkpoint.preprocessing;
  CHECK(pre.layout == data::Layout::npy);
  CHECK(std::abs(pre.mean[0]) < 0.02);
  CHECK(pre.stddev[0] == Approx(std::sqrt(1.0 + 1.5 * 1.5 * 25 / 256)).epsilon(0.02));
  CHECK(checkpoint.classes == std::vector<std::string>{"low", "high"});

  const Evaluation evaluation = evaluate_checkpoint(best, held_out.string());
  CHECK(evaluation.n == 40);
  CHECK(evaluation.accuracy >= 0.9);

  // CAM of the true class on the held-out matrices, profiles summed over them.
  data::DataConfig read = pre;
  read.root = held_out.string();
  read.drop_last = false;
  const data::Dataset dataset = data::scan_dataset(read);
  std::vector<size_t> all(dataset.samples.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = i;
  data::Loader loader(dataset, all, read, false, 64);
  loader.start_epoch(0);
  const std::optional<data::Batch> batch = loader.next();
  REQUIRE(batch);
  const Tensor x = Tensor::from_vector({batch->n, 1, kSize, kSize}, batch->images);
  cam::predict(checkpoint.model, x);
  const std::vector<cam::Map> maps = cam::class_activation_maps(checkpoint.model, batch->labels);
  std::vector<double> rows(kSize, 0.0), columns(kSize, 0.0);
  for (const cam::Map& map : maps) {
    const cam::MatrixProfiles p = cam::matrix_profiles(map, kSize, kSize);
    for (int i = 0; i < kSize; ++i) {
      rows[static_cast<size_t>(i)] += p.rows.positive_sum[static_cast<size_t>(i)];
      columns[static_cast<size_t>(i)] += p.columns.positive_sum[static_cast<size_t>(i)];
    }
  }
  const std::vector<int> top_rows = cam::top_indices(rows, kTask.size);
  const std::vector<int> top_columns = cam::top_indices(columns, kTask.size);
  INFO("top rows " << Catch::Detail::stringify(top_rows) << ", top columns " << Catch::Detail::stringify(top_columns));
  // At least 80% of the planted rows and columns (4 of 5) rank in the top 5.
  CHECK(overlap(top_rows, kTask.row, kTask.size) >= 4);
  CHECK(overlap(top_columns, kTask.column, kTask.size) >= 4);

  // cam-infer on single .npy files ([H, W], float32) of the high class.
  const fs::path inputs = dir.path() / "inputs", explained = dir.path() / "explained";
  fs::create_directories(inputs);
  const NpyArray matrices = read_npy((held_out / "x.npy").string());
  for (int n = 1; n < 8; n += 2) {
    const auto begin = matrices.values.begin() + n * kSize * kSize;
    std::string name = "m";  // not "m" + ...: GCC 12's -Wrestrict misfires on that concatenation
    name += std::to_string(n);
    write_npy((inputs / name).replace_extension(".npy").string(),
              {{kSize, kSize}, std::vector<float>(begin, begin + kSize * kSize)});
  }
  write_npy((inputs / "wrong_shape.npy").string(), {{4, 4}, std::vector<float>(16, 0.0f)});
  cam::InferOptions options;
  options.checkpoint = best;
  options.inputs = {inputs.string()};
  options.out_dir = explained.string();
  options.json = true;
  options.report = true;
  std::ostringstream printed, warnings;
  REQUIRE(cam::run_cam_infer(options, printed, warnings) == 0);
  CHECK(warnings.str().find("wrong_shape.npy") != std::string::npos);
  std::istringstream lines(printed.str());
  std::string line;
  int records = 0;
  while (std::getline(lines, line)) {
    const nlohmann::json record = nlohmann::json::parse(line);
    ++records;
    CHECK(record["predicted"]["class"] == "high");
    const nlohmann::json& matrix = record["maps"][0]["matrix"];
    REQUIRE(matrix["top_rows"].size() == 5);
    std::vector<int> rows_found, columns_found;
    for (const auto& entry : matrix["top_rows"]) rows_found.push_back(entry["index"].get<int>());
    for (const auto& entry : matrix["top_cols"]) columns_found.push_back(entry["index"].get<int>());
    // One matrix is noisier than the average: 3 of the 5 planted rows and columns at least.
    CHECK(overlap(rows_found, kTask.row, kTask.size) >= 3);
    CHECK(overlap(columns_found, kTask.column, kTask.size) >= 3);
    const std::string stem = fs::path(record["image"].get<std::string>()).stem().string();
    CHECK(matrix["rows_csv"] == stem + ".rows.csv");
    // Both profiles sum the same map: their totals agree.
    double row_total = 0, column_total = 0;
    for (const auto& [file, total] : {std::pair<std::string, double*>{stem + ".rows.csv", &row_total},
                                      {stem + ".cols.csv", &column_total}}) {
      std::ifstream csv(explained / file);
      std::string row;
      std::getline(csv, row);
      int count = 0;
      for (; std::getline(csv, row); ++count) *total += std::stod(row.substr(row.find(',') + 1));
      CHECK(count == kSize);
    }
    CHECK(row_total == Approx(column_total).epsilon(1e-5));
  }
  CHECK(records == 4);
  std::ifstream report(explained / "index.html");
  const std::string html{std::istreambuf_iterator<char>(report), {}};
  CHECK(html.find("<svg") != std::string::npos);
  CHECK(html.find("m1.heatmap.png") != std::string::npos);
}

TEST_CASE("matrix configs: auto statistics, noise, and no image augmentation", "[train][npy][config]") {
  test_support::TempDir dir;
  data::write_matrix_demo((dir.path() / "task").string(), {8, 4, 4, 0, 0, 2, 1.0f, 1});
  const std::string root = (dir.path() / "task").string();
  // The demo's single matrices to explain: [H, W], classes alternating.
  CHECK(read_npy((dir.path() / "task" / "examples" / "high_1.npy").string()).shape == std::vector<int64_t>{4, 4});
  CHECK(fs::exists(dir.path() / "task" / "examples" / "low_1.npy"));
  CHECK_FALSE(fs::exists(dir.path() / "task" / "examples" / "low_2.npy"));
  const TrainConfig config = load_config(write_config(dir.path(), config_text(root, "  augment: {noise_std: 0.25}\n")).string());
  CHECK(config.data.layout == data::Layout::npy);
  CHECK(config.data.mean_auto);
  CHECK(config.data.stddev_auto);
  CHECK(config.data.augment.noise_std == 0.25f);
  CHECK(config.data.augment.hflip == false);
  const std::string yaml = to_yaml(config);
  CHECK(yaml.find("mean: auto") != std::string::npos);
  CHECK(yaml.find("std: auto") != std::string::npos);
  std::ofstream(dir.path() / "resolved.yaml") << yaml;
  CHECK(load_config((dir.path() / "resolved.yaml").string()).data.mean_auto);

  for (const char* augment : {"{hflip: true}", "{crop_scale: [0.5, 1]}", "{brightness: 0.1}", "{contrast: 0.2}"}) {
    const fs::path path = write_config(dir.path(), config_text(root, std::string("  augment: ") + augment + "\n"));
    CHECK_THROWS_WITH(load_config(path.string()), Catch::Contains("matrix.yaml") && Catch::Contains("data.augment.") &&
                                                      Catch::Contains("noise_std"));
  }
  std::string image = config_text(root, "  augment: {noise_std: 0.1}\n");
  image.replace(image.find("layout: npy"), 11, "layout: folders");
  image.replace(image.find("  mean: auto\n  std: auto\n"), 24, "");
  CHECK_THROWS_WITH(load_config(write_config(dir.path(), image).string()), Catch::Contains("noise_std"));
  std::string auto_image = config_text(root);
  auto_image.replace(auto_image.find("layout: npy"), 11, "layout: folders");
  CHECK_THROWS_WITH(load_config(write_config(dir.path(), auto_image).string()),
                    Catch::Contains("data.mean") && Catch::Contains("data.layout: npy"));
}
