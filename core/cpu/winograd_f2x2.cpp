// Winograd F(2x2, 3x3): Y = A^T [(G g G^T) (.) (B^T d B)] A per 2x2 output tile,
// with the 4x4 input patch d starting one pixel above-left of the tile
// (padding 1). Tiles of all images are numbered n-major and processed in
// blocks; each thread transforms its block into a scratch buffer
// V[e][channel][tile] (e = one of the 16 transformed positions), multiplies
// by U[e][out][in] with one GEMM per e and transforms the products back.
// OpenBLAS runs single-threaded inside the OpenMP region, so threads work on
// different blocks and no two threads write the same output.
#include "core/cpu/winograd_kernels.h"

#include <cblas.h>
#include <omp.h>

#include <algorithm>
#include <vector>

namespace gaze::cpu::f2x2 {

namespace {

constexpr int64_t kPositions = 16;  // a transformed 4x4 tile

struct Tiling {
  int64_t tiles_w, per_image, total, block;
  int64_t blocks() const { return (total + block - 1) / block; }
  // Distance between the 16 position planes of a scratch buffer with `rows`
  // rows of `block` tiles. The padding keeps the 16 planes, which transforms
  // read or write together, off the same L1 cache set (block * rows * 4 bytes
  // is usually a multiple of 4 KiB).
  int64_t plane(int64_t rows) const { return rows * block + 16; }
  // Row length of a padded image: one zero column left, the image, and zero
  // columns right up to the last tile's patch.
  int64_t padded_width() const { return 2 * tiles_w + 2; }
};

Tiling tiling(const WinogradShape& s) {
  const int64_t tiles_h = (s.height + 1) / 2, tiles_w = (s.width + 1) / 2;
  // Blocks of about 4 MB of scratch per thread: large enough that the GEMMs'
  // packing of U is amortized, small enough to stay in the shared L3.
  const int64_t fit = (1 << 20) / (kPositions * (s.in_channels + s.out_channels));
  const int64_t block = std::clamp<int64_t>(fit / 16 * 16, 64, 512);
  return {tiles_w, tiles_h * tiles_w, s.batch * tiles_h * tiles_w, block};
}

// A buffer per thread and purpose, grown on demand and kept across calls so
// that training steps do not allocate.
template <typename T>
T* scratch(std::vector<T>& buffer, int64_t count) {
  if (buffer.size() < static_cast<size_t>(count)) buffer.resize(static_cast<size_t>(count));
  return buffer.data();
}

// The transforms work on one channel at a time through a "stack": the tile
// rows of each image that the block touches, copied with a zero border of
// one pixel (the padding) and zeros past odd edges. Every tile is then
// interior, at a known offset, and one vector loop handles all tiles of the
// block whatever image or row they are in.
//
// One image's share of a block: its tiles are the block's [begin, end), in
// tile rows [row_begin, row_end), and its padded rows start at `base`.
struct Segment {
  int64_t image, row_begin, row_end, begin, end, base;
};

struct Block {
  int64_t first, count;     // the tiles [first, first + count) of all images
  const Segment* segments;  // the images they belong to
  int64_t images;
  const int32_t* offsets;  // per tile: where its 4x4 patch starts in the stack
  int64_t stack_size;      // floats
};

// Per-thread storage behind a Block.
struct BlockStorage {
  std::vector<Segment> segments;
  std::vector<int32_t> offsets;
  std::vector<float> stack;
};

Block make_block(const Tiling& t, int64_t index, BlockStorage& storage) {
  const int64_t first = index * t.block, count = std::min(t.block, t.total - first);
  const int64_t width = t.padded_width();
  storage.segments.clear();
  int32_t* offsets = scratch(storage.offsets, count);
  int64_t base = 0;
  for (int64_t j = 0; j < count;) {
    const int64_t image = (first + j) / t.per_image, image_first = image * t.per_image;
    const int64_t end = std::min(count, image_first + t.per_image - first);
    const int64_t row_begin = (first + j - image_first) / t.tiles_w;
    const int64_t row_end = (first + end - 1 - image_first) / t.tiles_w + 1;
    storage.segments.push_back({image, row_begin, row_end, j, end, base});
    for (int64_t k = j; k < end; ++k) {
      const int64_t r = first + k - image_first;
      offsets[k] = static_cast<int32_t>(base + 2 * (r / t.tiles_w - row_begin) * width + 2 * (r % t.tiles_w));
    }
    base += (2 * (row_end - row_begin) + 2) * width;
    j = end;
  }
  return {first, count, storage.segments.data(), static_cast<int64_t>(storage.segments.size()), offsets, base};
}

// Copies channel `channel` of the block's images into the stack. Only the
// image pixels are written: the border and the rows outside the image keep
// the zeros the caller filled the stack with.
void fill_stack(const float* data, int64_t channels, int64_t channel, int64_t height, int64_t width,
                const Tiling& t, const Block& b, float* stack) {
  const int64_t padded = t.padded_width();
  for (int64_t i = 0; i < b.images; ++i) {
    const Segment& seg = b.segments[i];
    const float* plane = data + (seg.image * channels + channel) * height * width;
    // Padded row r holds image row r - 1.
    const int64_t first_row = std::max<int64_t>(2 * seg.row_begin, 1);
    const int64_t last_row = std::min(2 * seg.row_end + 2, height + 1);
    for (int64_t r = first_row; r < last_row; ++r)
      std::copy(plane + (r - 1) * width, plane + r * width,
                stack + seg.base + (r - 2 * seg.row_begin) * padded + 1);
  }
}

// V[e][c][j] = (B^T d B)[e] for the 4x4 patch d of tile j in channel c, with
// B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]. Channel-major loops make the
// 16 output streams sequential.
void transform_input(const float* x, int64_t channels, int64_t height, int64_t width,
                     const Tiling& t, const Block& b, float* stack, float* v) {
  const int64_t stride = t.plane(channels), padded = t.padded_width();
  std::fill(stack, stack + b.stack_size, 0.0f);
  for (int64_t c = 0; c < channels; ++c) {
    fill_stack(x, channels, c, height, width, t, b, stack);
    float* out = v + c * t.block;
#pragma omp simd
    for (int64_t j = 0; j < b.count; ++j) {
      // Indexes rather than a pointer per tile: GCC vectorizes the loads as gathers.
      const int64_t at = b.offsets[j];
      float rows[4][4];
      for (int k = 0; k < 4; ++k) {
        const float d0 = stack[at + k], d1 = stack[at + padded + k], d2 = stack[at + 2 * padded + k],
                    d3 = stack[at + 3 * padded + k];
        rows[0][k] = d0 - d2;
        rows[1][k] = d1 + d2;
        rows[2][k] = d2 - d1;
        rows[3][k] = d1 - d3;
      }
      for (int i = 0; i < 4; ++i) {
        out[(4 * i + 0) * stride + j] = rows[i][0] - rows[i][2];
        out[(4 * i + 1) * stride + j] = rows[i][1] + rows[i][2];
        out[(4 * i + 2) * stride + j] = rows[i][2] - rows[i][1];
        out[(4 * i + 3) * stride + j] = rows[i][1] - rows[i][3];
      }
    }
  }
}

// y tile = A^T m A for each product m = M[.][o][j]; A^T = [1 1 1 0; 0 1 -1 -1].
// The 2x2 tiles go to the stack (at the patch offset + one row and column),
// then the block's pixels inside the image are copied out.
void transform_output(const float* m, int64_t channels, int64_t height, int64_t width,
                      const Tiling& t, const Block& b, float* stack, float* y) {
  const int64_t stride = t.plane(channels), padded = t.padded_width();
  for (int64_t o = 0; o < channels; ++o) {
    const float* in = m + o * t.block;
#pragma omp simd
    for (int64_t j = 0; j < b.count; ++j) {
      float rows[2][4];
      for (int k = 0; k < 4; ++k) {
        const float m0 = in[k * stride + j], m1 = in[(4 + k) * stride + j],
                    m2 = in[(8 + k) * stride + j], m3 = in[(12 + k) * stride + j];
        rows[0][k] = m0 + m1 + m2;
        rows[1][k] = m1 - m2 - m3;
      }
      const int64_t at = b.offsets[j] + padded + 1;
      for (int i = 0; i < 2; ++i) {
        stack[at + i * padded] = rows[i][0] + rows[i][1] + rows[i][2];
        stack[at + i * padded + 1] = rows[i][1] - rows[i][2] - rows[i][3];
      }
    }
    for (int64_t i = 0; i < b.images; ++i) {
      const Segment& seg = b.segments[i];
      float* plane = y + (seg.image * channels + o) * height * width;
      const int64_t image_first = seg.image * t.per_image;
      const int64_t r_begin = b.first + seg.begin - image_first, r_end = b.first + seg.end - image_first;
      for (int64_t row = seg.row_begin; row < seg.row_end; ++row) {
        // The block's tiles in this tile row: all of it but at the ends.
        const int64_t x_begin = 2 * std::max<int64_t>(r_begin - row * t.tiles_w, 0);
        const int64_t x_end = std::min(2 * std::min(r_end - row * t.tiles_w, t.tiles_w), width);
        for (int64_t yy = 2 * row; yy < std::min(2 * row + 2, height); ++yy) {
          const float* src = stack + seg.base + (yy + 1 - 2 * seg.row_begin) * padded + 1;
          std::copy(src + x_begin, src + x_end, plane + yy * width + x_begin);
        }
      }
    }
  }
}

// D[e][o][j] = (A g A^T)[e] for the 2x2 output-gradient tile g (zero outside
// the image): the adjoint of transform_output.
void transform_grad_output(const float* grad_y, int64_t channels, int64_t height, int64_t width,
                           const Tiling& t, const Block& b, float* stack, float* d) {
  const int64_t stride = t.plane(channels), padded = t.padded_width();
  std::fill(stack, stack + b.stack_size, 0.0f);
  for (int64_t o = 0; o < channels; ++o) {
    fill_stack(grad_y, channels, o, height, width, t, b, stack);
    float* out = d + o * t.block;
#pragma omp simd
    for (int64_t j = 0; j < b.count; ++j) {
      const int64_t at = b.offsets[j] + padded + 1;
      const float g[2][2] = {{stack[at], stack[at + 1]}, {stack[at + padded], stack[at + padded + 1]}};
      const float rows[4][2] = {{g[0][0], g[0][1]},
                                {g[0][0] + g[1][0], g[0][1] + g[1][1]},
                                {g[0][0] - g[1][0], g[0][1] - g[1][1]},
                                {-g[1][0], -g[1][1]}};
      for (int i = 0; i < 4; ++i) {
        out[(4 * i + 0) * stride + j] = rows[i][0];
        out[(4 * i + 1) * stride + j] = rows[i][0] + rows[i][1];
        out[(4 * i + 2) * stride + j] = rows[i][0] - rows[i][1];
        out[(4 * i + 3) * stride + j] = -rows[i][1];
      }
    }
  }
}

// U[e][o][c] = (G k G^T)[e] with G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1],
// where k = w[o][c], or w[c][o] rotated by 180 degrees when `flipped` (the
// kernel of the data gradient, with o and c the gradient conv's out and in).
// The buffer is the calling thread's, reused by its next call.
const float* transform_weights(const float* w, int64_t outs, int64_t ins, bool flipped) {
  static thread_local std::vector<float> buffer;
  float* u = scratch(buffer, kPositions * outs * ins);
  const float* taps = kernel_taps(w, outs, ins, flipped);
  const int64_t count = outs * ins;
#pragma omp parallel for simd schedule(static)
  for (int64_t oc = 0; oc < count; ++oc) {
    float k[3][3];
    for (int i = 0; i < 9; ++i) k[i / 3][i % 3] = taps[i * count + oc];
    float rows[4][3];
    for (int q = 0; q < 3; ++q) {
      rows[0][q] = k[0][q];
      rows[1][q] = 0.5f * (k[0][q] + k[1][q] + k[2][q]);
      rows[2][q] = 0.5f * (k[0][q] - k[1][q] + k[2][q]);
      rows[3][q] = k[2][q];
    }
    for (int i = 0; i < 4; ++i) {
      const float cols[4] = {rows[i][0], 0.5f * (rows[i][0] + rows[i][1] + rows[i][2]),
                             0.5f * (rows[i][0] - rows[i][1] + rows[i][2]), rows[i][2]};
      for (int q = 0; q < 4; ++q) u[(4 * i + q) * count + oc] = cols[q];
    }
  }
  return u;
}

// out = conv(in, k) where U holds the transformed kernels [16][outs][ins].
void convolve(const float* in, const float* u, int64_t batch, int64_t ins,
              int64_t outs, int64_t height, int64_t width, float* out) {
  const Tiling t = tiling({batch, ins, outs, height, width});
  const int64_t v_plane = t.plane(ins), m_plane = t.plane(outs);
#pragma omp parallel
  {
    static thread_local std::vector<float> v_buffer, m_buffer;
    static thread_local BlockStorage storage;
    float* v = scratch(v_buffer, kPositions * v_plane);
    float* m = scratch(m_buffer, kPositions * m_plane);
#pragma omp for schedule(static)
    for (int64_t index = 0; index < t.blocks(); ++index) {
      const Block b = make_block(t, index, storage);
      float* stack = scratch(storage.stack, b.stack_size);
      transform_input(in, ins, height, width, t, b, stack, v);
      for (int64_t e = 0; e < kPositions; ++e)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(outs),
                    static_cast<int>(b.count), static_cast<int>(ins), 1.0f, u + e * outs * ins,
                    static_cast<int>(ins), v + e * v_plane, static_cast<int>(t.block), 0.0f,
                    m + e * m_plane, static_cast<int>(t.block));
      transform_output(m, outs, height, width, t, b, stack, out);
    }
  }
}

}  // namespace

void forward(const float* x, const float* w, const WinogradShape& s, float* y) {
  const float* u = transform_weights(w, s.out_channels, s.in_channels, false);
  convolve(x, u, s.batch, s.in_channels, s.out_channels, s.height, s.width, y);
}

void backward_data(const float* grad_y, const float* w, const WinogradShape& s,
                   float* grad_x) {
  const float* u = transform_weights(w, s.in_channels, s.out_channels, true);
  convolve(grad_y, u, s.batch, s.out_channels, s.in_channels, s.height, s.width, grad_x);
}

void backward_weights(const float* x, const float* grad_y, const WinogradShape& s,
                      float* grad_w) {
  const Tiling t = tiling(s);
  const int64_t outs = s.out_channels, ins = s.in_channels, size = kPositions * outs * ins;
  const int threads = omp_get_max_threads();
  // dU[e][o][c] = sum over tiles of D[e][o][tile] V[e][c][tile], one partial
  // per thread, summed in thread order afterwards: deterministic, no atomics.
  // A thread's first block overwrites its partial (no zeroing pass); threads
  // that got no block are left out of the sum.
  static thread_local std::vector<float> partial_buffer;
  float* partial = scratch(partial_buffer, threads * size);
  std::vector<char> used(static_cast<size_t>(threads), 0);
  const int64_t v_plane = t.plane(ins), d_plane = t.plane(outs);
#pragma omp parallel
  {
    static thread_local std::vector<float> v_buffer, d_buffer;
    static thread_local BlockStorage storage;
    float* v = scratch(v_buffer, kPositions * v_plane);
    float* d = scratch(d_buffer, kPositions * d_plane);
    const int thread = omp_get_thread_num();
    float* du = partial + thread * size;
#pragma omp for schedule(static)
    for (int64_t index = 0; index < t.blocks(); ++index) {
      const Block b = make_block(t, index, storage);
      float* stack = scratch(storage.stack, b.stack_size);
      transform_input(x, ins, s.height, s.width, t, b, stack, v);
      transform_grad_output(grad_y, outs, s.height, s.width, t, b, stack, d);
      const float beta = used[static_cast<size_t>(thread)] ? 1.0f : 0.0f;
      used[static_cast<size_t>(thread)] = 1;
      for (int64_t e = 0; e < kPositions; ++e)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(outs),
                    static_cast<int>(ins), static_cast<int>(b.count), 1.0f, d + e * d_plane,
                    static_cast<int>(t.block), v + e * v_plane, static_cast<int>(t.block), beta,
                    du + e * outs * ins, static_cast<int>(ins));
    }
  }
  // grad_w = G^T dU G, the adjoint of the weight transform, on the partials
  // summed in thread order.
#pragma omp parallel for schedule(static)
  for (int64_t oc = 0; oc < outs * ins; ++oc) {
    float du[4][4];
    for (int64_t e = 0; e < kPositions; ++e) {
      float sum = 0;
      for (int th = 0; th < threads; ++th)
        if (used[static_cast<size_t>(th)]) sum += partial[th * size + e * outs * ins + oc];
      du[e / 4][e % 4] = sum;
    }
    float rows[3][4];
    for (int q = 0; q < 4; ++q) {
      rows[0][q] = du[0][q] + 0.5f * (du[1][q] + du[2][q]);
      rows[1][q] = 0.5f * (du[1][q] - du[2][q]);
      rows[2][q] = 0.5f * (du[1][q] + du[2][q]) + du[3][q];
    }
    float* out = grad_w + oc * 9;
    for (int i = 0; i < 3; ++i) {
      out[3 * i + 0] = rows[i][0] + 0.5f * (rows[i][1] + rows[i][2]);
      out[3 * i + 1] = 0.5f * (rows[i][1] - rows[i][2]);
      out[3 * i + 2] = 0.5f * (rows[i][1] + rows[i][2]) + rows[i][3];
    }
  }
}

}  // namespace gaze::cpu::f2x2
