// Training: config errors with locations, a tiny task learned perfectly,
// exact resume, atomic checkpoints under SIGKILL, the NaN guard, evaluate.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>

#include "core/core.h"
#include "data/data.h"
#include "layers/model_file.h"
#include "layers/model_yaml.h"
#include "tests/data/test_images.h"
#include "tests/train/train_fixtures.h"
#include "train/config.h"
#include "train/cam_strip.h"
#include "train/evaluate.h"
#include "train/progress.h"
#include "train/run_summary.h"
#include "train/trainer.h"

using namespace gaze;
using namespace gaze::train;
namespace fs = std::filesystem;

namespace {

const std::string kTiny = std::string(GAZE_SOURCE_DIR) + "/configs/tiny.yaml";

// An empty folder inside this process's own temporary folder: CTest runs each
// test case as a process of its own, in parallel, so a fixed path shared by
// all of them would be removed by one while another uses it.
fs::path fresh_dir(const std::string& name) {
  static const test_support::TempDir base;
  const fs::path dir = base.path() / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

fs::path halves_task() {
  static const fs::path dir = [] {
    const fs::path d = fresh_dir("halves_data");
    testing::write_halves_task(d);
    return d;
  }();
  return dir;
}

TrainResult train_tiny(const fs::path& out, std::vector<std::string> overrides, const std::string& resume = "",
                       int64_t max_steps = 0) {
  overrides.push_back("data.root=" + halves_task().string());
  const TrainConfig config = load_config(kTiny, overrides);
  SingleProcess comm;
  clear_stop_request();
  TrainResult result = run_training(config, {out.string(), resume, "", false, max_steps}, comm);
  clear_stop_request();
  return result;
}

fs::path write_config(const std::string& name, const std::string& text) {
  const fs::path path = fresh_dir("configs") / name;
  std::ofstream(path) << text;
  return path;
}

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

// A resumed run's metrics equal the uninterrupted run's, epoch by epoch, exactly.
void require_same_history(const TrainResult& resumed, const TrainResult& straight) {
  REQUIRE(resumed.history.size() == straight.history.size());
  for (size_t e = 0; e < straight.history.size(); ++e) {
    INFO("epoch " << e + 1);
    REQUIRE(resumed.history[e].train_loss == straight.history[e].train_loss);
    REQUIRE(resumed.history[e].train_acc == straight.history[e].train_acc);
    REQUIRE(resumed.history[e].val_loss == straight.history[e].val_loss);
    REQUIRE(resumed.history[e].val_acc == straight.history[e].val_acc);
  }
}

}  // namespace

TEST_CASE("config errors name the file, line and key before training", "[train][config]") {
  const std::string root = halves_task().string();
  const fs::path typo = write_config("typo.yaml", "data:\n  root: " + root +
                                                      "\nmodel:\n  input: [1, 12, 12]\n  layers: []\ntrain:\n"
                                                      "  epochs: 2\n  epoch: 3\n");
  REQUIRE_THROWS_WITH(load_config(typo.string()), Catch::Contains("typo.yaml:8") && Catch::Contains("train.epoch") &&
                                                      Catch::Contains("unknown key"));
  const fs::path type = write_config("type.yaml", "data:\n  root: " + root + "\nmodel: {}\ntrain:\n  epochs: ten\n");
  REQUIRE_THROWS_WITH(load_config(type.string()), Catch::Contains("type.yaml:5") && Catch::Contains("expected an integer"));
  const fs::path missing = write_config("missing.yaml", "data:\n  root: /no/such/folder\nmodel: {}\n");
  REQUIRE_THROWS_WITH(load_config(missing.string()), Catch::Contains("missing.yaml:2") && Catch::Contains("does not exist"));
  REQUIRE_THROWS_WITH(load_config(kTiny, {"train.lr=-1", "data.root=" + root}),
                      Catch::Contains("--set train.lr=-1") && Catch::Contains("positive"));
  REQUIRE_THROWS_WITH(load_config(kTiny, {"epochs"}), Catch::Contains("KEY=VALUE"));
  const TrainConfig ok = load_config(kTiny, {"train.epochs=5", "data.root=" + root});
  REQUIRE(ok.epochs == 5);
  REQUIRE(ok.name == "tiny");

  const fs::path layer = write_config("layer.yaml", "data:\n  root: " + root +
                                                        "\nmodel:\n  input: [1, 12, 12]\n  layers:\n"
                                                        "    - {type: conv, filters: 4}\n"
                                                        "    - type: gap\n      size: 3\n");
  const TrainConfig with_bad_layer = load_config(layer.string());
  REQUIRE_THROWS_WITH(model_from_yaml(with_bad_layer.model, with_bad_layer.file),
                      Catch::Contains("layer.yaml:8") && Catch::Contains("'size'"));
}

TEST_CASE("cuda.deterministic and train.threads are checked config keys", "[train][config]") {
  const std::string root = "data.root=" + halves_task().string();
  const TrainConfig defaults = load_config(kTiny, {root});
  CHECK(defaults.cuda_deterministic);  // reproducible by default, as on the CPU
  CHECK(defaults.threads == 0);        // 0: the machine's cores shared among its workers
  CHECK_THAT(to_yaml(defaults), Catch::Contains("cuda:\n  deterministic: true"));
  const TrainConfig fastest = load_config(kTiny, {root, "cuda.deterministic=false", "train.threads=3"});
  CHECK_FALSE(fastest.cuda_deterministic);
  CHECK(fastest.threads == 3);
  CHECK_THAT(to_yaml(fastest), Catch::Contains("deterministic: false") && Catch::Contains("threads: 3"));
  CHECK_THROWS_WITH(load_config(kTiny, {root, "cuda.determinism=true"}),
                    Catch::Contains("cuda.determinism") && Catch::Contains("unknown key"));
  CHECK_THROWS_WITH(load_config(kTiny, {root, "cuda.deterministic=maybe"}), Catch::Contains("cuda.deterministic"));
  CHECK_THROWS_WITH(load_config(kTiny, {root, "train.threads=-2"}),
                    Catch::Contains("train.threads") && Catch::Contains("positive"));
}

TEST_CASE("a model that cannot fit the data stops before training", "[train][config]") {
  REQUIRE_THROWS_WITH(train_tiny(fresh_dir("bad_units"), {"model.layers=[{type: conv, filters: 4}, {type: gap}, "
                                                          "{type: dense, units: 3}]"}),
                      Catch::Contains("2 classes") && Catch::Contains("units to 2"));
}

TEST_CASE("the tiny task is learned perfectly and leaves all outputs", "[train]") {
  const fs::path out = fresh_dir("learn");
  const TrainResult result = train_tiny(out, {"train.epochs=8"});
  REQUIRE(result.history.size() == 8);
  REQUIRE(result.history.back().train_acc == 1.0);
  REQUIRE(result.best_val_acc == 1.0);
  REQUIRE(result.history.front().train_loss > result.history.back().train_loss);
  for (const char* file : {"best.safetensors", "last.safetensors", "metrics.csv", "report.html", "config.yaml",
                           "val_files.txt"})
    REQUIRE(fs::exists(out / file));
  // val_files.txt names the held-out images, none twice: IDX records here,
  // "<images file>#<record>"; image files in a folder dataset.
  std::ifstream val_list(out / "val_files.txt");
  std::set<std::string> val_files;
  for (std::string line; std::getline(val_list, line);) {
    REQUIRE(fs::is_regular_file(line.substr(0, line.find('#'))));
    REQUIRE(val_files.insert(line).second);
  }
  REQUIRE(!val_files.empty());
  std::ifstream csv(out / "metrics.csv");
  std::string header;
  std::getline(csv, header);
  REQUIRE(header ==
          "epoch,lr,train_loss,train_acc,val_loss,val_acc,images_per_s,seconds,replaced_train_images,"
          "excluded_val_images");
  REQUIRE(read_bytes(out / "report.html").find("<svg") != std::string::npos);
  // The resolved config.yaml spells out every default and loads back to the same job.
  const TrainConfig resolved = load_config((out / "config.yaml").string());
  REQUIRE(resolved.epochs == 8);
  REQUIRE(resolved.optimizer.momentum == 0.9);

  // best.safetensors carries everything inference needs.
  const LoadedModel best = load_model_file((out / "best.safetensors").string());
  REQUIRE(best.info["classes"] == nlohmann::json({"0", "1"}));
  REQUIRE(best.info["input"]["height"] == 12);
  REQUIRE(best.info["val_acc"] == 1.0);
  REQUIRE(best.model.to_json()["layers"][0]["padding"] == nlohmann::json({1, 1}));

  SECTION("evaluate on IDX and on a flat image folder") {
    const Evaluation idx = evaluate_checkpoint((out / "best.safetensors").string(), halves_task().string(), {"test"});
    REQUIRE(idx.n == 32);
    REQUIRE(idx.accuracy == 1.0);
    const fs::path flat = fresh_dir("flat_images");
    for (int i = 0; i < 6; ++i) {
      data::Image image = data::testing::constant_image(24, 24, 1, 20);
      const int label = i % 2;
      for (int y = 0; y < 24; ++y)
        for (int x = 0; x < 24; ++x)
          if ((x < 12) == (label == 0)) image.pixels[static_cast<size_t>(y * 24 + x)] = 200;
      data::testing::write_png((flat / (std::to_string(label) + "." + std::to_string(i) + ".png")).string(), image);
    }
    const Evaluation folder = evaluate_checkpoint((out / "best.safetensors").string(), flat.string());
    REQUIRE(folder.n == 6);
    REQUIRE(folder.accuracy == 1.0);
    REQUIRE(folder.confusion == std::vector<std::vector<int64_t>>{{3, 0}, {0, 3}});
  }
}

TEST_CASE("a checkpoint round trip gives identical logits", "[train][checkpoint]") {
  const TrainConfig config = load_config(kTiny, {"data.root=" + halves_task().string()});
  Model model = model_from_yaml(config.model, config.file, 99);
  const fs::path path = fresh_dir("round_trip") / "model.safetensors";
  save_model_file(path.string(), model, {{"classes", {"a", "b"}}});
  LoadedModel loaded = load_model_file(path.string());
  Rng rng(5);
  const Tensor x = Tensor::randn({3, 1, 12, 12}, rng);
  REQUIRE(model.forward(x).to_vector() == loaded.model.forward(x).to_vector());
}

TEST_CASE("a resumed run reproduces an uninterrupted one exactly", "[train][resume]") {
  const TrainResult straight = train_tiny(fresh_dir("straight"), {"train.epochs=3"});
  const fs::path out = fresh_dir("interrupted");
  // Stop mid-epoch (8 steps per epoch here), then twice more, resuming each time.
  TrainResult part = train_tiny(out, {"train.epochs=3"}, "", 11);
  REQUIRE(part.interrupted);
  part = train_tiny(out, {"train.epochs=3"}, (out / "last.safetensors").string(), 5);
  REQUIRE(part.interrupted);
  const TrainResult resumed = train_tiny(out, {"train.epochs=3"}, (out / "last.safetensors").string());
  REQUIRE_FALSE(resumed.interrupted);
  require_same_history(resumed, straight);
  const auto a = load_model_file((fs::path(straight.out_dir) / "last.safetensors").string());
  const auto b = load_model_file((out / "last.safetensors").string());
  for (size_t i = 0; i < a.model.named_state().size(); ++i)
    REQUIRE(a.model.named_state()[i].second.to_vector() == b.model.named_state()[i].second.to_vector());
  REQUIRE_THROWS_WITH(train_tiny(fresh_dir("wrong_resume"), {}, (out / "metrics.csv").string()),
                      Catch::Contains("metrics.csv"));
}

namespace {
int g_paused_pipe = -1;
// Runs in the child inside write_file_atomically, with half of the new file
// written: tells the parent where, then waits to be killed.
void pause_inside_write(const std::string& temporary) {
  const std::string line = temporary + "\n";
  if (::write(g_paused_pipe, line.data(), line.size()) < 0) ::_exit(3);
  for (;;) ::pause();
}
}  // namespace

TEST_CASE("killing a checkpoint write leaves the previous file intact", "[train][checkpoint]") {
  const TrainConfig config = load_config(kTiny, {"data.root=" + halves_task().string()});
  Model model = model_from_yaml(config.model, config.file, 1);
  const fs::path path = fresh_dir("kill") / "last.safetensors";
  Rng rng(2);
  const NamedTensors extra = {{"state/padding", Tensor::randn({100'000}, rng)}};
  save_model_file(path.string(), model, {{"version", 0}}, extra);
  const std::string before = read_bytes(path);
  int pipe_ends[2];
  REQUIRE(::pipe(pipe_ends) == 0);
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::close(pipe_ends[0]);
    g_paused_pipe = pipe_ends[1];
    set_atomic_write_hook(pause_inside_write);
    save_model_file(path.string(), model, {{"version", 1}}, extra);
    ::_exit(4);  // not reached: the hook pauses until the parent kills us
  }
  ::close(pipe_ends[1]);
  std::string temporary;
  char c = 0;
  while (::read(pipe_ends[0], &c, 1) == 1 && c != '\n') temporary += c;
  ::close(pipe_ends[0]);
  // The child is inside the write: half of the new file is on disk.
  REQUIRE_FALSE(temporary.empty());
  REQUIRE(fs::is_regular_file(temporary));
  CHECK(fs::file_size(temporary) > 0);
  CHECK(fs::file_size(temporary) < before.size());
  kill(child, SIGKILL);
  int status = 0;
  waitpid(child, &status, 0);
  REQUIRE(WIFSIGNALED(status));
  REQUIRE(WTERMSIG(status) == SIGKILL);
  // The target is the previous file, byte for byte, and loads whole.
  CHECK(read_bytes(path) == before);
  const LoadedModel loaded = load_model_file(path.string());
  CHECK(loaded.info.at("version") == 0);
  fs::remove(temporary);
}

TEST_CASE("a NaN loss stops training and leaves best untouched", "[train][nan]") {
  const fs::path out = fresh_dir("nan");
  train_tiny(out, {"train.epochs=1"});
  const std::string best = read_bytes(out / "best.safetensors");
  REQUIRE_THROWS_WITH(train_tiny(out, {"train.epochs=3", "train.lr=1e30"}, (out / "last.safetensors").string()),
                      Catch::Contains("loss became") && Catch::Contains("best.safetensors is untouched"));
  REQUIRE(read_bytes(out / "best.safetensors") == best);
}

TEST_CASE("evaluation tallies a hand-computed confusion matrix", "[train][evaluate]") {
  const Evaluation e = tally({"a", "b", "c"}, {0, 0, 1, 1, 2}, {0, 1, 1, 1, 0});
  REQUIRE(e.confusion == std::vector<std::vector<int64_t>>{{1, 1, 0}, {0, 2, 0}, {1, 0, 0}});
  REQUIRE(e.accuracy == Approx(0.6));
  REQUIRE(e.per_class == std::vector<double>{0.5, 1.0, 0.0});
  const nlohmann::json j = e.to_json();
  REQUIRE(j["n"] == 5);
  REQUIRE(j["per_class"]["b"] == 1.0);
  REQUIRE(j["classes"] == nlohmann::json({"a", "b", "c"}));
}

namespace {

// The validation loss of a model file on the tiny task's validation split,
// computed here the way the trainer's validation does.
double validation_loss(const fs::path& model_file, const std::vector<std::string>& overrides) {
  std::vector<std::string> all = overrides;
  all.push_back("data.root=" + halves_task().string());
  const TrainConfig config = load_config(kTiny, all);
  data::DataConfig d = config.data;
  d.channels = 1, d.height = 12, d.width = 12;
  d.drop_last = false;
  const data::Dataset set = data::scan_dataset(d);
  const data::Split split = data::split_train_val(data::labels_of(set), d.val_split, d.seed);
  data::Loader loader(set, split.val, d, false, config.batch_per_device);
  LoadedModel loaded = load_model_file(model_file.string());
  NoGradGuard no_grad;
  double loss_sum = 0, seen = 0;
  loader.start_epoch(0);
  while (auto batch = loader.next()) {
    const Tensor x = Tensor::from_vector({batch->n, 1, 12, 12}, batch->images);
    loaded.model.forward(x, false);
    const Tensor logits = loaded.model.activation(loaded.model.logits_name());  // before the softmax
    const Tensor labels =
        Tensor::from_vector({batch->n}, std::vector<float>(batch->labels.begin(), batch->labels.end()));
    loss_sum += ops::cross_entropy(logits, labels).item() * batch->n;
    seen += batch->n;
  }
  return loss_sum / seen;
}

const Tensor& tensor_named(const NamedTensors& tensors, const std::string& name) {
  for (const auto& [key, tensor] : tensors)
    if (key == name) return tensor;
  FAIL("no tensor " << name);
  static const Tensor none;
  return none;
}

}  // namespace

TEST_CASE("train.ema: validation and best/epoch checkpoints use the EMA weights, last keeps both",
          "[train][ema]") {
  const fs::path out = fresh_dir("ema");
  const std::vector<std::string> overrides = {"train.epochs=2", "train.ema=0.9", "checkpoint.save_best_only=false"};
  const TrainResult result = train_tiny(out, overrides);
  REQUIRE(result.history.size() == 2);
  const LoadedModel last = load_model_file((out / "last.safetensors").string());
  const LoadedModel epoch2 = load_model_file((out / "epoch2.safetensors").string());
  // epoch2.safetensors holds the average that last.safetensors keeps as EMA state ...
  bool differs = false;
  for (const auto& [name, tensor] : epoch2.model.named_state()) {
    CAPTURE(name);
    REQUIRE(tensor.to_vector() == tensor_named(last.extra, "state/ema/" + name).to_vector());
    differs = differs || tensor.to_vector() != tensor_named(last.model.named_state(), name).to_vector();
  }
  CHECK(differs);  // ... and last.safetensors' model is the live weights, which differ
  // 2 epochs of 6 steps (96 training images, batch 16): the update count rides along.
  CHECK(tensor_named(last.extra, "state/ema_updates").to_vector() == std::vector<float>{0, 12});
  // The logged validation loss is the EMA model's, not the live model's.
  CHECK(result.history[1].val_loss == Approx(validation_loss(out / "epoch2.safetensors", overrides)).epsilon(1e-5));
  CHECK(result.history[1].val_loss != Approx(validation_loss(out / "last.safetensors", overrides)).epsilon(1e-5));
  CHECK(result.history[0].val_loss == Approx(validation_loss(out / "epoch1.safetensors", overrides)).epsilon(1e-5));
  // A last.safetensors without EMA state cannot resume an EMA run.
  const fs::path plain = fresh_dir("no_ema");
  train_tiny(plain, {"train.epochs=1"});
  REQUIRE_THROWS_WITH(train_tiny(plain, {"train.epochs=2", "train.ema=0.9"}, (plain / "last.safetensors").string()),
                      Catch::Contains("EMA") && Catch::Contains("train.ema"));
}

TEST_CASE("a resumed run with EMA, mixup and CutMix reproduces an uninterrupted one exactly", "[train][resume]") {
  const std::vector<std::string> overrides = {"train.epochs=3", "train.ema=0.95", "train.mixup=0.4",
                                              "train.cutmix=1.0", "train.mix_prob=0.8", "train.label_smoothing=0.1"};
  const TrainResult straight = train_tiny(fresh_dir("mix_straight"), overrides);
  const fs::path out = fresh_dir("mix_interrupted");
  REQUIRE(train_tiny(out, overrides, "", 11).interrupted);
  const TrainResult resumed = train_tiny(out, overrides, (out / "last.safetensors").string());
  require_same_history(resumed, straight);
  const auto a = load_model_file((fs::path(straight.out_dir) / "last.safetensors").string());
  const auto b = load_model_file((out / "last.safetensors").string());
  REQUIRE(a.extra.size() == b.extra.size());
  for (size_t i = 0; i < a.extra.size(); ++i) {
    REQUIRE(a.extra[i].first == b.extra[i].first);
    REQUIRE(a.extra[i].second.to_vector() == b.extra[i].second.to_vector());
  }
  for (size_t i = 0; i < a.model.named_state().size(); ++i)
    REQUIRE(a.model.named_state()[i].second.to_vector() == b.model.named_state()[i].second.to_vector());
  // Mixing changed the training: the loss differs from a plain run's.
  const TrainResult plain = train_tiny(fresh_dir("mix_plain"), {"train.epochs=1", "train.label_smoothing=0.1"});
  CHECK(plain.history[0].train_loss != straight.history[0].train_loss);
}

TEST_CASE("the new train keys are checked and rendered in config.yaml", "[train][config]") {
  const std::string root = "data.root=" + halves_task().string();
  const TrainConfig defaults = load_config(kTiny, {root});
  CHECK(defaults.ema == 0);
  CHECK(defaults.mixup == 0);
  CHECK(defaults.cutmix == 0);
  CHECK(defaults.mix_prob == 1);
  CHECK(defaults.overfit_warning == 3);
  CHECK(defaults.report_cams == 8);
  const std::string yaml = to_yaml(defaults);
  for (const char* key : {"ema: 0", "mixup: 0", "cutmix: 0", "mix_prob: 1", "overfit_warning: 3", "report_cams: 8"})
    CHECK_THAT(yaml, Catch::Contains(key));
  CHECK_THROWS_WITH(load_config(kTiny, {root, "train.ema=1"}), Catch::Contains("train.ema"));
  CHECK_THROWS_WITH(load_config(kTiny, {root, "train.mixup=-1"}), Catch::Contains("train.mixup"));
  CHECK_THROWS_WITH(load_config(kTiny, {root, "train.mix_prob=1.5"}), Catch::Contains("train.mix_prob"));
  // CutMix would move a matrix's rows and columns; Mixup is fine.
  CHECK_THROWS_WITH(load_config(kTiny, {root, "data.layout=npy", "train.cutmix=1"}),
                    Catch::Contains("train.cutmix") && Catch::Contains("train.mixup"));
  CHECK(load_config(kTiny, {root, "data.layout=npy", "train.mixup=0.2"}).mixup == 0.2);
  CHECK_THROWS_WITH(load_config(kTiny, {root, "train.overfit_warning=-1"}), Catch::Contains("train.overfit_warning"));
  CHECK_THROWS_WITH(load_config(kTiny, {root, "train.report_cams=-1"}), Catch::Contains("train.report_cams"));
}

TEST_CASE("the overfitting warning fires once when val loss rose N epochs while train loss fell", "[train][report]") {
  std::vector<EpochMetrics> history;
  auto add = [&](double train_loss, double val_loss) {
    EpochMetrics m;
    m.epoch = static_cast<int>(history.size()) + 1;
    m.train_loss = train_loss;
    m.val_loss = val_loss;
    history.push_back(m);
  };
  add(1.0, 0.9);
  add(0.8, 0.7);
  add(0.7, 0.75);  // streak 1
  add(0.6, 0.8);   // streak 2
  CHECK(overfit_warning(history, 3).empty());
  add(0.5, 0.85);  // streak 3: warn
  const std::string warning = overfit_warning(history, 3);
  CHECK_THAT(warning, Catch::Contains("3 epochs") && Catch::Contains("0.7000 at epoch 2") &&
                          Catch::Contains("0.8500 at epoch 5") && Catch::Contains("train.weight_decay") &&
                          Catch::Contains("train.patience") && Catch::Contains("augmentation"));
  CHECK(overfit_warning(history, 0).empty());  // off
  add(0.4, 0.9);  // streak 4: said already
  CHECK(overfit_warning(history, 3).empty());
  add(0.45, 0.95);  // training loss rose too: no streak
  CHECK(overfit_warning(history, 1).empty());
  CHECK(run_eta_seconds(2, 10, 30, 2) == Approx(120));  // 8 epochs left at 15 s
  CHECK(run_eta_seconds(10, 10, 30, 2) == 0);
  // The live line: this epoch's ETA, then the epochs after it at the measured
  // whole-epoch time, or before any is measured at this epoch's projected time.
  CHECK(Progress::run_eta(10, 30, 2, 40) == Approx(90));
  CHECK(Progress::run_eta(10, 30, 2, 0) == Approx(70));
}

TEST_CASE("the closing summary names the files and the next commands", "[train][report]") {
  RunSummary s;
  for (int e = 1; e <= 3; ++e) {
    EpochMetrics m;
    m.epoch = e;
    m.images_per_s = e == 2 ? 200 : 100;  // 10 s each: 1000 + 2000 + 1000 images in 30 s
    m.seconds = 10;
    s.history.push_back(m);
  }
  s.best_epoch = 2;
  s.best_val_acc = 0.8765;
  s.wall_seconds = 95;
  s.out_dir = "runs/x";
  s.data_root = "/data/catdog";
  s.val_files = {"/data/catdog/cat.1.jpg", "/data/catdog/dog.2.jpg"};
  const std::string text = run_summary_text(s);
  CHECK_THAT(text, Catch::Contains("87.65% at epoch 2") && Catch::Contains("1m35s") &&
                       Catch::Contains("133.3 images/s") && Catch::Contains("runs/x/best.safetensors") &&
                       Catch::Contains("runs/x/last.safetensors") && Catch::Contains("runs/x/report.html") &&
                       Catch::Contains("runs/x/metrics.csv"));
  CHECK_THAT(text, Catch::Contains("build/bin/evaluate --checkpoint runs/x/best.safetensors --data /data/catdog\n"));
  CHECK_THAT(text, Catch::Contains("build/bin/cam-infer --checkpoint runs/x/best.safetensors --report --out runs/x/cam "
                                   "/data/catdog/cat.1.jpg /data/catdog/dog.2.jpg\n"));
  s.val_root = "/data/val";
  s.val_files = {"/data/train-images#3"};  // IDX records are not files cam-infer opens
  const std::string separate = run_summary_text(s);
  CHECK_THAT(separate, Catch::Contains("--data /data/val\n") &&
                           Catch::Contains("gaze-export-idx --data /data/val --split test --count 8 --out "
                                           "runs/x/test-images\n") &&
                           Catch::Contains("--report --out runs/x/cam runs/x/test-images\n"));
  s.val_root = "";
  CHECK_THAT(run_summary_text(s), Catch::Contains("IDX") && Catch::Contains("test split") &&
                                      Catch::Contains("gaze-export-idx --data /data/catdog --split test"));
  s.val_files = {};  // nothing to show: the user names the images
  CHECK_THAT(run_summary_text(s), Catch::Contains("--out runs/x/cam IMAGES...\n"));
  // Resumed at epoch 3 after 25 s of earlier epochs: the total is 25 + 95 s.
  s.resumed = true;
  s.epochs_before_resume = 2;
  s.seconds_before_resume = 25;
  CHECK_THAT(run_summary_text(s), Catch::Contains("in 2m00s (resumed at epoch 3: 1m35s in this run)"));
  // A NaN or absurd time (a hostile resume state) prints instead of overflowing.
  CHECK(format_duration(std::nan("")) == "0m00s");
  CHECK(format_duration(-5) == "0m00s");
  CHECK(format_duration(1e300) == format_duration(1e12));
}

TEST_CASE("report.html shows the CAM strip; its maps and predictions are the validated model's", "[train][report][cam]") {
  const fs::path out = fresh_dir("strip");
  const std::vector<std::string> overrides = {"train.epochs=4", "train.report_cams=3", "train.ema=0.9"};
  const TrainResult result = train_tiny(out, overrides);
  // Planned columns for 4 epochs: 1, 2 (50%) and 3 (75%; 25% rounds to 1), plus the best.
  CHECK(cam_strip_epochs(4) == std::vector<int>{1, 2, 3});
  CHECK(cam_strip_epochs(80) == std::vector<int>{1, 20, 40, 60});
  std::set<int> columns = {1, 2, 3, result.best_epoch};
  const std::string html = read_bytes(out / "report.html");
  CHECK_THAT(html, Catch::Contains("Where the network looks") && Catch::Contains("per captured epoch"));
  for (int e : columns)
    for (int i = 0; i < 3; ++i) {
      const std::string file = "epoch" + std::to_string(e) + "_" + std::to_string(i) + ".png";
      CAPTURE(file);
      CHECK(fs::is_regular_file(out / "cam-strip" / file));
      CHECK_THAT(html, Catch::Contains("cam-strip/" + file));
    }
  CHECK_FALSE(fs::exists(out / "cam-strip" / "epoch1_3.png"));  // 3 images only
  // Off: no strip.
  const fs::path off = fresh_dir("strip_off");
  train_tiny(off, {"train.epochs=1", "train.report_cams=0"});
  CHECK(read_bytes(off / "report.html").find("Where the network looks") == std::string::npos);
  CHECK_FALSE(fs::exists(off / "cam-strip"));

  // The same 3 images (the first of the validation split) through best.safetensors.
  std::vector<std::string> all = overrides;
  all.push_back("data.root=" + halves_task().string());
  const TrainConfig config = load_config(kTiny, all);
  data::DataConfig d = config.data;
  d.channels = 1, d.height = 12, d.width = 12;
  d.drop_last = false;
  const data::Dataset set = data::scan_dataset(d);
  const data::Split split = data::split_train_val(data::labels_of(set), d.val_split, d.seed);
  data::Loader loader(set, std::vector<size_t>(split.val.begin(), split.val.begin() + 3), d, false, 3);
  loader.start_epoch(0);
  const auto batch = loader.next();
  REQUIRE(batch);
  const Tensor x = Tensor::from_vector({3, 1, 12, 12}, batch->images);
  LoadedModel best = load_model_file((out / "best.safetensors").string());
  const std::vector<StripCell> cells = strip_cells(best.model, x, batch->labels);
  REQUIRE(cells.size() == 3);
  // By hand: M(y, x) = sum_k w[target, k] A_k(y, x), A = relu2's output, w = fc.weight.
  best.model.keep_only_activations({});
  best.model.forward(x, false);
  const std::vector<float> a = best.model.activation("relu2").to_vector();  // [3, 8, 12, 12]
  const std::vector<float> logits = best.model.activation("fc").to_vector();
  const std::vector<float> w = best.model.layer("fc").tensor("weight").to_vector();  // [2, 8]
  const std::vector<float> bias = best.model.layer("fc").tensor("bias").to_vector();
  std::ifstream predictions(out / "cam-strip" / ("epoch" + std::to_string(result.best_epoch) + ".txt"));
  for (size_t n = 0; n < 3; ++n) {
    CAPTURE(n);
    const int target = batch->labels[n];
    CHECK(cells[n].target == target);
    REQUIRE((cells[n].raw.height == 12 && cells[n].raw.width == 12));
    double mean = 0;
    for (int p = 0; p < 144; ++p) {
      double hand = 0;
      for (int k = 0; k < 8; ++k) hand += w[static_cast<size_t>(target * 8 + k)] * a[n * 8 * 144 + k * 144 + p];
      REQUIRE(cells[n].raw.values[static_cast<size_t>(p)] == Approx(hand).margin(1e-5));
      mean += hand / 144;
    }
    // The CAM identity: the map's mean plus the bias is the class's logit.
    CHECK(mean + bias[static_cast<size_t>(target)] == Approx(logits[n * 2 + static_cast<size_t>(target)]).margin(1e-4));
    // The strip's file for the best epoch holds this model's prediction.
    int predicted = -1;
    float probability = 0;
    predictions >> predicted >> probability;
    CHECK(predicted == cells[n].predicted);
    CHECK(probability == Approx(cells[n].probability).margin(1e-4));
  }
}
