// Hostile and careless inputs, one class each (the hardening issue): crafted
// checkpoints, metadata that disagrees with the tensors, non-finite values,
// undecodable images in evaluation, nonsense in configs, absurd resume
// positions, two runs in one folder and exceptions that used to abort.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <new>
#include <sstream>
#include <stdexcept>

#include "core/core.h"
#include "core/memory_budget.h"
#include "core/program.h"
#include "layers/checkpoint_metadata.h"
#include "layers/model_file.h"
#include "layers/model_yaml.h"
#include "tests/data/test_images.h"
#include "tests/temp_dir.h"
#include "tests/train/train_fixtures.h"
#include "train/bench.h"
#include "train/checkpoint.h"
#include "train/config.h"
#include "train/evaluate.h"
#include "train/output_lock.h"
#include "train/trainer.h"

using namespace gaze;
using namespace gaze::train;
namespace fs = std::filesystem;

namespace {

const std::string kTiny = std::string(GAZE_SOURCE_DIR) + "/configs/tiny.yaml";

const test_support::TempDir& scratch() {
  static const test_support::TempDir dir;
  return dir;
}

fs::path halves_task() {
  static const fs::path dir = [] {
    const fs::path d = scratch().path() / "halves";
    testing::write_halves_task(d);
    return d;
  }();
  return dir;
}

// One trained tiny checkpoint (best and last), shared by the cases of this process.
fs::path trained_run() {
  static const fs::path out = [] {
    const fs::path o = scratch().path() / "run";
    const TrainConfig config = load_config(kTiny, {"train.epochs=1", "data.root=" + halves_task().string()});
    SingleProcess comm;
    run_training(config, {o.string(), "", "", false, 0}, comm);
    return o;
  }();
  return out;
}

fs::path write_text(const std::string& name, const std::string& text) {
  const fs::path path = scratch().path() / name;
  std::ofstream(path) << text;
  return path;
}

// A copy of a model file with its "gaze" metadata edited by `edit`.
fs::path with_metadata(const fs::path& source, const std::string& name,
                       const std::function<void(nlohmann::json&)>& edit) {
  TensorFile file = load_safetensors(source.string());
  nlohmann::json info = nlohmann::json::parse(file.metadata.at("gaze"));
  edit(info);
  file.metadata["gaze"] = info.dump();
  const fs::path path = scratch().path() / name;
  save_safetensors(path.string(), file);
  return path;
}

// A copy with element `index` of tensor `tensor` set to `value`.
fs::path with_value(const fs::path& source, const std::string& name, const std::string& tensor, size_t index,
                    float value) {
  TensorFile file = load_safetensors(source.string());
  for (auto& [key, t] : file.tensors)
    if (key == tensor) t.data()[index] = value;
  const fs::path path = scratch().path() / name;
  save_safetensors(path.string(), file);
  return path;
}

}  // namespace

TEST_CASE("checkpoint metadata that disagrees with the tensors is rejected by every reader", "[hardening]") {
  const fs::path best = trained_run() / "best.safetensors";
  const fs::path more_classes = with_metadata(best, "three_classes.safetensors", [](nlohmann::json& info) {
    info["classes"] = {"0", "1", "2"};
  });
  // Before: evaluate read a third logit past the dense layer's two outputs.
  CHECK_THROWS_WITH(evaluate_checkpoint(more_classes.string(), halves_task().string(), {"test"}),
                    Catch::Contains("three_classes.safetensors") && Catch::Contains("3 classes"));
  const fs::path format = with_metadata(best, "format.safetensors", [](nlohmann::json& info) { info["format"] = 7; });
  CHECK_THROWS_WITH(load_model_file(format.string()), Catch::Contains("unsupported checkpoint format 7"));
  const LoadedModel loaded = load_model_file(best.string());
  auto reject = [&](const std::function<void(nlohmann::json&)>& edit, const std::string& message) {
    nlohmann::json info = loaded.info;
    edit(info);
    INFO(info.dump());
    CHECK_THROWS_WITH(read_checkpoint_metadata(info, loaded.model, "x.safetensors"),
                      Catch::Contains("x.safetensors") && Catch::Contains(message));
  };
  reject([](nlohmann::json& i) { i.erase("classes"); }, "no 'classes'");
  reject([](nlohmann::json& i) { i["classes"] = {"a", "a"}; }, "twice");
  reject([](nlohmann::json& i) { i["classes"] = {"a", 3}; }, "non-empty strings");
  reject([](nlohmann::json& i) { i["input"]["mean"] = {0.1, 0.2, 0.3}; }, "one number per channel");
  reject([](nlohmann::json& i) { i["input"]["std"] = {0}; }, "must be positive");
  reject([](nlohmann::json& i) { i["input"]["height"] = 13; }, "the model takes input");
  reject([](nlohmann::json& i) { i["input"]["resize"] = 1; }, "resize policy");
  reject([](nlohmann::json& i) { i["input"].erase("resize"); }, "no 'resize'");
  reject([](nlohmann::json& i) { i["input"]["val_crop"] = 0; }, "input.val_crop must be a fraction in (0, 1]");
  reject([](nlohmann::json& i) { i["input"]["val_crop"] = 1.5; }, "input.val_crop");
  reject([](nlohmann::json& i) { i["input"]["val_crop"] = "0.9"; }, "input.val_crop");
  const CheckpointMetadata meta = read_checkpoint_metadata(loaded.info, loaded.model, best.string());
  CHECK(meta.classes == std::vector<std::string>{"0", "1"});
  CHECK(meta.input.channels == 1);
  CHECK(meta.input.val_crop == 1.0f);
  nlohmann::json older = loaded.info;  // checkpoints from before data.val_crop keep the whole window
  older["input"].erase("val_crop");
  CHECK(read_checkpoint_metadata(older, loaded.model, best.string()).input.val_crop == 1.0f);
  const fs::path resize = with_metadata(best, "resize.safetensors", [](nlohmann::json& i) { i["input"]["resize"] = "zoom"; });
  CHECK_THROWS_WITH(evaluate_checkpoint(resize.string(), halves_task().string(), {"test"}),
                    Catch::Contains("resize.safetensors") && Catch::Contains("zoom"));
}

TEST_CASE("non-finite weights and negative variances are refused, naming the tensor", "[hardening]") {
  const fs::path best = trained_run() / "best.safetensors";
  const fs::path nan = with_value(best, "nan.safetensors", "fc.weight", 3, std::numeric_limits<float>::quiet_NaN());
  CHECK_THROWS_WITH(load_model_file(nan.string()), Catch::Contains("nan.safetensors") && Catch::Contains("'fc.weight'") &&
                                                       Catch::Contains("non-finite"));
  CHECK_THROWS_WITH(evaluate_checkpoint(nan.string(), halves_task().string(), {"test"}), Catch::Contains("fc.weight"));
  const fs::path inf = with_value(best, "inf.safetensors", "conv1.bias", 0, std::numeric_limits<float>::infinity());
  CHECK_THROWS_WITH(load_model_file(inf.string()), Catch::Contains("'conv1.bias'"));
  // The explicit debugging switch loads it.
  CHECK(load_model_file(nan.string(), {true}).model.size() > 0);

  Model model = model_from_yaml(YAML::Load("input: [1, 4, 4]\nlayers:\n  - {type: conv, name: c, filters: 2, kernel: 3}\n"
                                           "  - {type: batchnorm, name: bn}\n  - {type: gap}\n"
                                           "  - {type: dense, name: fc, units: 2}\n"),
                                "bn.yaml");
  const fs::path bn = scratch().path() / "bn.safetensors";
  save_model_file(bn.string(), model, nlohmann::json::object());
  CHECK(load_model_file(bn.string()).model.size() == 4);
  const fs::path negative = with_value(bn, "negative_var.safetensors", "bn.running_var", 1, -0.5f);
  CHECK_THROWS_WITH(load_model_file(negative.string()),
                    Catch::Contains("'bn.running_var'") && Catch::Contains("negative variance"));
}

TEST_CASE("evaluate leaves an undecodable image out of n and names it", "[hardening]") {
  const fs::path folder = scratch().path() / "flat_with_bad";
  fs::create_directories(folder);
  for (int i = 0; i < 6; ++i) {
    data::Image image = data::testing::constant_image(12, 12, 1, 20);
    const int label = i % 2;
    for (int y = 0; y < 12; ++y)
      for (int x = 0; x < 12; ++x)
        if ((x < 6) == (label == 0)) image.pixels[static_cast<size_t>(y * 12 + x)] = 200;
    data::testing::write_png((folder / (std::to_string(label) + "." + std::to_string(i) + ".png")).string(), image);
  }
  const std::string bad = (folder / "1.9.png").string();
  data::testing::write_png(bad, data::testing::constant_image(12, 12, 1, 90));
  data::testing::truncate_file(bad, 40);  // the header scans fine; the pixels are gone
  const Evaluation e = evaluate_checkpoint((trained_run() / "best.safetensors").string(), folder.string());
  CHECK(e.n == 6);  // was 7: the bad file was replaced by another image, counted twice
  REQUIRE(e.undecodable == std::vector<std::string>{bad});
  CHECK(e.to_json()["undecodable"][0] == bad);
  int64_t total = 0;
  for (const auto& row : e.confusion)
    for (int64_t v : row) total += v;
  CHECK(total == 6);
}

TEST_CASE("out-of-range numbers, aliases and duplicates in configs are clear errors", "[hardening][config]") {
  const std::string root = "data.root=" + halves_task().string();
  CHECK_THROWS_WITH(load_config(kTiny, {root, "train.lr=1e999"}),
                    Catch::Contains("--set train.lr=1e999") && Catch::Contains("outside the range"));
  CHECK_THROWS_WITH(load_config(kTiny, {root, "train.lr=1e-999"}), Catch::Contains("outside the range"));
  const fs::path in_file = write_text("huge.yaml", "data:\n  root: " + halves_task().string() +
                                                      "\nmodel: {}\ntrain:\n  lr: 1e999\n");
  CHECK_THROWS_WITH(load_config(in_file.string()), Catch::Contains("huge.yaml:5") && Catch::Contains("train.lr"));
  CHECK_THROWS_WITH(load_config(kTiny, {root, "train.weight_decay=-0.1"}), Catch::Contains("weight_decay"));
  CHECK_THROWS_WITH(load_config(kTiny, {root, "train.threads=-2"}), Catch::Contains("threads"));
  CHECK_THROWS_WITH(load_config(kTiny, {root, "train.warmup_epochs=-1"}), Catch::Contains("warmup_epochs"));
  CHECK_THROWS_WITH(load_config(kTiny, {root, "train.momentum=1.5"}), Catch::Contains("momentum"));
  CHECK_THROWS_WITH(load_config(kTiny, {root, "train.epochs="}),
                    Catch::Contains("--set 'train.epochs='") && Catch::Contains("empty"));

  // Billion laughs: 9 levels of 9 aliases would expand to 9^9 values.
  std::string laughs = "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n";
  for (int level = 1; level < 9; ++level) {
    std::ostringstream line;
    line << "a" << level << ": &a" << level << " [";
    for (int k = 0; k < 9; ++k) line << (k ? ", " : "") << "*a" << level - 1;
    laughs += line.str() + "]\n";
  }
  const fs::path bomb = write_text("bomb.yaml", laughs + "data:\n  root: " + halves_task().string() +
                                                    "\nmodel:\n  input: [1, 12, 12]\n  layers:\n"
                                                    "    - {type: conv, filters: 2, extra: *a8}\n");
  CHECK_THROWS_WITH(load_config(bomb.string()), Catch::Contains("bomb.yaml") && Catch::Contains("expands to more than"));
  CHECK_THROWS_WITH(model_from_yaml(YAML::Load(laughs + "input: [1, 4, 4]\nlayers:\n  - {type: relu, x: *a8}\n"), "m.yaml"),
                    Catch::Contains("expands to more than"));

  // A megabyte-long scalar: std::regex recursed per character and overflowed the stack.
  const fs::path long_number = write_text("long.yaml", "data:\n  root: " + halves_task().string() +
                                                          "\nmodel: {}\ntrain:\n  lr: " + std::string(1 << 20, '7') + "\n");
  CHECK_THROWS_WITH(load_config(long_number.string()), Catch::Contains("long.yaml:5"));
  CHECK_THROWS_WITH(load_config(kTiny, {root, "train.optimizer=" + std::string(1 << 20, 'x')}),
                    Catch::Contains("expected sgd, adam or adamw"));

  // A name too long for the file system: an error naming the key, not a filesystem_error (fuzz finding).
  CHECK_THROWS_WITH(load_config(kTiny, {"data.root=/" + std::string(5000, 'r')}),
                    Catch::Contains("data.root") && Catch::Contains("does not exist") &&
                        Catch::Contains("too long"));
  CHECK_THROWS_WITH(load_config("/" + std::string(5000, 'c') + ".yaml"), Catch::Contains("does not exist"));

  const fs::path twice = write_text("twice.yaml", "data:\n  root: " + halves_task().string() +
                                                      "\ntrain:\n  epochs: 2\nmodel: {}\ntrain:\n  epochs: 9\n");
  CHECK_THROWS_WITH(load_config(twice.string()), Catch::Contains("twice.yaml:6") && Catch::Contains("'train' appears twice"));
  const fs::path list_key = write_text("list_key.yaml", "data:\n  root: " + halves_task().string() + "\n[a, b]: 1\n");
  CHECK_THROWS_WITH(load_config(list_key.string()), Catch::Contains("list_key.yaml:3") && Catch::Contains("plain name"));
}

TEST_CASE("a model too large for memory fails before allocating, saying what it needs", "[hardening]") {
  CHECK_THROWS_WITH(
      model_from_yaml(YAML::Load("input: [64, 16, 16]\nlayers:\n  - {type: conv, name: wide, filters: 900000000, kernel: 11}\n"),
                      "wide.yaml"),
      Catch::Contains("wide") && Catch::Contains("needs") && Catch::Contains("TiB"));
  CHECK_THROWS_WITH(
      model_from_yaml(YAML::Load("input: [64, 512, 512]\nlayers:\n  - {type: flatten}\n"
                                 "  - {type: dense, name: fc, units: 100000}\n"),
                      "flat.yaml"),
      Catch::Contains("fc") && Catch::Contains("TiB"));
  // Budgets nest: a caller's limit holds inside the model's own budget.
  {
    const AllocationBudget budget(1 << 20, "the caller's tensors");
    CHECK_THROWS_WITH(model_from_yaml(YAML::Load("input: [4]\nlayers:\n  - {type: dense, units: 100000}\n"), "d.yaml"),
                      Catch::Contains("the caller's tensors") && Catch::Contains("1.0 MiB"));
    CHECK(budget.used() <= 1 << 20);
  }
  // Few parameters, astronomical activations (found by the model_yaml fuzz target).
  CHECK_THROWS_WITH(model_from_yaml(YAML::Load("input: [1, 4, 4]\nlayers:\n"
                                               "  - {type: conv, filters: 5, kernel: 3, padding: 66666661}\n"
                                               "  - {type: gap}\n"),
                                    "pad.yaml"),
                    Catch::Contains("for a single image need") && Catch::Contains("PiB"));
}

TEST_CASE("absurd resume positions are rejected before the loop", "[hardening][resume]") {
  const fs::path last = trained_run() / "last.safetensors";
  auto resume_with = [&](const std::string& name, const std::function<void(nlohmann::json&)>& edit) {
    const fs::path crafted = with_metadata(last, name, [&](nlohmann::json& info) { edit(info["resume"]); });
    const TrainConfig config = load_config(kTiny, {"train.epochs=1", "data.root=" + halves_task().string()});
    SingleProcess comm;
    return run_training(config, {(scratch().path() / ("out_" + name)).string(), crafted.string(), "", false, 0}, comm);
  };
  CHECK_THROWS_WITH(resume_with("batch.safetensors", [](nlohmann::json& r) { r["batch"] = 1000000000000; }),
                    Catch::Contains("batch 1000000000000"));
  CHECK_THROWS_WITH(resume_with("negative.safetensors", [](nlohmann::json& r) { r["batch"] = -1; }),
                    Catch::Contains("batch"));
  CHECK_THROWS_WITH(resume_with("epoch.safetensors", [](nlohmann::json& r) { r["epoch"] = 2147483647; }),
                    Catch::Contains("epoch"));
  CHECK_THROWS_WITH(resume_with("seen.safetensors", [](nlohmann::json& r) { r["seen"] = -5.0; }),
                    Catch::Contains("finite and >= 0"));
  CHECK_THROWS_WITH(resume_with("acc.safetensors", [](nlohmann::json& r) { r["correct"] = 1e300; }),
                    Catch::Contains("correct"));
}

TEST_CASE("one output folder holds one run at a time", "[hardening][lock]") {
  const fs::path folder = scratch().path() / "locked";
  {
    const OutputLock first(folder.string());
    CHECK_THROWS_WITH(OutputLock(folder.string()),
                      Catch::Contains("locked") && Catch::Contains("in use by another train process") &&
                          Catch::Contains("pid " + std::to_string(::getpid())));
    const TrainConfig config = load_config(kTiny, {"train.epochs=1", "data.root=" + halves_task().string()});
    SingleProcess comm;
    CHECK_THROWS_WITH(run_training(config, {folder.string(), "", "", false, 0}, comm), Catch::Contains("in use"));
  }
  const OutputLock again(folder.string());  // released with its holder
  CHECK(fs::is_regular_file(folder / ".lock"));
}

TEST_CASE("every program's error boundary maps exceptions to documented exit codes", "[hardening]") {
  CHECK(run_program("t", [] { return 0; }) == 0);
  CHECK(run_program("t", []() -> int { throw Error("bad input"); }) == kExitError);
  CHECK(run_program("t", []() -> int {
          throw fs::filesystem_error("cannot create", fs::path("/x"), std::make_error_code(std::errc::read_only_file_system));
        }) == kExitError);
  CHECK(run_program("t", []() -> int { throw std::bad_alloc(); }) == kExitOutOfMemory);
  CHECK(run_program("t", []() -> int { throw std::out_of_range("stod"); }) == kExitInternal);
  CHECK(run_program("t", []() -> int { throw 5; }) == kExitInternal);
  // gaze-bench --config with a missing or non-mapping file: a gaze::Error, not a YAML exception.
  BenchOptions missing;
  missing.config = (scratch().path() / "no-such.yaml").string();
  CHECK_THROWS_AS(run_bench(missing), Error);
  BenchOptions scalar;
  scalar.config = write_text("scalar.yaml", "just text\n").string();
  CHECK_THROWS_WITH(run_bench(scalar), Catch::Contains("mapping"));
  // A name too long for the file system: an Error naming the folder.
  const std::string long_name((scratch().path() / std::string(300, 'x')).string());
  CHECK_THROWS_WITH(OutputLock(long_name), Catch::Contains("cannot create the output folder"));
}
