// gaze-fuzz-seeds OUTPUT_FOLDER: writes the fuzz targets' seed corpus, small
// valid inputs of every kind, to OUTPUT_FOLDER/<target>/, and checks that the
// readers accept each one (a seed the parser refuses would teach the fuzzer
// nothing past the first check). Exits non-zero when any check fails.
// Targets: safetensors, model_yaml, config, image, npy.
#include <stb_image_write.h>
#include <yaml-cpp/yaml.h>

#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/npy.h"
#include "core/error.h"
#include "core/safetensors.h"
#include "data/image.h"
#include "layers/model.h"
#include "layers/model_file.h"
#include "layers/model_yaml.h"
#include "train/config.h"

namespace fs = std::filesystem;

namespace {

void require(bool ok, const std::string& what) {
  if (!ok) throw std::runtime_error("gaze-fuzz-seeds: " + what);
}

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  require(static_cast<bool>(out.flush()), "cannot write " + path.string());
}

// Small models between them use every layer type and both wirings (a chain
// and named inputs), each with a non-default hyperparameter or two.
const std::vector<std::pair<std::string, std::string>> kModels = {
    {"cam_net", R"(model:
  input: [1, 6, 6]
  layers:
    - {type: conv, name: conv1, filters: 2, kernel: 3, padding: 1}
    - {type: relu, name: relu1}
    - {type: gap, name: gap}
    - {type: dense, name: fc, units: 2}
    - {type: softmax, name: probs}
)"},
    {"residual", R"(model:
  input: [2, 5, 5]
  layers:
    - {type: conv, name: stem, filters: 3, kernel: 3, padding: same, bias: false}
    - {type: batchnorm, name: bn, eps: 0.001, momentum: 0.2}
    - {type: leaky_relu, name: act, slope: 0.1}
    - {type: conv, name: conv_b, filters: 3, kernel: [3, 1], stride: [1, 1], padding: [1, 0]}
    - {type: add, name: res, inputs: [conv_b, stem]}
    - {type: concat, name: cat, inputs: [res, act]}
    - {type: maxpool, name: pool, kernel: 2, stride: 1}
    - {type: avgpool, name: avg, kernel: [2, 2], padding: 1}
    - {type: flatten, name: flat}
    - {type: dropout, name: drop, rate: 0.25}
    - {type: dense, name: fc1, units: 5}
    - {type: residual_dense, name: rd}
    - {type: dense, name: fc2, units: 3, bias: false}
)"},
    {"dense_only", R"(model:
  input: [4]
  layers:
    - {type: dense, units: 3}
    - type: relu
    - {type: dense, units: 2}
    - {type: softmax}
)"},
};

void model_yaml_seeds(const fs::path& folder) {
  for (const auto& [name, text] : kModels) {
    const gaze::Model model = gaze::model_from_yaml(YAML::Load(text)["model"], name);
    require(model.size() > 0, name + ": empty model");
    write_text(folder / (name + ".yaml"), text);
  }
  // Anchors and aliases: YAML features the reader meets in hand-written configs.
  const std::string aliased = R"(defaults: &conv {type: conv, filters: 2, kernel: 3, padding: 1}
model:
  input: [1, 4, 4]
  layers:
    - *conv
    - *conv
    - {type: gap}
)";
  const YAML::Node root = YAML::Load(aliased);
  require(gaze::model_from_yaml(root["model"], "aliases").size() == 3, "aliases: expected 3 layers");
  write_text(folder / "aliases.yaml", aliased);
}

void safetensors_seeds(const fs::path& folder) {
  for (const auto& [name, text] : kModels) {
    const gaze::Model model = gaze::model_from_yaml(YAML::Load(text)["model"], name, 1);
    const fs::path path = folder / (name + ".safetensors");
    gaze::NamedTensors extra;
    if (name == "cam_net") extra.emplace_back("state/step", gaze::Tensor::full({1}, 3.0f));
    gaze::save_model_file(path.string(), model, {{"classes", {"a", "b"}}, {"epoch", 1}}, extra);
    const gaze::LoadedModel loaded = gaze::load_model_file(path.string());
    require(loaded.model.to_json() == model.to_json(), name + ": checkpoint does not round-trip");
    require(loaded.extra.size() == extra.size(), name + ": extra state lost");
  }
  // Plain safetensors without gaze metadata: a scalar-free pair of tensors.
  gaze::TensorFile plain;
  plain.tensors.emplace_back("weight", gaze::Tensor::from_vector({2, 3}, {1, 2, 3, 4, 5, 6}));
  plain.tensors.emplace_back("empty", gaze::Tensor::zeros({0, 4}));
  plain.metadata["note"] = "not a gaze checkpoint";
  const fs::path path = folder / "plain.safetensors";
  gaze::save_safetensors(path.string(), plain);
  const gaze::TensorFile loaded = gaze::load_safetensors(path.string());
  require(loaded.tensors.size() == 2 && loaded.find("weight")->to_vector()[5] == 6.0f, "plain: wrong contents");
}

// data.root "/" exists on every machine, so the reader gets past that check.
void config_seeds(const fs::path& folder) {
  for (const std::string name : {"tiny", "fashion"}) {
    YAML::Node root = YAML::LoadFile(std::string(GAZE_SOURCE_DIR) + "/configs/" + name + ".yaml");
    root["data"]["root"] = "/";
    YAML::Emitter out;
    out << root;
    write_text(folder / (name + ".yaml"), std::string(out.c_str()) + "\n");
  }
  write_text(folder / "every_key.yaml", R"(data:
  root: /
  layout: auto
  idx_split: train
  val_root: /
  val_idx_split: test
  resize: shorter-side-center-crop
  mean: [0.485, 0.456, 0.406]
  std: [0.229, 0.224, 0.225]
  val_split: 0.2
  cache_dir: ""
  workers: 1
  prefetch: 2
  drop_last: false
  max_pixels: 1e6
  augment: {hflip: true, crop_scale: [0.25, 1.0], crop_aspect: [0.75, 1.333], brightness: 0.2, contrast: 0.2}
model:
  input: [3, 8, 8]
  layers:
    - {type: conv, filters: 4, kernel: 3, padding: 1}
    - {type: gap}
    - {type: dense, units: 2}
train:
  epochs: 2
  batch_per_device: 4
  optimizer: adamw
  lr: 0.001
  momentum: 0.9
  nesterov: true
  weight_decay: 0.01
  betas: [0.9, 0.999]
  eps: 1e-8
  schedule: step
  warmup_epochs: 1
  step_size: 1
  gamma: 0.5
  min_lr: 0
  lr_scaling: linear
  label_smoothing: 0.1
  patience: 2
  seed: 3
  threads: 1
  devices: cpu
  check_replicas: false
  collective_timeout_s: 60
checkpoint:
  monitor: val_acc
  save_best_only: true
)");
  for (const auto& entry : fs::directory_iterator(folder)) {
    const gaze::train::TrainConfig config = gaze::train::load_config(entry.path().string());
    require(config.data.root == "/", entry.path().string() + ": data.root not read");
  }
}

void image_seeds(const fs::path& folder) {
  struct Seed {
    std::string name;
    int width, height, channels;
  };
  const std::vector<Seed> seeds = {{"gray.png", 5, 3, 1}, {"rgb.png", 4, 4, 3}, {"rgba.png", 3, 2, 4},
                                   {"rgb.jpg", 8, 8, 3},  {"gray.jpg", 9, 7, 1}, {"rgb.bmp", 3, 3, 3},
                                   {"rgb.tga", 4, 2, 3}};
  for (const Seed& s : seeds) {
    std::vector<unsigned char> pixels(static_cast<size_t>(s.width) * s.height * s.channels);
    for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<unsigned char>(i * 37 % 256);
    const std::string path = (folder / s.name).string();
    const std::string ext = fs::path(s.name).extension().string();
    int ok = 0;
    if (ext == ".png") ok = stbi_write_png(path.c_str(), s.width, s.height, s.channels, pixels.data(), s.width * s.channels);
    if (ext == ".jpg") ok = stbi_write_jpg(path.c_str(), s.width, s.height, s.channels, pixels.data(), 90);
    if (ext == ".bmp") ok = stbi_write_bmp(path.c_str(), s.width, s.height, s.channels, pixels.data());
    if (ext == ".tga") ok = stbi_write_tga(path.c_str(), s.width, s.height, s.channels, pixels.data());
    require(ok != 0, "cannot write " + path);
    const gaze::data::Image image = gaze::data::decode_image_file(path, 3, 1 << 20);
    require(image.width == s.width && image.height == s.height, s.name + ": decodes to the wrong size");
  }
}

void npy_seeds(const fs::path& folder) {
  const std::vector<std::pair<std::string, gaze::NpyArray>> arrays = {
      {"map_3x4.npy", {{3, 4}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}}},
      {"vector_5.npy", {{5}, {1.5f, -2, 0, 1e-3f, 7}}},
      {"batch_2x1x2x2.npy", {{2, 1, 2, 2}, {1, 2, 3, 4, 5, 6, 7, 8}}},
      {"empty_0x3.npy", {{0, 3}, {}}},
  };
  for (const auto& [name, array] : arrays) {
    const std::string path = (folder / name).string();
    gaze::write_npy(path, array);
    const gaze::NpyArray read = gaze::read_npy(path);
    require(read.shape == array.shape && read.values == array.values, name + ": does not round-trip");
  }
  // Integer labels, as a matrix dataset's y.npy holds them.
  const std::string labels = (folder / "labels_4.npy").string();
  gaze::write_npy_integers(labels, {{4}, {0, 1, 1, 0}});
  require(gaze::read_npy_integers(labels).values == std::vector<int64_t>{0, 1, 1, 0}, "labels_4.npy: does not round-trip");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: gaze-fuzz-seeds OUTPUT_FOLDER\n");
    return 2;
  }
  const fs::path root = argv[1];
  const std::vector<std::pair<std::string, void (*)(const fs::path&)>> targets = {
      {"safetensors", safetensors_seeds}, {"model_yaml", model_yaml_seeds}, {"config", config_seeds},
      {"image", image_seeds},             {"npy", npy_seeds}};
  try {
    for (const auto& [target, write] : targets) {
      const fs::path folder = root / target;
      fs::remove_all(folder);
      fs::create_directories(folder);
      write(folder);
      size_t count = 0;
      for ([[maybe_unused]] const auto& entry : fs::directory_iterator(folder)) ++count;
      std::printf("gaze-fuzz-seeds: %zu %s seeds in %s\n", count, target.c_str(), folder.string().c_str());
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  return 0;
}
