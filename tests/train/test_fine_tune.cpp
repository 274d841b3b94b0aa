// Fine-tuning: a checkpoint trained here on one task (left half vs right
// half bright, 2 classes) starts a model for a new task (which third is
// bright, 3 classes) with model.init_from and a fresh head; the frozen layers
// come out bit-identical, the others trained, and the new task is learned.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <random>

#include "core/core.h"
#include "data/config.h"
#include "layers/model_file.h"
#include "tests/temp_dir.h"
#include "tests/train/train_fixtures.h"
#include "train/checkpoint.h"
#include "train/config.h"
#include "train/fine_tune.h"
#include "train/trainer.h"

using namespace gaze;
using namespace gaze::train;
namespace fs = std::filesystem;

namespace {

const std::string kTinyBn = std::string(GAZE_SOURCE_DIR) + "/configs/tiny-bn.yaml";

// Class k of 3: the k-th vertical third of a 12x12 image is bright, plus noise.
void write_thirds_task(const fs::path& dir, int train_count, int test_count) {
  fs::create_directories(dir);
  std::mt19937 rng(5);
  std::uniform_int_distribution<int> noise(0, 60);
  for (const auto& [prefix, count] : {std::pair<std::string, int>{"train", train_count}, {"t10k", test_count}}) {
    std::ofstream images(dir / (prefix + "-images-idx3-ubyte"), std::ios::binary);
    std::ofstream labels(dir / (prefix + "-labels-idx1-ubyte"), std::ios::binary);
    testing::write_be32(images, 0x00000803);
    testing::write_be32(images, static_cast<uint32_t>(count));
    testing::write_be32(images, 12);
    testing::write_be32(images, 12);
    testing::write_be32(labels, 0x00000801);
    testing::write_be32(labels, static_cast<uint32_t>(count));
    for (int i = 0; i < count; ++i) {
      const int label = i % 3;
      labels.put(static_cast<char>(label));
      for (int y = 0; y < 12; ++y)
        for (int x = 0; x < 12; ++x) images.put(static_cast<char>((x / 4 == label ? 180 : 20) + noise(rng)));
    }
  }
}

TrainResult train_quietly(const std::string& config_path, const fs::path& out, std::vector<std::string> overrides) {
  const TrainConfig config = load_config(config_path, overrides);
  SingleProcess alone;
  clear_stop_request();
  return run_training(config, {out.string(), "", "", false, 0}, alone);
}

std::map<std::string, std::vector<float>> state_of(const fs::path& checkpoint) {
  std::map<std::string, std::vector<float>> values;
  for (const auto& [name, tensor] : load_model_file(checkpoint.string()).model.named_state())
    values[name] = tensor.to_vector();
  return values;
}

}  // namespace

TEST_CASE("fine-tuning keeps frozen layers bit-identical and learns a new task with a new head",
          "[train][fine-tune]") {
  const test_support::TempDir dir;
  testing::write_halves_task(dir.path() / "halves", 192, 16);
  write_thirds_task(dir.path() / "thirds", 240, 30);
  const TrainResult first = train_quietly(kTinyBn, dir.path() / "first",
                                          {"data.root=" + (dir.path() / "halves").string(), "train.epochs=2"});
  REQUIRE(first.best_val_acc > 0.9);
  const fs::path source = dir.path() / "first" / "best.safetensors";

  const std::vector<std::string> fine_tune{"data.root=" + (dir.path() / "thirds").string(),
                                           "model.init_from=" + source.string(),
                                           "model.replace_head=true",
                                           "train.freeze=[conv1, bn1]",
                                           "train.lr_groups=[{layers: [fc], lr_scale: 2}]",
                                           "train.epochs=4"};
  const TrainResult second = train_quietly(kTinyBn, dir.path() / "second", fine_tune);
  CHECK(second.best_val_acc > 0.8);  // three classes: chance is 1/3

  const auto before = state_of(source);
  const auto after = state_of(dir.path() / "second" / "last.safetensors");
  for (const char* name : {"conv1.weight", "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var"}) {
    CAPTURE(name);
    CHECK(after.at(name) == before.at(name));  // bit-identical: frozen, and frozen BatchNorm keeps its statistics
  }
  CHECK(after.at("conv2.weight") != before.at("conv2.weight"));  // trained from the copied values
  CHECK(after.at("bn2.running_mean") != before.at("bn2.running_mean"));
  CHECK(after.at("fc.weight").size() == 3 * 8);  // the new head
}

TEST_CASE("init_from copies matching tensors and reports the rest", "[train][fine-tune]") {
  const test_support::TempDir dir;
  const auto description = [](int units) {
    return nlohmann::json::parse(R"({"input": [1, 6, 6], "layers": [
        {"type": "conv", "name": "conv1", "filters": 2, "kernel": 3},
        {"type": "relu", "name": "relu1"},
        {"type": "gap", "name": "gap"},
        {"type": "dense", "name": "fc", "units": )" + std::to_string(units) + "}]}");
  };
  Model source = Model::from_json(description(2), 1);
  data::DataConfig preprocessing;
  preprocessing.channels = 1;
  preprocessing.height = preprocessing.width = 6;
  preprocessing.mean = {0.5f};
  preprocessing.stddev = {0.5f};
  save_model_file(dir / "source.safetensors", source, checkpoint_info({"a", "b"}, preprocessing, 1, 0.5));
  Model target = Model::from_json(description(3), 2);
  const std::vector<float> fc_before = target.layer("fc").tensor("weight").to_vector();
  const InitFromReport report = init_from_checkpoint(target, dir / "source.safetensors", {});
  CHECK(report.copied == std::vector<std::string>{"conv1.weight", "conv1.bias"});
  REQUIRE(report.different.size() == 2);
  CHECK(report.different[0] == "fc.weight ([2, 2] vs [3, 2])");
  CHECK(target.layer("conv1").tensor("weight").to_vector() == source.layer("conv1").tensor("weight").to_vector());
  CHECK(target.layer("fc").tensor("weight").to_vector() == fc_before);
  CHECK_THAT(report.summary("s"), Catch::Contains("copied 2 tensor(s)") && Catch::Contains("fc.bias ([2] vs [3])"));
  // With the head fresh on purpose, its tensors are reported as such.
  Model same = Model::from_json(description(2), 3);
  const InitFromReport fresh = init_from_checkpoint(same, dir / "source.safetensors", {"fc"});
  CHECK(fresh.kept == std::vector<std::string>{"fc.weight", "fc.bias"});
  CHECK(fresh.copied.size() == 2);
}

TEST_CASE("freeze and lr_groups name layers exactly or by prefix, and refuse names that match nothing",
          "[train][fine-tune]") {
  Model model = Model::from_json(nlohmann::json::parse(R"({"input": [1, 6, 6], "layers": [
      {"type": "conv", "name": "block1_conv", "filters": 2, "kernel": 3},
      {"type": "conv", "name": "block1_conv2", "filters": 2, "kernel": 3},
      {"type": "conv", "name": "block10_conv", "filters": 2, "kernel": 1},
      {"type": "gap", "name": "gap"},
      {"type": "dense", "name": "fc", "units": 2}]})"),
                                 1);
  CHECK(model.freeze({"block1_*"}) == std::vector<std::string>{"block1_conv", "block1_conv2"});
  CHECK_FALSE(model.layer("block10_conv").frozen());
  CHECK(model.trainable_parameters().size() == 4);  // block10_conv and fc
  CHECK_THROWS_WITH(model.freeze({"block2"}), Catch::Contains("no layer matches 'block2'"));
  OptimizerConfig sgd;
  sgd.momentum = 0;
  Optimizer optimizer(sgd, model.trainable_parameters());
  apply_lr_groups(optimizer, model, {{{"fc"}, 0.0}});
  CHECK_THROWS_WITH(apply_lr_groups(optimizer, model, {{{"block1_conv"}, 2.0}}),
                    Catch::Contains("no trainable layer matches block1_conv"));
  // lr_scale 0 leaves fc where it was while block10_conv moves.
  const std::vector<float> fc = model.layer("fc").tensor("weight").to_vector();
  const std::vector<float> conv = model.layer("block10_conv").tensor("weight").to_vector();
  Rng rng(4);
  ops::cross_entropy(model.forward(Tensor::randn({2, 1, 6, 6}, rng), true), Tensor::from_vector({2}, {0, 1}))
      .backward();
  optimizer.step(0.5f);
  CHECK(model.layer("fc").tensor("weight").to_vector() == fc);
  CHECK(model.layer("block10_conv").tensor("weight").to_vector() != conv);
  CHECK_FALSE(model.layer("block1_conv").tensor("weight").grad().defined());  // frozen: no gradient at all
}

TEST_CASE("replace_head resizes the logits layer; without it a class mismatch suggests it", "[train][fine-tune]") {
  const Model model = Model::from_json(nlohmann::json::parse(R"({"input": [1, 6, 6], "layers": [
      {"type": "conv", "name": "conv1", "filters": 2, "kernel": 3},
      {"type": "gap", "name": "gap"},
      {"type": "dense", "name": "fc", "units": 2},
      {"type": "softmax", "name": "probs"}]})"),
                                       1);
  const Model wider = with_new_head(model, 5, 1);
  CHECK(wider.output_shape("fc") == Shape{5});
  CHECK(wider.output_shape("probs") == Shape{5});
  const test_support::TempDir dir;
  write_thirds_task(dir.path() / "thirds", 30, 6);
  CHECK_THROWS_WITH(train_quietly(kTinyBn, dir.path() / "out", {"data.root=" + (dir.path() / "thirds").string()}),
                    Catch::Contains("3 classes") && Catch::Contains("model.replace_head: true"));
}
