// Winograd F(4x4, 3x3) (Lavin & Gray, 2016): Y = A^T [(G g G^T) (.) (B^T d B)] A
// per 4x4 output tile, with the 6x6 input patch d starting one pixel
// above-left of the tile (padding 1). Transformed positions are numbered
// e = 6 i + k, i down and k across.
//
// Tiles of all images are numbered image-major, row by row, and processed in
// blocks; each thread transforms its block into a scratch buffer
// V[e][channel][tile], multiplies by U[e][out][in] with one GEMM per e and
// transforms the products back. OpenBLAS runs single-threaded inside the
// OpenMP region, so threads work on different blocks and no two threads
// write the same output.
//
// Images at least 8 tiles wide (the row path): a block is walked as runs,
// consecutive tiles of one tile row of one image. Each transform is done in
// two passes over a run: the vertical 1-D transform on whole image rows
// (contiguous, vectorized along x, zero rows and columns standing in for the
// padding), then the horizontal one per tile (vectorized across the tiles of
// the run). Sharing the vertical pass between horizontally overlapping
// patches also saves a third of its work.
//
// Narrower images (the stack path): the block's image rows are copied into a
// zero-bordered tile stack (core/cpu/winograd_stack.h) and 8 tiles at a time
// are transformed, one per vector lane, their patches gathered by offset.
#include "core/cpu/winograd_kernels.h"
#include "core/cpu/winograd_stack.h"

#include <cblas.h>
#include <omp.h>

#include <algorithm>
#include <cstring>
#include <vector>

// Vec values pass between this file's inline helpers only (internal
// linkage), so GCC's note that 32-byte vectors change the calling convention
// without AVX (builds without -march=native) does not apply.
#pragma GCC diagnostic ignored "-Wpsabi"

namespace gaze::cpu::f4x4 {

namespace {

constexpr int64_t kTile = 4;        // output tile side
constexpr int64_t kPatch = 6;       // input patch side: kTile + 3 - 1
constexpr int64_t kPositions = 36;  // a transformed 6x6 tile
// Scratch per thread for a block's transformed inputs and products: 1 MiB
// (half of this machine's 2 MiB L2 per core), measured against 2 and 4 MiB.
constexpr int64_t kScratchFloats = int64_t{1} << 18;

// The 1-D transforms. Forward: V = B^T d B, M = U (.) V, Y = A^T M A, with
//   B^T = [4 0 -5 0 1 0; 0 -4 -4 1 1 0; 0 4 -4 -1 1 0;
//          0 -2 -1 2 1 0; 0 2 -1 -2 1 0; 0 4 0 -5 0 1],
//   G   = [1/4 0 0; -1/6 -1/6 -1/6; -1/6 1/6 -1/6;
//          1/24 1/12 1/6; 1/24 -1/12 1/6; 0 0 1],
//   A^T = [1 1 1 1 1 0; 0 1 -1 2 -2 0; 0 1 1 4 4 0; 0 1 -1 8 -8 1].
// The backward passes use the adjoints: A (grad output) and G^T (grad weights).
// The data transforms work on one float or on a Vec of 8 (8 columns or tiles).
template <typename T>
inline void apply_bt(const T d[6], T v[6]) {
  v[0] = 4.0f * d[0] - 5.0f * d[2] + d[4];
  v[1] = -4.0f * (d[1] + d[2]) + d[3] + d[4];
  v[2] = 4.0f * (d[1] - d[2]) - d[3] + d[4];
  v[3] = 2.0f * (d[3] - d[1]) - d[2] + d[4];
  v[4] = 2.0f * (d[1] - d[3]) - d[2] + d[4];
  v[5] = 4.0f * d[1] - 5.0f * d[3] + d[5];
}

template <typename T>
inline void apply_at(const T m[6], T y[4]) {
  const T plus1 = m[1] + m[2], minus1 = m[1] - m[2];
  const T plus2 = m[3] + m[4], minus2 = m[3] - m[4];
  y[0] = m[0] + plus1 + plus2;
  y[1] = minus1 + 2.0f * minus2;
  y[2] = plus1 + 4.0f * plus2;
  y[3] = minus1 + 8.0f * minus2 + m[5];
}

// A g: the adjoint of apply_at, for output gradients.
template <typename T>
inline void apply_a(const T g[4], T d[6]) {
  const T even = g[0] + g[2], odd = g[1] + g[3];
  const T even4 = g[0] + 4.0f * g[2], odd8 = 2.0f * g[1] + 8.0f * g[3];
  d[0] = g[0];
  d[1] = even + odd;
  d[2] = even - odd;
  d[3] = even4 + odd8;
  d[4] = even4 - odd8;
  d[5] = g[3];
}

// Eight floats in one register (GCC vector extension: AVX, AVX-512 or two
// SSE registers, whatever -march offers). The auto-vectorizer does not handle
// the transforms' stride-4 tile columns, so they are written with shuffles.
typedef float Vec __attribute__((vector_size(32)));
typedef int Lanes __attribute__((vector_size(32)));
constexpr int64_t kLanes = 8;

// Lanes I... of the 16 lanes of a then b. GCC's __builtin_shuffle takes the
// indices as a vector; Clang only has __builtin_shufflevector, which takes
// them as constant arguments.
template <int... I>
inline Vec shuffle(Vec a, Vec b) {
  static_assert(sizeof...(I) == kLanes);
#if defined(__clang__)
  return __builtin_shufflevector(a, b, I...);
#else
  return __builtin_shuffle(a, b, Lanes{I...});
#endif
}

inline Vec load(const float* p) {
  Vec v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

inline void store(float* p, Vec v) { std::memcpy(p, &v, sizeof v); }

// The 32 floats at p as 4 phases: phase[k][q] = p[4 q + k] (column k of
// 8 consecutive 4-wide tiles).
inline void deinterleave4(const float* p, Vec phase[4]) {
  const Vec a0 = load(p), a1 = load(p + 8), a2 = load(p + 16), a3 = load(p + 24);
  // t0 = columns 0 and 1 of tiles 0-3, t1 = columns 2 and 3; t2, t3 the same for tiles 4-7.
  const Vec t0 = shuffle<0, 4, 8, 12, 1, 5, 9, 13>(a0, a1), t1 = shuffle<2, 6, 10, 14, 3, 7, 11, 15>(a0, a1);
  const Vec t2 = shuffle<0, 4, 8, 12, 1, 5, 9, 13>(a2, a3), t3 = shuffle<2, 6, 10, 14, 3, 7, 11, 15>(a2, a3);
  // Then column k of all 8 tiles: the low or high halves of one pair.
  phase[0] = shuffle<0, 1, 2, 3, 8, 9, 10, 11>(t0, t2);
  phase[1] = shuffle<4, 5, 6, 7, 12, 13, 14, 15>(t0, t2);
  phase[2] = shuffle<0, 1, 2, 3, 8, 9, 10, 11>(t1, t3);
  phase[3] = shuffle<4, 5, 6, 7, 12, 13, 14, 15>(t1, t3);
}

// The inverse: p[4 q + k] = phase[k][q].
inline void interleave4(const Vec phase[4], float* p) {
  // u0, u1 = phases 0 and 2 interleaved (low and high halves), v0, v1 =
  // phases 1 and 3 interleaved, then the pairs merged the same way.
  const Vec u0 = shuffle<0, 8, 1, 9, 2, 10, 3, 11>(phase[0], phase[2]);
  const Vec u1 = shuffle<4, 12, 5, 13, 6, 14, 7, 15>(phase[0], phase[2]);
  const Vec v0 = shuffle<0, 8, 1, 9, 2, 10, 3, 11>(phase[1], phase[3]);
  const Vec v1 = shuffle<4, 12, 5, 13, 6, 14, 7, 15>(phase[1], phase[3]);
  // u0 = (p0[0] p2[0] p0[1] p2[1] ...), v0 = (p1[0] p3[0] ...): merge to p0 p1 p2 p3.
  store(p, shuffle<0, 8, 1, 9, 2, 10, 3, 11>(u0, v0));
  store(p + 8, shuffle<4, 12, 5, 13, 6, 14, 7, 15>(u0, v0));
  store(p + 16, shuffle<0, 8, 1, 9, 2, 10, 3, 11>(u1, v1));
  store(p + 24, shuffle<4, 12, 5, 13, 6, 14, 7, 15>(u1, v1));
}

inline void apply_g(const float k[3], float u[6]) {
  constexpr float kSixth = 1.0f / 6.0f;
  const float outer = k[0] + k[2], quarter_outer = 0.25f * k[0] + k[2];
  u[0] = 0.25f * k[0];
  u[1] = -kSixth * (outer + k[1]);
  u[2] = -kSixth * (outer - k[1]);
  u[3] = kSixth * (quarter_outer + 0.5f * k[1]);
  u[4] = kSixth * (quarter_outer - 0.5f * k[1]);
  u[5] = k[2];
}

// G^T u: the adjoint of apply_g, for weight gradients.
inline void apply_gt(const float u[6], float k[3]) {
  constexpr float kSixth = 1.0f / 6.0f;
  const float low = u[1] + u[2], high = u[3] + u[4];
  k[0] = 0.25f * u[0] + kSixth * (0.25f * high - low);
  k[1] = kSixth * ((u[2] - u[1]) + 0.5f * (u[3] - u[4]));
  k[2] = kSixth * (high - low) + u[5];
}

struct Tiling {
  int64_t tiles_h, tiles_w, per_image, total, block;
  int64_t blocks() const { return (total + block - 1) / block; }
  // Distance between the 36 position planes of a scratch buffer with `rows`
  // rows of `block` tiles. The padding keeps the planes, which transforms
  // read or write together, off the same L1 cache set (block * rows * 4 bytes
  // is usually a multiple of 4 KiB).
  int64_t plane(int64_t rows) const { return rows * block + 16; }
  // Floats in one row of a run's row buffer: the widest run's input span.
  int64_t row_length() const { return kTile * tiles_w + 2 + 2 * kLanes; }
};

Tiling tiling(const WinogradShape& s) {
  const int64_t tiles_h = (s.height + kTile - 1) / kTile, tiles_w = (s.width + kTile - 1) / kTile;
  // Blocks of about kScratchFloats of scratch per thread: large enough that
  // the GEMMs' packing of U is amortized, small enough to stay in L2.
  const int64_t fit = kScratchFloats / (kPositions * (s.in_channels + s.out_channels));
  const int64_t block = std::clamp<int64_t>(fit / 16 * 16, 64, 512);
  return {tiles_h, tiles_w, tiles_h * tiles_w, s.batch * tiles_h * tiles_w, block};
}

// A buffer per thread and purpose, grown on demand and kept across calls so
// that training steps do not allocate.
template <typename T>
T* scratch(std::vector<T>& buffer, int64_t count, T fill = T()) {
  if (buffer.size() < static_cast<size_t>(count)) buffer.resize(static_cast<size_t>(count), fill);
  return buffer.data();
}

// Consecutive tiles of one tile row of one image: tiles (tile_y, tile_x ...
// tile_x + length - 1) of `image`, at columns offset ... offset + length - 1
// of the block's scratch buffers.
struct Run {
  int64_t image, tile_y, tile_x, length, offset;
};

std::vector<Run>& block_runs(const Tiling& t, int64_t index, std::vector<Run>& runs) {
  runs.clear();
  const int64_t first = index * t.block, end = std::min(first + t.block, t.total);
  for (int64_t j = first; j < end;) {
    const int64_t n = j / t.per_image, r = j % t.per_image;
    const int64_t ty = r / t.tiles_w, tx = r % t.tiles_w;
    const int64_t length = std::min(t.tiles_w - tx, end - j);
    runs.push_back({n, ty, tx, length, j - first});
    j += length;
  }
  return runs;
}

// Per-thread buffers for the row passes: six rows of a run, a row of zeros
// that stands in for image rows outside the image and a row that takes the
// output rows below the image.
struct RowBuffers {
  float* rows;   // kPatch rows of `stride` floats
  float* zeros;  // at least `width` zeros
  float* sink;   // `stride` floats, never read
  int64_t stride;
};

RowBuffers row_buffers(const Tiling& t, int64_t width) {
  static thread_local std::vector<float> rows, zeros;
  const int64_t stride = t.row_length();
  float* zero_row = scratch(zeros, width);
  std::fill(zero_row, zero_row + width, 0.0f);
  float* base = scratch(rows, (kPatch + 1) * stride);
  return {base, zero_row, base + kPatch * stride, stride};
}

// out[i][p] = f(in[0][p], in[1][p], ...) for p < count: a 1-D transform
// down image rows, Vec by Vec and then float by float.
template <int64_t kIns, int64_t kOuts, typename F>
inline void transform_columns(const float* const (&in)[kIns], float* const (&out)[kOuts], int64_t count,
                              F f) {
  int64_t p = 0;
  for (; p + kLanes <= count; p += kLanes) {
    Vec d[kIns], r[kOuts];
    for (int64_t i = 0; i < kIns; ++i) d[i] = load(in[i] + p);
    f(d, r);
    for (int64_t i = 0; i < kOuts; ++i) store(out[i] + p, r[i]);
  }
  for (; p < count; ++p) {
    float d[kIns], r[kOuts];
    for (int64_t i = 0; i < kIns; ++i) d[i] = in[i][p];
    f(d, r);
    for (int64_t i = 0; i < kOuts; ++i) out[i][p] = r[i];
  }
}

// target[k * stride + q] = (B^T row[4q ... 4q + 5])[k] for the tiles q of a run.
void input_tiles(const float* row, int64_t length, int64_t stride, float* target) {
  int64_t q = 0;
  for (; q + kLanes <= length; q += kLanes) {
    Vec d[kPatch], r[kPatch];
    deinterleave4(row + kTile * q, d);
    // Columns 4 and 5 are columns 0 and 1 of the next tile.
    const Vec next = load(row + kTile * (q + kLanes));
    d[4] = shuffle<1, 2, 3, 4, 5, 6, 7, 8>(d[0], next);
    d[5] = shuffle<1, 2, 3, 4, 5, 6, 7, 9>(d[1], next);
    apply_bt(d, r);
    for (int64_t k = 0; k < kPatch; ++k) store(target + k * stride + q, r[k]);
  }
  for (; q < length; ++q) {
    float d[kPatch], r[kPatch];
    for (int64_t k = 0; k < kPatch; ++k) d[k] = row[kTile * q + k];
    apply_bt(d, r);
    for (int64_t k = 0; k < kPatch; ++k) target[k * stride + q] = r[k];
  }
}

// row[4q + b] = (A^T source[0 ... 5][q])[b] for the tiles q of a run, with
// source[k] at source + k * stride.
void output_tiles(const float* source, int64_t stride, int64_t length, float* row) {
  int64_t q = 0;
  for (; q + kLanes <= length; q += kLanes) {
    Vec d[kPatch], r[kTile];
    for (int64_t k = 0; k < kPatch; ++k) d[k] = load(source + k * stride + q);
    apply_at(d, r);
    interleave4(r, row + kTile * q);
  }
  for (; q < length; ++q) {
    float d[kPatch], r[kTile];
    for (int64_t k = 0; k < kPatch; ++k) d[k] = source[k * stride + q];
    apply_at(d, r);
    for (int64_t b = 0; b < kTile; ++b) row[kTile * q + b] = r[b];
  }
}

// target[k * stride + q] = (A row[4q ... 4q + 3])[k] for the tiles q of a run.
void grad_output_tiles(const float* row, int64_t length, int64_t stride, float* target) {
  int64_t q = 0;
  for (; q + kLanes <= length; q += kLanes) {
    Vec g[kTile], r[kPatch];
    deinterleave4(row + kTile * q, g);
    apply_a(g, r);
    for (int64_t k = 0; k < kPatch; ++k) store(target + k * stride + q, r[k]);
  }
  for (; q < length; ++q) {
    float g[kTile], r[kPatch];
    for (int64_t b = 0; b < kTile; ++b) g[b] = row[kTile * q + b];
    apply_a(g, r);
    for (int64_t k = 0; k < kPatch; ++k) target[k * stride + q] = r[k];
  }
}

const auto kInputColumns = [](const auto* d, auto* r) { apply_bt(d, r); };
const auto kOutputColumns = [](const auto* d, auto* r) { apply_at(d, r); };
const auto kGradOutputColumns = [](const auto* d, auto* r) { apply_a(d, r); };

// V[e][c][offset + t] = (B^T d B)[e] for the patches d of a run, in every
// channel c: the vertical pass fills rows[i][x] = (B^T d)[i] along the run's
// input span (columns x0 - 1 ... x0 + 4 length), then each tile reads its six
// columns of it.
void transform_input(const float* x, int64_t channels, int64_t height, int64_t width,
                     const Tiling& t, const Run& run, const RowBuffers& buffers, float* v) {
  const int64_t stride = t.plane(channels), plane = height * width;
  const int64_t x_begin = run.tile_x * kTile - 1, span = kTile * run.length + 2;
  const int64_t lo = std::max<int64_t>(x_begin, 0), hi = std::min(x_begin + span, width);
  float* rows[kPatch];
  for (int64_t i = 0; i < kPatch; ++i) rows[i] = buffers.rows + i * buffers.stride;
  float* out[kPatch];
  for (int64_t i = 0; i < kPatch; ++i) out[i] = rows[i] + (lo - x_begin);
  for (int64_t c = 0; c < channels; ++c) {
    const float* image = x + (run.image * channels + c) * plane;
    const float* in[kPatch];
    for (int64_t i = 0; i < kPatch; ++i) {
      const int64_t y = run.tile_y * kTile - 1 + i;
      in[i] = (y >= 0 && y < height ? image + y * width : buffers.zeros) + lo;
    }
    for (int64_t i = 0; i < kPatch; ++i) {
      std::fill(rows[i], rows[i] + (lo - x_begin), 0.0f);
      std::fill(rows[i] + (hi - x_begin), rows[i] + span, 0.0f);
    }
    transform_columns(in, out, hi - lo, kInputColumns);
    float* dst = v + c * t.block + run.offset;
    for (int64_t i = 0; i < kPatch; ++i) input_tiles(rows[i], run.length, stride, dst + kPatch * i * stride);
  }
}

// y tile = A^T m A for the products m = M[.][o][offset + t] of a run, in
// every output channel o: the horizontal pass writes rows[i][4t + b], the
// vertical one the image rows; tiles over the bottom or right edge write
// only their inside pixels.
void transform_output(const float* m, int64_t channels, int64_t height, int64_t width,
                      const Tiling& t, const Run& run, const RowBuffers& buffers, float* y) {
  const int64_t stride = t.plane(channels), plane = height * width;
  const int64_t x0 = run.tile_x * kTile, y0 = run.tile_y * kTile;
  const int64_t columns = std::min(kTile * run.length, width - x0);
  float* rows[kPatch];
  for (int64_t i = 0; i < kPatch; ++i) rows[i] = buffers.rows + i * buffers.stride;
  const float* in[kPatch];
  for (int64_t i = 0; i < kPatch; ++i) in[i] = rows[i];
  for (int64_t o = 0; o < channels; ++o) {
    const float* src = m + o * t.block + run.offset;
    for (int64_t i = 0; i < kPatch; ++i) output_tiles(src + kPatch * i * stride, stride, run.length, rows[i]);
    float* image = y + (run.image * channels + o) * plane + x0;
    float* out[kTile];
    for (int64_t a = 0; a < kTile; ++a) out[a] = y0 + a < height ? image + (y0 + a) * width : buffers.sink;
    transform_columns(in, out, columns, kOutputColumns);
  }
}

// D[e][o][offset + t] = (A g A^T)[e] for the 4x4 output-gradient tiles g of a
// run (zero outside the image): the adjoint of transform_output.
void transform_grad_output(const float* grad_y, int64_t channels, int64_t height, int64_t width,
                           const Tiling& t, const Run& run, const RowBuffers& buffers, float* d) {
  const int64_t stride = t.plane(channels), plane = height * width;
  const int64_t x0 = run.tile_x * kTile, y0 = run.tile_y * kTile;
  const int64_t span = kTile * run.length, columns = std::min(span, width - x0);
  float* rows[kPatch];
  for (int64_t i = 0; i < kPatch; ++i) rows[i] = buffers.rows + i * buffers.stride;
  for (int64_t o = 0; o < channels; ++o) {
    const float* image = grad_y + (run.image * channels + o) * plane + x0;
    const float* in[kTile];
    for (int64_t a = 0; a < kTile; ++a) in[a] = y0 + a < height ? image + (y0 + a) * width : buffers.zeros;
    transform_columns(in, rows, columns, kGradOutputColumns);
    for (int64_t i = 0; i < kPatch; ++i) std::fill(rows[i] + columns, rows[i] + span, 0.0f);
    float* dst = d + o * t.block + run.offset;
    for (int64_t i = 0; i < kPatch; ++i) grad_output_tiles(rows[i], run.length, stride, dst + kPatch * i * stride);
  }
}

// Images narrower than kLanes tiles have no full vector of tiles in a row:
// their blocks go through the tile stack (core/cpu/winograd_stack.h) and
// are transformed one tile per vector lane, across all tiles of the block.
bool narrow(const Tiling& t) { return t.tiles_w < kLanes; }

// The stack transforms take tiles kLanes at a time, one per lane of a Vec,
// reading and writing the stack through the tiles' offsets (gathers and
// scatters), and the block's remaining tiles one by one. The tile functions
// below serve both: T is Vec or float, `read(k)` gives element k of the
// tile's input in T.

// Reads of stack[offset of tile + k] for kLanes tiles or for one.
struct GatherTiles {
  const float* stack;
  const int32_t* offsets;
  int64_t shift;
  Vec operator()(int64_t k) const {
    const float* p = stack + shift + k;
    return Vec{p[offsets[0]], p[offsets[1]], p[offsets[2]], p[offsets[3]],
               p[offsets[4]], p[offsets[5]], p[offsets[6]], p[offsets[7]]};
  }
};

struct ReadTile {
  const float* at;
  float operator()(int64_t k) const { return at[k]; }
};

// A 2-D transform done as two 1-D ones: f (kIn values to kOut) down each of
// the kIn columns of the input tile x[i][k] = read(i * row_step + k), then
// along each of the kOut rows of the result: result[kOut * i + k].
template <int kIn, int kOut, typename T, typename Read, typename F>
inline void separable_tile(Read read, int64_t row_step, F f, T* result) {
  T columns[kIn][kOut];  // columns[k] = f(column k of x)
  for (int k = 0; k < kIn; ++k) {
    T column[kIn];
    for (int i = 0; i < kIn; ++i) column[i] = read(i * row_step + k);
    f(column, columns[k]);
  }
  for (int i = 0; i < kOut; ++i) {
    T row[kIn];
    for (int k = 0; k < kIn; ++k) row[k] = columns[k][i];
    f(row, result + kOut * i);
  }
}

// out[e * stride + j] = r[e] for each tile j of the block, with tile(read, r)
// computing r from the tile's stack elements read(k) = stack[offset + shift + k].
template <typename TileFn>
void gather_tiles(const StackBlock& b, int64_t shift, int64_t stride, float* out, TileFn tile) {
  int64_t j = 0;
  for (; j + kLanes <= b.count; j += kLanes) {
    Vec r[kPositions];
    tile(GatherTiles{b.stack, b.offsets + j, shift}, r);
    for (int64_t e = 0; e < kPositions; ++e) store(out + e * stride + j, r[e]);
  }
  for (; j < b.count; ++j) {
    float r[kPositions];
    tile(ReadTile{b.stack + b.offsets[j] + shift}, r);
    for (int64_t e = 0; e < kPositions; ++e) out[e * stride + j] = r[e];
  }
}

// V[e][c][j] = (B^T d B)[e] for the 6x6 patch d of tile j, in every channel c.
void stack_input(const float* x, int64_t channels, const TileGrid& grid, const Tiling& t,
                 const StackBlock& b, float* v) {
  const int64_t stride = t.plane(channels), padded = grid.padded_width();
  clear_stack(b);
  for (int64_t c = 0; c < channels; ++c) {
    fill_stack(x, channels, c, grid, b);
    // v[e] = (B^T d B)[e], d the 6x6 patch.
    gather_tiles(b, 0, stride, v + c * t.block,
                 [&](auto read, auto* r) { separable_tile<kPatch, kPatch>(read, padded, kInputColumns, r); });
  }
}

// y tile = A^T m A for the products m = M[.][o][j], in every output channel
// o, written to the stack (at the patch offset + one row and column) and
// copied out clipped to the image.
void stack_output(const float* m, int64_t channels, const TileGrid& grid, const Tiling& t,
                  const StackBlock& b, float* y) {
  const int64_t stride = t.plane(channels), padded = grid.padded_width();
  for (int64_t o = 0; o < channels; ++o) {
    const float* in = m + o * t.block;
    int64_t j = 0;
    for (; j + kLanes <= b.count; j += kLanes) {
      Vec pixels[kTile * kTile];
      separable_tile<kPatch, kTile>([&](int64_t e) { return load(in + e * stride + j); }, kPatch, kOutputColumns,
                                    pixels);
      for (int64_t lane = 0; lane < kLanes; ++lane) {
        float* tile = b.stack + b.offsets[j + lane] + padded + 1;
        for (int64_t a = 0; a < kTile; ++a)
          for (int64_t c = 0; c < kTile; ++c) tile[a * padded + c] = pixels[kTile * a + c][lane];
      }
    }
    for (; j < b.count; ++j) {
      float pixels[kTile * kTile];
      separable_tile<kPatch, kTile>([&](int64_t e) { return in[e * stride + j]; }, kPatch, kOutputColumns, pixels);
      float* tile = b.stack + b.offsets[j] + padded + 1;
      for (int64_t a = 0; a < kTile; ++a)
        for (int64_t c = 0; c < kTile; ++c) tile[a * padded + c] = pixels[kTile * a + c];
    }
    copy_out_tiles(grid, b, y, channels, o);
  }
}

// D[e][o][j] = (A g A^T)[e] for the 4x4 output-gradient tile g of tile j
// (zero outside the image), in every output channel o.
void stack_grad_output(const float* grad_y, int64_t channels, const TileGrid& grid, const Tiling& t,
                       const StackBlock& b, float* d) {
  const int64_t stride = t.plane(channels), padded = grid.padded_width();
  clear_stack(b);
  for (int64_t o = 0; o < channels; ++o) {
    fill_stack(grad_y, channels, o, grid, b);
    // The gradient tile starts one row and column inside the patch.
    // d[e] = (A g A^T)[e], g the 4x4 gradient tile.
    gather_tiles(b, padded + 1, stride, d + o * t.block,
                 [&](auto read, auto* r) { separable_tile<kTile, kPatch>(read, padded, kGradOutputColumns, r); });
  }
}

// U[e][o][c] = (G k G^T)[e], where k = w[o][c], or w[c][o] rotated by 180
// degrees when `flipped` (the kernel of the data gradient, with o and c the
// gradient conv's out and in).
// The buffer is the calling thread's, reused by its next call.
const float* transform_weights(const float* w, int64_t outs, int64_t ins, bool flipped) {
  static thread_local std::vector<float> buffer;
  return transform_kernels<kPositions>(w, outs, ins, flipped, buffer, [](const float (&k)[3][3], auto put) {
    float columns[3][kPatch];  // G k, column by column
    for (int q = 0; q < 3; ++q) {
      const float column[3] = {k[0][q], k[1][q], k[2][q]};
      apply_g(column, columns[q]);
    }
    for (int i = 0; i < kPatch; ++i) {
      const float row[3] = {columns[0][i], columns[1][i], columns[2][i]};
      float transformed[kPatch];
      apply_g(row, transformed);
      for (int q = 0; q < kPatch; ++q) put(kPatch * i + q, transformed[q]);
    }
  });
}

// out = conv(in, k) where U holds the transformed kernels [36][outs][ins].
void convolve(const float* in, const float* u, int64_t batch, int64_t ins,
              int64_t outs, int64_t height, int64_t width, float* out) {
  const Tiling t = tiling({batch, ins, outs, height, width});
  const TileGrid grid(kTile, height, width);
  const int64_t v_plane = t.plane(ins), m_plane = t.plane(outs);
#pragma omp parallel
  {
    static thread_local std::vector<float> v_buffer, m_buffer;
    static thread_local std::vector<Run> runs;
    static thread_local StackStorage storage;
    float* v = scratch(v_buffer, kPositions * v_plane);
    float* m = scratch(m_buffer, kPositions * m_plane);
    const RowBuffers buffers = row_buffers(t, width);
#pragma omp for schedule(static)
    for (int64_t index = 0; index < t.blocks(); ++index) {
      const int64_t count = std::min(t.block, t.total - index * t.block);
      StackBlock b{};
      if (narrow(t)) {
        b = make_stack_block(grid, index * t.block, count, storage);
        stack_input(in, ins, grid, t, b, v);
      } else {
        for (const Run& run : block_runs(t, index, runs))
          transform_input(in, ins, height, width, t, run, buffers, v);
      }
      for (int64_t e = 0; e < kPositions; ++e)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(outs),
                    static_cast<int>(count), static_cast<int>(ins), 1.0f, u + e * outs * ins,
                    static_cast<int>(ins), v + e * v_plane, static_cast<int>(t.block), 0.0f,
                    m + e * m_plane, static_cast<int>(t.block));
      if (narrow(t))
        stack_output(m, outs, grid, t, b, out);
      else
        for (const Run& run : runs) transform_output(m, outs, height, width, t, run, buffers, out);
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
  const TileGrid grid(kTile, s.height, s.width);
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
    static thread_local std::vector<Run> runs;
    static thread_local StackStorage storage;
    float* v = scratch(v_buffer, kPositions * v_plane);
    float* d = scratch(d_buffer, kPositions * d_plane);
    const RowBuffers buffers = row_buffers(t, s.width);
    const int thread = omp_get_thread_num();
    float* du = partial + thread * size;
#pragma omp for schedule(static)
    for (int64_t index = 0; index < t.blocks(); ++index) {
      const int64_t count = std::min(t.block, t.total - index * t.block);
      if (narrow(t)) {
        const StackBlock b = make_stack_block(grid, index * t.block, count, storage);
        stack_input(x, ins, grid, t, b, v);
        stack_grad_output(grad_y, outs, grid, t, b, d);
      } else {
        for (const Run& run : block_runs(t, index, runs)) {
          transform_input(x, ins, s.height, s.width, t, run, buffers, v);
          transform_grad_output(grad_y, outs, s.height, s.width, t, run, buffers, d);
        }
      }
      const float beta = used[static_cast<size_t>(thread)] ? 1.0f : 0.0f;
      used[static_cast<size_t>(thread)] = 1;
      for (int64_t e = 0; e < kPositions; ++e)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(outs),
                    static_cast<int>(ins), static_cast<int>(count), 1.0f, d + e * d_plane,
                    static_cast<int>(t.block), v + e * v_plane, static_cast<int>(t.block), beta,
                    du + e * outs * ins, static_cast<int>(ins));
    }
  }
  // grad_w = G^T dU G, the adjoint of the weight transform, on the partials
  // summed in thread order.
#pragma omp parallel for schedule(static)
  for (int64_t oc = 0; oc < outs * ins; ++oc) {
    float du[kPatch][kPatch];
    for (int64_t e = 0; e < kPositions; ++e) {
      float sum = 0;
      for (int th = 0; th < threads; ++th)
        if (used[static_cast<size_t>(th)]) sum += partial[th * size + e * outs * ins + oc];
      du[e / kPatch][e % kPatch] = sum;
    }
    float columns[kPatch][3];  // dU G, row by row
    for (int i = 0; i < kPatch; ++i) apply_gt(du[i], columns[i]);
    float* out = grad_w + oc * 9;
    for (int q = 0; q < 3; ++q) {
      const float column[kPatch] = {columns[0][q], columns[1][q], columns[2][q],
                                    columns[3][q], columns[4][q], columns[5][q]};
      float k[3];
      apply_gt(column, k);
      for (int i = 0; i < 3; ++i) out[3 * i + q] = k[i];
    }
  }
}

}  // namespace gaze::cpu::f4x4
