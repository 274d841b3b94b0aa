#include "cam/tile_grid.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <limits>

#include "cam/colormap.h"
#include "core/error.h"

namespace gaze::cam {

namespace {
// A 5x7 bitmap font: enough for legends (lower-case letters, digits and the
// punctuation numbers need). '#' is ink.
struct Glyph {
  char c;
  const char* rows[kGlyphHeight];
};

// clang-format off
constexpr Glyph kFont[] = {
    {' ', {".....", ".....", ".....", ".....", ".....", ".....", "....."}},
    {'a', {".....", ".....", ".###.", "....#", ".####", "#...#", ".####"}},
    {'b', {"#....", "#....", "####.", "#...#", "#...#", "#...#", "####."}},
    {'c', {".....", ".....", ".###.", "#....", "#....", "#...#", ".###."}},
    {'d', {"....#", "....#", ".####", "#...#", "#...#", "#...#", ".####"}},
    {'e', {".....", ".....", ".###.", "#...#", "#####", "#....", ".###."}},
    {'f', {"..##.", ".#..#", ".#...", "###..", ".#...", ".#...", ".#..."}},
    {'g', {".....", ".####", "#...#", "#...#", ".####", "....#", ".###."}},
    {'h', {"#....", "#....", "#.##.", "##..#", "#...#", "#...#", "#...#"}},
    {'i', {"..#..", ".....", ".##..", "..#..", "..#..", "..#..", ".###."}},
    {'j', {"...#.", ".....", "..##.", "...#.", "...#.", "#..#.", ".##.."}},
    {'k', {"#....", "#....", "#..#.", "#.#..", "##...", "#.#..", "#..#."}},
    {'l', {".##..", "..#..", "..#..", "..#..", "..#..", "..#..", ".###."}},
    {'m', {".....", ".....", "##.#.", "#.#.#", "#.#.#", "#...#", "#...#"}},
    {'n', {".....", ".....", "#.##.", "##..#", "#...#", "#...#", "#...#"}},
    {'o', {".....", ".....", ".###.", "#...#", "#...#", "#...#", ".###."}},
    {'p', {".....", "####.", "#...#", "#...#", "####.", "#....", "#...."}},
    {'q', {".....", ".####", "#...#", "#...#", ".####", "....#", "....#"}},
    {'r', {".....", ".....", "#.##.", "##..#", "#....", "#....", "#...."}},
    {'s', {".....", ".....", ".####", "#....", ".###.", "....#", "####."}},
    {'t', {".#...", ".#...", "###..", ".#...", ".#...", ".#..#", "..##."}},
    {'u', {".....", ".....", "#...#", "#...#", "#...#", "#..##", ".##.#"}},
    {'v', {".....", ".....", "#...#", "#...#", "#...#", ".#.#.", "..#.."}},
    {'w', {".....", ".....", "#...#", "#...#", "#.#.#", "#.#.#", ".#.#."}},
    {'x', {".....", ".....", "#...#", ".#.#.", "..#..", ".#.#.", "#...#"}},
    {'y', {".....", "#...#", "#...#", "#...#", ".####", "....#", ".###."}},
    {'z', {".....", ".....", "#####", "...#.", "..#..", ".#...", "#####"}},
    {'0', {".###.", "#...#", "#..##", "#.#.#", "##..#", "#...#", ".###."}},
    {'1', {"..#..", ".##..", "..#..", "..#..", "..#..", "..#..", ".###."}},
    {'2', {".###.", "#...#", "....#", "...#.", "..#..", ".#...", "#####"}},
    {'3', {"#####", "...#.", "..#..", "...#.", "....#", "#...#", ".###."}},
    {'4', {"...#.", "..##.", ".#.#.", "#..#.", "#####", "...#.", "...#."}},
    {'5', {"#####", "#....", "####.", "....#", "....#", "#...#", ".###."}},
    {'6', {"..##.", ".#...", "#....", "####.", "#...#", "#...#", ".###."}},
    {'7', {"#####", "....#", "...#.", "..#..", ".#...", ".#...", ".#..."}},
    {'8', {".###.", "#...#", "#...#", ".###.", "#...#", "#...#", ".###."}},
    {'9', {".###.", "#...#", "#...#", ".####", "....#", "...#.", ".##.."}},
    {'.', {".....", ".....", ".....", ".....", ".....", ".##..", ".##.."}},
    {',', {".....", ".....", ".....", ".....", ".##..", "..#..", ".#..."}},
    {'-', {".....", ".....", ".....", "#####", ".....", ".....", "....."}},
    {'+', {".....", "..#..", "..#..", "#####", "..#..", "..#..", "....."}},
    {':', {".....", ".##..", ".##..", ".....", ".##..", ".##..", "....."}},
    {'=', {".....", ".....", "#####", ".....", "#####", ".....", "....."}},
    {'(', {"...#.", "..#..", ".#...", ".#...", ".#...", "..#..", "...#."}},
    {')', {".#...", "..#..", "...#.", "...#.", "...#.", "..#..", ".#..."}},
    {'/', {".....", "....#", "...#.", "..#..", ".#...", "#....", "....."}},
    {'%', {"##...", "##..#", "...#.", "..#..", ".#...", "#..##", "...##"}},
    {'_', {".....", ".....", ".....", ".....", ".....", ".....", "#####"}},
    {'?', {".###.", "#...#", "....#", "...#.", "..#..", ".....", "..#.."}},
};
// clang-format on

const Glyph& glyph(char c) {
  const char lower = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const Glyph& g : kFont)
    if (g.c == lower) return g;
  return kFont[std::size(kFont) - 1];
}

constexpr std::array<std::uint8_t, 3> kWhite{255, 255, 255}, kBlack{0, 0, 0};
constexpr int kBarWidth = 128, kBarHeight = kGlyphHeight;
constexpr int kLegendPad = 4;
const char* kLowLabel = "tile min";
const char* kHighLabel = "tile max";

void fill(data::Image& image, std::array<std::uint8_t, 3> color) {
  for (size_t i = 0; i < image.pixels.size(); i += 3) std::copy(color.begin(), color.end(), image.pixels.begin() + static_cast<std::ptrdiff_t>(i));
}

void put(data::Image& image, int x, int y, std::array<std::uint8_t, 3> color) {
  if (x < 0 || y < 0 || x >= image.width || y >= image.height) return;
  for (int c = 0; c < 3; ++c) image.at(x, y, c) = color[static_cast<size_t>(c)];
}

std::string range_text(float min, float max) { return "values " + short_number(min) + " to " + short_number(max); }

int legend_width(float min, float max) {
  const int bar_line = text_width(kLowLabel) + kLegendPad + kBarWidth + kLegendPad + text_width(kHighLabel);
  return 2 * kGridGap + std::max(bar_line, text_width(range_text(min, max)));
}

void draw_legend(data::Image& image, int top, Palette palette, float min, float max) {
  int x = kGridGap;
  const int y = top + kLegendPad;
  x += draw_text(image, x, y, kLowLabel, kBlack) + kLegendPad;
  for (int i = 0; i < kBarWidth; ++i) {
    const auto color = palette_color(palette, static_cast<float>(i) / (kBarWidth - 1));
    for (int j = 0; j < kBarHeight; ++j) put(image, x + i, y + j, color);
  }
  x += kBarWidth + kLegendPad;
  draw_text(image, x, y, kHighLabel, kBlack);
  draw_text(image, kGridGap, y + kGlyphHeight + kLegendPad, range_text(min, max), kBlack);
}
}  // namespace

std::pair<int, int> GridLayout::origin(int index) const {
  return {kGridGap + (index % columns) * (tile_width + kGridGap), kGridGap + (index / columns) * (tile_height + kGridGap)};
}

std::vector<float> normalize_min_max(const std::vector<float>& values) {
  float min = std::numeric_limits<float>::infinity(), max = -min;
  for (float v : values)
    if (std::isfinite(v)) min = std::min(min, v), max = std::max(max, v);
  std::vector<float> out(values.size(), 0.0f);
  const double range = static_cast<double>(max) - min;
  if (!(range > 0) || !std::isfinite(range)) return out;
  for (size_t i = 0; i < values.size(); ++i)
    if (std::isfinite(values[i])) out[i] = static_cast<float>((values[i] - static_cast<double>(min)) / range);
  return out;
}

std::array<std::uint8_t, 3> palette_color(Palette palette, float t) {
  if (palette == Palette::jet) return jet(t);
  const float clamped = std::isfinite(t) ? std::clamp(t, 0.0f, 1.0f) : 0.0f;
  const auto v = static_cast<std::uint8_t>(std::lround(clamped * 255.0f));
  return {v, v, v};
}

int text_width(const std::string& text) {
  return text.empty() ? 0 : static_cast<int>(text.size()) * kGlyphAdvance - (kGlyphAdvance - kGlyphWidth);
}

int draw_text(data::Image& image, int x, int y, const std::string& text, std::array<std::uint8_t, 3> color) {
  GAZE_CHECK(image.channels == 3, "draw_text: expected an RGB image");
  for (size_t i = 0; i < text.size(); ++i) {
    const Glyph& g = glyph(text[i]);
    const int left = x + static_cast<int>(i) * kGlyphAdvance;
    for (int row = 0; row < kGlyphHeight; ++row)
      for (int col = 0; col < kGlyphWidth; ++col)
        if (g.rows[row][col] == '#') put(image, left + col, y + row, color);
  }
  return text_width(text);
}

std::string short_number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3g", value);
  return text;
}

TileGrid make_tile_grid(const std::vector<Tile>& tiles, const GridOptions& options) {
  GAZE_CHECK(!tiles.empty(), "tile grid: no tiles to draw");
  GAZE_CHECK(options.scale > 0 && options.scale <= 256, "tile grid: the scale must be in 1..256, got ", options.scale);
  const Tile& first = tiles.front();
  for (const Tile& t : tiles)
    GAZE_CHECK((t.channels == 1 || t.channels == 3) && t.height > 0 && t.width > 0 && t.channels == first.channels &&
                   t.height == first.height && t.width == first.width &&
                   t.values.size() == static_cast<size_t>(t.channels) * t.height * t.width,
               "tile grid: every tile must be 1- or 3-channel with the same size (", first.channels, "x",
               first.height, "x", first.width, "), got ", t.channels, "x", t.height, "x", t.width);
  const int count = static_cast<int>(tiles.size());
  GridLayout layout;
  layout.columns = options.columns > 0 ? std::min(options.columns, count)
                                       : static_cast<int>(std::ceil(std::sqrt(static_cast<double>(count))));
  layout.rows = (count + layout.columns - 1) / layout.columns;
  layout.scale = options.scale;
  const int64_t tile_h = static_cast<int64_t>(first.height) * options.scale;
  const int64_t tile_w = static_cast<int64_t>(first.width) * options.scale;
  const int64_t grid_w = kGridGap + layout.columns * (tile_w + kGridGap);
  const int64_t grid_h = kGridGap + layout.rows * (tile_h + kGridGap);
  GAZE_CHECK(grid_w * grid_h <= (int64_t{1} << 26), "tile grid: ", count, " tiles of ", tile_h, "x", tile_w,
             " pixels make a ", grid_w, "x", grid_h, " image, too large (show fewer tiles or lower the scale)");
  layout.tile_height = static_cast<int>(tile_h);
  layout.tile_width = static_cast<int>(tile_w);
  layout.grid_width = static_cast<int>(grid_w);
  layout.grid_height = static_cast<int>(grid_h);

  TileGrid grid;
  grid.min = std::numeric_limits<float>::infinity();
  grid.max = -std::numeric_limits<float>::infinity();
  for (const Tile& t : tiles)
    for (float v : t.values)
      if (std::isfinite(v)) grid.min = std::min(grid.min, v), grid.max = std::max(grid.max, v);
  if (grid.min > grid.max) grid.min = grid.max = 0;

  layout.legend_top = layout.grid_height;
  layout.legend_width = options.legend ? legend_width(grid.min, grid.max) : 0;
  layout.width = std::max(layout.grid_width, layout.legend_width);
  layout.height = layout.grid_height + (options.legend ? kLegendHeight : 0);
  grid.layout = layout;
  grid.image = data::Image(layout.width, layout.height, 3);
  fill(grid.image, kWhite);

  const int plane = first.height * first.width;
  for (int index = 0; index < count; ++index) {
    const Tile& t = tiles[static_cast<size_t>(index)];
    const std::vector<float> normalized = normalize_min_max(t.values);
    const auto [left, top] = layout.origin(index);
    for (int y = 0; y < t.height; ++y)
      for (int x = 0; x < t.width; ++x) {
        std::array<std::uint8_t, 3> color;
        if (t.channels == 3) {
          for (int c = 0; c < 3; ++c)
            color[static_cast<size_t>(c)] = palette_color(Palette::gray, normalized[static_cast<size_t>(c * plane + y * t.width + x)])[0];
        } else {
          color = palette_color(options.palette, normalized[static_cast<size_t>(y * t.width + x)]);
        }
        for (int dy = 0; dy < options.scale; ++dy)
          for (int dx = 0; dx < options.scale; ++dx)
            put(grid.image, left + x * options.scale + dx, top + y * options.scale + dy, color);
      }
  }
  if (options.legend) draw_legend(grid.image, layout.legend_top, options.palette, grid.min, grid.max);
  return grid;
}

data::Image enlarge(const data::Image& image, int scale) {
  GAZE_CHECK(scale > 0, "enlarge: the scale must be positive, got ", scale);
  if (scale == 1) return image;
  data::Image out(image.width * scale, image.height * scale, image.channels);
  for (int y = 0; y < out.height; ++y)
    for (int x = 0; x < out.width; ++x)
      for (int c = 0; c < image.channels; ++c) out.at(x, y, c) = image.at(x / scale, y / scale, c);
  return out;
}

}  // namespace gaze::cam
