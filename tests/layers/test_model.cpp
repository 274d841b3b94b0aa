// Model: sequential and DAG wiring from JSON and YAML, gradients through the
// whole model, description round trips, activations and their gradients
// (what Grad-CAM needs), wiring and config errors, state loading, and a tiny
// model that must overfit one batch.
#include <catch2/catch.hpp>

#include <cmath>
#include <yaml-cpp/yaml.h>

#include "tests/layers/layer_test_util.h"

using namespace gaze;
using namespace gaze::testing;
using nlohmann::json;

namespace {

// conv -> bn -> relu -> conv -> add(with the stem) -> gap -> dense.
const char* kResidualJson = R"({
  "input": [2, 5, 5],
  "layers": [
    {"type": "conv", "name": "stem", "filters": 3, "kernel": 3, "padding": 1},
    {"type": "conv", "name": "conv_a", "filters": 3, "kernel": 3, "padding": 1},
    {"type": "batchnorm", "name": "bn_a"},
    {"type": "relu", "name": "relu_a"},
    {"type": "conv", "name": "conv_b", "filters": 3, "kernel": [3, 3], "padding": 1},
    {"type": "add", "name": "res", "inputs": ["conv_b", "stem"]},
    {"type": "gap", "name": "pool"},
    {"type": "dense", "name": "fc", "units": 2}
  ]
})";

const char* kResidualYaml = R"(model:
  input: [2, 5, 5]
  layers:
    - {type: conv, name: stem, filters: 3, kernel: 3, padding: 1}
    - type: conv
      name: conv_a
      filters: 3
      kernel: 3
      padding: 1
    - {type: batchnorm, name: bn_a}
    - {type: relu, name: relu_a}
    - {type: conv, name: conv_b, filters: 3, kernel: [3, 3], padding: 1}
    - type: add
      name: res
      inputs: [conv_b, stem]
    - {type: gap, name: pool}
    - {type: dense, name: fc, units: 2}
)";

Model model_from_yaml_text(const std::string& text, uint64_t seed = 0) {
  const YAML::Node root = YAML::Load(text);
  return model_from_yaml(root["model"], "model.yaml", seed);
}

std::string yaml_error(const std::string& text) {
  try {
    model_from_yaml_text(text);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

std::string json_error(const json& description) {
  try {
    Model::from_json(description);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TensorFile state_file(const Model& model) {
  TensorFile file;
  for (const auto& [name, tensor] : model.named_state()) file.tensors.emplace_back(name, tensor.clone());
  return file;
}

// Every input and parameter of the model, for the gradient checker.
std::vector<Tensor> model_inputs(Model& model, const Tensor& x) {
  std::vector<Tensor> all{x};
  all.front().set_requires_grad(true);
  for (const auto& [name, tensor] : model.named_parameters()) all.push_back(tensor);
  return all;
}

}  // namespace

TEST_CASE("a sequential model wires each layer to the previous one", "[model]") {
  const Model model = Model::from_json(json::parse(R"({
    "input": [3, 8, 8],
    "layers": [{"type": "conv", "filters": 4, "kernel": 3, "padding": 1},
               {"type": "batchnorm"}, {"type": "relu"}, {"type": "maxpool"},
               {"type": "conv", "filters": 6, "kernel": 3},
               {"type": "gap"}, {"type": "dense", "units": 5}, {"type": "softmax"}]})"));
  REQUIRE(model.size() == 8);
  // Generated names: the type and a per-type counter.
  std::vector<std::string> names;
  for (size_t i = 0; i < model.size(); ++i) names.push_back(model.layer(i).name());
  REQUIRE(names == std::vector<std::string>{"conv1", "batchnorm1", "relu1", "maxpool1", "conv2", "gap1",
                                            "dense1", "softmax1"});
  REQUIRE(model.inputs_of("conv1") == std::vector<std::string>{"input"});
  REQUIRE(model.inputs_of("conv2") == std::vector<std::string>{"maxpool1"});
  REQUIRE(model.output_shape("conv1") == Shape{4, 8, 8});
  REQUIRE(model.output_shape("maxpool1") == Shape{4, 4, 4});
  REQUIRE(model.output_shape("conv2") == Shape{6, 2, 2});
  REQUIRE(model.output_shape("dense1") == Shape{5});
  REQUIRE(model.output_name() == "softmax1");
  REQUIRE(model.logits_name() == "dense1");
  REQUIRE(model.parameter_count() == (4 * 3 * 9 + 4) + (4 + 4) + (6 * 4 * 9 + 6) + (5 * 6 + 5));
  std::vector<std::string> state;
  for (const auto& [name, tensor] : model.named_state()) state.push_back(name);
  REQUIRE(state == std::vector<std::string>{"conv1.weight", "conv1.bias", "batchnorm1.weight", "batchnorm1.bias",
                                            "conv2.weight", "conv2.bias", "dense1.weight", "dense1.bias",
                                            "batchnorm1.running_mean", "batchnorm1.running_var"});
}

TEST_CASE("a sequential model's forward is the composition of its layers", "[model]") {
  Model model = Model::from_json(json::parse(R"({
    "input": [2, 4, 4],
    "layers": [{"type": "conv", "name": "c", "filters": 3, "kernel": 3, "padding": 1},
               {"type": "relu", "name": "r"}, {"type": "gap", "name": "g"},
               {"type": "dense", "name": "d", "units": 2}]})"),
                                 5);
  Rng rng(1);
  const Tensor x = Tensor::randn({3, 2, 4, 4}, rng);
  const Tensor y = model.forward(x);
  REQUIRE(y.shape() == Shape{3, 2});
  const Tensor expected = ops::dense(
      ops::global_avg_pool(ops::relu(ops::conv2d(x, model.layer("c").tensor("weight"), model.layer("c").tensor("bias"),
                                                 {1, 1, 1, 1}))),
      model.layer("d").tensor("weight"), model.layer("d").tensor("bias"));
  REQUIRE(y.to_vector() == expected.to_vector());
  REQUIRE(model.activation("g").shape() == Shape{3, 3});
  REQUIRE(model.activation("input").to_vector() == x.to_vector());
  REQUIRE_THROWS_AS(model.forward(Tensor::zeros({3, 2, 5, 4})), Error);
  REQUIRE_THROWS_AS(model.forward(Tensor::zeros({2, 4, 4})), Error);
}

TEST_CASE("a residual DAG from JSON and from YAML: same model, gradients through all of it", "[model][gradcheck]") {
  Model from_json = Model::from_json(json::parse(kResidualJson), 3);
  Model from_yaml = model_from_yaml_text(kResidualYaml, 3);
  REQUIRE(from_json.to_json() == from_yaml.to_json());
  REQUIRE(from_json.inputs_of("res") == std::vector<std::string>{"conv_b", "stem"});
  REQUIRE(from_json.inputs_of("conv_a") == std::vector<std::string>{"stem"});
  REQUIRE(from_json.inputs_of("pool") == std::vector<std::string>{"res"});

  Rng rng(4);
  const Tensor x = Tensor::randn({3, 2, 5, 5}, rng);
  // Non-trivial biases and BN affine parameters, the same in both models.
  for (const auto& [name, tensor] : from_json.named_parameters())
    if (name.find("bias") != std::string::npos || name.find("bn_a") != std::string::npos)
      randomize(tensor, rng, 0.3f);
  from_yaml.load_state(state_file(from_json), "copy");
  REQUIRE(from_json.forward(x).to_vector() == from_yaml.forward(x).to_vector());

  // The residual connection is really there: output = fc(gap(conv_b + stem)).
  from_json.forward(x);
  const Tensor sum = ops::add(from_json.activation("conv_b"), from_json.activation("stem"));
  REQUIRE(from_json.activation("res").to_vector() == sum.to_vector());

  GradCheckOptions options;
  options.step = 1e-3f;  // keeps ReLU inputs from crossing zero under perturbation
  SECTION("training mode (batch statistics)") {
    check_gradients([&](const std::vector<Tensor>& in) { return from_yaml.forward(in[0], {true, 0}); },
                    model_inputs(from_yaml, x.clone()), options);
  }
  SECTION("eval mode") {
    check_gradients([&](const std::vector<Tensor>& in) { return from_json.forward(in[0], false); },
                    model_inputs(from_json, x.clone()), options);
  }
}

TEST_CASE("to_json then from_json rebuilds the same architecture", "[model]") {
  Model original = Model::from_json(json::parse(kResidualJson), 1);
  const json description = original.to_json();
  // Every hyperparameter is explicit.
  REQUIRE(description["layers"][1]["stride"] == json{1, 1});
  REQUIRE(description["layers"][1]["bias"] == true);
  REQUIRE(description["layers"][2]["momentum"].get<double>() == Approx(0.1));
  Model rebuilt = Model::from_json(description, 99);  // other initial weights...
  REQUIRE(rebuilt.to_json() == description);
  Rng rng(2);
  for (const auto& [name, tensor] : original.named_buffers()) randomize(tensor, rng, 0.2f);
  original.layer("bn_a").tensor("running_var").copy_from(Tensor::from_vector({3}, {0.5f, 1.5f, 2.0f}));
  const Tensor x = Tensor::randn({2, 2, 5, 5}, rng);
  REQUIRE(rebuilt.forward(x).to_vector() != original.forward(x).to_vector());
  // ...until the state is copied over by name.
  const NamedTensors source = original.named_state();
  NamedTensors target = rebuilt.named_state();
  REQUIRE(target.size() == source.size());
  for (size_t i = 0; i < target.size(); ++i) {
    REQUIRE(target[i].first == source[i].first);
    target[i].second.copy_from(source[i].second);
  }
  REQUIRE(rebuilt.forward(x).to_vector() == original.forward(x).to_vector());
}

TEST_CASE("activations are readable after forward and their gradients reachable (Grad-CAM)", "[model][gradcam]") {
  Model model = Model::from_json(json::parse(R"({
    "input": [2, 4, 4],
    "layers": [{"type": "conv", "name": "features", "filters": 3, "kernel": 3, "padding": 1},
               {"type": "relu", "name": "act"}, {"type": "gap", "name": "pool"},
               {"type": "dense", "name": "fc", "units": 3}]})"),
                                 7);
  Rng rng(3);
  randomize(model.layer("features").tensor("bias"), rng, 0.2f);
  REQUIRE_THROWS_WITH(model.activation("act"), Catch::Contains("act"));  // no forward yet
  const Tensor x = Tensor::randn({2, 2, 4, 4}, rng);
  const Tensor logits = model.forward(x);
  Tensor features = model.activation("features"), act = model.activation("act");
  REQUIRE(features.shape() == Shape{2, 3, 4, 4});
  features.retain_grad();
  act.retain_grad();
  // d (logit of class 1, summed over the batch) / d feature map.
  const int cls = 1;
  std::vector<float> onehot(6, 0.0f);
  onehot[cls] = onehot[3 + cls] = 1;
  ops::sum(ops::mul(logits, Tensor::from_vector({2, 3}, onehot))).backward();
  REQUIRE(features.grad().defined());
  REQUIRE(act.grad().defined());
  const std::vector<float> w = model.layer("fc").tensor("weight").to_vector();

  // GAP -> dense: d logit_c / d act[n, k, i, j] = W[c, k] / (H W) exactly.
  const std::vector<float> grad_act = act.grad().to_vector();
  for (size_t i = 0; i < grad_act.size(); ++i) {
    const size_t k = (i / 16) % 3;
    INFO("element " << i);
    REQUIRE(grad_act[i] == Approx(w[static_cast<size_t>(cls) * 3 + k] / 16.0f).epsilon(1e-6));
  }

  // Before the ReLU: compare with central differences through the downstream layers.
  const Tensor base = features.detach().clone();
  const std::vector<float> grad_features = features.grad().to_vector();
  NoGradGuard no_grad;
  const auto score = [&](const Tensor& feature_map) {
    const Tensor out = model.layer("fc").forward(
        {model.layer("pool").forward({model.layer("act").forward({feature_map}, {})}, {})}, {});
    const std::vector<float> v = out.to_vector();
    return static_cast<double>(v[cls]) + v[3 + cls];
  };
  const float step = 1e-3f;
  int compared = 0;
  for (int64_t i = 0; i < base.numel(); ++i) {
    const float original = base.data()[i];
    if (std::abs(original) < 4 * step) continue;  // at the ReLU kink the derivative is one-sided
    Tensor plus = base.clone(), minus = base.clone();
    plus.data()[i] = original + step;
    minus.data()[i] = original - step;
    const double numeric = (score(plus) - score(minus)) / (static_cast<double>(plus.data()[i]) - minus.data()[i]);
    INFO("feature element " << i << ": analytic " << grad_features[static_cast<size_t>(i)] << ", numeric " << numeric);
    REQUIRE(std::abs(grad_features[static_cast<size_t>(i)] - numeric) <= 1e-4);
    ++compared;
  }
  REQUIRE(compared > 80);  // of 96
}

TEST_CASE("model wiring errors name the layer and what was expected", "[model][errors]") {
  const auto with_layers = [](const json& layers) { return json{{"input", {2, 6, 6}}, {"layers", layers}}; };
  SECTION("unknown layer type lists the known types") {
    const std::string message = json_error(with_layers(json::array({{{"type", "convolution"}, {"name", "c1"}}})));
    REQUIRE_THAT(message, Catch::Contains("convolution") && Catch::Contains("c1") && Catch::Contains("conv") &&
                              Catch::Contains("batchnorm") && Catch::Contains("dense") && Catch::Contains("gap"));
  }
  SECTION("duplicate name") {
    const std::string message = json_error(with_layers(
        json::array({{{"type", "conv"}, {"name", "a"}, {"filters", 2}}, {{"type", "relu"}, {"name", "a"}}})));
    REQUIRE_THAT(message, Catch::Contains("'a'") && Catch::Contains("twice"));
  }
  SECTION("a layer may not be called input") {
    REQUIRE_THAT(json_error(with_layers(json::array({{{"type", "relu"}, {"name", "input"}}}))),
                 Catch::Contains("reserved"));
  }
  SECTION("unknown input name") {
    const std::string message = json_error(with_layers(json::array(
        {{{"type", "conv"}, {"name", "c1"}, {"filters", 2}}, {{"type", "relu"}, {"name", "r1"}, {"inputs", {"c2"}}}})));
    REQUIRE_THAT(message, Catch::Contains("r1") && Catch::Contains("'c2'"));
  }
  SECTION("an input defined later is unknown too (no cycles)") {
    const std::string message = json_error(with_layers(json::array(
        {{{"type", "relu"}, {"name", "r1"}, {"inputs", {"r2"}}}, {{"type", "relu"}, {"name", "r2"}}})));
    REQUIRE_THAT(message, Catch::Contains("r1") && Catch::Contains("'r2'"));
  }
  SECTION("add needs two or more inputs") {
    const std::string message = json_error(with_layers(
        json::array({{{"type", "conv"}, {"name", "c1"}, {"filters", 2}}, {{"type", "add"}, {"name", "sum1"}}})));
    REQUIRE_THAT(message, Catch::Contains("sum1") && Catch::Contains("got 1"));
  }
  SECTION("relu takes exactly one input") {
    const std::string message = json_error(with_layers(json::array(
        {{{"type", "conv"}, {"name", "c1"}, {"filters", 2}}, {{"type", "relu"}, {"name", "r"}, {"inputs", {"c1", "input"}}}})));
    REQUIRE_THAT(message, Catch::Contains("'r'") && Catch::Contains("got 2"));
  }
  SECTION("add of mismatched shapes") {
    const std::string message = json_error(with_layers(json::array(
        {{{"type", "conv"}, {"name", "c1"}, {"filters", 4}, {"padding", 1}},
         {{"type", "add"}, {"name", "sum1"}, {"inputs", {"c1", "input"}}}})));
    REQUIRE_THAT(message, Catch::Contains("sum1") && Catch::Contains("[4, 6, 6]") && Catch::Contains("[2, 6, 6]"));
  }
  SECTION("dense after a conv without gap or flatten") {
    const std::string message = json_error(with_layers(json::array(
        {{{"type", "conv"}, {"name", "c1"}, {"filters", 4}}, {{"type", "dense"}, {"name", "head"}, {"units", 2}}})));
    REQUIRE_THAT(message, Catch::Contains("head") && Catch::Contains("gap"));
  }
  SECTION("a description without layers") {
    REQUIRE_THROWS_AS(Model::from_json(json{{"input", {2, 6, 6}}}), Error);
    REQUIRE_THROWS_AS(Model::from_json(with_layers(json::array())), Error);
  }
}

TEST_CASE("YAML model errors point at the file and line", "[model][yaml][errors]") {
  SECTION("unknown key") {
    const std::string message = yaml_error(R"(model:
  input: [1, 8, 8]
  layers:
    - type: conv
      name: conv1
      filters: 4
      kernal: 3
    - type: relu
)");
    REQUIRE_THAT(message, Catch::Contains("model.yaml:7") && Catch::Contains("conv1") && Catch::Contains("kernal"));
  }
  SECTION("wrong type for an integer") {
    const std::string message = yaml_error(R"(model:
  input: [1, 8, 8]
  layers:
    - {type: conv, name: conv1, filters: 4}
    - type: conv
      name: conv2
      filters: eight
)");
    REQUIRE_THAT(message, Catch::Contains("model.yaml:7") && Catch::Contains("conv2") && Catch::Contains("filters"));
  }
  SECTION("unknown layer type") {
    const std::string message = yaml_error(R"(model:
  input: [1, 8, 8]
  layers:
    - {type: conv, name: conv1, filters: 4}

    - type: pool
      name: p1
)");
    REQUIRE_THAT(message, Catch::Contains("model.yaml:6") && Catch::Contains("pool") && Catch::Contains("maxpool"));
  }
  SECTION("unknown key in the model section") {
    const std::string message = yaml_error(R"(model:
  input: [1, 8, 8]
  outputs: 3
  layers:
    - {type: conv, filters: 4}
)");
    REQUIRE_THAT(message, Catch::Contains("model.yaml:3") && Catch::Contains("outputs"));
  }
  SECTION("quoted numbers are strings") {
    const std::string message = yaml_error(R"(model:
  input: [1, 8, 8]
  layers:
    - {type: conv, name: c, filters: "4"}
)");
    REQUIRE_THAT(message, Catch::Contains("model.yaml:4") && Catch::Contains("filters"));
  }
}

TEST_CASE("load_state checks names and shapes before copying", "[model][state]") {
  Model model = Model::from_json(json::parse(kResidualJson), 1);
  Model other = Model::from_json(json::parse(kResidualJson), 2);
  const std::vector<float> before = model.layer("fc").tensor("weight").to_vector();
  SECTION("a complete file is copied") {
    model.load_state(state_file(other), "other.safetensors");
    REQUIRE(model.layer("fc").tensor("weight").to_vector() == other.layer("fc").tensor("weight").to_vector());
    REQUIRE(model.layer("stem").tensor("weight").to_vector() == other.layer("stem").tensor("weight").to_vector());
  }
  SECTION("a missing tensor") {
    TensorFile file = state_file(other);
    file.tensors.erase(file.tensors.begin() + 3);
    const std::string missing = model.named_state()[3].first;
    REQUIRE_THROWS_WITH(model.load_state(file, "ckpt.safetensors"),
                        Catch::Contains("ckpt.safetensors") && Catch::Contains(missing));
  }
  SECTION("an extra tensor") {
    TensorFile file = state_file(other);
    file.tensors.emplace_back("fc.scale", Tensor::zeros({2}));
    REQUIRE_THROWS_WITH(model.load_state(file, "ckpt.safetensors"),
                        Catch::Contains("ckpt.safetensors") && Catch::Contains("fc.scale"));
  }
  SECTION("a misshaped tensor") {
    TensorFile file = state_file(other);
    for (auto& [name, tensor] : file.tensors)
      if (name == "fc.weight") tensor = Tensor::zeros({3, 2});
    REQUIRE_THROWS_WITH(model.load_state(file, "ckpt.safetensors"),
                        Catch::Contains("fc.weight") && Catch::Contains("[3, 2]") && Catch::Contains("[2, 3]"));
  }
  SECTION("a failed load changes nothing") {
    TensorFile file = state_file(other);
    file.tensors.emplace_back("extra", Tensor::zeros({1}));
    REQUIRE_THROWS_AS(model.load_state(file, "x"), Error);
    REQUIRE(model.layer("fc").tensor("weight").to_vector() == before);
  }
}

TEST_CASE("a tiny model overfits one small batch with plain SGD", "[model][train]") {
  Model model = Model::from_json(json::parse(R"({
    "input": [3, 6, 6],
    "layers": [{"type": "conv", "filters": 8, "kernel": 3, "padding": 1},
               {"type": "batchnorm"}, {"type": "relu"}, {"type": "gap"},
               {"type": "dense", "units": 2}]})"),
                                 11);
  Rng rng(12);
  const Tensor images = Tensor::randn({8, 3, 6, 6}, rng);
  const std::vector<float> label_values = {0, 1, 1, 0, 1, 0, 0, 1};
  const Tensor labels = Tensor::from_vector({8}, label_values);
  const float lr = 0.5f;
  double first_loss = 0, loss = 0;
  for (int step = 0; step < 200; ++step) {
    model.zero_grad();
    const Tensor l = ops::cross_entropy(model.forward(images, true), labels);
    l.backward();
    loss = l.item();
    if (step == 0) first_loss = loss;
    for (auto& [name, param] : model.named_parameters()) {
      const Tensor grad = param.grad();
      REQUIRE(grad.defined());
      float* p = param.data();
      const float* g = grad.data();
      for (int64_t i = 0; i < param.numel(); ++i) p[i] -= lr * g[i];
    }
  }
  INFO("first loss " << first_loss << ", last loss " << loss);
  REQUIRE(first_loss > 0.5);
  REQUIRE(loss < 0.05);
  NoGradGuard no_grad;
  const std::vector<float> logits = model.forward(images, true).to_vector();
  int correct = 0;
  for (size_t n = 0; n < 8; ++n) correct += (logits[2 * n + 1] > logits[2 * n]) == (label_values[n] == 1);
  REQUIRE(correct == 8);
}
