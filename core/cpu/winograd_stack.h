#pragma once
// The "stack" through which Winograd transforms read and write the tiles of
// one block of tiles, one channel at a time: the tile rows of each image that
// the block touches, copied with a zero border of one pixel (the padding) and
// zeros past odd edges. Every tile is then interior, at a precomputed offset,
// so one vector loop (gathers and scatters) handles all tiles of a block
// whatever image or row they are in. Used by F(2x2) for all images and by
// F(4x4) for images too narrow for its row-wise vector path.
#include <cstdint>
#include <vector>

namespace gaze::cpu {

// Tiles of `tile` x `tile` output pixels over images of height x width,
// numbered image-major, row by row.
struct TileGrid {
  int64_t tile, height, width, tiles_w, per_image;
  TileGrid(int64_t tile_size, int64_t image_height, int64_t image_width);
  // Row length of the stack: one zero column left, the image, and zero
  // columns right up to the last tile's patch (tile + 2 wide).
  int64_t padded_width() const { return tile * tiles_w + 2; }
};

// One image's share of a block: its tiles are the block's [begin, end), in
// tile rows [row_begin, row_end), and its padded rows start at `base`.
struct StackSegment {
  int64_t image, row_begin, row_end, begin, end, base;
};

// Per-thread storage behind a StackBlock, kept across calls.
struct StackStorage {
  std::vector<StackSegment> segments;
  std::vector<int32_t> offsets;
  std::vector<float> stack;
};

struct StackBlock {
  int64_t first, count;  // the tiles [first, first + count) of all images
  const StackSegment* segments;
  int64_t images;
  const int32_t* offsets;  // per tile: where its input patch starts in the stack
  float* stack;            // stack_size floats, owned by the StackStorage
  int64_t stack_size;
};

StackBlock make_stack_block(const TileGrid& grid, int64_t first, int64_t count, StackStorage& storage);

// Zeros the stack, for fill_stack to write only image pixels into.
void clear_stack(const StackBlock& b);

// Copies channel `channel` of the block's images (data is [N, channels, H, W])
// into the stack. The border and rows outside the image keep their zeros.
void fill_stack(const float* data, int64_t channels, int64_t channel, const TileGrid& grid,
                const StackBlock& b);

// The inverse for outputs: copies the block's output tiles, which a
// transform wrote at offset + padded_width + 1 (the patch's inner corner),
// from the stack into channel `channel` of data, clipped to the image.
void copy_out_tiles(const TileGrid& grid, const StackBlock& b, float* data, int64_t channels,
                    int64_t channel);

}  // namespace gaze::cpu
