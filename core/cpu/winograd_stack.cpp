// See core/cpu/winograd_stack.h.
#include "core/cpu/winograd_stack.h"

#include <algorithm>
#include <cassert>
#include <limits>

namespace gaze::cpu {

TileGrid::TileGrid(int64_t tile_size, int64_t image_height, int64_t image_width)
    : tile(tile_size),
      height(image_height),
      width(image_width),
      tiles_w((image_width + tile_size - 1) / tile_size),
      per_image(((image_height + tile_size - 1) / tile_size) * tiles_w) {}

StackBlock make_stack_block(const TileGrid& grid, int64_t first, int64_t count, StackStorage& storage) {
  const int64_t padded = grid.padded_width(), tile = grid.tile;
  storage.segments.clear();
  if (storage.offsets.size() < static_cast<size_t>(count)) storage.offsets.resize(static_cast<size_t>(count));
  int32_t* offsets = storage.offsets.data();
  int64_t base = 0;
  for (int64_t j = 0; j < count;) {
    const int64_t image = (first + j) / grid.per_image, image_first = image * grid.per_image;
    const int64_t end = std::min(count, image_first + grid.per_image - first);
    const int64_t row_begin = (first + j - image_first) / grid.tiles_w;
    const int64_t row_end = (first + end - 1 - image_first) / grid.tiles_w + 1;
    storage.segments.push_back({image, row_begin, row_end, j, end, base});
    for (int64_t k = j; k < end; ++k) {
      const int64_t r = first + k - image_first;
      offsets[k] = static_cast<int32_t>(base + tile * (r / grid.tiles_w - row_begin) * padded +
                                        tile * (r % grid.tiles_w));
    }
    base += (tile * (row_end - row_begin) + 2) * padded;
    j = end;
  }
  // Offsets are int32 for the gathers: a block's stack is a few tile rows of
  // a few images (at most (tile + 2) * count rows of padded_width), far below
  // the limit unless images are hundreds of millions of pixels wide. (An
  // assert, not an exception: this runs inside an OpenMP region.)
  assert(base <= std::numeric_limits<int32_t>::max());
  if (storage.stack.size() < static_cast<size_t>(base)) storage.stack.resize(static_cast<size_t>(base));
  return {first, count, storage.segments.data(), static_cast<int64_t>(storage.segments.size()),
          offsets, storage.stack.data(), base};
}

void clear_stack(const StackBlock& b) { std::fill(b.stack, b.stack + b.stack_size, 0.0f); }

void fill_stack(const float* data, int64_t channels, int64_t channel, const TileGrid& grid,
                const StackBlock& b) {
  const int64_t padded = grid.padded_width(), height = grid.height, width = grid.width;
  for (int64_t i = 0; i < b.images; ++i) {
    const StackSegment& seg = b.segments[i];
    const float* plane = data + (seg.image * channels + channel) * height * width;
    // Stack row r of the segment holds image row r + tile * row_begin - 1.
    const int64_t top = grid.tile * seg.row_begin - 1;
    const int64_t first_row = std::max<int64_t>(top, 0);
    const int64_t last_row = std::min(grid.tile * seg.row_end + 1, height);
    for (int64_t y = first_row; y < last_row; ++y)
      std::copy(plane + y * width, plane + (y + 1) * width, b.stack + seg.base + (y - top) * padded + 1);
  }
}

void copy_out_tiles(const TileGrid& grid, const StackBlock& b, float* data, int64_t channels,
                    int64_t channel) {
  const int64_t padded = grid.padded_width(), height = grid.height, width = grid.width, tile = grid.tile;
  for (int64_t i = 0; i < b.images; ++i) {
    const StackSegment& seg = b.segments[i];
    float* plane = data + (seg.image * channels + channel) * height * width;
    const int64_t image_first = seg.image * grid.per_image;
    const int64_t r_begin = b.first + seg.begin - image_first, r_end = b.first + seg.end - image_first;
    for (int64_t row = seg.row_begin; row < seg.row_end; ++row) {
      // The block's tiles in this tile row: all of it but at the ends.
      const int64_t x_begin = tile * std::max<int64_t>(r_begin - row * grid.tiles_w, 0);
      const int64_t x_end = std::min(tile * std::min(r_end - row * grid.tiles_w, grid.tiles_w), width);
      for (int64_t y = tile * row; y < std::min(tile * (row + 1), height); ++y) {
        const float* src = b.stack + seg.base + (y + 1 - tile * seg.row_begin) * padded + 1;
        std::copy(src + x_begin, src + x_end, plane + y * width + x_begin);
      }
    }
  }
}

}  // namespace gaze::cpu
