// Mamba-2 SSD on tensor cores (see ssd_chunked_bf16.h).
//
// Block = one head and one segment of consecutive chunks, Q / 16 warps (4 for Q = 64, 8 for Q = 128).
// For the output products warp w owns chunk rows (tokens) 16w .. 16w + 15; for the state update it
// owns a 16-row block of P and N / kNSplit columns of the FP32 state, which lives in its mma
// accumulators for the whole segment. Per chunk, shared memory holds (BF16, rows padded by 8 elements
// so that the 32-bit fragment loads of 8 rows x 4 lanes hit 32 different banks):
//   sXT  [P][Q]  (Δ x)^T                 B operand of (L ∘ C B^T)(Δ x), A operand of the state update
//   sBwT [N][Q]  (w ∘ B)^T, w_j = exp(s_{Q-1} - s_j)   B operand of the state update
//   sC   [Q][N], sB [Q][N]               C B^T (output kernel only)
//   sX   [Q][P]                          x for D x (output kernel only)
//   sH   [P][N]  h_prev in BF16          B operand of C h_prev^T (output kernel only)
//   sCum [Q], sDt [Q] (FP32)             s_i in log2 units, Δ_i
// mma.sync m16n8k16 fragment layout (PTX ISA), g = lane / 4, t = lane % 4: A regs {(g, 2t), (g+8, 2t),
// (g, 2t+8), (g+8, 2t+8)} (row, k; two consecutive k per register); B regs {(k 2t, n g), (k 2t+8, n g)};
// C {(g, 2t), (g, 2t+1), (g+8, 2t), (g+8, 2t+1)}. A C-layout tile pair is therefore an A fragment
// (the masked scores go from the first product into the second without shared memory).
#include <algorithm>
#include <stdexcept>

#include "cuda_check.h"
#include "ssd_chunked_bf16.h"

namespace ss::cuda {

namespace {

using bf16 = __nv_bfloat16;

template <int Q, int P, int N>
struct Cfg {
  static constexpr int kWarps = Q / 16;
  static constexpr int kThreads = 32 * kWarps;
  static constexpr int kPBlocks = P / 16;              // 16-row blocks of the state
  static constexpr int kNSplit = kWarps / kPBlocks;    // warps sharing one block's columns
  static constexpr int kNPerWarp = N / kNSplit;
  static constexpr int kNTiles = kNPerWarp / 8;        // n8 accumulator tiles of state per warp
  static constexpr int kLdN = N + 8, kLdQ = Q + 8, kLdP = P + 8;  // padded row lengths (elements)
  // Byte offsets: what the state update needs first, then what only the output kernel needs.
  static constexpr size_t kOffXT = 0;
  static constexpr size_t kOffBwT = kOffXT + 2 * P * kLdQ;
  static constexpr size_t kOffCum = kOffBwT + 2 * N * kLdQ;
  static constexpr size_t kOffDt = kOffCum + 4 * Q;
  static constexpr size_t kUpdateBytes = kOffDt + 4 * Q;
  static constexpr size_t kOffC = kUpdateBytes;
  static constexpr size_t kOffB = kOffC + 2 * Q * kLdN;
  static constexpr size_t kOffX = kOffB + 2 * Q * kLdN;
  static constexpr size_t kOffH = kOffX + 2 * Q * kLdP;
  static constexpr size_t kOutputBytes = kOffH + 2 * P * kLdN;
  static_assert(P % 16 == 0 && N % 16 == 0 && Q % 32 == 0, "tile sizes");
  static_assert(kWarps % kPBlocks == 0 && kNTiles * 8 == kNPerWarp, "state layout");
};

// What the kernels need from the plan.
struct Segs {
  int64_t first_chunk, n_chunks, seg_chunks, n_segs;
};

#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
constexpr float kLog2e = 1.4426950408889634f;

__device__ __forceinline__ uint32_t ld32(const bf16* p) { return *reinterpret_cast<const uint32_t*>(p); }

__device__ __forceinline__ uint32_t pack(float lo, float hi) {
  const __nv_bfloat162 v = __floats2bfloat162_rn(lo, hi);
  return *reinterpret_cast<const uint32_t*>(&v);
}

// A fragment: rows row0.., k k0.. of a row-major [rows][ld] matrix.
__device__ __forceinline__ void load_a(uint32_t a[4], const bf16* m, int ld, int row0, int k0, int lane) {
  const bf16* q = m + (row0 + (lane >> 2)) * ld + k0 + 2 * (lane & 3);
  a[0] = ld32(q);
  a[1] = ld32(q + 8 * ld);
  a[2] = ld32(q + 8);
  a[3] = ld32(q + 8 * ld + 8);
}

// B fragment (16 k x 8 n) from a matrix stored as [n][ld] with k contiguous.
__device__ __forceinline__ void load_b(uint32_t b[2], const bf16* m, int ld, int n0, int k0, int lane) {
  const bf16* q = m + (n0 + (lane >> 2)) * ld + k0 + 2 * (lane & 3);
  b[0] = ld32(q);
  b[1] = ld32(q + 8);
}

__device__ __forceinline__ void mma(float c[4], const uint32_t a[4], const uint32_t b[2]) {
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
      : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}

__device__ __forceinline__ uint4 load_row8(const bf16* p, bool valid) {
  return valid ? __ldg(reinterpret_cast<const uint4*>(p)) : make_uint4(0, 0, 0, 0);
}
#endif

// One kernel for both passes over a segment's chunks. kOutput = false (pass 1): from a zero state, only
// the state update; writes the segment's end state and its total decay (log2 units). kOutput = true
// (pass 3): from the segment's true start state, y, checkpoints and (last segment) the final state.
template <int Q, int P, int N, bool kOutput>
__global__ void __launch_bounds__(Cfg<Q, P, N>::kThreads) ssd_bf16_segment_kernel(SsdBf16Params p, Segs sg, const float* __restrict__ start,
                                                                                  float* __restrict__ seg_end, float* __restrict__ seg_log2_decay) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  using K = Cfg<Q, P, N>;
  extern __shared__ __align__(16) unsigned char smem[];
  bf16* sXT = reinterpret_cast<bf16*>(smem + K::kOffXT);    // [P][kLdQ]
  bf16* sBwT = reinterpret_cast<bf16*>(smem + K::kOffBwT);  // [N][kLdQ]
  float* sCum = reinterpret_cast<float*>(smem + K::kOffCum);  // [Q]
  float* sDt = reinterpret_cast<float*>(smem + K::kOffDt);    // [Q]
  bf16* sC = reinterpret_cast<bf16*>(smem + K::kOffC);      // [Q][kLdN]
  bf16* sB = reinterpret_cast<bf16*>(smem + K::kOffB);      // [Q][kLdN]
  bf16* sX = reinterpret_cast<bf16*>(smem + K::kOffX);      // [Q][kLdP]
  bf16* sH = reinterpret_cast<bf16*>(smem + K::kOffH);      // [P][kLdN]

  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32, g = lane >> 2, t4 = lane & 3;
  const int64_t h = blockIdx.x, seg = blockIdx.y, grp = h / (p.H / p.G), T = p.T, H = p.H, G = p.G;
  const int64_t c_begin = seg * sg.seg_chunks, c_end = std::min(sg.n_chunks, c_begin + sg.seg_chunks);  // chunks relative to first_chunk
  const int64_t PN = int64_t(P) * N, HPN = H * PN;
  const float A2 = p.A[h] * kLog2e;  // a_t = Δ_t A in log2 units
  const float Dh = p.D ? p.D[h] : 0.0f;

  // This warp's piece of the state: rows p_lo.. p_lo+15, columns n_lo.. n_lo+kNPerWarp-1.
  const int p_lo = 16 * (warp % K::kPBlocks), n_lo = K::kNPerWarp * (warp / K::kPBlocks);
  float hs[K::kNTiles][4];
  {
    const float* src = kOutput ? (sg.n_segs > 1 ? start + seg * HPN : p.state) + h * PN : nullptr;
#pragma unroll
    for (int nt = 0; nt < K::kNTiles; ++nt)
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        const int row = p_lo + g + (e >= 2 ? 8 : 0), col = n_lo + 8 * nt + 2 * t4 + (e & 1);
        hs[nt][e] = src ? src[row * N + col] : 0.0f;
      }
  }

  // Δ of the next chunk, prefetched by warp 0 (Q / 32 tokens per lane) one chunk ahead.
  constexpr int kPer = Q / 32;
  float dt_next[kPer];
  auto fetch_dt = [&](int64_t c) {
    const int64_t tok0 = (sg.first_chunk + c) * Q - p.pos0;
#pragma unroll
    for (int r = 0; r < kPer; ++r) {
      const int64_t tt = tok0 + lane * kPer + r;
      dt_next[r] = (c < c_end && tt >= 0 && tt < T) ? p.delta[tt * H + h] : 0.0f;
    }
  };
  if (warp == 0) fetch_dt(c_begin);

  float total2 = 0.0f;  // Σ a over the segment (log2 units): the segment's decay
  for (int64_t c = c_begin; c < c_end; ++c) {
    const int64_t abs0 = (sg.first_chunk + c) * Q, tok0 = abs0 - p.pos0;  // chunk row i is token tok0 + i of this call
    __syncthreads();  // every warp is done with the previous chunk's shared memory
    if (warp == 0) {  // s_i = a_0 + ... + a_i: per-lane prefix, then a warp scan of the lane totals
      float pre[kPer], run = 0.0f;
#pragma unroll
      for (int r = 0; r < kPer; ++r) pre[r] = run += dt_next[r] * A2;
      float incl = run;
#pragma unroll
      for (int off = 1; off < 32; off *= 2) {
        const float v = __shfl_up_sync(0xffffffffu, incl, off);
        if (lane >= off) incl += v;
      }
#pragma unroll
      for (int r = 0; r < kPer; ++r) {
        sCum[lane * kPer + r] = incl - run + pre[r];
        sDt[lane * kPer + r] = dt_next[r];
      }
      fetch_dt(c + 1);
    }
    if (kOutput) {  // h_prev in BF16 for the C h_prev^T product
#pragma unroll
      for (int nt = 0; nt < K::kNTiles; ++nt) {
        const int col = n_lo + 8 * nt + 2 * t4;
        *reinterpret_cast<uint32_t*>(sH + (p_lo + g) * K::kLdN + col) = pack(hs[nt][0], hs[nt][1]);
        *reinterpret_cast<uint32_t*>(sH + (p_lo + g + 8) * K::kLdN + col) = pack(hs[nt][2], hs[nt][3]);
      }
    }
    __syncthreads();

    // Stage the chunk. x and B go by row pairs (j, j+1) and 8-column groups, so that each lane writes one
    // 32-bit (j, j+1) pair of the transposed tiles and a warp writes 32 consecutive words of one row.
    // Every global load of the chunk is issued before the first one is used (one memory latency per chunk).
    constexpr int kXIt = (Q / 2) * (P / 8) / K::kThreads, kBIt = (Q / 2) * (N / 8) / K::kThreads, kCIt = Q * (N / 8) / K::kThreads;
    static_assert(kXIt * K::kThreads == (Q / 2) * (P / 8) && kBIt * K::kThreads == (Q / 2) * (N / 8) && kCIt * K::kThreads == Q * (N / 8),
                  "staging loops divide evenly");
    uint4 xr[kXIt][2], br[kBIt][2], cr[kOutput ? kCIt : 1];
#pragma unroll
    for (int it = 0; it < kXIt; ++it) {
      const int e = threadIdx.x + it * K::kThreads, j = 2 * (e % (Q / 2)), col = 8 * (e / (Q / 2));
      const int64_t tt = tok0 + j;
      xr[it][0] = load_row8(p.x + (tt * H + h) * P + col, tt >= 0 && tt < T);
      xr[it][1] = load_row8(p.x + ((tt + 1) * H + h) * P + col, tt + 1 >= 0 && tt + 1 < T);
    }
#pragma unroll
    for (int it = 0; it < kBIt; ++it) {
      const int e = threadIdx.x + it * K::kThreads, j = 2 * (e % (Q / 2)), col = 8 * (e / (Q / 2));
      const int64_t tt = tok0 + j;
      br[it][0] = load_row8(p.B + (tt * G + grp) * N + col, tt >= 0 && tt < T);
      br[it][1] = load_row8(p.B + ((tt + 1) * G + grp) * N + col, tt + 1 >= 0 && tt + 1 < T);
    }
    if (kOutput) {
#pragma unroll
      for (int it = 0; it < kCIt; ++it) {
        const int e = threadIdx.x + it * K::kThreads, i = e / (N / 8), col = 8 * (e % (N / 8));
        const int64_t tt = tok0 + i;
        cr[it] = load_row8(p.C + (tt * G + grp) * N + col, tt >= 0 && tt < T);
      }
    }
    const float s_end = sCum[Q - 1];
#pragma unroll
    for (int it = 0; it < kXIt; ++it) {
      const int e = threadIdx.x + it * K::kThreads, j = 2 * (e % (Q / 2)), col = 8 * (e / (Q / 2));
      if (kOutput) {
        *reinterpret_cast<uint4*>(sX + j * K::kLdP + col) = xr[it][0];
        *reinterpret_cast<uint4*>(sX + (j + 1) * K::kLdP + col) = xr[it][1];
      }
      const bf16* v0 = reinterpret_cast<const bf16*>(&xr[it][0]);
      const bf16* v1 = reinterpret_cast<const bf16*>(&xr[it][1]);
      const float d0 = sDt[j], d1 = sDt[j + 1];
#pragma unroll
      for (int q = 0; q < 8; ++q)
        *reinterpret_cast<uint32_t*>(sXT + (col + q) * K::kLdQ + j) = pack(d0 * __bfloat162float(v0[q]), d1 * __bfloat162float(v1[q]));
    }
#pragma unroll
    for (int it = 0; it < kBIt; ++it) {
      const int e = threadIdx.x + it * K::kThreads, j = 2 * (e % (Q / 2)), col = 8 * (e / (Q / 2));
      if (kOutput) {
        *reinterpret_cast<uint4*>(sB + j * K::kLdN + col) = br[it][0];
        *reinterpret_cast<uint4*>(sB + (j + 1) * K::kLdN + col) = br[it][1];
      }
      const bf16* v0 = reinterpret_cast<const bf16*>(&br[it][0]);
      const bf16* v1 = reinterpret_cast<const bf16*>(&br[it][1]);
      const float w0 = exp2f(s_end - sCum[j]), w1 = exp2f(s_end - sCum[j + 1]);  // decay from token j to the chunk end
#pragma unroll
      for (int q = 0; q < 8; ++q)
        *reinterpret_cast<uint32_t*>(sBwT + (col + q) * K::kLdQ + j) = pack(w0 * __bfloat162float(v0[q]), w1 * __bfloat162float(v1[q]));
    }
    if (kOutput) {
#pragma unroll
      for (int it = 0; it < kCIt; ++it) {
        const int e = threadIdx.x + it * K::kThreads, i = e / (N / 8), col = 8 * (e % (N / 8));
        *reinterpret_cast<uint4*>(sC + i * K::kLdN + col) = cr[it];
      }
    }
    __syncthreads();

    if (kOutput) {
      constexpr int kJTiles = Q / 8, kPTiles = P / 8;
      const int i0 = 16 * warp, n_jt = 2 * (warp + 1);  // causal: j < i0 + 16
      float sc[kJTiles][4], yacc[kPTiles][4];
#pragma unroll
      for (int jt = 0; jt < kJTiles; ++jt)
#pragma unroll
        for (int e = 0; e < 4; ++e) sc[jt][e] = 0.0f;
#pragma unroll
      for (int pt = 0; pt < kPTiles; ++pt)
#pragma unroll
        for (int e = 0; e < 4; ++e) yacc[pt][e] = 0.0f;
      // C B^T (this warp's rows, the causal j tiles) and C h_prev^T share the C fragments.
#pragma unroll
      for (int kk = 0; kk < N / 16; ++kk) {
        uint32_t a[4], b[2];
        load_a(a, sC, K::kLdN, i0, 16 * kk, lane);
#pragma unroll
        for (int jt = 0; jt < kJTiles; ++jt)
          if (jt < n_jt) {
            load_b(b, sB, K::kLdN, 8 * jt, 16 * kk, lane);
            mma(sc[jt], a, b);
          }
#pragma unroll
        for (int pt = 0; pt < kPTiles; ++pt) {
          load_b(b, sH, K::kLdN, 8 * pt, 16 * kk, lane);
          mma(yacc[pt], a, b);
        }
      }
      const int ia = i0 + g, ib = ia + 8;
      const float sa = sCum[ia], sb = sCum[ib];
      const float ea = exp2f(sa), eb = exp2f(sb);
#pragma unroll
      for (int pt = 0; pt < kPTiles; ++pt) {
        yacc[pt][0] *= ea;
        yacc[pt][1] *= ea;
        yacc[pt][2] *= eb;
        yacc[pt][3] *= eb;
      }
      // L ∘ C B^T in FP32: exp(s_i - s_j) below and on the diagonal, 0 above.
#pragma unroll
      for (int jt = 0; jt < kJTiles; ++jt)
        if (jt < n_jt) {
#pragma unroll
          for (int e = 0; e < 4; ++e) {
            const int i = e < 2 ? ia : ib, j = 8 * jt + 2 * t4 + (e & 1);
            sc[jt][e] = j <= i ? sc[jt][e] * exp2f((e < 2 ? sa : sb) - sCum[j]) : 0.0f;
          }
        }
      // y += (L ∘ C B^T)(Δ x): the score tiles (2kk, 2kk+1) are the A fragment of k-step kk.
#pragma unroll
      for (int kk = 0; kk < Q / 16; ++kk)
        if (kk <= warp) {
          uint32_t a[4], b[2];
          a[0] = pack(sc[2 * kk][0], sc[2 * kk][1]);
          a[1] = pack(sc[2 * kk][2], sc[2 * kk][3]);
          a[2] = pack(sc[2 * kk + 1][0], sc[2 * kk + 1][1]);
          a[3] = pack(sc[2 * kk + 1][2], sc[2 * kk + 1][3]);
#pragma unroll
          for (int pt = 0; pt < kPTiles; ++pt) {
            load_b(b, sXT, K::kLdQ, 8 * pt, 16 * kk, lane);
            mma(yacc[pt], a, b);
          }
        }
      // + D x, stored for the rows that are tokens of this call.
#pragma unroll
      for (int half = 0; half < 2; ++half) {
        const int i = half ? ib : ia;
        const int64_t tt = tok0 + i;
        if (tt < 0 || tt >= T) continue;
#pragma unroll
        for (int pt = 0; pt < kPTiles; ++pt) {
          const int col = 8 * pt + 2 * t4;
          const float v0 = yacc[pt][2 * half] + Dh * __bfloat162float(sX[i * K::kLdP + col]);
          const float v1 = yacc[pt][2 * half + 1] + Dh * __bfloat162float(sX[i * K::kLdP + col + 1]);
          const int64_t o = (tt * H + h) * P + col;
          if (p.y) *reinterpret_cast<float2*>(p.y + o) = make_float2(v0, v1);
          else *reinterpret_cast<__nv_bfloat162*>(p.y_bf16 + o) = __floats2bfloat162_rn(v0, v1);
        }
      }
    }

    // h = exp(s_{Q-1}) h + (Δ x)^T (w ∘ B)
    const float d_end = exp2f(s_end);
#pragma unroll
    for (int nt = 0; nt < K::kNTiles; ++nt)
#pragma unroll
      for (int e = 0; e < 4; ++e) hs[nt][e] *= d_end;
#pragma unroll
    for (int kk = 0; kk < Q / 16; ++kk) {
      uint32_t a[4], b[2];
      load_a(a, sXT, K::kLdQ, p_lo, 16 * kk, lane);
#pragma unroll
      for (int nt = 0; nt < K::kNTiles; ++nt) {
        load_b(b, sBwT, K::kLdQ, n_lo + 8 * nt, 16 * kk, lane);
        mma(hs[nt], a, b);
      }
    }
    total2 += s_end;

    // A checkpoint is due after the chunk's last position when that position + 1 is a multiple of
    // `every` (a multiple of Q) and the position belongs to this call.
    const int64_t abs_end = abs0 + Q, tok_end = abs_end - 1 - p.pos0;
    if (kOutput && p.checkpoints && p.every > 0 && abs_end % p.every == 0 && tok_end < T) {
      const int64_t k = abs_end / p.every - p.pos0 / p.every - 1;
      float* dst = p.checkpoints + k * HPN + h * PN;
#pragma unroll
      for (int nt = 0; nt < K::kNTiles; ++nt) {
        const int col = n_lo + 8 * nt + 2 * t4;
        *reinterpret_cast<float2*>(dst + (p_lo + g) * N + col) = make_float2(hs[nt][0], hs[nt][1]);
        *reinterpret_cast<float2*>(dst + (p_lo + g + 8) * N + col) = make_float2(hs[nt][2], hs[nt][3]);
      }
    }
  }

  float* dst = nullptr;
  if (kOutput && seg == sg.n_segs - 1) dst = p.state + h * PN;
  if (!kOutput) {
    dst = seg_end + seg * HPN + h * PN;
    if (threadIdx.x == 0) seg_log2_decay[seg * H + h] = total2;
  }
  if (dst) {
#pragma unroll
    for (int nt = 0; nt < K::kNTiles; ++nt) {
      const int col = n_lo + 8 * nt + 2 * t4;
      *reinterpret_cast<float2*>(dst + (p_lo + g) * N + col) = make_float2(hs[nt][0], hs[nt][1]);
      *reinterpret_cast<float2*>(dst + (p_lo + g + 8) * N + col) = make_float2(hs[nt][2], hs[nt][3]);
    }
  }
#endif
}

// Pass 2: start[s] = state entering segment s (one thread per state element, sequential over segments).
__global__ void ssd_bf16_chain_kernel(const float* __restrict__ state, const float* __restrict__ seg_end,
                                      const float* __restrict__ seg_log2_decay, float* __restrict__ start, int64_t n_segs, int64_t H,
                                      int64_t PN) {
  const int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x, stride = H * PN;
  if (i >= stride) return;
  const int64_t h = i / PN;
  float v = state[i];
  start[i] = v;
  for (int64_t s = 0; s + 1 < n_segs; ++s) {
    v = exp2f(seg_log2_decay[s * H + h]) * v + seg_end[s * stride + i];
    start[(s + 1) * stride + i] = v;
  }
}

template <int Q, int P, int N>
int output_blocks_per_sm() {
  using K = Cfg<Q, P, N>;
  SS_CUDA(cudaFuncSetAttribute(ssd_bf16_segment_kernel<Q, P, N, true>, cudaFuncAttributeMaxDynamicSharedMemorySize, int(K::kOutputBytes)));
  int per_sm = 0;
  SS_CUDA(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, ssd_bf16_segment_kernel<Q, P, N, true>, K::kThreads, K::kOutputBytes));
  return std::max(1, per_sm);
}

template <int Q, int P, int N>
void run_segments(const SsdBf16Params& p, const SsdBf16Plan& plan, float* ws, cudaStream_t s) {
  using K = Cfg<Q, P, N>;
  const Segs sg{plan.first_chunk, plan.n_chunks, plan.seg_chunks, plan.n_segs};
  const int64_t HPN = p.H * p.P * p.N;
  float* seg_end = ws;                                                     // [n_segs - 1, H, P, N]
  float* seg_decay = plan.n_segs > 1 ? seg_end + (plan.n_segs - 1) * HPN : nullptr;  // [n_segs - 1, H]
  float* start = plan.n_segs > 1 ? seg_decay + (plan.n_segs - 1) * p.H : nullptr;   // [n_segs, H, P, N]
  if (plan.n_segs > 1) {
    SS_CUDA(cudaFuncSetAttribute(ssd_bf16_segment_kernel<Q, P, N, false>, cudaFuncAttributeMaxDynamicSharedMemorySize, int(K::kUpdateBytes)));
    ssd_bf16_segment_kernel<Q, P, N, false>
        <<<dim3(unsigned(p.H), unsigned(plan.n_segs - 1)), K::kThreads, K::kUpdateBytes, s>>>(p, sg, nullptr, seg_end, seg_decay);
    SS_LAUNCHED("ssd_bf16_segment_states");
    ssd_bf16_chain_kernel<<<unsigned((HPN + 255) / 256), 256, 0, s>>>(p.state, seg_end, seg_decay, start, plan.n_segs, p.H, p.P * p.N);
    SS_LAUNCHED("ssd_bf16_chain");
  }
  SS_CUDA(cudaFuncSetAttribute(ssd_bf16_segment_kernel<Q, P, N, true>, cudaFuncAttributeMaxDynamicSharedMemorySize, int(K::kOutputBytes)));
  ssd_bf16_segment_kernel<Q, P, N, true>
      <<<dim3(unsigned(p.H), unsigned(plan.n_segs)), K::kThreads, K::kOutputBytes, s>>>(p, sg, start, nullptr, nullptr);
  SS_LAUNCHED("ssd_bf16_segment_output");
}

// The instantiated shapes: P = 64, (Q, N) in {64, 128} x {64, 128}. Callers check ssd_bf16_supported first.
int blocks_per_sm(const SsdBf16Params& p) {
  if (p.chunk == 64) return p.N == 64 ? output_blocks_per_sm<64, 64, 64>() : output_blocks_per_sm<64, 64, 128>();
  return p.N == 64 ? output_blocks_per_sm<128, 64, 64>() : output_blocks_per_sm<128, 64, 128>();
}

void run_shape(const SsdBf16Params& p, const SsdBf16Plan& plan, float* ws, cudaStream_t s) {
  if (p.chunk == 64) return p.N == 64 ? run_segments<64, 64, 64>(p, plan, ws, s) : run_segments<64, 64, 128>(p, plan, ws, s);
  return p.N == 64 ? run_segments<128, 64, 64>(p, plan, ws, s) : run_segments<128, 64, 128>(p, plan, ws, s);
}

}  // namespace

bool ssd_bf16_supported(const SsdBf16Params& p, std::string* why_not) {
  auto no = [&](const char* why) {
    if (why_not) *why_not = why;
    return false;
  };
  if (p.P != 64) return no("head dim P must be 64");
  if (p.N != 64 && p.N != 128) return no("state size N must be 64 or 128");
  if (p.chunk != 64 && p.chunk != 128) return no("chunk must be 64 or 128");
  if (p.G <= 0 || p.H <= 0 || p.H % p.G) return no("H must be a positive multiple of G");
  if (p.checkpoints && p.every > 0 && p.every % p.chunk) return no("checkpoint interval must be a multiple of the chunk size");
  if ((p.y == nullptr) == (p.y_bf16 == nullptr)) return no("exactly one of y, y_bf16 must be given");
  int dev = 0, major = 0;
  if (cudaGetDevice(&dev) != cudaSuccess || cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, dev) != cudaSuccess)
    return no("no CUDA device");
  if (major < 8) return no("BF16 mma needs compute capability 8.0 or newer");
  cudaFuncAttributes fa{};
  if (cudaFuncGetAttributes(&fa, ssd_bf16_segment_kernel<64, 64, 64, true>) != cudaSuccess) return no("kernel image not loadable on this device");
  if (fa.ptxVersion < 80) return no("this build has no sm_80+ code for the BF16 kernels (STATESCOPE_CUDA_ARCHS)");
  return true;
}

SsdBf16Plan plan_ssd_bf16(const SsdBf16Params& p, double waves) {
  SsdBf16Plan plan;
  if (p.T <= 0) return plan;
  const int64_t Q = p.chunk;
  plan.first_chunk = p.pos0 / Q;
  plan.n_chunks = (p.pos0 + p.T - 1) / Q - plan.first_chunk + 1;
  // About `waves` waves of output blocks over the device (H blocks per segment); a segment's chunks
  // run in order inside one block, so more segments mean more parallelism but more state traffic.
  int dev = 0, sms = 0;
  SS_CUDA(cudaGetDevice(&dev));
  SS_CUDA(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev));
  const int per_sm = blocks_per_sm(p);
  const int64_t want = std::max<int64_t>(1, int64_t(waves * sms * per_sm / double(p.H) + 0.5));
  plan.seg_chunks = std::max<int64_t>(1, (plan.n_chunks + want - 1) / want);
  plan.n_segs = (plan.n_chunks + plan.seg_chunks - 1) / plan.seg_chunks;
  const int64_t HPN = p.H * p.P * p.N;
  plan.workspace_floats = plan.n_segs > 1 ? (2 * plan.n_segs - 1) * HPN + (plan.n_segs - 1) * p.H : 0;
  return plan;
}

void ssd_bf16(const SsdBf16Params& p, const SsdBf16Plan& plan, float* workspace, cudaStream_t s) {
  std::string why;
  if (!ssd_bf16_supported(p, &why)) throw std::invalid_argument("ssd_bf16: " + why);
  if (p.T <= 0) return;
  run_shape(p, plan, workspace, s);
}

}  // namespace ss::cuda
