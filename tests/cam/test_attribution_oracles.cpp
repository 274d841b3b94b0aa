// The identities the attribution methods of cam/lrp.cpp, deeplift.cpp,
// layer_cams.cpp, ablation_cam.cpp and gradients.cpp must satisfy, each
// checked against values the test computes itself (logits from predict(),
// activations and dense weights read from the model, an SVD by one-sided
// Jacobi rotations), never against another output of the method:
// - LRP-epsilon with epsilon -> 0 on a bias-free ReLU net conserves relevance:
//   the input relevances sum to the explained logit (relative error <= 1e-4);
// - LRP-alpha1-beta0 equals deep Taylor's z+ rule on a ReLU net, and deep
//   Taylor with the z^B rule at signed pixels conserves relevance too;
// - LRP-epsilon with epsilon -> 0 equals input x gradient;
// - DeepLift's rescale rule satisfies summation-to-delta;
// - input x gradient equals integrated gradients on a linear model;
// - HiResCAM equals Grad-CAM where the layer feeds gap -> dense, and both
//   equal CAM / (H W);
// - EigenCAM is the first principal component of the activations;
// - Ablation-CAM on gap -> dense has the closed form w_ck mean(A_k).
#include <catch2/catch.hpp>
#include <cmath>
#include <numeric>

#include "cam/graph.h"
#include "cam/methods.h"
#include "cam_test_util.h"
#include "core/error.h"
#include "core/random.h"

using namespace gaze;
using namespace gaze::cam;

namespace {

double map_sum(const Map& map) { return std::accumulate(map.values.begin(), map.values.end(), 0.0); }

double max_abs(const Map& map) {
  double m = 0;
  for (float v : map.values) m = std::max(m, std::abs(static_cast<double>(v)));
  return m;
}

void check_same_map(const Map& a, const Map& b, double tolerance = 1e-5) {
  REQUIRE(a.height == b.height);
  REQUIRE(a.width == b.width);
  const double scale = std::max(max_abs(a), 1e-12);
  for (size_t i = 0; i < a.values.size(); ++i) {
    INFO("pixel " << i << ": " << a.values[i] << " vs " << b.values[i]);
    CHECK(std::abs(a.values[i] - b.values[i]) <= tolerance * scale);
  }
}

Model from_layers(const std::vector<int64_t>& input, const nlohmann::json& layers, uint64_t seed = 5) {
  return Model::from_json({{"input", input}, {"layers", layers}}, seed);
}

nlohmann::json conv(const std::string& name, int filters, bool bias = true, int kernel = 3) {
  return {{"type", "conv"}, {"name", name}, {"filters", filters}, {"kernel", kernel}, {"padding", kernel / 2}, {"bias", bias}};
}
nlohmann::json layer(const std::string& type, const std::string& name) { return {{"type", type}, {"name", name}}; }

// A batchnorm whose folded bias is zero (running mean 0, beta 0) but whose
// scale is not 1, so the folding itself is tested.
void set_unbiased_batch_norm(Model& model, const std::string& name, uint64_t seed) {
  Rng rng(seed);
  Layer& bn = model.layer(name);
  bn.tensor("weight").copy_from(Tensor::uniform(bn.tensor("weight").shape(), rng, 0.5f, 1.5f));
  bn.tensor("running_var").copy_from(Tensor::uniform(bn.tensor("running_var").shape(), rng, 0.3f, 2.0f));
}

// conv -> bn -> relu -> maxpool -> conv -> relu -> (gap | avgpool -> flatten) -> dense, no biases anywhere.
Model bias_free_net(bool flatten) {
  nlohmann::json layers = {conv("conv1", 6, false), layer("batchnorm", "bn1"), layer("relu", "relu1"),
                           {{"type", "maxpool"}, {"name", "pool1"}, {"kernel", 2}},
                           conv("conv2", 8, false), layer("relu", "relu2")};
  if (flatten) {
    layers.push_back({{"type", "avgpool"}, {"name", "pool2"}, {"kernel", 2}});
    layers.push_back(layer("flatten", "flat"));
  } else {
    layers.push_back(layer("gap", "gap"));
  }
  layers.push_back({{"type", "dense"}, {"name", "fc"}, {"units", 3}, {"bias", false}});
  layers.push_back(layer("softmax", "probs"));
  Model model = from_layers({3, 12, 12}, layers, 21);
  set_unbiased_batch_norm(model, "bn1", 4);
  return model;
}

// A DAG without biases: two branches joined by add, then concat with one of them.
Model bias_free_dag() {
  return from_layers({2, 10, 10},
                     {conv("conva", 5, false), layer("relu", "relua"), conv("convb", 5, false), layer("relu", "relub"),
                      {{"type", "add"}, {"name", "sum"}, {"inputs", {"relua", "relub"}}},
                      {{"type", "concat"}, {"name", "cat"}, {"inputs", {"sum", "relua"}}},
                      {{"type", "avgpool"}, {"name", "pool"}, {"kernel", 2}}, layer("gap", "gap"),
                      {{"type", "dense"}, {"name", "fc"}, {"units", 4}, {"bias", false}},
                      layer("softmax", "probs")},
                     8);
}

Tensor absolute(const Tensor& x) {
  std::vector<float> values = x.to_vector();
  for (float& v : values) v = std::abs(v);
  return Tensor::from_vector(x.shape(), values);
}

// The top right singular vector's scores X v1 of the centred (pixels x
// channels) matrix of image n, by one-sided Jacobi rotations (Hestenes): the
// columns of X V converge to U Sigma, so the widest column is X v1. Signed so
// that it agrees with the channel sum, gaze's documented sign convention.
std::vector<double> first_principal_scores(const std::vector<float>& a, int64_t n, size_t k, size_t pixels) {
  std::vector<std::vector<double>> columns(k, std::vector<double>(pixels));
  std::vector<double> channel_sum(pixels, 0.0);
  for (size_t c = 0; c < k; ++c) {
    double mean = 0;
    for (size_t p = 0; p < pixels; ++p) mean += a[(static_cast<size_t>(n) * k + c) * pixels + p];
    mean /= static_cast<double>(pixels);
    for (size_t p = 0; p < pixels; ++p) {
      const double v = a[(static_cast<size_t>(n) * k + c) * pixels + p];
      columns[c][p] = v - mean;
      channel_sum[p] += v;
    }
  }
  for (int sweep = 0; sweep < 100; ++sweep) {
    double off = 0;
    for (size_t i = 0; i < k; ++i)
      for (size_t j = i + 1; j < k; ++j) {
        double alpha = 0, beta = 0, gamma = 0;
        for (size_t p = 0; p < pixels; ++p) {
          alpha += columns[i][p] * columns[i][p];
          beta += columns[j][p] * columns[j][p];
          gamma += columns[i][p] * columns[j][p];
        }
        if (gamma == 0) continue;
        off = std::max(off, std::abs(gamma) / std::sqrt(alpha * beta));
        const double zeta = (beta - alpha) / (2 * gamma);
        const double t = (zeta >= 0 ? 1.0 : -1.0) / (std::abs(zeta) + std::sqrt(1 + zeta * zeta));
        const double c = 1 / std::sqrt(1 + t * t), s = c * t;
        for (size_t p = 0; p < pixels; ++p) {
          const double x = columns[i][p], y = columns[j][p];
          columns[i][p] = c * x - s * y;
          columns[j][p] = s * x + c * y;
        }
      }
    if (off < 1e-15) break;
  }
  size_t widest = 0;
  double widest_norm = -1;
  for (size_t c = 0; c < k; ++c) {
    double norm = 0;
    for (double v : columns[c]) norm += v * v;
    if (norm > widest_norm) widest_norm = norm, widest = c;
  }
  std::vector<double> scores = columns[widest];
  const double agreement = std::inner_product(scores.begin(), scores.end(), channel_sum.begin(), 0.0);
  if (agreement < 0)
    for (double& v : scores) v = -v;
  return scores;
}

}  // namespace

TEST_CASE("LRP-epsilon with epsilon -> 0 conserves relevance on bias-free ReLU nets", "[cam][oracle][lrp]") {
  // Relevance starts as the explained logit; with no bias to absorb any and
  // epsilon -> 0, every layer passes on exactly what it receives, so the
  // input relevances (the map, summed over channels) sum to the logit. The
  // nets exercise conv, a batchnorm folded into its conv, relu, maxpool,
  // avgpool, flatten, gap, dense, add and concat.
  std::vector<std::pair<std::string, Model>> nets;
  nets.emplace_back("gap", bias_free_net(false));
  nets.emplace_back("avgpool + flatten", bias_free_net(true));
  nets.emplace_back("add + concat", bias_free_dag());
  for (auto& [label, model] : nets) {
    const Tensor x = testing::random_input(model, 3, 17);
    const std::vector<Prediction> predictions = predict(model, x);
    const std::vector<int> targets = {0, 2, 1};
    for (const bool alpha_beta : {false, true}) {
      // alpha = 1, beta = 0 conserves too: its biases are left out, and a
      // unit that passes relevance on (a > 0 behind its ReLU) has z+ > 0.
      const std::vector<Map> maps = alpha_beta ? lrp_alpha_beta_maps(model, x, targets, 1, 0)
                                               : lrp_epsilon_maps(model, x, targets, 1e-9f);
      for (size_t n = 0; n < maps.size(); ++n) {
        const double logit = predictions[n].logits[static_cast<size_t>(targets[n])];
        INFO(label << (alpha_beta ? " alpha-beta" : " epsilon") << ", image " << n << ": logit " << logit
                   << ", relevance " << map_sum(maps[n]));
        CHECK(std::abs(map_sum(maps[n]) - logit) <= 1e-4 * std::abs(logit));
      }
    }
  }
}

TEST_CASE("LRP-epsilon with epsilon -> 0 equals input x gradient on a ReLU net", "[cam][oracle][lrp]") {
  // LRP-0 on a piecewise-linear net is gradient x input (Montavon et al. 2019,
  // "Layer-wise relevance propagation: an overview", section 10.2.1): R/z at
  // a layer's output is d logit / d z, by induction from the top, biases,
  // batchnorm and maxpool included.
  Model model = testing::gap_network(3, 12, 3, 19);
  testing::randomize_batch_norm(model, 12);
  const Tensor x = testing::random_input(model, 2, 23);
  const std::vector<Map> lrp = lrp_epsilon_maps(model, x, {1, 2}, 1e-9f);
  const std::vector<Map> product = input_x_gradient_maps(model, x, {1, 2});
  for (size_t n = 0; n < 2; ++n) check_same_map(lrp[n], product[n], 1e-4);
}

TEST_CASE("deep Taylor with the z^B rule at the pixels conserves relevance for signed inputs", "[cam][oracle][lrp]") {
  // Normalized pixels are signed; inside the box [low, high] each term
  // x w - l w+ - h w- of the z^B rule is >= 0, so the first layer conserves
  // relevance like the z+ layers behind it: on a bias-free net the map sums
  // to the logit. Without the box, z+ at signed pixels does not.
  Model model = bias_free_net(false);
  Rng rng(31);
  const Tensor x = Tensor::uniform({3, 3, 12, 12}, rng, -1.2f, 2.0f);
  const std::vector<float> low = {-1.3f, -1.25f, -1.2f}, high = {2.0f, 2.1f, 2.2f};
  const std::vector<int> targets = {0, 1, 2};
  const std::vector<Prediction> predictions = predict(model, x);
  const std::vector<Map> bounded = deep_taylor_maps(model, x, targets, low, high);
  const std::vector<Map> plain = deep_taylor_maps(model, x, targets);
  for (size_t n = 0; n < targets.size(); ++n) {
    const double logit = predictions[n].logits[static_cast<size_t>(targets[n])];
    INFO("image " << n << ": logit " << logit << ", z^B relevance " << map_sum(bounded[n]));
    CHECK(std::abs(map_sum(bounded[n]) - logit) <= 1e-4 * std::abs(logit));
    CHECK(std::abs(map_sum(plain[n]) - map_sum(bounded[n])) > 0);
  }
  CHECK_THROWS_WITH(deep_taylor_maps(model, x, targets, {0, 0}, {1, 1}), Catch::Contains("2 pixel bounds for 3"));
}

TEST_CASE("LRP-alpha1-beta0 equals deep Taylor's z+ rule on a ReLU net", "[cam][oracle][lrp]") {
  // Both send relevance along positive contributions only, biases left out.
  // Behind a ReLU the inputs are >= 0 and (a w)+ = a w+: the rules coincide.
  // The first layer reads the image, so the images here are >= 0 too, and
  // deep Taylor gets no pixel box (with one it takes the z^B rule there).
  Model model = testing::gap_network(3, 12, 3, 9);
  testing::randomize_batch_norm(model, 2);
  const Tensor x = absolute(testing::random_input(model, 3, 5));
  const std::vector<int> targets = {0, 1, 2};
  const std::vector<Map> alpha_beta = lrp_alpha_beta_maps(model, x, targets, 1, 0);
  const std::vector<Map> taylor = deep_taylor_maps(model, x, targets);
  for (size_t n = 0; n < targets.size(); ++n) {
    INFO("image " << n);
    check_same_map(alpha_beta[n], taylor[n]);
  }
  // And alpha = 2, beta = 1 is another map: the negative contributions count.
  const std::vector<Map> two_one = lrp_alpha_beta_maps(model, x, targets, 2, 1);
  double difference = 0;
  for (size_t i = 0; i < two_one[0].values.size(); ++i)
    difference = std::max(difference, static_cast<double>(std::abs(two_one[0].values[i] - alpha_beta[0].values[i])));
  CHECK(difference > 1e-3 * max_abs(alpha_beta[0]));
}

TEST_CASE("LRP and DeepLift name the layer their rules cannot handle", "[cam][lrp][errors]") {
  Model leaky = from_layers({1, 6, 6}, {conv("conv1", 2), {{"type", "leaky_relu"}, {"name", "leaky"}}, layer("gap", "gap"),
                                        {{"type", "dense"}, {"name", "fc"}, {"units", 2}}});
  const Tensor x = testing::random_input(leaky, 1, 1);
  for (Method method : {Method::lrp_epsilon, Method::lrp_alpha_beta, Method::deep_taylor}) {
    MethodOptions options;
    options.method = method;
    CHECK_THROWS_WITH(compute_maps(leaky, x, {0}, options),
                      Catch::Contains("'leaky' (leaky_relu)") && Catch::Contains("relu"));
  }
  // DeepLift's rescale rule handles any monotone activation: it runs.
  MethodOptions deeplift;
  deeplift.method = Method::deeplift;
  CHECK(compute_maps(leaky, x, {0}, deeplift).size() == 1);

  Model unfoldable = from_layers({1, 6, 6}, {conv("conv1", 2), {{"type", "maxpool"}, {"name", "pool"}, {"kernel", 2}},
                                             layer("batchnorm", "bn"), layer("relu", "relu"), layer("gap", "gap"),
                                             {{"type", "dense"}, {"name", "fc"}, {"units", 2}}});
  MethodOptions lrp;
  lrp.method = Method::lrp_epsilon;
  CHECK_THROWS_WITH(compute_maps(unfoldable, testing::random_input(unfoldable, 1, 1), {0}, lrp),
                    Catch::Contains("batchnorm 'bn' reads 'pool' (maxpool)"));
  Model residual = from_layers({1, 4, 4}, {layer("flatten", "flat"), {{"type", "residual_dense"}, {"name", "res"}},
                                           {{"type", "dense"}, {"name", "fc"}, {"units", 2}}});
  CHECK_THROWS_WITH(compute_maps(residual, testing::random_input(residual, 1, 1), {0}, lrp),
                    Catch::Contains("'res' (residual_dense)"));
}

TEST_CASE("DeepLift's rescale rule sums to f(x) - f(baseline)", "[cam][oracle][deeplift]") {
  // Summation-to-delta, on a net with biases, a batchnorm off its defaults,
  // ReLUs and a maxpool (Captum's maxpool rule), for both baselines; and on
  // a DAG with add and concat.
  std::vector<std::pair<std::string, Model>> nets;
  nets.emplace_back("gap network", testing::gap_network(3, 16, 3, 4));
  testing::randomize_batch_norm(nets.back().second, 6);
  nets.emplace_back("add + concat", bias_free_dag());
  for (auto& [label, model] : nets) {
    const Tensor x = testing::random_input(model, 3, 8);
    const std::vector<int> targets = {2, 0, 1};
    for (Baseline baseline : {Baseline::zero, Baseline::blur}) {
      const std::vector<Map> maps = deeplift_maps(model, x, targets, baseline, 0);
      const std::vector<Prediction> at_x = predict(model, x);
      const std::vector<Prediction> at_baseline = predict(model, deeplift_baseline(x, baseline, 0));
      for (size_t n = 0; n < targets.size(); ++n) {
        const size_t t = static_cast<size_t>(targets[n]);
        const double delta = at_x[n].logits[t] - at_baseline[n].logits[t];
        INFO(label << ", baseline " << to_string(baseline) << ", image " << n << ": delta " << delta << ", sum "
                   << map_sum(maps[n]));
        CHECK(std::abs(map_sum(maps[n]) - delta) <= 1e-4 * std::abs(delta) + 1e-6);
      }
    }
  }
}

TEST_CASE("input x gradient equals integrated gradients on a linear model", "[cam][oracle]") {
  // f affine: the gradient is the same everywhere on the path from the zero
  // baseline, so IG = x * grad exactly, whatever the number of steps.
  Model model = from_layers({2, 8, 8}, {conv("conv1", 4), {{"type", "avgpool"}, {"name", "pool"}, {"kernel", 2}},
                                        conv("conv2", 3), layer("batchnorm", "bn"), layer("gap", "gap"),
                                        {{"type", "dense"}, {"name", "fc"}, {"units", 3}}, layer("softmax", "probs")});
  testing::randomize_batch_norm(model, 1);
  const Tensor x = testing::random_input(model, 2, 4);
  const std::vector<Map> product = input_x_gradient_maps(model, x, {1, 2});
  const std::vector<Map> integrated = integrated_gradients_maps(model, x, {1, 2}, 3);
  for (size_t n = 0; n < 2; ++n) check_same_map(product[n], integrated[n]);
}

TEST_CASE("HiResCAM equals Grad-CAM and CAM / (H W) where the layer feeds gap -> dense", "[cam][oracle]") {
  // d logit_c / d A_k = w_ck / (H W) at every pixel, so HiResCAM's
  // sum_k g_k * A_k and Grad-CAM's sum_k mean(g_k) A_k are the same map,
  // CAM's sum_k w_ck A_k divided by H W. (The issue wrote "HiResCAM = Grad-CAM
  // x H W"; the factor H W is between either of them and CAM.) XGrad-CAM's
  // weights sum(A g) / sum(A) and LayerCAM's relu(g) follow in closed form.
  Model model = testing::gap_network(3, 16, 3, 11);
  testing::randomize_batch_norm(model, 5);
  const Tensor x = testing::random_input(model, 2, 9);
  const std::vector<int> targets = {1, 2};
  const std::string layer = find_cam_graph(model).feature_layer;
  const std::vector<Map> hires = hirescam_maps(model, x, targets, layer);
  const std::vector<Map> grad = gradcam_maps(model, x, targets, layer, false);
  const std::vector<Map> xgrad = xgradcam_maps(model, x, targets, layer);
  const std::vector<Map> layercam = layercam_maps(model, x, targets, layer);
  predict(model, x);
  const std::vector<Map> cams = class_activation_maps(model, targets);
  const std::vector<float> a = model.activation(layer).to_vector();
  const std::vector<float> w = layer_parameter(model, "fc", "weight").to_vector();
  const int64_t k = model.activation(layer).dim(1), plane = hires[0].height * hires[0].width;
  for (size_t n = 0; n < targets.size(); ++n) {
    INFO("image " << n);
    Map scaled = cams[n];
    for (float& v : scaled.values) v /= static_cast<float>(plane);
    check_same_map(hires[n], grad[n]);
    check_same_map(hires[n], scaled);
    check_same_map(xgrad[n], grad[n]);
    Map expected(hires[n].height, hires[n].width);
    for (int64_t c = 0; c < k; ++c) {
      const float weight = std::max(w[static_cast<size_t>(targets[n] * k + c)], 0.0f) / static_cast<float>(plane);
      for (int64_t i = 0; i < plane; ++i)
        expected.values[static_cast<size_t>(i)] += weight * a[static_cast<size_t>((static_cast<int64_t>(n) * k + c) * plane + i)];
    }
    check_same_map(layercam[n], expected);
  }
}

TEST_CASE("EigenCAM is the first principal component of the activations", "[cam][oracle]") {
  // Compared with an SVD computed here by Jacobi rotations, for a layer with
  // fewer channels than pixels (8 channels, 8x8) and one with more (8
  // channels, 2x2), which take the two branches of gaze's power iteration.
  for (int size : {16, 4}) {
    Model model = testing::gap_network(3, size, 2, 13);
    testing::randomize_batch_norm(model, 7);
    const Tensor x = testing::random_input(model, 2, 21);
    const std::string layer = find_cam_graph(model).feature_layer;
    const std::vector<Map> maps = eigencam_maps(model, x, layer);
    predict(model, x);
    const Tensor a = model.activation(layer);
    const std::vector<float> values = a.to_vector();
    for (int64_t n = 0; n < 2; ++n) {
      INFO("input " << size << ", image " << n);
      const std::vector<double> scores =
          first_principal_scores(values, n, static_cast<size_t>(a.dim(1)), static_cast<size_t>(a.dim(2) * a.dim(3)));
      Map expected(static_cast<int>(a.dim(2)), static_cast<int>(a.dim(3)));
      for (size_t i = 0; i < scores.size(); ++i) expected.values[i] = static_cast<float>(scores[i]);
      check_same_map(maps[static_cast<size_t>(n)], expected, 1e-4);
    }
  }
}

TEST_CASE("Ablation-CAM on gap -> dense: zeroing channel k drops the logit by w_ck mean(A_k)", "[cam][oracle]") {
  Model model = testing::gap_network(3, 16, 3, 17);
  testing::randomize_batch_norm(model, 8);
  const Tensor x = testing::random_input(model, 2, 10);
  const std::vector<int> targets = {2, 0};
  const std::string layer = find_cam_graph(model).feature_layer;
  for (Compat compat : {Compat::gaze, Compat::pytorch_grad_cam}) {
    const std::vector<Map> maps = ablationcam_maps(model, x, targets, layer, 3, compat);  // 8 channels: batches 3, 3, 2
    const std::vector<Prediction> predictions = predict(model, x);
    const Tensor activation = model.activation(layer);
    const std::vector<float> a = activation.to_vector();
    const std::vector<float> w = layer_parameter(model, "fc", "weight").to_vector();
    const int64_t k = activation.dim(1), plane = activation.dim(2) * activation.dim(3);
    for (size_t n = 0; n < targets.size(); ++n) {
      // gaze: the drop itself; pytorch-grad-cam (and the paper): the drop over the logit.
      const double divisor = compat == Compat::gaze ? 1.0 : predictions[n].logits[static_cast<size_t>(targets[n])];
      Map expected(maps[n].height, maps[n].width);
      for (int64_t c = 0; c < k; ++c) {
        const float* ac = a.data() + (static_cast<int64_t>(n) * k + c) * plane;
        const double mean = std::accumulate(ac, ac + plane, 0.0) / static_cast<double>(plane);
        const double weight = w[static_cast<size_t>(targets[n] * k + c)] * mean / divisor;
        for (int64_t i = 0; i < plane; ++i) expected.values[static_cast<size_t>(i)] += static_cast<float>(weight * ac[i]);
      }
      INFO(to_string(compat) << ", image " << n);
      check_same_map(maps[n], expected, 1e-4);
    }
  }
}

TEST_CASE("DeConvNet passes the ReLU of the gradient whatever the forward sign", "[cam][methods]") {
  // conv (one 1x1 filter of weight 2, bias -1) -> relu -> gap -> dense (weight v).
  // d logit / d relu-output = v / 16 everywhere. DeConvNet: relu(v / 16) goes
  // back through every ReLU, even where its input was negative, then times
  // the conv weight 2: |2 v / 16| at every pixel for v > 0, and 0 for v < 0.
  // Guided backpropagation also masks by the forward sign.
  Model model = from_layers({1, 4, 4}, {conv("conv", 1, true, 1), layer("relu", "relu"), layer("gap", "gap"),
                                        {{"type", "dense"}, {"name", "fc"}, {"units", 2}}});
  model.layer("conv").tensor("weight").fill_(2.0f);
  model.layer("conv").tensor("bias").fill_(-1.0f);
  model.layer("fc").tensor("weight").copy_from(Tensor::from_vector({2, 1}, {0.8f, -0.5f}));
  std::vector<float> pixels(16);
  for (size_t i = 0; i < 16; ++i) pixels[i] = (static_cast<float>(i) + 0.5f) / 10.0f;  // conv output < 0 for i < 5
  const Tensor x = Tensor::from_vector({1, 1, 4, 4}, pixels);
  const Map positive = deconvnet_maps(model, x, {0}).front(), negative = deconvnet_maps(model, x, {1}).front();
  const Map guided = guided_backprop_maps(model, x, {0}).front();
  for (size_t i = 0; i < 16; ++i) {
    INFO("pixel " << i);
    CHECK(positive.values[i] == Approx(2 * 0.8 / 16));
    CHECK(negative.values[i] == 0.0f);
    CHECK(guided.values[i] == Approx(i < 5 ? 0.0 : 2 * 0.8 / 16));
  }
}
