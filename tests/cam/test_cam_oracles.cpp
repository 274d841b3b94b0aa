// The exact identities a GAP -> dense network gives for free.
#include <catch2/catch.hpp>
#include <cmath>

#include "cam/graph.h"
#include "cam/methods.h"
#include "cam_test_util.h"
#include "core/autograd.h"
#include "core/error.h"

using namespace gaze;
using namespace gaze::cam;

namespace {
std::vector<float> dense_bias(const Model& model) { return layer_parameter(model, "fc", "bias").to_vector(); }

double mean_of(const Map& map) {
  double sum = 0;
  for (float v : map.values) sum += v;
  return sum / static_cast<double>(map.values.size());
}
}  // namespace

TEST_CASE("the CAM structure is found from the logits backwards", "[cam][graph]") {
  const Model model = testing::gap_network(3, 16, 2);
  const CamGraph graph = find_cam_graph(model);
  CHECK(graph.feature_layer == "relu2");
  CHECK(graph.pool_layer == "gap");
  CHECK(graph.dense_layer == "fc");
  CHECK(default_target_layer(model) == "relu2");
}

TEST_CASE("cam refuses a network without GAP -> dense and suggests gradcam", "[cam][graph]") {
  Model model = testing::flatten_network(3, 8, 2);
  CHECK_FALSE(find_cam_graph_if_any(model).has_value());
  try {
    find_cam_graph(model);
    FAIL("find_cam_graph accepted a network without global average pooling");
  } catch (const Error& e) {
    const std::string message = e.what();
    CHECK(message.find("global average pooling") != std::string::npos);
    CHECK(message.find("reads 'relu1' (relu)") != std::string::npos);
    CHECK(message.find("--method gradcam") != std::string::npos);
    CHECK(message.find("relu1") != std::string::npos);  // a candidate layer is named
  }
  MethodOptions options;
  options.method = Method::cam;
  CHECK_THROWS_WITH(compute_maps(model, testing::random_input(model, 1, 1), {0}, options),
                    Catch::Contains("gradcam"));
  // gradcam itself works on the same network.
  options.method = Method::gradcam;
  const std::vector<Map> maps = compute_maps(model, testing::random_input(model, 1, 1), {0}, options);
  CHECK(maps.at(0).height == 8);
  CHECK(default_target_layer(model) == "relu1");
}

TEST_CASE("Grad-CAM equals CAM / (H W) on a GAP -> dense network", "[cam][oracle]") {
  for (bool pool : {true, false}) {
    Model model = testing::gap_network(3, 12, 3, 11, pool);
    testing::randomize_batch_norm(model, 5);
    const Tensor x = testing::random_input(model, 4, 21);
    const std::vector<int> targets{0, 1, 2, 1};
    MethodOptions options;
    options.method = Method::cam;
    const std::vector<Map> cam = compute_maps(model, x, targets, options);
    options.method = Method::gradcam;
    const std::vector<Map> gradcam = compute_maps(model, x, targets, options);
    REQUIRE(cam.size() == 4);
    for (size_t n = 0; n < cam.size(); ++n) {
      REQUIRE(cam[n].height == gradcam[n].height);
      REQUIRE(cam[n].width == gradcam[n].width);
      const float plane = static_cast<float>(cam[n].height * cam[n].width);
      float largest = 0;
      for (float v : cam[n].values) largest = std::max(largest, std::abs(v));
      REQUIRE(largest > 0);
      for (size_t i = 0; i < cam[n].values.size(); ++i)
        REQUIRE(gradcam[n].values[i] == Approx(cam[n].values[i] / plane).margin(1e-5 * largest / plane));
    }
  }
}

TEST_CASE("completeness: mean of M_c plus the dense bias equals the logit", "[cam][oracle]") {
  Model model = testing::gap_network(3, 16, 4, 3);
  testing::randomize_batch_norm(model, 9);
  const Tensor x = testing::random_input(model, 3, 5);
  const std::vector<Prediction> predictions = predict(model, x);
  const std::vector<std::vector<Map>> maps = all_class_activation_maps(model);
  const std::vector<float> bias = dense_bias(model);
  for (size_t n = 0; n < maps.size(); ++n)
    for (size_t c = 0; c < 4; ++c)
      CHECK(mean_of(maps[n][c]) + bias[c] == Approx(predictions[n].logits[c]).margin(1e-4));
}

TEST_CASE("all-class CAMs match single-class CAMs and contrastive CAM is their difference", "[cam]") {
  Model model = testing::gap_network(3, 16, 3, 8);
  const Tensor x = testing::random_input(model, 2, 6);
  predict(model, x);
  const std::vector<std::vector<Map>> all = all_class_activation_maps(model);
  for (int c = 0; c < 3; ++c) {
    const std::vector<Map> single = class_activation_maps(model, {c, c});
    for (size_t n = 0; n < 2; ++n) CHECK(single[n].values == all[n][static_cast<size_t>(c)].values);
  }
  const std::vector<Map> contrast = contrastive_maps(model, {1, 2});
  for (size_t i = 0; i < contrast[0].values.size(); ++i)
    CHECK(contrast[0].values[i] ==
          Approx(all[0][1].values[i] - all[0][0].values[i] - all[0][2].values[i]).margin(1e-5));
  CHECK_THROWS_WITH(class_activation_maps(model, {0, 3}), Catch::Contains("outside the model's 3 classes"));
}

TEST_CASE("one-pixel feature maps give 1x1 maps for every layer-based method", "[cam][edge]") {
  Model model = testing::gap_network(3, 2, 2, 4, true);  // 2x2 input, pooled to 1x1
  const Tensor x = testing::random_input(model, 2, 2);
  for (Method method : {Method::cam, Method::contrastive, Method::gradcam, Method::gradcam_plus_plus, Method::scorecam,
                        Method::hirescam, Method::xgradcam, Method::layercam, Method::eigencam, Method::ablationcam}) {
    MethodOptions options;
    options.method = method;
    const std::vector<Map> maps = compute_maps(model, x, {0, 1}, options);
    INFO(to_string(method));
    REQUIRE(maps.size() == 2);
    CHECK(maps[0].height == 1);
    CHECK(maps[0].width == 1);
    CHECK(std::isfinite(maps[0].values[0]));
  }
}
