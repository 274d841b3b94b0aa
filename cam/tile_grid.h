#pragma once
// Pictures made of many small pictures: the filter and feature-map grids of
// gaze-inspect. Each tile is min-max normalized on its own (its smallest value
// black / the colormap's low end, its largest white / the high end; a constant
// tile is all low end), enlarged by an integer factor (nearest neighbour, so
// one weight or activation stays one crisp square) and placed in a row-major
// grid on a white background. A legend strip below the grid shows the scale:
// the colour bar from "tile min" to "tile max" and the range of the values
// across all tiles, written with a small built-in 5x7 bitmap font.
//
// Geometry (all in pixels, kGridGap between tiles and around the grid):
//   tile:  height * scale x width * scale
//   grid:  kGridGap + columns * (tile + kGridGap) wide, the same for rows
//   image: max(grid width, legend width) x (grid height + kLegendHeight)
#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "data/image.h"

namespace gaze::cam {

inline constexpr int kGridGap = 2;
inline constexpr int kLegendHeight = 28;
inline constexpr int kGlyphWidth = 5, kGlyphHeight = 7, kGlyphAdvance = 6;

// One tile: 1 channel (shown with the grid's palette) or 3 (shown as RGB),
// values in CHW order.
struct Tile {
  int channels = 1, height = 0, width = 0;
  std::vector<float> values;
};

enum class Palette { gray, jet };

struct GridOptions {
  int columns = 0;  // 0: ceil(sqrt(tiles))
  int scale = 1;    // enlargement factor of every tile
  Palette palette = Palette::gray;
  bool legend = true;
};

struct GridLayout {
  int columns = 0, rows = 0, scale = 1;
  int tile_height = 0, tile_width = 0;  // after enlargement
  int grid_width = 0, grid_height = 0;
  int legend_top = 0, legend_width = 0;  // the legend strip starts at row legend_top
  int width = 0, height = 0;             // the whole image
  // The top-left pixel (x, y) of tile `index`.
  std::pair<int, int> origin(int index) const;
};

struct TileGrid {
  data::Image image;  // RGB
  GridLayout layout;
  float min = 0, max = 0;  // the range of all tiles' values (the legend's numbers)
};

// Throws gaze::Error for no tiles, tiles of different sizes, a channel count
// other than 1 or 3, or an image that would exceed 2^26 pixels (8192 x 8192).
TileGrid make_tile_grid(const std::vector<Tile>& tiles, const GridOptions& options);

// The normalization every tile gets, exposed for tests and callers that draw
// single tiles: (v - min) / (max - min) in [0, 1]; all zeros when max == min;
// non-finite values are left out of min and max and drawn as 0.
std::vector<float> normalize_min_max(const std::vector<float>& values);

// Colour of t in [0, 1] under the palette.
std::array<std::uint8_t, 3> palette_color(Palette palette, float t);

// Draws `text` with the built-in font, top-left at (x, y), clipped to the
// image; upper-case letters are drawn as lower case, characters the font
// lacks as '?'. Returns the width drawn.
int draw_text(data::Image& image, int x, int y, const std::string& text, std::array<std::uint8_t, 3> color);
int text_width(const std::string& text);

// "0.0123", "-4.5e+03": short numbers for legends.
std::string short_number(double value);

// Enlarges an image by an integer factor (nearest neighbour).
data::Image enlarge(const data::Image& image, int scale);

}  // namespace gaze::cam
