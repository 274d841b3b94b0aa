#pragma once
// gaze-inspect filters and activations: a network's weights and feature maps
// as pictures (cam/tile_grid.h draws the grids: each tile min-max normalized
// on its own, a legend of the scale below).
//   filters:     a conv layer's weight [out, in, kh, kw]. A conv that reads a
//                3-channel model input gets one RGB tile per filter (its three
//                input channels as red, green and blue, normalized together),
//                as the first-layer pictures of AlexNet and the Keras
//                tutorials; any other conv one grayscale tile per (filter,
//                input channel): row f holds filter f, column c its weights on
//                input channel c (with a single input channel, as a first
//                layer on grayscale images: a square grid, one tile per filter).
//   activations: one image's forward pass; every spatial layer's output
//                [C, H, W] as a grid of C tiles in the jet colormap (row-major,
//                channel 0 first), and index.html walking through the network
//                layer by layer with the input and the prediction on top.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "cam/tile_grid.h"
#include "data/config.h"
#include "layers/model.h"

namespace gaze::cam {

struct FilterGridOptions {
  int scale = 0;          // 0: ceil(32 / the kernel's longer side), tiles of about 32 pixels
  int max_filters = 64;   // the first filters shown (0: all)
  int max_channels = 64;  // the first input channels shown in grayscale mode (0: all)
};

struct FilterGrid {
  TileGrid grid;
  bool rgb = false;
  int filters = 0, channels = 0;              // of the layer
  int filters_shown = 0, channels_shown = 0;  // in the picture
  int kernel_height = 0, kernel_width = 0;
};

// Throws gaze::Error when `layer` is not a layer with a 4-D weight (a conv),
// listing the ones that are.
FilterGrid filter_grid(const Model& model, const std::string& layer, const FilterGridOptions& options);

struct FeatureMapOptions {
  int scale = 0;         // 0: ceil(48 / the map's longer side)
  int max_channels = 0;  // the first channels shown (0: all)
};

struct FeatureMapGrid {
  std::string layer;
  TileGrid grid;
  int channels = 0, channels_shown = 0;
};

// Tiles of image 0 of `activation` [N, C, H, W].
FeatureMapGrid feature_map_grid(const std::string& layer, const Tensor& activation, const FeatureMapOptions& options);

// Image 0 of a normalized [C, H, W] network input (CHW floats) as 8-bit
// pixels: (x * std + mean) * 255, clamped; RGB or grayscale as the model's input.
data::Image denormalized_picture(const std::vector<float>& chw, const data::DataConfig& config);

// The verbs, as gaze-inspect runs them.
struct FiltersOptions {
  std::string checkpoint, layer;
  std::string out;  // PNG path; empty: <layer>.filters.png
  FilterGridOptions grid;
  bool json = false;
  bool allow_nonfinite = false;
};
int run_inspect_filters(const FiltersOptions& options, std::ostream& out);

struct ActivationsOptions {
  std::string checkpoint, image;
  std::string layer = "all";  // a spatial layer's name, or all
  std::string out_dir = "inspect-activations";
  FeatureMapOptions grid;
  bool json = false;
  bool allow_nonfinite = false;
};
// Writes <layer>.png per spatial layer, input.png (what the network sees),
// original.png and index.html into out_dir.
int run_inspect_activations(const ActivationsOptions& options, std::ostream& out);

}  // namespace gaze::cam
