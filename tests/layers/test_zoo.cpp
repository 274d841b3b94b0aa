// configs/zoo/: every architecture builds from its config, has exactly the
// parameter count torchvision reports for it, and (all but VGG-16) ends in
// GAP -> dense -> softmax, the shape CAM reads. Numerical parity with
// torchvision is in test_zoo_parity.cpp.
#include <catch2/catch.hpp>

#include <string>
#include <yaml-cpp/yaml.h>

#include "layers/layers.h"
#include "layers/model_yaml.h"

using namespace gaze;

namespace {

Model zoo_model(const std::string& name, const Shape& input = {}) {
  const std::string path = std::string(GAZE_SOURCE_DIR) + "/configs/zoo/" + name + ".yaml";
  YAML::Node model = YAML::LoadFile(path)["model"];
  REQUIRE(model["input"].as<std::vector<int64_t>>() == std::vector<int64_t>{3, 224, 224});
  if (!input.empty()) model["input"] = input;
  return model_from_yaml(model, path);
}

void require_cam_head(const Model& model) {
  const size_t n = model.size();
  REQUIRE(model.layer(n - 1).traits().probabilities);
  REQUIRE(model.layer(n - 2).traits().linear);
  REQUIRE(model.output_shape(model.logits_name()) == Shape{1000});
  // The dense layer reads GAP, possibly through dropout (identity at inference).
  size_t gap = n - 3;
  while (model.layer(gap).traits().identity_at_inference) --gap;
  REQUIRE(model.layer(gap).traits().global_average_pool);
}

}  // namespace

TEST_CASE("zoo ResNets have torchvision's parameter counts and a CAM head", "[zoo]") {
  // torchvision 0.14's documented counts (weights, biases and BatchNorm affine
  // parameters; running statistics are buffers).
  const std::vector<std::pair<std::string, int64_t>> expected = {
      {"resnet18", 11'689'512}, {"resnet34", 21'797'672}, {"resnet50", 25'557'032}};
  for (const auto& [name, count] : expected) {
    SECTION(name) {
      const Model model = zoo_model(name);
      CHECK(model.parameter_count() == count);
      CHECK(model.output_shape("layer4_" + std::string(name == "resnet34" || name == "resnet50" ? "2" : "1") +
                               "_add") == Shape{name == "resnet50" ? 2048 : 512, 7, 7});
      require_cam_head(model);
    }
  }
}

TEST_CASE("zoo MobileNetV2 has torchvision's parameter count, depthwise convs and ReLU6", "[zoo]") {
  Model model = zoo_model("mobilenet_v2");
  CHECK(model.parameter_count() == 3'504'872);
  CHECK(model.output_shape("features_18_2") == Shape{1280, 7, 7});
  CHECK(model.layer("features_2_conv_1_0").tensor("weight").shape() == Shape{96, 1, 3, 3});
  CHECK(model.layer("features_2_conv_1_2").type() == "relu6");
  require_cam_head(model);
}

TEST_CASE("zoo VGG-16 and the CAM paper's VGG-16-GAP", "[zoo]") {
  SECTION("vgg16: 138,357,544 parameters at 224x224, of which the first dense layer holds 25088 x 4096 + 4096") {
    // Built at 32x32 (conv5 gives 1x1, flatten 512) to spare the tests 0.5 GB;
    // only the first dense layer depends on the input size.
    const Model model = zoo_model("vgg16", {3, 32, 32});
    CHECK(model.parameter_count() == 138'357'544 - (25'088 - 512) * 4'096);
    CHECK(model.output_shape("features_30") == Shape{512, 1, 1});
    CHECK(model.output_shape(model.logits_name()) == Shape{1000});
  }
  SECTION("vgg16-gap: VGG-16's features (14,714,688), conv6 (512 x 1024 x 3 x 3 + 1024), dense (1024 x 1000 + 1000)") {
    const Model model = zoo_model("vgg16-gap");
    CHECK(model.parameter_count() == 14'714'688 + 4'719'616 + 1'025'000);
    CHECK(model.output_shape("conv6") == Shape{1024, 14, 14});  // the CAM paper's 14x14 map
    require_cam_head(model);
  }
}
