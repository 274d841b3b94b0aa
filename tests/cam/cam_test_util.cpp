#include "cam_test_util.h"

#include <cstdint>
#include <random>
#include <stb_image_write.h>
#include <stdexcept>

#include "core/random.h"
#include "layers/model_file.h"

namespace gaze::cam::testing {

Model gap_network(int channels, int size, int classes, uint64_t seed, bool pool) {
  nlohmann::json layers = {
      {{"type", "conv"}, {"name", "conv1"}, {"filters", 6}, {"kernel", 3}, {"padding", 1}},
      {{"type", "batchnorm"}, {"name", "bn1"}},
      {{"type", "relu"}, {"name", "relu1"}}};
  if (pool) layers.push_back({{"type", "maxpool"}, {"name", "pool1"}, {"kernel", 2}});
  for (const nlohmann::json& layer : nlohmann::json::array(
           {{{"type", "conv"}, {"name", "conv2"}, {"filters", 8}, {"kernel", 3}, {"padding", 1}},
            {{"type", "relu"}, {"name", "relu2"}},
            {{"type", "gap"}, {"name", "gap"}},
            {{"type", "dense"}, {"name", "fc"}, {"units", classes}},
            {{"type", "softmax"}, {"name", "probs"}}}))
    layers.push_back(layer);
  return Model::from_json({{"input", {channels, size, size}}, {"layers", layers}}, seed);
}

Model flatten_network(int channels, int size, int classes, uint64_t seed) {
  return Model::from_json({{"input", {channels, size, size}},
                           {"layers",
                            {{{"type", "conv"}, {"name", "conv1"}, {"filters", 4}, {"kernel", 3}, {"padding", 1}},
                             {{"type", "relu"}, {"name", "relu1"}},
                             {{"type", "flatten"}, {"name", "flat"}},
                             {{"type", "dense"}, {"name", "fc"}, {"units", classes}},
                             {{"type", "softmax"}, {"name", "probs"}}}}},
                          seed);
}

void randomize_batch_norm(Model& model, uint64_t seed) {
  Rng rng(seed);
  for (auto& [name, tensor] : model.named_state()) {
    Tensor t = tensor;
    if (name.find("running_mean") != std::string::npos) t.copy_from(Tensor::uniform(t.shape(), rng, -0.2f, 0.2f));
    if (name.find("running_var") != std::string::npos) t.copy_from(Tensor::uniform(t.shape(), rng, 0.5f, 2.0f));
    if (name.find("bn1.bias") != std::string::npos) t.copy_from(Tensor::uniform(t.shape(), rng, -0.1f, 0.3f));
  }
}

void save_checkpoint(const std::string& path, const Model& model, const std::vector<std::string>& classes,
                     const std::string& resize) {
  const int channels = static_cast<int>(model.input_shape()[0]);
  const std::vector<float> mean(static_cast<size_t>(channels), 0.5f), stddev(static_cast<size_t>(channels), 0.25f);
  const nlohmann::json info = {{"classes", classes},
                               {"input",
                                {{"channels", channels},
                                 {"height", model.input_shape()[1]},
                                 {"width", model.input_shape()[2]},
                                 {"mean", mean},
                                 {"std", stddev},
                                 {"resize", resize}}},
                               {"epoch", 3},
                               {"val_acc", 0.5}};
  save_model_file(path, model, info);
}

void write_image(const std::string& path, int width, int height, int channels, int seed) {
  std::vector<std::uint8_t> pixels(static_cast<size_t>(width) * height * channels);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x)
      for (int c = 0; c < channels; ++c) {
        const bool square = x > width / 3 && x < width / 2 && y > height / 4 && y < height / 2;
        const int value = square ? 250 : (x * 97 / std::max(width, 1) + y * 53 / std::max(height, 1) + 40 * c + seed * 17) % 200;
        pixels[(static_cast<size_t>(y) * width + x) * channels + c] = static_cast<std::uint8_t>(value);
      }
  const bool jpeg = path.size() > 4 && path.substr(path.size() - 4) == ".jpg";
  const int ok = jpeg ? stbi_write_jpg(path.c_str(), width, height, channels, pixels.data(), 90)
                      : stbi_write_png(path.c_str(), width, height, channels, pixels.data(), width * channels);
  if (!ok) throw std::runtime_error("could not write test image " + path);
}

Tensor random_input(const Model& model, int64_t n, uint64_t seed) {
  Rng rng(seed);
  Shape shape = model.input_shape();
  shape.insert(shape.begin(), n);
  return Tensor::randn(shape, rng);
}

}  // namespace gaze::cam::testing
