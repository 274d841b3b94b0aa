// gaze-inspect's summary, layer, filters and activations verbs against counts
// and statistics worked out by hand, and its pictures decoded back from PNG.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>

#include "cam/colormap.h"
#include "cam/image_io.h"
#include "cam/inspect_images.h"
#include "cam/inspect_summary.h"
#include "cam/tile_grid.h"
#include "cam_test_util.h"
#include "core/autograd.h"
#include "core/npy.h"
#include "core/safetensors.h"
#include "data/image.h"
#include "data/preprocess.h"
#include "layers/model_file.h"

using namespace gaze;
using namespace gaze::cam;
namespace fs = std::filesystem;

namespace {
template <typename Options>
nlohmann::json run_json(int (*verb)(const Options&, std::ostream&), const Options& options) {
  std::ostringstream out;
  REQUIRE(verb(options, out) == 0);
  return nlohmann::json::parse(out.str());
}

data::Image read_png(const std::string& path) { return data::decode_image_file(path, 3, 1 << 26); }

std::array<std::uint8_t, 3> pixel(const data::Image& image, int x, int y) {
  return {image.at(x, y, 0), image.at(x, y, 1), image.at(x, y, 2)};
}

// Every pixel of the scale x scale block of tile cell (cx, cy) has `color`.
bool block_is(const data::Image& image, const GridLayout& layout, int tile, int cx, int cy,
              std::array<std::uint8_t, 3> color, int tolerance = 0) {
  const auto [left, top] = layout.origin(tile);
  for (int dy = 0; dy < layout.scale; ++dy)
    for (int dx = 0; dx < layout.scale; ++dx) {
      const auto got = pixel(image, left + cx * layout.scale + dx, top + cy * layout.scale + dy);
      for (int c = 0; c < 3; ++c)
        if (std::abs(got[static_cast<size_t>(c)] - color[static_cast<size_t>(c)]) > tolerance) return false;
    }
  return true;
}

std::uint8_t gray(double t) { return static_cast<std::uint8_t>(std::lround(t * 255.0)); }

// A tiny network with hand-countable sizes: input [2, 8, 8]
//   conv1  4 filters 3x3, padding 1  -> [4, 8, 8]
//   relu1                            -> [4, 8, 8]
//   pool1  max 2x2                   -> [4, 4, 4]
//   conv2  6 filters 2x2, stride 2   -> [6, 2, 2]
//   flat                             -> [24]
//   fc     5 units                   -> [5]
Model countable_network() {
  return Model::from_json({{"input", {2, 8, 8}},
                           {"layers",
                            {{{"type", "conv"}, {"name", "conv1"}, {"filters", 4}, {"kernel", 3}, {"padding", 1}},
                             {{"type", "relu"}, {"name", "relu1"}},
                             {{"type", "maxpool"}, {"name", "pool1"}, {"kernel", 2}},
                             {{"type", "conv"}, {"name", "conv2"}, {"filters", 6}, {"kernel", 2}, {"stride", 2}},
                             {{"type", "flatten"}, {"name", "flat"}},
                             {{"type", "dense"}, {"name", "fc"}, {"units", 5}}}}},
                          3);
}
}  // namespace

TEST_CASE("summary: each layer's parameters and buffers equal its tensors in the checkpoint", "[cam][inspect]") {
  testing::TempDir dir;
  Model model = testing::gap_network(3, 16, 2, 9);
  testing::save_checkpoint(dir / "best.safetensors", model, {"cat", "dog"});
  SummaryOptions options;
  options.checkpoint = dir / "best.safetensors";
  options.json = true;
  const nlohmann::json summary = run_json(run_inspect_summary, options);

  const TensorFile file = load_safetensors(dir / "best.safetensors");
  std::map<std::string, int64_t> parameters, buffers;
  int64_t total = 0;
  for (const auto& [name, tensor] : file.tensors) {
    const std::string layer = name.substr(0, name.find('.'));
    const bool buffer = name.find("running_") != std::string::npos;
    (buffer ? buffers : parameters)[layer] += tensor.numel();
    total += tensor.numel();
  }
  int64_t activation_values = 0;
  REQUIRE(summary.at("layers").size() == model.size());
  for (const nlohmann::json& row : summary.at("layers")) {
    const std::string name = row.at("name");
    INFO(name);
    CHECK(row.at("parameters").get<int64_t>() == parameters[name]);
    CHECK(row.at("buffers").get<int64_t>() == buffers[name]);
    CHECK(row.at("output_shape").get<Shape>() == model.output_shape(name));
    activation_values += numel(model.output_shape(name));
  }
  // conv1 [6, 3, 3, 3] + [6], bn1 4 x [6] (2 trained, 2 running), conv2 [8, 6, 3, 3] + [8], fc [2, 8] + [2].
  CHECK(parameters["conv1"] == 6 * 3 * 3 * 3 + 6);
  CHECK(buffers["bn1"] == 12);
  const nlohmann::json& totals = summary.at("totals");
  CHECK(totals.at("trainable_parameters").get<int64_t>() + totals.at("buffer_values").get<int64_t>() == total);
  CHECK(totals.at("buffer_values").get<int64_t>() == 12);
  CHECK(totals.at("weight_bytes").get<int64_t>() == 4 * total);
  CHECK(totals.at("activation_bytes").at("batch_1").get<int64_t>() == 4 * activation_values);
  CHECK(totals.at("activation_bytes").at("batch_64").get<int64_t>() == 64 * 4 * activation_values);
  CHECK(summary.at("input_shape").get<Shape>() == Shape{3, 16, 16});
}

TEST_CASE("summary: forward multiply-adds of a small net equal a hand count", "[cam][inspect]") {
  const ModelSummary summary = summarize_model(countable_network());
  // Multiply-adds = output values x (inputs each one reads); bias additions,
  // ReLU, pooling and flatten count nothing (Layer::forward_macs).
  const double conv1 = (4 * 8 * 8) * (2 * 3 * 3);  // 256 outputs x 18 = 4608
  const double conv2 = (6 * 2 * 2) * (4 * 2 * 2);  // 24 outputs x 16 = 384
  const double fc = 5 * 24;                        // 120
  std::map<std::string, double> expected = {{"conv1", conv1}, {"relu1", 0}, {"pool1", 0},
                                            {"conv2", conv2}, {"flat", 0},  {"fc", fc}};
  for (const LayerSummary& row : summary.layers) CHECK(row.macs == expected.at(row.name));
  CHECK(summary.macs_per_image == 5112);
  CHECK(summary_json(summary).at("totals").at("flops_per_image").get<double>() == 2 * 5112);
  // Parameters: conv1 4*2*3*3 + 4 = 76, conv2 6*4*2*2 + 6 = 102, fc 24*5 + 5 = 125.
  CHECK(summary.trainable_parameters == 76 + 102 + 125);
  CHECK(summary.buffer_values == 0);
  // Outputs per image: 256 + 256 + 64 + 24 + 24 + 5 = 629 floats.
  CHECK(summary.activation_bytes_per_image == 629 * 4);
  const std::string table = format_summary(summary);
  CHECK_THAT(table, Catch::Contains("5,112") && Catch::Contains("10.2 kFLOP") && Catch::Contains("4,608") &&
                        Catch::Contains("[6, 2, 2]") && Catch::Contains("303"));
}

TEST_CASE("layer: config and per-tensor statistics equal hand-computed values; --save-npy round-trips",
          "[cam][inspect]") {
  testing::TempDir dir;
  Model model = Model::from_json({{"input", {1, 3, 3}},
                                  {"layers",
                                   {{{"type", "conv"}, {"name", "conv"}, {"filters", 2}, {"kernel", 2}},
                                    {{"type", "batchnorm"}, {"name", "bn"}, {"eps", 0.001}},
                                    {{"type", "gap"}, {"name", "gap"}},
                                    {{"type", "dense"}, {"name", "fc"}, {"units", 2}}}}},
                                 1);
  const std::vector<float> weight = {1, -2, 0, 3, 0, 0, 4, -1};
  model.layer("conv").tensor("weight").copy_from(Tensor::from_vector({2, 1, 2, 2}, weight));
  model.layer("conv").tensor("bias").copy_from(Tensor::from_vector({2}, {0.0f, 0.5f}));
  testing::save_checkpoint(dir / "best.safetensors", model, {"a", "b"});
  LayerOptions options;
  options.checkpoint = dir / "best.safetensors";
  options.layer = "conv";
  options.json = true;
  options.save_npy = dir / "npy";
  const nlohmann::json record = run_json(run_inspect_layer, options);

  const nlohmann::json& config = record.at("config");
  CHECK(config.at("type") == "conv");
  CHECK(config.at("filters") == 2);
  CHECK(config.at("kernel") == nlohmann::json({2, 2}));
  CHECK(config.at("stride") == nlohmann::json({1, 1}));
  CHECK(config.at("inputs") == nlohmann::json({"input"}));
  CHECK(record.at("output_shape") == nlohmann::json({2, 2, 2}));

  const nlohmann::json& w = record.at("tensors").at(0);
  CHECK(w.at("name") == "conv.weight");
  CHECK(w.at("trainable") == true);
  CHECK(w.at("shape") == nlohmann::json({2, 1, 2, 2}));
  // sum 5 over 8 values; squares 1+4+0+9+0+0+16+1 = 31, so the variance is
  // 31/8 - (5/8)^2 = 3.484375; three zeros.
  CHECK(w.at("mean").get<double>() == Approx(0.625));
  CHECK(w.at("std").get<double>() == Approx(std::sqrt(3.484375)));
  CHECK(w.at("min").get<double>() == -2);
  CHECK(w.at("max").get<double>() == 4);
  CHECK(w.at("zero_fraction").get<double>() == 0.375);
  const nlohmann::json& b = record.at("tensors").at(1);
  CHECK(b.at("name") == "conv.bias");
  CHECK(b.at("mean").get<double>() == Approx(0.25));
  CHECK(b.at("std").get<double>() == Approx(0.25));
  CHECK(b.at("zero_fraction").get<double>() == 0.5);

  const NpyArray saved = read_npy(dir / "npy/conv.weight.npy");
  CHECK(saved.shape == std::vector<int64_t>{2, 1, 2, 2});
  CHECK(saved.values == weight);
  CHECK(read_npy(dir / "npy/conv.bias.npy").values == std::vector<float>{0.0f, 0.5f});
  CHECK(record.at("npy").size() == 2);

  // BatchNorm: two parameters and two buffers, running_var starts at ones.
  const LayerDetails bn = describe_layer(model, "bn");
  REQUIRE(bn.tensors.size() == 4);
  CHECK(bn.tensors[3].name == "bn.running_var");
  CHECK_FALSE(bn.tensors[3].trainable);
  CHECK(bn.tensors[3].mean == 1);
  CHECK(bn.tensors[3].stddev == 0);
  CHECK(bn.tensors[2].zero_fraction == 1);  // running_mean starts at zeros
  CHECK(bn.config.at("eps").get<double>() == Approx(0.001));
  CHECK_THAT(format_layer(bn), Catch::Contains("bn.running_var") && Catch::Contains("buffer"));
  CHECK_THROWS_WITH(describe_layer(model, "conv9"), Catch::Contains("conv, bn, gap, fc"));
}

TEST_CASE("filters: a first RGB layer gives one RGB tile per filter, normalized on its own", "[cam][inspect]") {
  testing::TempDir dir;
  Model model = testing::gap_network(3, 16, 2, 21);
  testing::save_checkpoint(dir / "best.safetensors", model, {"cat", "dog"});
  FiltersOptions options;
  options.checkpoint = dir / "best.safetensors";
  options.layer = "conv1";
  options.out = dir / "out/conv1.png";
  options.json = true;
  const nlohmann::json record = run_json(run_inspect_filters, options);
  CHECK(record.at("mode") == "rgb");
  const data::Image image = read_png(dir / "out/conv1.png");
  // 6 filters of 3x3 at scale ceil(32 / 3) = 11: tiles of 33 pixels in a
  // 3 x 2 grid, 2-pixel gaps: 2 + 3 * (33 + 2) = 107 wide, 2 + 2 * 35 = 72 high.
  const FilterGrid grid = filter_grid(model, "conv1", {});
  const GridLayout& layout = grid.grid.layout;
  CHECK(layout.scale == 11);
  CHECK(layout.columns == 3);
  CHECK(layout.rows == 2);
  CHECK(layout.grid_width == 107);
  CHECK(layout.grid_height == 72);
  CHECK(image.width == std::max(107, layout.legend_width));
  CHECK(image.height == 72 + kLegendHeight);
  CHECK(record.at("width") == image.width);

  // Filter 4 is tile 4 (row 1, column 1): each of its 27 weights, scaled by
  // the filter's own min and max, is one 11x11 block; min black, max white.
  const std::vector<float> w = model.layer("conv1").tensor("weight").to_vector();
  const auto first = w.begin() + 4 * 27;
  const float low = *std::min_element(first, first + 27), high = *std::max_element(first, first + 27);
  CHECK(layout.origin(4) == std::make_pair(37, 37));
  int blacks = 0, whites = 0;
  for (int y = 0; y < 3; ++y)
    for (int x = 0; x < 3; ++x) {
      std::array<std::uint8_t, 3> expected;
      for (int c = 0; c < 3; ++c) {
        const float v = first[c * 9 + y * 3 + x];
        expected[static_cast<size_t>(c)] = gray((v - low) / (high - low));
        blacks += v == low;
        whites += v == high;
      }
      CHECK(block_is(image, layout, 4, x, y, expected));
    }
  CHECK(blacks == 1);
  CHECK(whites == 1);
  // The gap between tiles is background white.
  CHECK(pixel(image, 36, 40) == std::array<std::uint8_t, 3>{255, 255, 255});
}

TEST_CASE("filters: a deeper conv gives one grayscale tile per (filter, input channel)", "[cam][inspect]") {
  Model model = testing::gap_network(1, 16, 2, 22);
  // conv2: 8 filters on 6 channels, 3x3: rows = filters, columns = channels.
  FilterGridOptions options;
  options.scale = 4;
  options.max_filters = 5;
  const FilterGrid grid = filter_grid(model, "conv2", options);
  CHECK_FALSE(grid.rgb);
  CHECK(grid.filters == 8);
  CHECK(grid.filters_shown == 5);
  CHECK(grid.channels_shown == 6);
  const GridLayout& layout = grid.grid.layout;
  CHECK(layout.columns == 6);
  CHECK(layout.rows == 5);
  CHECK(layout.grid_width == 2 + 6 * (12 + 2));
  CHECK(layout.grid_height == 2 + 5 * (12 + 2));
  testing::TempDir dir;
  write_png(dir / "grid.png", grid.grid.image);
  const data::Image image = read_png(dir / "grid.png");
  // Tile (filter 3, channel 2) = index 3 * 6 + 2: that 3x3 kernel min-max scaled.
  const std::vector<float> w = model.layer("conv2").tensor("weight").to_vector();
  const auto kernel = w.begin() + (3 * 6 + 2) * 9;
  const std::vector<float> normalized = normalize_min_max({kernel, kernel + 9});
  CHECK(*std::min_element(normalized.begin(), normalized.end()) == 0);
  CHECK(*std::max_element(normalized.begin(), normalized.end()) == 1);
  for (int y = 0; y < 3; ++y)
    for (int x = 0; x < 3; ++x) {
      const std::uint8_t v = gray(normalized[static_cast<size_t>(y * 3 + x)]);
      CHECK(block_is(image, layout, 20, x, y, {v, v, v}));
    }
  CHECK_THROWS_WITH(filter_grid(model, "bn1", {}), Catch::Contains("conv1, conv2"));
}

TEST_CASE("activations: one jet grid per spatial layer, tiles normalized, and an index.html", "[cam][inspect]") {
  testing::TempDir dir;
  Model model = testing::gap_network(3, 12, 3, 23);
  testing::randomize_batch_norm(model, 5);
  testing::save_checkpoint(dir / "best.safetensors", model, {"ant", "bee", "cow"});
  testing::write_image(dir / "photo.png", 30, 20, 3, 4);
  ActivationsOptions options;
  options.checkpoint = dir / "best.safetensors";
  options.image = dir / "photo.png";
  options.out_dir = dir / "maps";
  options.json = true;
  const nlohmann::json record = run_json(run_inspect_activations, options);
  const std::vector<std::string> spatial = {"conv1", "bn1", "relu1", "pool1", "conv2", "relu2"};
  std::vector<std::string> with_images;
  for (const nlohmann::json& layer : record.at("layers"))
    if (!layer.at("image").is_null()) with_images.push_back(layer.at("name"));
  CHECK(with_images == spatial);
  CHECK(record.at("layers").size() == model.size());  // gap, fc and probs are listed too
  for (const std::string& name : spatial) CHECK(fs::exists(dir / ("maps/" + name + ".png")));
  for (const char* name : {"index.html", "input.png", "original.png"}) CHECK(fs::exists(dir / ("maps/" + std::string(name))));

  // The same forward pass here: relu1 is [6, 12, 12], drawn at scale
  // ceil(48 / 12) = 4 in a 3 x 2 grid: 2 + 3 * (48 + 2) = 152 by 102.
  const data::InferenceImage input = data::load_image_for_inference(dir / "photo.png", [] {
    data::DataConfig c = data::inference_config(3, 12, 12, {0.5f, 0.5f, 0.5f}, {0.25f, 0.25f, 0.25f}, "stretch", "test");
    return c;
  }());
  {
    NoGradGuard no_grad;
    model.forward(Tensor::from_vector({1, 3, 12, 12}, input.pixels));
  }
  const data::Image image = read_png(dir / "maps/relu1.png");
  const FeatureMapGrid grid = feature_map_grid("relu1", model.activation("relu1"), {});
  const GridLayout& layout = grid.grid.layout;
  CHECK(layout.scale == 4);
  CHECK(layout.columns == 3);
  CHECK(layout.rows == 2);
  CHECK(layout.grid_width == 152);
  CHECK(layout.grid_height == 102);
  CHECK(image.width == std::max(152, layout.legend_width));
  CHECK(image.height == 102 + kLegendHeight);
  // Channel 4 is tile 4: each value scaled by the channel's own min and max, in jet.
  const std::vector<float> values = model.activation("relu1").to_vector();
  const std::vector<float> channel(values.begin() + 4 * 144, values.begin() + 5 * 144);
  const std::vector<float> normalized = normalize_min_max(channel);
  int lows = 0, highs = 0;
  for (int y = 0; y < 12; ++y)
    for (int x = 0; x < 12; ++x) {
      const float t = normalized[static_cast<size_t>(y * 12 + x)];
      lows += t == 0;
      highs += t == 1;
      CHECK(block_is(image, layout, 4, x, y, jet(t), 1));
    }
  CHECK(lows >= 1);
  CHECK(highs >= 1);

  std::ifstream html_file(dir / "maps/index.html");
  const std::string html((std::istreambuf_iterator<char>(html_file)), std::istreambuf_iterator<char>());
  CHECK_THAT(html, Catch::Contains("prediction: ") && Catch::Contains("src=\"relu2.png\"") &&
                       Catch::Contains("src=\"input.png\"") && Catch::Contains("id=\"fc\""));
  // Layers appear in model order.
  size_t last = 0;
  for (size_t i = 0; i < model.size(); ++i) {
    const size_t at = html.find("id=\"" + model.layer(i).name() + "\"");
    CHECK(at != std::string::npos);
    CHECK(at > last);
    last = at;
  }

  // One layer: only its grid; a non-spatial layer is refused with the candidates.
  options.layer = "conv2";
  options.out_dir = dir / "one";
  const nlohmann::json one = run_json(run_inspect_activations, options);
  CHECK(one.at("layers").size() == 1);
  CHECK(fs::exists(dir / "one/conv2.png"));
  CHECK_FALSE(fs::exists(dir / "one/conv1.png"));
  options.layer = "gap";
  std::ostringstream ignored;
  CHECK_THROWS_WITH(run_inspect_activations(options, ignored), Catch::Contains("relu2"));
}

TEST_CASE("tile grid: a constant tile is drawn at the low end; the legend fits its text", "[cam][inspect]") {
  const TileGrid grid = make_tile_grid({{1, 2, 2, {3, 3, 3, 3}}, {1, 2, 2, {0, 1, 2, 3}}}, {0, 2, Palette::gray, true});
  CHECK(grid.layout.columns == 2);
  CHECK(block_is(grid.image, grid.layout, 0, 1, 1, {0, 0, 0}));
  CHECK(block_is(grid.image, grid.layout, 1, 1, 1, {255, 255, 255}));
  CHECK(block_is(grid.image, grid.layout, 1, 1, 0, {85, 85, 85}));
  CHECK(grid.min == 0);
  CHECK(grid.max == 3);
  CHECK(grid.layout.legend_width == 2 * kGridGap + text_width("tile min") + 4 + 128 + 4 + text_width("tile max"));
  CHECK(grid.image.width == grid.layout.legend_width);
  CHECK_THROWS_WITH(make_tile_grid({{1, 2, 2, {0, 0, 0, 0}}, {1, 3, 2, {0, 0, 0, 0, 0, 0}}}, {}),
                    Catch::Contains("same size"));
}

#ifdef GAZE_INSPECT_PROGRAM
TEST_CASE("gaze-inspect --help lists the verbs", "[cam][inspect]") {
  FILE* pipe = popen(GAZE_INSPECT_PROGRAM " --help", "r");
  REQUIRE(pipe);
  std::string help;
  char buffer[4096];
  while (size_t n = fread(buffer, 1, sizeof buffer, pipe)) help.append(buffer, n);
  CHECK(pclose(pipe) == 0);
  // CLI11 lists each subcommand at the start of a line, indented by two spaces.
  for (const char* verb : {"summary", "layer", "filters", "activations", "maximize"})
    CHECK_THAT(help, Catch::Contains("\n  " + std::string(verb) + " "));
}
#endif
