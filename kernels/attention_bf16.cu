// Causal flash attention on tensor cores, BF16 in, FP32 accumulation (see attention_bf16.h).
//
// The FlashAttention-2 structure. A block owns BM query rows of one head; each of its NW warps owns
// MT * 16 of them. The block streams the key/value prefix its rows can see in tiles of BN keys, staged
// in shared memory by cp.async, two tiles deep (tile j + 1 loads while tile j is used). Per tile, a warp
//   S = Q K^T      mma.sync m16n8k16 (Q fragments kept in registers, or re-read by ldmatrix where
//                  registers are short; K fragments by ldmatrix)
//   online softmax in FP32 on S's accumulator registers (row max across the 4 threads of a quad)
//   O += P V       P packed to BF16 in registers: the m16n8 accumulator layout of two adjacent key
//                  tiles is exactly the m16k16 A-operand layout, so P never goes through shared memory;
//                  V fragments by ldmatrix.trans
// Shared-memory rows are padded by 16 bytes (pitch hd + 8 elements): the 8 row addresses of one
// ldmatrix phase then fall in 8 different 16-byte bank groups, with no conflicts.
// Causal masking is applied only on tiles that cross a warp's diagonal; tiles wholly after a warp's
// rows are skipped by that warp (the block still loads them for its later warps). Blocks are launched
// longest-first (the last query rows see the most keys) so the tail of the grid is short ones.
// Softmax in base 2: p = 2^(s * scale * log2 e - m), one FFMA and one ex2.approx per score.
#include <algorithm>
#include <cmath>
#include <iterator>
#include <stdexcept>
#include <string>

#include "attention_bf16.h"
#include "cuda_check.h"

namespace ss::cuda {

namespace {

using bf16 = __nv_bfloat16;

// One tile shape: head size HD, MT m16 tiles (16 query rows each) per warp, NW warps, BN keys per tile,
// QREG: Q fragments loaded once into registers (else re-read from shared memory every key tile, which
// saves MT * HD / 4 registers a thread).
template <int HD_, int MT_, int NW_, int BN_, bool QREG_>
struct Tile {
  static constexpr int HD = HD_, MT = MT_, NW = NW_, BN = BN_;
  static constexpr bool QREG = QREG_;
  static constexpr int BM = 16 * MT * NW;  // query rows per block
  static constexpr int THREADS = 32 * NW;
  static constexpr int LD = HD + 8;        // shared-memory row pitch in elements (16 bytes of padding)
  static constexpr int KV_TILE = BN * LD;  // elements of one K or V tile
  static constexpr size_t SMEM = sizeof(bf16) * (size_t(BM) * LD + 4 * size_t(KV_TILE));  // Q, K[2], V[2]
};

#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800

constexpr float kLog2e = 1.4426950408889634f;

__device__ __forceinline__ uint32_t smem_u32(const void* p) { return static_cast<uint32_t>(__cvta_generic_to_shared(p)); }

// 16 bytes global -> shared, asynchronously; zeros when !valid (src is then not read).
__device__ __forceinline__ void cp_async16(uint32_t dst, const void* src, bool valid) {
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(dst), "l"(src), "r"(valid ? 16 : 0));
}
__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::); }
__device__ __forceinline__ void cp_async_wait_all() { asm volatile("cp.async.wait_group 0;\n" ::: "memory"); }

__device__ __forceinline__ void ldmatrix_x4(uint32_t (&r)[4], uint32_t addr) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(addr));
}
__device__ __forceinline__ void ldmatrix_x4_trans(uint32_t (&r)[4], uint32_t addr) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0, %1, %2, %3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(addr));
}

// c[16 x 8] += a[16 x 16] b[16 x 8]; fragment layouts as the PTX ISA's m16n8k16 figures.
__device__ __forceinline__ void mma_bf16(float (&c)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) {
  asm("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};\n"
      : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

__device__ __forceinline__ float ex2(float x) {
  float y;
  asm("ex2.approx.ftz.f32 %0, %1;\n" : "=f"(y) : "f"(x));
  return y;
}

__device__ __forceinline__ uint32_t pack_bf16(float lo, float hi) {
  const __nv_bfloat162 v = __floats2bfloat162_rn(lo, hi);  // .x (low half) = lo
  return *reinterpret_cast<const uint32_t*>(&v);
}

#endif

// Fragment coordinates used below (lane = threadIdx.x % 32, g = lane / 4, c = lane % 4):
//   accumulator m16n8: [0], [1] = row g, columns 2c, 2c + 1; [2], [3] = row g + 8, same columns
//   A operand m16k16:  [0] = row g, k 2c..2c+1; [1] = row g + 8, k 2c..; [2] = row g, k 2c+8..; [3] = row g + 8, k 2c+8..
//   B operand k16n8:   [0] = k 2c..2c+1, column g; [1] = k 2c+8..2c+9, column g
template <class C>
__global__ void __launch_bounds__(C::THREADS) attention_bf16_kernel(AttentionBf16Params p) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  constexpr int HD = C::HD, MT = C::MT, BN = C::BN, BM = C::BM, LD = C::LD, CH = HD / 8;  // CH: 16-byte chunks a row
  constexpr int KT = HD / 16, NT = BN / 8, DT = HD / 8;  // k16 steps over hd, n8 key tiles, n8 output tiles
  extern __shared__ __align__(16) unsigned char smem_raw[];
  bf16* Qs = reinterpret_cast<bf16*>(smem_raw);  // [BM][LD]
  bf16* Ks = Qs + BM * LD;                        // [2][BN][LD]
  bf16* Vs = Ks + 2 * C::KV_TILE;                 // [2][BN][LD]

  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32, g = lane / 4, c4 = lane % 4;
  const int64_t h = blockIdx.y, kvh = h / (p.Hq / p.Hkv);
  const int64_t t_block = (int64_t(gridDim.x) - 1 - blockIdx.x) * BM;  // longest rows first
  const int rows = static_cast<int>(std::min<int64_t>(BM, p.T - t_block));
  const int64_t kend = p.pos0 + t_block + rows;  // this block's keys: [0, kend)
  const int n_tiles = static_cast<int>((kend + BN - 1) / BN);
  const int64_t q_pitch = p.Hq * HD;
  const bf16* qg = p.q + (t_block * p.Hq + h) * HD;  // row r at qg + r * q_pitch
  const bf16* kg = p.k + kvh * p.capacity * HD;      // key j at kg + j * HD
  const bf16* vg = p.v + kvh * p.capacity * HD;

  // Q tile (rows past T are zeros), then key/value tile 0: one cp.async group.
  for (int i = threadIdx.x; i < BM * CH; i += C::THREADS) {
    const int r = i / CH, ch = i % CH;
    const bool ok = r < rows;
    cp_async16(smem_u32(Qs + r * LD + ch * 8), qg + (ok ? r : 0) * q_pitch + ch * 8, ok);
  }
  auto load_kv = [&](int tile, int buf) {
    const int64_t k0 = int64_t(tile) * BN;
    for (int i = threadIdx.x; i < BN * CH; i += C::THREADS) {
      const int r = i / CH, ch = i % CH;
      const bool ok = k0 + r < kend;  // zeros past the block's last key: masked scores must meet finite V rows
      const int64_t src = (ok ? k0 + r : 0) * HD + ch * 8;
      cp_async16(smem_u32(Ks + buf * C::KV_TILE + r * LD + ch * 8), kg + src, ok);
      cp_async16(smem_u32(Vs + buf * C::KV_TILE + r * LD + ch * 8), vg + src, ok);
    }
  };
  load_kv(0, 0);
  cp_async_commit();

  const int warp_row0 = warp * MT * 16;                 // first row of this warp in the block
  const int64_t wq_min = p.pos0 + t_block + warp_row0;  // the warp's first query position
  const int64_t wq_max = wq_min + MT * 16 - 1;
  const float scale2 = p.scale * kLog2e;

  uint32_t qf[C::QREG ? MT : 1][C::QREG ? KT : 1][4];  // Q fragments (QREG)
  float o[MT][DT][4];                                   // output accumulator, rows g / g + 8 of each m tile
  float m[MT][2], l[MT][2];                             // running max (raw score units), partial denominator
#pragma unroll
  for (int mt = 0; mt < MT; ++mt) {
#pragma unroll
    for (int dt = 0; dt < DT; ++dt) o[mt][dt][0] = o[mt][dt][1] = o[mt][dt][2] = o[mt][dt][3] = 0.0f;
    m[mt][0] = m[mt][1] = -INFINITY;
    l[mt][0] = l[mt][1] = 0.0f;
  }
  // ldmatrix row addresses: A (Q): rows lane % 16, column half lane / 16; B (K): key rows lane % 8 + 8 * (lane / 16),
  // column half (lane / 8) % 2; B^T (V, .trans): key rows lane % 16, column half lane / 16.
  const int a_row = lane % 16, a_col = (lane / 16) * 8;
  const int k_row = lane % 8 + (lane / 16) * 8, k_col = ((lane / 8) % 2) * 8;

  for (int j = 0; j < n_tiles; ++j) {
    cp_async_wait_all();
    __syncthreads();  // tile j is in; every warp is done with tile j - 1, whose buffer is refilled next
    if (j + 1 < n_tiles) {
      load_kv(j + 1, (j + 1) & 1);
      cp_async_commit();
    }
    if constexpr (C::QREG) {
      if (j == 0) {
#pragma unroll
        for (int mt = 0; mt < MT; ++mt)
#pragma unroll
          for (int kt = 0; kt < KT; ++kt) ldmatrix_x4(qf[mt][kt], smem_u32(Qs + (warp_row0 + mt * 16 + a_row) * LD + kt * 16 + a_col));
      }
    }
    const int64_t k0 = int64_t(j) * BN;
    if (k0 > wq_max) continue;  // every key of this tile is after every row of this warp
    const bf16* Kt = Ks + (j & 1) * C::KV_TILE;
    const bf16* Vt = Vs + (j & 1) * C::KV_TILE;

    // S = Q K^T: [MT * 16 rows][BN keys] in accumulator fragments.
    float s[MT][NT][4];
#pragma unroll
    for (int mt = 0; mt < MT; ++mt)
#pragma unroll
      for (int nt = 0; nt < NT; ++nt) s[mt][nt][0] = s[mt][nt][1] = s[mt][nt][2] = s[mt][nt][3] = 0.0f;
#pragma unroll
    for (int kt = 0; kt < KT; ++kt) {
      uint32_t a[MT][4];
#pragma unroll
      for (int mt = 0; mt < MT; ++mt) {
        if constexpr (C::QREG) {
#pragma unroll
          for (int i = 0; i < 4; ++i) a[mt][i] = qf[mt][kt][i];
        } else {
          ldmatrix_x4(a[mt], smem_u32(Qs + (warp_row0 + mt * 16 + a_row) * LD + kt * 16 + a_col));
        }
      }
#pragma unroll
      for (int np = 0; np < NT / 2; ++np) {
        uint32_t b[4];  // keys np * 16 .. + 15, dims kt * 16 .. + 15: [0..1] key tile 2 np, [2..3] key tile 2 np + 1
        ldmatrix_x4(b, smem_u32(Kt + (np * 16 + k_row) * LD + kt * 16 + k_col));
#pragma unroll
        for (int mt = 0; mt < MT; ++mt) {
          mma_bf16(s[mt][2 * np], a[mt], b[0], b[1]);
          mma_bf16(s[mt][2 * np + 1], a[mt], b[2], b[3]);
        }
      }
    }
    // Causal mask, only where the tile reaches past the warp's first row.
    if (k0 + BN - 1 > wq_min) {
      const int rel = static_cast<int>(k0 - wq_min);  // in (-BN, MT * 16]: key - query position offsets fit an int
#pragma unroll
      for (int mt = 0; mt < MT; ++mt)
#pragma unroll
        for (int nt = 0; nt < NT; ++nt)
#pragma unroll
          for (int i = 0; i < 4; ++i)
            if (rel + nt * 8 + 2 * c4 + (i & 1) > mt * 16 + g + (i >> 1) * 8) s[mt][nt][i] = -INFINITY;
    }
    // Online softmax per row; the 4 threads of a quad hold one row's columns.
#pragma unroll
    for (int mt = 0; mt < MT; ++mt)
#pragma unroll
      for (int hf = 0; hf < 2; ++hf) {
        float mx = m[mt][hf];
#pragma unroll
        for (int nt = 0; nt < NT; ++nt) mx = fmaxf(mx, fmaxf(s[mt][nt][2 * hf], s[mt][nt][2 * hf + 1]));
        mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 1));
        mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 2));
        const float ms = mx == -INFINITY ? 0.0f : mx * scale2;  // a row with nothing visible yet stays at 0
        const float corr = ex2(m[mt][hf] * scale2 - ms);
        m[mt][hf] = mx;
        float sum = 0.0f;
#pragma unroll
        for (int nt = 0; nt < NT; ++nt) {
          const float p0 = ex2(fmaf(s[mt][nt][2 * hf], scale2, -ms)), p1 = ex2(fmaf(s[mt][nt][2 * hf + 1], scale2, -ms));
          s[mt][nt][2 * hf] = p0;
          s[mt][nt][2 * hf + 1] = p1;
          sum += p0 + p1;
        }
        l[mt][hf] = l[mt][hf] * corr + sum;
#pragma unroll
        for (int dt = 0; dt < DT; ++dt) {
          o[mt][dt][2 * hf] *= corr;
          o[mt][dt][2 * hf + 1] *= corr;
        }
      }
    // O += P V, P as BF16 A fragments straight from the accumulator registers.
#pragma unroll
    for (int kc = 0; kc < BN / 16; ++kc) {
      uint32_t pa[MT][4];
#pragma unroll
      for (int mt = 0; mt < MT; ++mt) {
        pa[mt][0] = pack_bf16(s[mt][2 * kc][0], s[mt][2 * kc][1]);
        pa[mt][1] = pack_bf16(s[mt][2 * kc][2], s[mt][2 * kc][3]);
        pa[mt][2] = pack_bf16(s[mt][2 * kc + 1][0], s[mt][2 * kc + 1][1]);
        pa[mt][3] = pack_bf16(s[mt][2 * kc + 1][2], s[mt][2 * kc + 1][3]);
      }
#pragma unroll
      for (int dp = 0; dp < HD / 16; ++dp) {
        uint32_t b[4];  // keys kc * 16 .. + 15, dims dp * 16 .. + 15: [0..1] dim tile 2 dp, [2..3] dim tile 2 dp + 1
        ldmatrix_x4_trans(b, smem_u32(Vt + (kc * 16 + a_row) * LD + dp * 16 + a_col));
#pragma unroll
        for (int mt = 0; mt < MT; ++mt) {
          mma_bf16(o[mt][2 * dp], pa[mt], b[0], b[1]);
          mma_bf16(o[mt][2 * dp + 1], pa[mt], b[2], b[3]);
        }
      }
    }
  }

  // Epilogue: finish each row's denominator across its quad, normalise, store.
#pragma unroll
  for (int mt = 0; mt < MT; ++mt)
#pragma unroll
    for (int hf = 0; hf < 2; ++hf) {
      float sum = l[mt][hf];
      sum += __shfl_xor_sync(0xffffffffu, sum, 1);
      sum += __shfl_xor_sync(0xffffffffu, sum, 2);
      const int r = warp_row0 + mt * 16 + g + hf * 8;
      if (r >= rows) continue;
      const int64_t t = t_block + r;
      const float inv = 1.0f / sum;
      const int64_t base = (t * p.Hq + h) * HD + 2 * c4;
      if (p.out) {
#pragma unroll
        for (int dt = 0; dt < DT; ++dt)
          *reinterpret_cast<float2*>(p.out + base + dt * 8) = make_float2(o[mt][dt][2 * hf] * inv, o[mt][dt][2 * hf + 1] * inv);
      } else {
#pragma unroll
        for (int dt = 0; dt < DT; ++dt)
          *reinterpret_cast<__nv_bfloat162*>(p.out_bf16 + base + dt * 8) =
              __floats2bfloat162_rn(o[mt][dt][2 * hf] * inv, o[mt][dt][2 * hf + 1] * inv);
      }
      if (p.lse && c4 == 0) p.lse[t * p.Hq + h] = m[mt][hf] * scale2 + log2f(sum);
    }
#else
  (void)p;
  (void)C::QREG;
  __trap();  // never launched: attention_bf16_supported() is false for kernels built below sm_80
#endif
}

// Window probabilities on tensor cores: a block of 4 warps computes a 64 x 64 tile of (query row, key
// column): S = Q K^T by the same mma.sync steps as the attention kernel (so the scores match the ones
// the lse was accumulated from), then p = 2^(s * scale * log2 e - lse), 0 after the query's position.
template <int HD>
__global__ void __launch_bounds__(128) window_bf16_kernel(AttentionBf16Params p, int64_t head, int64_t t0, int64_t W, int64_t r0,
                                                              int64_t r1, float* __restrict__ probs) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  constexpr int TILE = 64, LD = HD + 8, CH = HD / 8, KT = HD / 16;
  __shared__ __align__(16) bf16 Qs[TILE * LD];  // [64 query rows][LD]
  __shared__ __align__(16) bf16 Ks[TILE * LD];  // [64 keys][LD]
  const int64_t kvh = head / (p.Hq / p.Hkv);
  const int64_t rb = r0 + int64_t(blockIdx.y) * TILE, cb = int64_t(blockIdx.x) * TILE;  // first window row / column
  const int64_t last_key = p.pos0 + p.T - 1;  // no query of this call sees a later key
  for (int i = threadIdx.x; i < TILE * CH; i += 128) {
    const int rr = i / CH, ch = i % CH;
    const int64_t r = rb + rr, c = cb + rr;
    const bool qok = r < r1, kok = c < W && t0 + c <= last_key;
    cp_async16(smem_u32(Qs + rr * LD + ch * 8), p.q + ((qok ? t0 + r - p.pos0 : 0) * p.Hq + head) * HD + ch * 8, qok);
    cp_async16(smem_u32(Ks + rr * LD + ch * 8), p.k + (kvh * p.capacity + (kok ? t0 + c : 0)) * HD + ch * 8, kok);
  }
  cp_async_commit();
  cp_async_wait_all();
  __syncthreads();
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32, g = lane / 4, c4 = lane % 4;
  const int a_row = lane % 16, a_col = (lane / 16) * 8;
  const int k_row = lane % 8 + (lane / 16) * 8, k_col = ((lane / 8) % 2) * 8;
  float s[TILE / 8][4];
#pragma unroll
  for (int nt = 0; nt < TILE / 8; ++nt) s[nt][0] = s[nt][1] = s[nt][2] = s[nt][3] = 0.0f;
#pragma unroll
  for (int kt = 0; kt < KT; ++kt) {
    uint32_t a[4];
    ldmatrix_x4(a, smem_u32(Qs + (warp * 16 + a_row) * LD + kt * 16 + a_col));
#pragma unroll
    for (int np = 0; np < TILE / 16; ++np) {
      uint32_t b[4];
      ldmatrix_x4(b, smem_u32(Ks + (np * 16 + k_row) * LD + kt * 16 + k_col));
      mma_bf16(s[2 * np], a, b[0], b[1]);
      mma_bf16(s[2 * np + 1], a, b[2], b[3]);
    }
  }
  const float scale2 = p.scale * kLog2e;
#pragma unroll
  for (int hf = 0; hf < 2; ++hf) {
    const int64_t r = rb + warp * 16 + g + hf * 8;
    if (r >= r1) continue;
    const int64_t qpos = t0 + r;
    const float lse = p.lse[(qpos - p.pos0) * p.Hq + head];
    float* row = probs + (r - r0) * W;
#pragma unroll
    for (int nt = 0; nt < TILE / 8; ++nt)
#pragma unroll
      for (int e = 0; e < 2; ++e) {
        const int64_t c = cb + nt * 8 + 2 * c4 + e;
        if (c < W) row[c] = t0 + c <= qpos ? ex2(fmaf(s[nt][2 * hf + e], scale2, -lse)) : 0.0f;
      }
  }
#else
  (void)p, (void)head, (void)t0, (void)W, (void)r0, (void)r1, (void)probs;
  __trap();  // never launched: attention_bf16_supported() is false for kernels built below sm_80
#endif
}

// The compiled tile shapes. Registers a thread holds in fragments: O MT*HD/2, S MT*BN/2, Q MT*HD/4 when
// QREG. With 16 rows a warp every K or V fragment read from shared memory feeds 2 MMAs, with 32 rows 4,
// and shared-memory bandwidth is what bounds this kernel: the 32-row shapes won on the H100 at every
// length (docs/benchmarks.md: L 16K, 291 vs 250 TFLOP/s at hd 64, 329 vs 230 at hd 128). ptxas (sm_90):
// T64a 238 registers, T128a 255 with 88 bytes spilled (still the fastest for hd 128), the others no spills.
using T64a = Tile<64, 2, 4, 64, true>;    // 128 rows a block, 32 a warp
using T64b = Tile<64, 1, 4, 64, true>;    // 64 rows a block, 16 a warp
using T64c = Tile<64, 1, 8, 64, true>;    // 128 rows a block, 16 a warp
using T64d = Tile<64, 2, 4, 32, true>;    // 128 rows a block, 32 a warp, 32-key tiles (fewer live S registers)
using T128a = Tile<128, 2, 4, 64, false>; // 128 rows a block, 32 a warp, Q re-read from shared memory (FA2's choice)
using T128b = Tile<128, 1, 4, 64, true>;  // 64 rows a block, 16 a warp, Q in registers
using T128c = Tile<128, 1, 8, 64, true>;  // 128 rows a block, 16 a warp
using T128d = Tile<128, 2, 4, 32, false>; // 128 rows a block, 32 a warp, 32-key tiles, Q from smem

struct Variant {
  const char* name;
  void (*launch)(const AttentionBf16Params&, cudaStream_t);
  cudaError_t (*attributes)(cudaFuncAttributes*);
};

template <class C>
void launch(const AttentionBf16Params& p, cudaStream_t s) {
  static const bool configured = [] {  // once per shape: allow more than 48 KB of dynamic shared memory
    SS_CUDA(cudaFuncSetAttribute(attention_bf16_kernel<C>, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(C::SMEM)));
    return true;
  }();
  (void)configured;
  const dim3 grid(static_cast<unsigned>((p.T + C::BM - 1) / C::BM), static_cast<unsigned>(p.Hq));
  attention_bf16_kernel<C><<<grid, C::THREADS, C::SMEM, s>>>(p);
  SS_LAUNCHED("attention_bf16");
}

template <class C>
cudaError_t attributes(cudaFuncAttributes* a) {
  return cudaFuncGetAttributes(a, attention_bf16_kernel<C>);
}

template <class C>
constexpr Variant variant(const char* name) {
  return {name, &launch<C>, &attributes<C>};
}

// Index 0 is the default for the head size.
const Variant kVariants64[] = {variant<T64a>("4 warps x 32 rows, 64 keys"), variant<T64b>("4 warps x 16 rows, 64 keys"),
                               variant<T64c>("8 warps x 16 rows, 64 keys"), variant<T64d>("4 warps x 32 rows, 32 keys")};
const Variant kVariants128[] = {variant<T128a>("4 warps x 32 rows, 64 keys, Q from smem"),
                                variant<T128b>("4 warps x 16 rows, 64 keys"), variant<T128c>("8 warps x 16 rows, 64 keys"),
                                variant<T128d>("4 warps x 32 rows, 32 keys, Q from smem")};

const Variant* variants_for(int64_t hd, int* n) {
  if (hd == 64) return *n = int(std::size(kVariants64)), kVariants64;
  if (hd == 128) return *n = int(std::size(kVariants128)), kVariants128;
  *n = 0;
  return nullptr;
}

}  // namespace

int attention_bf16_variants(int64_t hd) {
  int n = 0;
  variants_for(hd, &n);
  return n;
}

const char* attention_bf16_variant_name(int64_t hd, int variant) {
  int n = 0;
  const Variant* v = variants_for(hd, &n);
  return variant >= 0 && variant < n ? v[variant].name : "";
}

bool attention_bf16_supported(int64_t hd) {
  int n = 0;
  const Variant* v = variants_for(hd, &n);
  if (!v) return false;
  int dev = 0, major = 0;
  if (cudaGetDevice(&dev) != cudaSuccess || cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, dev) != cudaSuccess) return false;
  if (major < 8) return false;
  // The kernel that would run on this device must come from code for sm_80 or newer (a build for sm_75
  // only would JIT its sm_75 PTX, whose body is empty).
  cudaFuncAttributes a{};
  if (v[0].attributes(&a) != cudaSuccess) {
    (void)cudaGetLastError();  // clear the sticky "no kernel image" error
    return false;
  }
  return a.ptxVersion >= 80;
}

void attention_bf16(const AttentionBf16Params& p, cudaStream_t s) {
  if (p.T <= 0) return;
  int n = 0;
  const Variant* v = variants_for(p.hd, &n);
  if (!v || p.Hkv <= 0 || p.Hq % p.Hkv) throw std::invalid_argument("attention_bf16: unsupported head size or head counts");
  const int i = p.tile_variant < 0 ? 0 : p.tile_variant;
  if (i >= n) throw std::invalid_argument("attention_bf16: no tile variant " + std::to_string(i));
  v[i].launch(p, s);
}

void attention_bf16_window(const AttentionBf16Params& p, int64_t head, int64_t t0, int64_t W, int64_t r0, int64_t r1,
                           float* probs, cudaStream_t s) {
  const int64_t n = (r1 - r0) * W;
  if (n <= 0) return;
  const dim3 grid(static_cast<unsigned>((W + 63) / 64), static_cast<unsigned>((r1 - r0 + 63) / 64));
  if (p.hd == 64)
    window_bf16_kernel<64><<<grid, 128, 0, s>>>(p, head, t0, W, r0, r1, probs);
  else if (p.hd == 128)
    window_bf16_kernel<128><<<grid, 128, 0, s>>>(p, head, t0, W, r0, r1, probs);
  else
    throw std::invalid_argument("attention_bf16_window: unsupported head size");
  SS_LAUNCHED("attention_bf16_window");
}

}  // namespace ss::cuda
