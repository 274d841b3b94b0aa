// Winograd F(2x2, 3x3): Y = A^T [(G g G^T) (.) (B^T d B)] A per 2x2 output tile,
// with the 4x4 input patch d starting one pixel above-left of the tile
// (padding 1). Tiles of all images are numbered n-major and processed in
// blocks; each thread transforms its block into a scratch buffer
// V[e][channel][tile] (e = one of the 16 transformed positions), multiplies
// by U[e][out][in] with one GEMM per e and transforms the products back.
// OpenBLAS runs single-threaded inside the OpenMP region, so threads work on
// different blocks and no two threads write the same output.
#include "core/cpu/winograd_kernels.h"
#include "core/cpu/winograd_stack.h"

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

// V[e][c][j] = (B^T d B)[e] for the 4x4 patch d of tile j in channel c, with
// B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]. Channel-major loops make the
// 16 output streams sequential.
void transform_input(const float* x, int64_t channels, const TileGrid& grid, const Tiling& t,
                     const StackBlock& b, float* v) {
  const int64_t stride = t.plane(channels), padded = grid.padded_width();
  const float* stack = b.stack;
  clear_stack(b);
  for (int64_t c = 0; c < channels; ++c) {
    fill_stack(x, channels, c, grid, b);
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
void transform_output(const float* m, int64_t channels, const TileGrid& grid, const Tiling& t,
                      const StackBlock& b, float* y) {
  const int64_t stride = t.plane(channels), padded = grid.padded_width();
  float* stack = b.stack;
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
    copy_out_tiles(grid, b, y, channels, o);
  }
}

// D[e][o][j] = (A g A^T)[e] for the 2x2 output-gradient tile g (zero outside
// the image): the adjoint of transform_output.
void transform_grad_output(const float* grad_y, int64_t channels, const TileGrid& grid, const Tiling& t,
                           const StackBlock& b, float* d) {
  const int64_t stride = t.plane(channels), padded = grid.padded_width();
  const float* stack = b.stack;
  clear_stack(b);
  for (int64_t o = 0; o < channels; ++o) {
    fill_stack(grad_y, channels, o, grid, b);
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
  return transform_kernels<kPositions>(w, outs, ins, flipped, buffer, [](const float (&k)[3][3], auto put) {
    float rows[4][3];  // G k
    for (int q = 0; q < 3; ++q) {
      rows[0][q] = k[0][q];
      rows[1][q] = 0.5f * (k[0][q] + k[1][q] + k[2][q]);
      rows[2][q] = 0.5f * (k[0][q] - k[1][q] + k[2][q]);
      rows[3][q] = k[2][q];
    }
    for (int i = 0; i < 4; ++i) {
      put(4 * i + 0, rows[i][0]);
      put(4 * i + 1, 0.5f * (rows[i][0] + rows[i][1] + rows[i][2]));
      put(4 * i + 2, 0.5f * (rows[i][0] - rows[i][1] + rows[i][2]));
      put(4 * i + 3, rows[i][2]);
    }
  });
}

// out = conv(in, k) where U holds the transformed kernels [16][outs][ins].
void convolve(const float* in, const float* u, int64_t batch, int64_t ins,
              int64_t outs, int64_t height, int64_t width, float* out) {
  const Tiling t = tiling({batch, ins, outs, height, width});
  const TileGrid grid(2, height, width);
  const int64_t v_plane = t.plane(ins), m_plane = t.plane(outs);
#pragma omp parallel
  {
    static thread_local std::vector<float> v_buffer, m_buffer;
    static thread_local StackStorage storage;
    float* v = scratch(v_buffer, kPositions * v_plane);
    float* m = scratch(m_buffer, kPositions * m_plane);
#pragma omp for schedule(static)
    for (int64_t index = 0; index < t.blocks(); ++index) {
      const int64_t first = index * t.block;
      const StackBlock b = make_stack_block(grid, first, std::min(t.block, t.total - first), storage);
      transform_input(in, ins, grid, t, b, v);
      for (int64_t e = 0; e < kPositions; ++e)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(outs),
                    static_cast<int>(b.count), static_cast<int>(ins), 1.0f, u + e * outs * ins,
                    static_cast<int>(ins), v + e * v_plane, static_cast<int>(t.block), 0.0f,
                    m + e * m_plane, static_cast<int>(t.block));
      transform_output(m, outs, grid, t, b, out);
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
  const TileGrid grid(2, s.height, s.width);
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
    static thread_local StackStorage storage;
    float* v = scratch(v_buffer, kPositions * v_plane);
    float* d = scratch(d_buffer, kPositions * d_plane);
    const int thread = omp_get_thread_num();
    float* du = partial + thread * size;
#pragma omp for schedule(static)
    for (int64_t index = 0; index < t.blocks(); ++index) {
      const int64_t first = index * t.block;
      const StackBlock b = make_stack_block(grid, first, std::min(t.block, t.total - first), storage);
      transform_input(x, ins, grid, t, b, v);
      transform_grad_output(grad_y, outs, grid, t, b, d);
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
