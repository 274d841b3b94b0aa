// Config keys of the recipe options: random erasing (data.augment.erasing*),
// validation with test-time augmentation (train.val_tta) and the evaluation
// centre crop (data.val_crop).
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>

#include "core/core.h"
#include "data/dataset.h"
#include "layers/checkpoint_metadata.h"
#include "layers/model_file.h"
#include "tests/data/test_images.h"
#include "tests/temp_dir.h"
#include "tests/train/train_fixtures.h"
#include "train/config.h"
#include "train/evaluate.h"
#include "train/trainer.h"

using namespace gaze;
using namespace gaze::train;
namespace fs = std::filesystem;

namespace {
const std::string kTiny = std::string(GAZE_SOURCE_DIR) + "/configs/tiny.yaml";

std::string root() {
  static const test_support::TempDir dir;
  return dir.path().string();
}
}  // namespace

TEST_CASE("data.augment.erasing keys are read, checked and rendered", "[train][config][erasing]") {
  const TrainConfig defaults = load_config(kTiny, {"data.root=" + root()});
  REQUIRE(defaults.data.augment.erasing == 0.0f);
  REQUIRE(defaults.data.augment.erasing_scale_min == Approx(0.02f));
  REQUIRE(defaults.data.augment.erasing_ratio_max == Approx(3.3f));
  REQUIRE(!defaults.data.augment.erasing_random);
  const std::string yaml = to_yaml(defaults);
  for (const char* key : {"erasing: 0", "erasing_scale:", "erasing_ratio:", "erasing_value: zero"})
    REQUIRE(yaml.find(key) != std::string::npos);

  const TrainConfig set = load_config(kTiny, {"data.root=" + root(), "data.augment.erasing=0.25",
                                              "data.augment.erasing_scale=[0.1, 0.2]",
                                              "data.augment.erasing_ratio=[0.5, 2]",
                                              "data.augment.erasing_value=random"});
  REQUIRE(set.data.augment.erasing == 0.25f);
  REQUIRE(set.data.augment.erasing_scale_max == Approx(0.2f));
  REQUIRE(set.data.augment.erasing_ratio_min == Approx(0.5f));
  REQUIRE(set.data.augment.erasing_random);

  REQUIRE_THROWS_WITH(load_config(kTiny, {"data.root=" + root(), "data.augment.erasing=1.5"}),
                      Catch::Contains("data.augment.erasing") && Catch::Contains("[0, 1]"));
  REQUIRE_THROWS_WITH(load_config(kTiny, {"data.root=" + root(), "data.augment.erasing_scale=[0.3, 0.1]"}),
                      Catch::Contains("data.augment.erasing_scale"));
  REQUIRE_THROWS_WITH(load_config(kTiny, {"data.root=" + root(), "data.augment.erasing_value=mean"}),
                      Catch::Contains("data.augment.erasing_value") && Catch::Contains("zero") &&
                          Catch::Contains("random"));
  REQUIRE_THROWS_WITH(
      load_config(kTiny, {"data.root=" + root(), "data.layout=npy", "data.augment.erasing=0.5"}),
      Catch::Contains("data.augment.erasing") && Catch::Contains("matrices"));
}

namespace {

// x [1, 1, 2] -> flatten -> dense (2 classes, weights given) -> softmax.
Model two_pixel_model(const std::vector<float>& weight, const std::vector<float>& bias) {
  nlohmann::json layers = nlohmann::json::array();
  layers.push_back({{"type", "flatten"}, {"name", "flat"}});
  layers.push_back({{"type", "dense"}, {"name", "fc"}, {"units", 2}});
  layers.push_back({{"type", "softmax"}, {"name", "probs"}});
  Model model = Model::from_json({{"input", {1, 1, 2}}, {"layers", layers}}, 1);
  for (auto& [name, tensor] : model.named_parameters()) {
    Tensor target = tensor;
    target.copy_from(Tensor::from_vector(tensor.shape(), name == "fc.weight" ? weight : bias));
  }
  return model;
}

double sigmoid(double x) { return 1 / (1 + std::exp(-x)); }

}  // namespace

TEST_CASE("flip test-time augmentation averages the image's and its mirror's probabilities", "[train][tta]") {
  // W = [[0, 2], [1, 0]], b = 0. Image [1, 0.2]: logits [0.4, 1], class 1 at
  // sigmoid(0.6) = 0.646. Mirror [0.2, 1]: logits [2, 0.2], class 1 at
  // sigmoid(-1.8) = 0.142. Averaged: class 1 at 0.394, so flip predicts class 0.
  Model model = two_pixel_model({0, 2, 1, 0}, {0, 0});
  NoGradGuard no_grad;
  const std::vector<float> image{1.0f, 0.2f};
  const std::vector<float> plain = predict_probabilities(model, image, 1, 1, 1, 2, Device::cpu(), Tta::none);
  REQUIRE(plain[1] == Approx(sigmoid(0.6)).epsilon(1e-6));
  const std::vector<float> flip = predict_probabilities(model, image, 1, 1, 1, 2, Device::cpu(), Tta::flip);
  const double expected = (sigmoid(0.6) + sigmoid(-1.8)) / 2;
  REQUIRE(expected == Approx(0.394).margin(1e-3));
  REQUIRE(flip[1] == Approx(expected).epsilon(1e-6));
  REQUIRE(flip[0] == Approx(1 - expected).epsilon(1e-6));
  // Scored with label 1: plain is right, flip is wrong; the loss is -log of the true class's probability.
  const ProbabilityScore right = score_probabilities(plain, {1}), wrong = score_probabilities(flip, {1});
  REQUIRE(right.correct == 1);
  REQUIRE(wrong.correct == 0);
  REQUIRE(wrong.loss_sum == Approx(-std::log(expected)).epsilon(1e-6));
  // Two images in one batch: each row is its own image's mirror.
  const std::vector<float> both =
      predict_probabilities(model, {1.0f, 0.2f, 0.2f, 1.0f}, 2, 1, 1, 2, Device::cpu(), Tta::flip);
  REQUIRE(both[1] == Approx(expected).epsilon(1e-6));
  REQUIRE(both[3] == Approx(expected).epsilon(1e-6));  // the mirror pair gives the same average
  REQUIRE(parse_tta("flip") == Tta::flip);
  REQUIRE_THROWS_WITH(parse_tta("crop"), Catch::Contains("expected none or flip"));
}

TEST_CASE("train.val_tta: flip validates on the averaged probabilities, as evaluate --tta flip", "[train][tta]") {
  const fs::path idx = fs::path(root()) / "halves";
  testing::write_halves_task(idx, 128, 32);
  REQUIRE_THROWS_WITH(load_config(kTiny, {"data.root=" + idx.string(), "train.val_tta=crop"}),
                      Catch::Contains("train.val_tta") && Catch::Contains("none or flip"));
  const TrainConfig config = load_config(kTiny, {"data.root=" + idx.string(), "data.val_root=" + idx.string(),
                                                 "train.epochs=6", "train.val_tta=flip"});
  REQUIRE(to_yaml(config).find("val_tta: flip") != std::string::npos);
  SingleProcess comm;
  clear_stop_request();
  TrainOptions options;
  options.out_dir = (fs::path(root()) / "tta_run").string();
  options.verbose = false;
  const TrainResult result = run_training(config, options, comm);
  // best.safetensors was picked by the flip-averaged accuracy, and evaluate
  // --tta flip on the same images reproduces it.
  EvaluateOptions eval;
  eval.tta = Tta::flip;
  const std::string best = options.out_dir + "/best.safetensors";
  const Evaluation flipped = evaluate_checkpoint(best, idx.string(), eval);
  REQUIRE(flipped.tta == Tta::flip);
  REQUIRE(flipped.to_json()["tta"] == "flip");
  REQUIRE(result.best_val_acc == Approx(flipped.accuracy).margin(1e-12));
  // The task is "which half is bright": a mirror shows the other class, so
  // the averaged probabilities stay near chance while the same run without
  // val_tta validates perfectly.
  for (const EpochMetrics& m : result.history) REQUIRE(m.val_acc < 0.8);
  const TrainConfig plain_config =
      load_config(kTiny, {"data.root=" + idx.string(), "data.val_root=" + idx.string(), "train.epochs=6"});
  options.out_dir = (fs::path(root()) / "plain_run").string();
  const TrainResult plain = run_training(plain_config, options, comm);
  REQUIRE(plain.history.back().val_acc == 1.0);
}

TEST_CASE("data.val_crop crops validation, reaches the checkpoint and evaluate", "[train][config][val_crop]") {
  const TrainConfig defaults = load_config(kTiny, {"data.root=" + root()});
  REQUIRE(defaults.data.val_crop == 1.0f);
  REQUIRE(to_yaml(defaults).find("val_crop: 1") != std::string::npos);
  for (const char* bad : {"data.val_crop=0", "data.val_crop=1.5", "data.val_crop=-0.5"})
    REQUIRE_THROWS_WITH(load_config(kTiny, {"data.root=" + root(), bad}),
                        Catch::Contains("data.val_crop") && Catch::Contains("(0, 1]"));
  REQUIRE_THROWS_WITH(load_config(kTiny, {"data.root=" + root(), "data.layout=npy", "data.val_crop=0.5"}),
                      Catch::Contains("data.val_crop") && Catch::Contains("matrices"));

  // A flat folder of 24x24 images, a decoded cache and a validation split.
  const fs::path images = fs::path(root()) / "val_crop_images";
  const fs::path caches = fs::path(root()) / "val_crop_caches";
  fs::create_directories(images);
  for (int i = 0; i < 40; ++i)
    data::testing::write_png((images / (std::to_string(i % 2) + "." + std::to_string(i) + ".png")).string(),
                             data::testing::pattern_image(24, 24, 1, i));
  const TrainConfig config = load_config(kTiny, {"data.root=" + images.string(), "data.layout=flat",
                                                 "data.resize=shorter-side-center-crop", "data.val_crop=0.5",
                                                 "data.cache_dir=" + caches.string(), "train.epochs=2",
                                                 "train.batch_per_device=8"});
  REQUIRE(config.data.val_crop == 0.5f);
  SingleProcess comm;
  clear_stop_request();
  TrainOptions options;
  options.out_dir = (fs::path(root()) / "val_crop_run").string();
  options.verbose = false;
  const TrainResult result = run_training(config, options, comm);

  // Training's cache (whole windows) and validation's (central halves) both stay.
  int whole = 0, cropped = 0;
  for (const auto& entry : fs::directory_iterator(caches)) {
    const std::string name = entry.path().filename().string();
    if (!name.ends_with(".u8cache")) continue;
    (name.find("-crop500-") != std::string::npos ? cropped : whole) += 1;
  }
  REQUIRE(whole == 1);
  REQUIRE(cropped == 1);

  // The checkpoint carries the crop, so evaluate sees validation's pixels:
  // on a folder of exactly the validation images it reproduces the accuracy.
  const std::string best = options.out_dir + "/best.safetensors";
  const LoadedModel loaded = load_model_file(best);
  REQUIRE(loaded.info["input"]["val_crop"] == 0.5);
  REQUIRE(read_checkpoint_metadata(loaded.info, loaded.model, best).input.val_crop == 0.5f);
  const fs::path val_only = fs::path(root()) / "val_crop_val_images";
  fs::create_directories(val_only);
  std::ifstream list(options.out_dir + "/val_files.txt");
  int copied = 0;
  for (std::string line; std::getline(list, line);)
    if (!line.empty()) copied += fs::copy_file(line, val_only / fs::path(line).filename());
  REQUIRE(copied == 10);
  const Evaluation evaluation = evaluate_checkpoint(best, val_only.string());
  REQUIRE(evaluation.n == 10);
  REQUIRE(evaluation.val_crop == 0.5);
  REQUIRE(evaluation.to_json()["val_crop"] == 0.5);
  REQUIRE(result.best_val_acc == Approx(evaluation.accuracy).margin(1e-12));
}
