// The EMA of the weights (train/ema.h) against a hand computation with its
// warm-up decay, Mixup and CutMix (train/mix.h) against hand-mixed images,
// and TrainStep's mixed loss and gradient against the two plain losses.
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "core/core.h"
#include "layers/model.h"
#include "train/ema.h"
#include "train/mix.h"
#include "train/optimizer.h"
#include "train/parameter_arena.h"
#include "train/train_step.h"

using namespace gaze;
using namespace gaze::train;

namespace {

// With a BatchNorm, so that buffers are averaged too.
Model bn_model() {
  return Model::from_json(nlohmann::json::parse(R"({"input": [2, 5, 5], "layers": [
      {"type": "conv", "name": "conv1", "filters": 4, "kernel": 3, "padding": 1},
      {"type": "batchnorm", "name": "bn1"},
      {"type": "relu", "name": "relu1"},
      {"type": "gap", "name": "gap"},
      {"type": "dense", "name": "fc", "units": 3}]})"),
                          9);
}

MicroBatch batch_of(int64_t n, uint64_t seed) {
  Rng rng(seed);
  MicroBatch batch;
  batch.images = Tensor::randn({n, 2, 5, 5}, rng);
  std::vector<float> labels;
  for (int64_t i = 0; i < n; ++i) {
    batch.classes.push_back(static_cast<int>(i % 3));
    labels.push_back(static_cast<float>(i % 3));
  }
  batch.labels = Tensor::from_vector({n}, labels);
  return batch;
}

struct Run {
  Run() : model(bn_model()), arena(model), optimizer(OptimizerConfig{}, model.trainable_parameters()),
          step(model, arena, optimizer, alone, StepSettings{}) {}
  SingleProcess alone;
  Model model;
  ParameterArena arena;
  Optimizer optimizer;
  TrainStep step;
};

std::vector<float> values_of(const Model& model, const std::string& name) {
  for (const auto& [key, tensor] : model.named_state())
    if (key == name) return tensor.to_vector();
  FAIL("no tensor " << name);
  return {};
}

}  // namespace

TEST_CASE("the EMA decay warms up as min(decay, (1 + t) / (10 + t))", "[train][ema]") {
  CHECK(WeightEma::decay_at(0.999, 0) == Approx(0.1));
  CHECK(WeightEma::decay_at(0.999, 1) == Approx(2.0 / 11));
  CHECK(WeightEma::decay_at(0.999, 1000) == Approx(1001.0 / 1010));
  CHECK(WeightEma::decay_at(0.999, 10000) == Approx(0.999));  // 10001 / 10010 > 0.999
  CHECK(WeightEma::decay_at(0.5, 5) == Approx(0.4));
  CHECK(WeightEma::decay_at(0.5, 20) == Approx(0.5));
  Model model = bn_model();
  CHECK_THROWS_WITH(WeightEma(model, 1.0), Catch::Contains("train.ema"));
}

TEST_CASE("the EMA after 3 updates equals a hand computation, buffers included", "[train][ema]") {
  Run run;
  WeightEma ema(run.model, 0.95);
  // Record every tracked tensor after each update: w_0 (start), w_1, w_2, w_3.
  const std::vector<std::string> names = {"conv1.weight", "fc.bias", "bn1.weight", "bn1.running_mean",
                                          "bn1.running_var"};
  std::vector<std::vector<std::vector<float>>> w(names.size());
  for (size_t k = 0; k < names.size(); ++k) w[k].push_back(values_of(run.model, names[k]));
  for (int t = 0; t < 3; ++t) {
    run.step.run({batch_of(8, 100 + t)}, 0.1f);
    ema.update();
    for (size_t k = 0; k < names.size(); ++k) w[k].push_back(values_of(run.model, names[k]));
  }
  CHECK(ema.updates() == 3);
  const double d0 = 1.0 / 10, d1 = 2.0 / 11, d2 = 3.0 / 12;  // all below 0.95: the warm-up
  for (size_t k = 0; k < names.size(); ++k) {
    CAPTURE(names[k]);
    const std::vector<float> shadow = ema.shadow(names[k]).to_vector();
    bool moved = false;
    for (size_t i = 0; i < shadow.size(); ++i) {
      const double s1 = d0 * w[k][0][i] + (1 - d0) * w[k][1][i];
      const double s2 = d1 * s1 + (1 - d1) * w[k][2][i];
      const double s3 = d2 * s2 + (1 - d2) * w[k][3][i];
      REQUIRE(shadow[i] == Approx(s3).margin(1e-6));
      moved = moved || std::abs(s3 - w[k][3][i]) > 1e-6;
    }
    CHECK(moved);  // the average differs from the live weights, so the check means something
  }
  SECTION("two swaps restore the live weights exactly; state round-trips") {
    const std::vector<float> live = values_of(run.model, "conv1.weight");
    const std::vector<float> average = ema.shadow("conv1.weight").to_vector();
    ema.swap();
    CHECK(values_of(run.model, "conv1.weight") == average);
    CHECK(ema.shadow("conv1.weight").to_vector() == live);
    ema.swap();
    CHECK(values_of(run.model, "conv1.weight") == live);
    Run other;
    WeightEma restored(other.model, 0.95);
    restored.load_state(ema.state(), "test");
    CHECK(restored.updates() == 3);
    CHECK(restored.shadow("bn1.running_var").to_vector() == ema.shadow("bn1.running_var").to_vector());
    CHECK_THROWS_WITH(restored.load_state({}, "old.safetensors"),
                      Catch::Contains("old.safetensors") && Catch::Contains("EMA"));
  }
}

TEST_CASE("cutmix_box: sides sqrt(1 - lambda), centred, clipped to the image", "[train][mix]") {
  // 10 x 8, lambda 0.64: sides 0.6 x (10, 8) = 6 and 4 (4.8 truncated).
  MixBox inside = cutmix_box(10, 8, 0.64, 5, 4);
  CHECK((inside.top == 2 && inside.bottom == 8 && inside.left == 2 && inside.right == 6));
  // Centred at row 1, column 6: rows [-2, 4) and columns [4, 8) clip to [0, 4) x [4, 8).
  MixBox corner = cutmix_box(10, 8, 0.64, 1, 6);
  CHECK((corner.top == 0 && corner.bottom == 4 && corner.left == 4 && corner.right == 8));
  CHECK(corner.area() == 16);
}

TEST_CASE("sample_beta has Beta(alpha, alpha)'s mean and variance", "[train][mix]") {
  for (const double alpha : {0.2, 1.0, 2.0}) {
    CAPTURE(alpha);
    Rng rng(11);
    const int n = 20000;
    double sum = 0, squares = 0;
    for (int i = 0; i < n; ++i) {
      const double x = sample_beta(rng, alpha);
      REQUIRE((x >= 0 && x <= 1));
      sum += x;
      squares += x * x;
    }
    const double mean = sum / n, variance = squares / n - mean * mean;
    CHECK(mean == Approx(0.5).margin(0.01));
    CHECK(variance == Approx(1 / (4 * (2 * alpha + 1))).epsilon(0.05));  // Var = 1 / (4 (2 alpha + 1))
  }
}

namespace {

// Three 1 x 6 x 6 images: image i holds 100 i + pixel index.
data::Batch three_images() {
  data::Batch batch;
  batch.n = 3, batch.channels = 1, batch.height = 6, batch.width = 6;
  for (int i = 0; i < 3; ++i)
    for (int p = 0; p < 36; ++p) batch.images.push_back(static_cast<float>(100 * i + p));
  batch.labels = {0, 1, 2};
  return batch;
}

}  // namespace

TEST_CASE("mixup mixes image i with image N-1-i by the drawn lambda", "[train][mix]") {
  MixConfig config;
  config.mixup_alpha = 0.4;
  data::Batch batch = three_images();
  const data::Batch original = batch;
  const MixResult result = mix_batch(batch, config, 1234);
  // The draws, in the documented order: the mix decision, then lambda.
  Rng rng(1234);
  rng.uniform();
  const auto lambda = static_cast<float>(sample_beta(rng, 0.4));
  REQUIRE(result.kind == MixKind::mixup);
  CHECK(result.lambda == lambda);
  CHECK(result.partner_labels == std::vector<int>{2, 1, 0});
  for (int i = 0; i < 3; ++i)
    for (int p = 0; p < 36; ++p) {
      const float hand = lambda * static_cast<float>(100 * i + p) + (1 - lambda) * static_cast<float>(100 * (2 - i) + p);
      CHECK(batch.images[static_cast<size_t>(36 * i + p)] == Approx(hand).margin(1e-4));
    }
  CHECK(batch.images[40] == original.images[40]);  // the middle image pairs with itself
  // The same seed mixes the same way; another seed draws another lambda.
  data::Batch again = three_images();
  CHECK(mix_batch(again, config, 1234).lambda == result.lambda);
  CHECK(again.images == batch.images);
  data::Batch other = three_images();
  CHECK(mix_batch(other, config, 99).lambda != result.lambda);
  // mix_prob 0: never mixed.
  config.prob = 0;
  data::Batch untouched = three_images();
  CHECK(mix_batch(untouched, config, 1234).kind == MixKind::none);
  CHECK(untouched.images == original.images);
}

TEST_CASE("cutmix pastes the partner's box and sets lambda to the area left", "[train][mix]") {
  MixConfig config;
  config.cutmix_alpha = 1.0;
  data::Batch batch = three_images();
  const MixResult result = mix_batch(batch, config, 77);
  REQUIRE(result.kind == MixKind::cutmix);
  Rng rng(77);
  rng.uniform();
  const double drawn = sample_beta(rng, 1.0);
  const int center_y = static_cast<int>(rng.below(6)), center_x = static_cast<int>(rng.below(6));
  const MixBox box = cutmix_box(6, 6, drawn, center_y, center_x);
  CHECK((result.box.top == box.top && result.box.bottom == box.bottom && result.box.left == box.left &&
         result.box.right == box.right));
  CHECK(result.lambda == Approx(1 - box.area() / 36.0));
  for (int i = 0; i < 3; ++i)
    for (int y = 0; y < 6; ++y)
      for (int x = 0; x < 6; ++x) {
        const bool in_box = y >= box.top && y < box.bottom && x >= box.left && x < box.right;
        const int source = in_box ? 2 - i : i;
        CHECK(batch.images[static_cast<size_t>(36 * i + 6 * y + x)] == static_cast<float>(100 * source + 6 * y + x));
      }
  // Find a seed whose box is not empty, so the paste itself is exercised.
  bool pasted = false;
  for (uint64_t seed = 0; seed < 50 && !pasted; ++seed) {
    data::Batch b = three_images();
    const MixResult r = mix_batch(b, config, seed);
    if (r.box.area() > 0) {
      pasted = true;
      // Image 0's box holds image 2's pixels.
      CHECK(b.images[static_cast<size_t>(6 * r.box.top + r.box.left)] ==
            static_cast<float>(200 + 6 * r.box.top + r.box.left));
      CHECK(r.lambda < 1);
    }
  }
  CHECK(pasted);
  // Both on: each mixed batch is one or the other, both occur.
  config.mixup_alpha = 0.2;
  int kinds[3] = {0, 0, 0};
  for (uint64_t seed = 0; seed < 200; ++seed) {
    data::Batch b = three_images();
    ++kinds[static_cast<int>(mix_batch(b, config, seed).kind)];
  }
  CHECK(kinds[0] == 0);
  CHECK(kinds[1] > 70);
  CHECK(kinds[2] > 70);
}

TEST_CASE("a mixed step's loss is lambda CE_a + (1 - lambda) CE_b, and so is its gradient", "[train][mix][step]") {
  const float lambda = 0.3f, smoothing = 0.1f;
  MicroBatch batch = batch_of(6, 5);
  batch.classes_b = {2, 2, 0, 1, 1, 0};
  batch.labels_b = Tensor::from_vector({6}, {2, 2, 0, 1, 1, 0});
  batch.lambda = lambda;
  // The plain gradients of CE_a and CE_b at the starting weights (eval-free
  // model: BatchNorm in training mode, as the step runs it).
  auto gradient_of = [&](const Tensor& labels, double* loss, std::vector<float>* logits) {
    Run probe;
    probe.arena.zero_grad();
    const Tensor out = probe.model.forward(batch.images, ForwardContext{true, batch.seed});
    const Tensor ce = ops::cross_entropy(out, labels, smoothing);
    *loss = ce.item();
    *logits = out.to_vector();
    ce.backward();
    return probe.arena.gradients().to_vector();
  };
  double loss_a = 0, loss_b = 0;
  std::vector<float> logits;
  const std::vector<float> g_a = gradient_of(batch.labels, &loss_a, &logits);
  const std::vector<float> g_b = gradient_of(batch.labels_b, &loss_b, &logits);
  // CE with label smoothing by hand from the logits: (1 - e) (-log p_y) + e mean_k (-log p_k).
  auto hand_ce = [&](const std::vector<int>& classes) {
    double total = 0;
    for (size_t i = 0; i < 6; ++i) {
      const float* row = logits.data() + 3 * i;
      const double top = std::max({row[0], row[1], row[2]});
      double z = 0;
      for (int k = 0; k < 3; ++k) z += std::exp(row[k] - top);
      double mean_neg_log = 0;
      for (int k = 0; k < 3; ++k) mean_neg_log += -(row[k] - top - std::log(z)) / 3;
      total += (1 - smoothing) * -(row[classes[i]] - top - std::log(z)) + smoothing * mean_neg_log;
    }
    return total / 6;
  };
  CHECK(loss_a == Approx(hand_ce(batch.classes)).epsilon(1e-5));
  CHECK(loss_b == Approx(hand_ce(batch.classes_b)).epsilon(1e-5));

  StepSettings settings;
  settings.label_smoothing = smoothing;
  SingleProcess alone;
  Model model = bn_model();
  ParameterArena arena(model);
  Optimizer optimizer(OptimizerConfig{}, model.trainable_parameters());
  TrainStep step(model, arena, optimizer, alone, settings);
  const StepResult result = step.run({batch}, 0.1f);
  CHECK(result.loss_sum / 6 == Approx(lambda * loss_a + (1 - lambda) * loss_b).epsilon(1e-5));
  // The step leaves its (reduced) gradients in the arena.
  const std::vector<float> g = arena.gradients().to_vector();
  REQUIRE(g.size() == g_a.size());
  for (size_t i = 0; i < g.size(); ++i)
    REQUIRE(g[i] == Approx(lambda * g_a[i] + (1 - lambda) * g_b[i]).margin(1e-6));
  // lambda < 0.5: accuracy counts against labels b.
  const Tensor start_logits = Tensor::from_vector({6, 3}, logits);
  CHECK(result.correct == count_correct(start_logits, batch.classes_b));
}
