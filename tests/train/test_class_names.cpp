// Class names end to end: data.class_names reaches the checkpoint and
// evaluate (an IDX folder still maps by index); evaluate --class-map and
// data.val_class_map match folders spelled differently, and a near miss
// gets the exact fix in the error.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "core/core.h"
#include "data/class_names.h"
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

fs::path fresh(const std::string& name) {
  static const test_support::TempDir base;
  const fs::path dir = base.path() / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

// The halves task as PNG class folders: left-bright images in `left`,
// right-bright ones in `right`.
void write_halves_folders(const fs::path& root, const std::string& left, const std::string& right, int per_class) {
  for (int label = 0; label < 2; ++label) {
    const fs::path folder = root / (label == 0 ? left : right);
    fs::create_directories(folder);
    for (int i = 0; i < per_class; ++i) {
      data::Image image = data::testing::constant_image(12, 12, 1, static_cast<uint8_t>(20 + i));
      for (int y = 0; y < 12; ++y)
        for (int x = 0; x < 12; ++x)
          if ((x < 6) == (label == 0)) image.pixels[static_cast<size_t>(y * 12 + x)] = static_cast<uint8_t>(190 + i);
      data::testing::write_png((folder / (std::to_string(i) + ".png")).string(), image);
    }
  }
}

TrainResult train_run(const fs::path& out, const std::vector<std::string>& overrides) {
  const TrainConfig config = load_config(kTiny, overrides);
  SingleProcess comm;
  clear_stop_request();
  TrainOptions options;
  options.out_dir = out.string();
  options.verbose = false;
  return run_training(config, options, comm);
}

}  // namespace

TEST_CASE("data.class_names reaches the checkpoint, and evaluate maps IDX labels by index", "[train][class-names]") {
  const fs::path idx = fresh("idx");
  testing::write_halves_task(idx, 64, 16);
  const fs::path out = fresh("named");
  train_run(out, {"data.root=" + idx.string(), "train.epochs=1", "data.class_names=[left side/bright, right]"});
  const std::string best = (out / "best.safetensors").string();
  REQUIRE(load_model_file(best).info["classes"] == nlohmann::json({"left side/bright", "right"}));
  REQUIRE(load_config((out / "config.yaml").string()).data.class_names ==
          std::vector<std::string>{"left side/bright", "right"});

  // The IDX test split has classes "0" and "1" on disk: labels are indices.
  const Evaluation on_idx = evaluate_checkpoint(best, idx.string(), {"test"});
  REQUIRE(on_idx.n == 16);
  REQUIRE(on_idx.classes == std::vector<std::string>{"left side/bright", "right"});
  int64_t counted = 0;
  for (size_t t = 0; t < 2; ++t) counted += on_idx.confusion[t][0] + on_idx.confusion[t][1];
  REQUIRE(counted == 16);
  REQUIRE(on_idx.confusion[0][0] + on_idx.confusion[0][1] == 8);  // write_halves_task alternates labels

  // A folder maps by name: "Right" is a near miss of "right", "left" matches nothing close.
  const fs::path folder = fresh("folder");
  write_halves_folders(folder, "lefts", "Right", 3);
  REQUIRE_THROWS_WITH(evaluate_checkpoint(best, folder.string()),
                      Catch::Contains("classes 'Right', 'lefts'") && Catch::Contains("--class-map Right=right"));
  EvaluateOptions options;
  options.class_map = data::parse_class_map("lefts=left side/bright,Right=right");
  const Evaluation mapped = evaluate_checkpoint(best, folder.string(), options);
  REQUIRE(mapped.n == 6);
  REQUIRE(mapped.confusion[0][0] + mapped.confusion[0][1] == 3);
  REQUIRE(mapped.confusion[1][0] + mapped.confusion[1][1] == 3);
  options.class_map = data::parse_class_map("lefts=left,Right=right");
  REQUIRE_THROWS_WITH(evaluate_checkpoint(best, folder.string(), options),
                      Catch::Contains("'left' is not a class of checkpoint"));

  // The names must fit the data: one per class, distinct, non-empty.
  REQUIRE_THROWS_WITH(train_run(fresh("three"), {"data.root=" + idx.string(), "data.class_names=[a, b, c]"}),
                      Catch::Contains("data.class_names has 3 names") && Catch::Contains("has 2 classes"));
  REQUIRE_THROWS_WITH(load_config(kTiny, {"data.class_names=[a, a]"}),
                      Catch::Contains("data.class_names") && Catch::Contains("'a' appears twice"));
}

TEST_CASE("data.val_class_map matches a validation folder spelled differently", "[train][class-names]") {
  const fs::path train_root = fresh("train_folders"), val_root = fresh("val_folders");
  write_halves_folders(train_root, "cat", "dog", 16);
  write_halves_folders(val_root, "Cats", "dogs", 4);
  const std::vector<std::string> base{"data.root=" + train_root.string(), "data.val_root=" + val_root.string(),
                                      "train.epochs=1", "train.batch_per_device=8"};
  REQUIRE_THROWS_WITH(train_run(fresh("unmapped"), base),
                      Catch::Contains("data.val_root") && Catch::Contains("data.val_class_map: {Cats: cat, dogs: dog}"));
  std::vector<std::string> mapped = base;
  mapped.push_back("data.val_class_map={Cats: cat, dogs: dog}");
  const fs::path out = fresh("mapped");
  const TrainResult result = train_run(out, mapped);
  REQUIRE(result.history.size() == 1);
  REQUIRE(load_config((out / "config.yaml").string()).val_class_map ==
          std::map<std::string, std::string>{{"Cats", "cat"}, {"dogs", "dog"}});
  // With data.class_names the validation folder may use the training folder's names or the new ones.
  std::vector<std::string> renamed = base;
  renamed.push_back("data.class_names=[Cat, Dog]");
  renamed.push_back("data.val_class_map={Cats: Cat, dogs: dog}");
  train_run(fresh("renamed"), renamed);
  std::vector<std::string> unknown = base;
  unknown.push_back("data.val_class_map={Cats: cat, birds: dog}");
  REQUIRE_THROWS_WITH(train_run(fresh("unknown"), unknown), Catch::Contains("has no class 'birds'"));
}
