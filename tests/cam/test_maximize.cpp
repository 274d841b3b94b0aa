// Activation maximization (cam/maximize.h) on a network trained inside the
// test: a few dozen SGD steps teach a tiny conv net to tell horizontal from
// vertical stripes, then gradient ascent on the input must make a filter and
// a class fire far more than on the starting image, deterministically.
#include <catch2/catch.hpp>
#include <cmath>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "cam/maximize.h"
#include "cam/methods.h"
#include "cam_test_util.h"
#include "core/ops.h"
#include "core/random.h"
#include "data/image.h"

using namespace gaze;
using namespace gaze::cam;

namespace {
constexpr int kSize = 12;

Model stripe_network() {
  return Model::from_json(
      {{"input", {1, kSize, kSize}},
       {"layers",
        {{{"type", "conv"}, {"name", "conv1"}, {"filters", 4}, {"kernel", 3}, {"padding", 1}},
         {{"type", "relu"}, {"name", "relu1"}},
         {{"type", "maxpool"}, {"name", "pool1"}, {"kernel", 2}},
         {{"type", "conv"}, {"name", "conv2"}, {"filters", 6}, {"kernel", 3}, {"padding", 1}},
         {{"type", "relu"}, {"name", "relu2"}},
         {{"type", "gap"}, {"name", "gap"}},
         {{"type", "dense"}, {"name", "fc"}, {"units", 2}},
         {{"type", "softmax"}, {"name", "probs"}}}}},
      5);
}

// Class 0: horizontal stripes, class 1: vertical stripes, at a random phase
// and contrast, plus noise; normalized with mean 0.5 and std 0.25 (what
// testing::save_checkpoint records as the preprocessing).
void stripe_batch(Rng& rng, int count, std::vector<float>& images, std::vector<float>& labels) {
  images.assign(static_cast<size_t>(count) * kSize * kSize, 0.0f);
  labels.assign(static_cast<size_t>(count), 0.0f);
  for (int n = 0; n < count; ++n) {
    const int label = n % 2;
    const int phase = static_cast<int>(rng.below(4));
    const float contrast = rng.uniform(0.2f, 0.45f);
    labels[static_cast<size_t>(n)] = static_cast<float>(label);
    for (int y = 0; y < kSize; ++y)
      for (int x = 0; x < kSize; ++x) {
        const int line = label == 0 ? y : x;
        const float pixel = 0.5f + ((line + phase) / 2 % 2 ? contrast : -contrast) + 0.05f * rng.normal();
        images[(static_cast<size_t>(n) * kSize + y) * kSize + x] = (pixel - 0.5f) / 0.25f;
      }
  }
}

// Plain SGD on cross-entropy; returns the last batch's accuracy.
double train(Model& model, int steps) {
  Rng rng(11);
  std::vector<float> images, labels;
  double accuracy = 0;
  for (int step = 0; step < steps; ++step) {
    stripe_batch(rng, 32, images, labels);
    const Tensor x = Tensor::from_vector({32, 1, kSize, kSize}, images);
    model.forward(x, true);
    const Tensor logits = model.activation(model.logits_name());
    model.zero_grad();
    ops::cross_entropy(logits, Tensor::from_vector({32}, labels)).backward();
    for (auto& [name, parameter] : model.named_parameters()) {
      const std::vector<float> grad = parameter.grad().to_vector();
      float* value = parameter.data();
      for (size_t i = 0; i < grad.size(); ++i) value[i] -= 0.1f * grad[i];
    }
    const std::vector<float> z = logits.to_vector();
    int correct = 0;
    for (int n = 0; n < 32; ++n) correct += (z[2 * n + 1] > z[2 * n]) == (labels[static_cast<size_t>(n)] > 0.5f);
    accuracy = correct / 32.0;
  }
  model.zero_grad();
  return accuracy;
}

data::DataConfig preprocessing() {
  data::DataConfig config;
  config.channels = 1;
  config.height = config.width = kSize;
  config.mean = {0.5f, 0.5f, 0.5f};
  config.stddev = {0.25f, 0.25f, 0.25f};
  return config;
}

// One trained model for every case (training takes a fraction of a second).
Model& trained() {
  static Model model = [] {
    Model m = stripe_network();
    const double accuracy = train(m, 60);
    if (accuracy < 0.95) throw std::runtime_error("the stripe network did not learn: accuracy " + std::to_string(accuracy));
    return m;
  }();
  return model;
}
}  // namespace

TEST_CASE("activation maximization raises every filter of a trained layer at least 10x", "[cam][maximize]") {
  Model& model = trained();
  std::vector<std::vector<float>> weights;
  for (const auto& [name, tensor] : model.named_state()) weights.push_back(tensor.to_vector());
  const MaximizeOptions options;  // the defaults gaze-inspect uses: L2 decay, jitter and blur all on
  for (int channel = 0; channel < 6; ++channel) {
    const MaximizeResult result = maximize_activation(model, preprocessing(), channel_target(model, "relu2", channel), options);
    INFO("relu2 channel " << channel << ": start " << result.start << ", final " << result.final);
    CHECK(result.activation.size() == static_cast<size_t>(options.iterations));
    CHECK(result.start > 0);
    CHECK(result.final >= 10 * result.start);
  }
  // The model's weights are untouched and no gradient was left behind.
  const NamedTensors after = model.named_state();
  for (size_t i = 0; i < after.size(); ++i) {
    CHECK(after[i].second.to_vector() == weights[i]);
    CHECK_FALSE(after[i].second.grad().defined());
  }
}

TEST_CASE("activation maximization of a class turns the gray start into that class", "[cam][maximize]") {
  Model& model = trained();
  const MaximizeResult result = maximize_activation(model, preprocessing(), class_target(model, 1, "vertical"), {});
  Tensor start(Tensor::from_vector({1, 1, kSize, kSize}, std::vector<float>(kSize * kSize, 0.0f)));
  CHECK(predict(model, start).front().top == 0);  // the mean image reads as horizontal
  const Prediction p = predict(model, Tensor::from_vector({1, 1, kSize, kSize}, result.image)).front();
  INFO("logit " << result.start << " -> " << result.final << ", p(vertical) " << p.probabilities[1]);
  CHECK(p.top == 1);
  CHECK(result.final > result.start + 1.5f);
  CHECK(p.logits[1] == Approx(result.final).margin(1e-5));
  // The image stays a valid picture: every pixel in [0, 1] before normalization.
  for (float v : result.image) {
    CHECK(v >= -2.0f - 1e-6f);
    CHECK(v <= 2.0f + 1e-6f);
  }
}

TEST_CASE("activation maximization is deterministic for a seed", "[cam][maximize]") {
  Model& model = trained();
  const MaximizeTarget target = channel_target(model, "conv2", 3);
  MaximizeOptions options;
  options.iterations = 40;
  options.seed = 7;
  const MaximizeResult a = maximize_activation(model, preprocessing(), target, options);
  const MaximizeResult b = maximize_activation(model, preprocessing(), target, options);
  CHECK(a.image == b.image);
  CHECK(a.activation == b.activation);
  CHECK(a.final == b.final);
  options.seed = 8;
  const MaximizeResult c = maximize_activation(model, preprocessing(), target, options);
  CHECK(c.image != a.image);
}

namespace {
// Sum of |x[y][x+1] - x[y][x]| + |x[y+1][x] - x[y][x]|: how rough an image is.
double total_variation(const std::vector<float>& image) {
  double tv = 0;
  for (int y = 0; y < kSize; ++y)
    for (int x = 0; x < kSize; ++x) {
      const float v = image[static_cast<size_t>(y * kSize + x)];
      if (x + 1 < kSize) tv += std::abs(image[static_cast<size_t>(y * kSize + x + 1)] - v);
      if (y + 1 < kSize) tv += std::abs(image[static_cast<size_t>((y + 1) * kSize + x)] - v);
    }
  return tv;
}

double squared_norm(const std::vector<float>& image) {
  double sum = 0;
  for (float v : image) sum += static_cast<double>(v) * v;
  return sum;
}
}  // namespace

TEST_CASE("activation maximization's regularizers: blur smooths, L2 decay shrinks", "[cam][maximize]") {
  Model& model = trained();
  const MaximizeTarget target = channel_target(model, "relu2", 0);
  MaximizeOptions plain;
  plain.iterations = 64;
  plain.jitter = 0;
  plain.blur_sigma = 0;
  plain.l2_decay = 0;
  MaximizeOptions blurred = plain;
  blurred.blur_sigma = 1;
  blurred.blur_every = 1;
  MaximizeOptions decayed = plain;
  decayed.l2_decay = 0.1f;
  const MaximizeResult p = maximize_activation(model, preprocessing(), target, plain);
  const MaximizeResult b = maximize_activation(model, preprocessing(), target, blurred);
  const MaximizeResult d = maximize_activation(model, preprocessing(), target, decayed);
  INFO("total variation " << total_variation(p.image) << " plain, " << total_variation(b.image) << " blurred");
  CHECK(total_variation(b.image) < 0.5 * total_variation(p.image));
  INFO("squared norm " << squared_norm(p.image) << " plain, " << squared_norm(d.image) << " with decay");
  CHECK(squared_norm(d.image) < 0.5 * squared_norm(p.image));
  // No step at all: the start image, whose objective is `start`.
  MaximizeOptions none = plain;
  none.iterations = 0;
  const MaximizeResult n = maximize_activation(model, preprocessing(), target, none);
  CHECK(n.activation.empty());
  CHECK(n.final == n.start);
  CHECK_THROWS_WITH(channel_target(model, "relu2", 6), Catch::Contains("6 channels"));
  CHECK_THROWS_WITH(channel_target(model, "nope", 0), Catch::Contains("conv1, relu1"));
}

TEST_CASE("gaze-inspect maximize writes the PNG and the activation per iteration", "[cam][maximize]") {
  testing::TempDir dir;
  testing::save_checkpoint(dir / "best.safetensors", trained(), {"horizontal", "vertical"});
  MaximizeRunOptions options;
  options.checkpoint = dir / "best.safetensors";
  options.target_class = "vertical";
  options.ascent.iterations = 30;
  options.out = dir / "out/vertical.png";
  options.json = true;
  std::ostringstream out;
  REQUIRE(run_inspect_maximize(options, out) == 0);
  const nlohmann::json record = nlohmann::json::parse(out.str());
  CHECK(record.at("activation").size() == 30);
  CHECK(record.at("target").at("index") == 1);
  CHECK(record.at("target").at("layer") == "fc");
  CHECK(record.at("final").get<double>() > record.at("start").get<double>());
  // 12 pixels enlarged ceil(256 / 12) = 22 times.
  const data::Image image = data::decode_image_file(dir / "out/vertical.png", 1, 1 << 20);
  CHECK(image.width == 264);
  CHECK(image.height == 264);

  options.target_class.clear();
  options.layer = "relu2";
  std::ostringstream ignored;
  CHECK_THROWS_WITH(run_inspect_maximize(options, ignored), Catch::Contains("--layer and --channel go together"));
  options.target_class = "diagonal";
  CHECK_THROWS_WITH(run_inspect_maximize(options, ignored), Catch::Contains("either --class"));
  options.layer.clear();
  CHECK_THROWS_WITH(run_inspect_maximize(options, ignored), Catch::Contains("horizontal, vertical"));
}
