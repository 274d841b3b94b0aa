// Every method end to end through cam-infer on a small checkpoint, --compat
// pytorch-grad-cam, and pattern-attribution's --patterns-from with its cache
// next to the checkpoint.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cam/infer.h"
#include "core/npy.h"
#include "cam/patterns.h"
#include "cam_test_util.h"
#include "core/error.h"

using namespace gaze;
using namespace gaze::cam;
namespace fs = std::filesystem;

namespace {
struct Run {
  int code = -1;
  std::string out, err;
};

Run run(const InferOptions& options) {
  std::ostringstream out, err;
  Run result;
  result.code = run_cam_infer(options, out, err);
  result.out = out.str();
  result.err = err.str();
  return result;
}

nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  REQUIRE(in);
  return nlohmann::json::parse(in);
}

struct Fixture {
  testing::TempDir dir;
  std::string checkpoint = dir / "best.safetensors";
  std::string images = dir / "images";
  Fixture() {
    Model model = testing::gap_network(3, 16, 2, 31);
    testing::randomize_batch_norm(model, 4);
    testing::save_checkpoint(checkpoint, model, {"cat", "dog"});
    fs::create_directories(images);
    for (int i = 0; i < 5; ++i) testing::write_image(images + "/img" + std::to_string(i) + ".png", 24, 20, 3, i);
  }
  InferOptions options(const std::string& method, const std::string& out) const {
    InferOptions o;
    o.checkpoint = checkpoint;
    o.out_dir = dir / out;
    o.inputs = {images + "/img0.png", images + "/img1.png"};
    o.method.method = parse_method(method);
    o.method.smoothgrad_samples = 3;
    o.method.integrated_gradients_steps = 4;
    o.save_raw = true;
    if (method == "pattern-attribution") o.patterns_from = images;
    return o;
  }
};
}  // namespace

TEST_CASE("every method runs end to end through cam-infer", "[cam][infer][methods]") {
  Fixture f;
  for (const std::string& method : method_names()) {
    INFO(method);
    const InferOptions options = f.options(method, "out-" + method);
    const Run result = run(options);
    INFO(result.err);
    REQUIRE(result.code == 0);
    for (const char* stem : {"img0", "img1"}) {
      const std::string prefix = options.out_dir + "/" + stem;
      CHECK(fs::exists(prefix + ".heatmap.png"));
      CHECK(fs::exists(prefix + ".overlay.png"));
      const nlohmann::json record = read_json(prefix + ".json");
      CHECK(record.at("method") == method);
      CHECK(record.at("compat") == "gaze");
      const NpyArray raw = read_npy(prefix + "." + method + ".npy");
      const int64_t side = input_resolution(options.method.method) ? 16 : 8;
      CHECK(raw.shape == std::vector<int64_t>{side, side});
      for (float v : raw.values) REQUIRE(std::isfinite(v));
    }
  }
}

TEST_CASE("cam-infer --compat pytorch-grad-cam changes the methods it names", "[cam][infer][compat]") {
  Fixture f;
  for (const char* method : {"gradcam++", "scorecam", "ablationcam"}) {
    INFO(method);
    InferOptions own = f.options(method, std::string("own-") + method);
    InferOptions compat = f.options(method, std::string("compat-") + method);
    compat.method.compat = Compat::pytorch_grad_cam;
    REQUIRE(run(own).code == 0);
    REQUIRE(run(compat).code == 0);
    CHECK(read_json(compat.out_dir + "/img0.json").at("compat") == "pytorch-grad-cam");
    const NpyArray a = read_npy(own.out_dir + "/img0." + std::string(method) + ".npy");
    const NpyArray b = read_npy(compat.out_dir + "/img0." + std::string(method) + ".npy");
    double difference = 0;
    for (size_t i = 0; i < a.values.size(); ++i) difference = std::max(difference, static_cast<double>(std::abs(a.values[i] - b.values[i])));
    CHECK(difference > 0);
  }
  CHECK_THROWS_WITH(parse_compat("grad-cam"), Catch::Contains("pytorch-grad-cam"));
}

TEST_CASE("pattern-attribution estimates its patterns once and caches them next to the checkpoint", "[cam][infer][patterns]") {
  Fixture f;
  const std::string cache = patterns_cache_path(f.checkpoint);
  CHECK(cache == (fs::path(f.checkpoint).parent_path() / "best.patterns.safetensors").string());
  const Run first = run(f.options("pattern-attribution", "first"));
  REQUIRE(first.code == 0);
  CHECK(first.err.find("estimated from 5 images") != std::string::npos);
  REQUIRE(fs::exists(cache));
  const Run second = run(f.options("pattern-attribution", "second"));
  REQUIRE(second.code == 0);
  CHECK(second.err.find("patterns: " + cache) != std::string::npos);
  CHECK(read_npy(f.dir / "first/img0.pattern-attribution.npy").values ==
        read_npy(f.dir / "second/img0.pattern-attribution.npy").values);
  // Another image folder: estimated again, and the cache rewritten.
  testing::write_image(f.images + "/img9.png", 24, 20, 3, 9);
  const Run third = run(f.options("pattern-attribution", "third"));
  CHECK(third.err.find("another checkpoint or image folder") != std::string::npos);
  CHECK(third.err.find("estimated from 6 images") != std::string::npos);

  InferOptions missing = f.options("pattern-attribution", "missing");
  missing.patterns_from.clear();
  CHECK_THROWS_WITH(run(missing), Catch::Contains("--patterns-from"));
}

TEST_CASE("patterns: w^T a = 1 for every unit of every conv and dense layer", "[cam][patterns][oracle]") {
  // a_j = cov+(x, y_j) / var+(y_j) with y_j = w_j^T x + b_j on every sample,
  // so w_j^T a_j = cov+(y_j - b_j, y_j) / var+(y_j) = 1: the two-component
  // estimator (behind the ReLUs, a batchnorm folded in between) and the
  // linear one (the logits) alike.
  Model model = testing::gap_network(3, 12, 3, 27);
  testing::randomize_batch_norm(model, 9);
  PatternEstimator estimator(model);
  estimator.add(model, testing::random_input(model, 16, 2));
  const Patterns patterns = estimator.patterns();
  REQUIRE(patterns.layers.size() == 3);  // conv1, conv2, fc
  for (const auto& [layer, pattern] : patterns.layers) {
    const Tensor weight = model.layer(layer).tensor("weight");
    REQUIRE(pattern.shape() == weight.shape());
    const std::vector<float> w = weight.to_vector(), a = pattern.to_vector();
    const size_t units = static_cast<size_t>(weight.dim(0)), per_unit = w.size() / units;
    for (size_t j = 0; j < units; ++j) {
      double dot = 0;
      for (size_t i = 0; i < per_unit; ++i) dot += static_cast<double>(w[j * per_unit + i]) * a[j * per_unit + i];
      INFO(layer << " unit " << j);
      CHECK(dot == Approx(1.0).epsilon(1e-3));
    }
  }
}

TEST_CASE("patterns: the linear estimator is cov(x, y) / var(y) for a dense layer", "[cam][patterns][oracle]") {
  // flatten -> dense (the logits, no ReLU after it): the estimator uses every
  // sample, and unit j's pattern is cov(x, y_j) / var(y_j) over the images,
  // computed here from the inputs and the logits.
  Model model = Model::from_json({{"input", {1, 2, 2}},
                                  {"layers", {{{"type", "flatten"}, {"name", "flat"}},
                                              {{"type", "dense"}, {"name", "fc"}, {"units", 2}}}}},
                                 3);
  const Tensor x = testing::random_input(model, 40, 6);
  PatternEstimator estimator(model);
  estimator.add(model, x.narrow(0, 0, 25).contiguous());
  estimator.add(model, x.narrow(0, 25, 15).contiguous());
  const Patterns patterns = estimator.patterns();
  CHECK(patterns.images == 40);
  const std::vector<float> pattern = patterns.layers.at("fc").to_vector();
  const std::vector<float> inputs = x.to_vector();
  const std::vector<Prediction> outputs = predict(model, x);
  for (size_t j = 0; j < 2; ++j) {
    double mean_y = 0;
    for (const Prediction& p : outputs) mean_y += p.logits[j] / 40.0;
    double variance = 0;
    for (const Prediction& p : outputs) variance += (p.logits[j] - mean_y) * (p.logits[j] - mean_y) / 40.0;
    for (size_t i = 0; i < 4; ++i) {
      double mean_x = 0, covariance = 0;
      for (size_t n = 0; n < 40; ++n) mean_x += inputs[n * 4 + i] / 40.0;
      for (size_t n = 0; n < 40; ++n) covariance += (inputs[n * 4 + i] - mean_x) * (outputs[n].logits[j] - mean_y) / 40.0;
      INFO("unit " << j << ", input " << i);
      CHECK(pattern[j * 4 + i] == Approx(covariance / variance).epsilon(1e-4).margin(1e-5));
    }
  }
  // PatternAttribution of a linear model is w * a, whatever the image.
  const std::vector<Map> maps = pattern_attribution_maps(model, x.narrow(0, 0, 1).contiguous(), {1}, patterns);
  const std::vector<float> w = model.layer("fc").tensor("weight").to_vector();
  for (size_t i = 0; i < 4; ++i) CHECK(maps[0].values[i] == Approx(w[4 + i] * pattern[4 + i]).margin(1e-6));
}
