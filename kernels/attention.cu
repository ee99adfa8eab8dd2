// Flash-style causal attention, FP32 (see attention.h).
//
// A block is 256 threads: 256 / TPR query rows of one head. Each row is split over TPR adjacent threads, each holding
// G4 float4 groups of q and of the output accumulator (group j * TPR + slice), so the threads of a row
// read one key row from shared memory without bank conflicts and the rows of a warp share it by
// broadcast. Keys come in tiles; inside a tile, 8 scores at a time are reduced across the row's
// threads with shuffles and folded into the running max / denominator / output (online softmax, in
// base 2: q is pre-scaled by scale * log2 e).
#include <algorithm>
#include <cmath>

#include "attention.h"
#include "cuda_check.h"

namespace ss::cuda {

namespace {

constexpr int kThreads = 256;
constexpr int kSub = 8;  // scores folded at a time
constexpr float kLog2e = 1.4426950408889634f;

struct Shape {
  int tpr = 0, g4 = 0, bk = 0;
};

Shape shape_for(int64_t hd) {
  if (hd <= 0 || hd % 4 || hd > 256) return {};
  const int groups = static_cast<int>(hd / 4);
  for (int tpr = 1; tpr <= 8; tpr *= 2)
    if (groups % tpr == 0 && groups / tpr <= 8) {
      const int bk = std::max(kSub, std::min(64, static_cast<int>(4096 / hd) / kSub * kSub));
      return {tpr, groups / tpr, bk};
    }
  return {};
}

__device__ __forceinline__ float dot4(float4 a, float4 b) { return a.x * b.x + a.y * b.y + a.z * b.z + a.w * b.w; }

template <int G4>
__global__ void __launch_bounds__(kThreads) attention_kernel(AttentionParams p, int tpr, int bk) {
  const int rows = kThreads / tpr;
  extern __shared__ float4 tile[];
  const int hd4 = static_cast<int>(p.hd / 4);
  float4* Ks = tile;            // [bk][hd4]
  float4* Vs = tile + bk * hd4; // [bk][hd4]
  const int r = threadIdx.x / tpr, sl = threadIdx.x % tpr;
  const int64_t h = blockIdx.y, kvh = h / (p.Hq / p.Hkv);
  const int64_t t = blockIdx.x * int64_t(rows) + r;
  const bool valid = t < p.T;
  const int64_t qpos = valid ? p.pos0 + t : -1;
  const float qs = p.scale * kLog2e;
  const float4* q4 = reinterpret_cast<const float4*>(p.q) + (t * p.Hq + h) * hd4;
  float4 q[G4], o[G4];
#pragma unroll
  for (int j = 0; j < G4; ++j) {
    const float4 v = valid ? q4[j * tpr + sl] : make_float4(0, 0, 0, 0);
    q[j] = make_float4(v.x * qs, v.y * qs, v.z * qs, v.w * qs);
    o[j] = make_float4(0, 0, 0, 0);
  }
  float m = -INFINITY, l = 0.0f;
  const int64_t t_last = std::min<int64_t>(p.T, (blockIdx.x + 1) * int64_t(rows)) - 1;
  const int64_t kend = p.pos0 + t_last + 1;  // this block's keys: [0, kend)
  const float4* kb = reinterpret_cast<const float4*>(p.k) + kvh * p.capacity * hd4;
  const float4* vb = reinterpret_cast<const float4*>(p.v) + kvh * p.capacity * hd4;
  for (int64_t k0 = 0; k0 < kend; k0 += bk) {
    const int cnt = static_cast<int>(std::min<int64_t>(bk, kend - k0));
    __syncthreads();
    for (int i = threadIdx.x; i < bk * hd4; i += blockDim.x) {
      const int row = i / hd4;
      const bool in = row < cnt;
      Ks[i] = in ? kb[(k0 + row) * hd4 + i % hd4] : make_float4(0, 0, 0, 0);
      Vs[i] = in ? vb[(k0 + row) * hd4 + i % hd4] : make_float4(0, 0, 0, 0);
    }
    __syncthreads();
    for (int j0 = 0; j0 < cnt; j0 += kSub) {
      float s[kSub];
#pragma unroll
      for (int jj = 0; jj < kSub; ++jj) {
        const float4* kr = Ks + (j0 + jj) * hd4;
        float acc = 0.0f;
#pragma unroll
        for (int j = 0; j < G4; ++j) acc += dot4(q[j], kr[j * tpr + sl]);
        s[jj] = acc;
      }
      for (int off = tpr / 2; off > 0; off >>= 1)
#pragma unroll
        for (int jj = 0; jj < kSub; ++jj) s[jj] += __shfl_xor_sync(0xffffffffu, s[jj], off);
      float mx = m;
#pragma unroll
      for (int jj = 0; jj < kSub; ++jj) {
        const int64_t key = k0 + j0 + jj;
        if (j0 + jj >= cnt || key > qpos) s[jj] = -INFINITY;
        mx = fmaxf(mx, s[jj]);
      }
      if (mx != -INFINITY) {
        const float corr = exp2f(m - mx);
        l *= corr;
#pragma unroll
        for (int j = 0; j < G4; ++j) o[j] = make_float4(o[j].x * corr, o[j].y * corr, o[j].z * corr, o[j].w * corr);
#pragma unroll
        for (int jj = 0; jj < kSub; ++jj) {
          const float pj = exp2f(s[jj] - mx);
          l += pj;
          const float4* vr = Vs + (j0 + jj) * hd4;
#pragma unroll
          for (int j = 0; j < G4; ++j) {
            const float4 v = vr[j * tpr + sl];
            o[j].x += pj * v.x;
            o[j].y += pj * v.y;
            o[j].z += pj * v.z;
            o[j].w += pj * v.w;
          }
        }
        m = mx;
      }
    }
  }
  if (!valid) return;
  const float inv = 1.0f / l;
  float4* out4 = reinterpret_cast<float4*>(p.out) + (t * p.Hq + h) * hd4;
#pragma unroll
  for (int j = 0; j < G4; ++j) out4[j * tpr + sl] = make_float4(o[j].x * inv, o[j].y * inv, o[j].z * inv, o[j].w * inv);
  if (p.lse && sl == 0) p.lse[t * p.Hq + h] = m + log2f(l);
}

// Window probabilities: a block computes a 16 x 16 tile of (query row, key column), with the tile's
// 16 query rows (pre-scaled) and 16 key rows staged in shared memory (key rows padded by one float).
constexpr int kWin = 16;

__global__ void window_kernel(AttentionParams p, int64_t head, int64_t t0, int64_t W, int64_t r0, int64_t r1,
                              float* __restrict__ probs) {
  extern __shared__ float win[];
  const int64_t hd = p.hd;
  float* qs = win;              // [kWin][hd]
  float* ks = win + kWin * hd;  // [kWin][hd + 1]
  const int64_t kvh = head / (p.Hq / p.Hkv);
  const float scale2 = p.scale * kLog2e;
  const int64_t rb = r0 + blockIdx.y * int64_t(kWin), cb = blockIdx.x * int64_t(kWin);
  const int64_t last_key = p.pos0 + p.T - 1;  // no query of this call sees a later key
  for (int64_t i = threadIdx.x; i < kWin * hd; i += blockDim.x) {
    const int64_t rr = i / hd, e = i % hd, r = rb + rr, c = cb + rr;
    qs[rr * hd + e] = r < r1 ? p.q[((t0 + r - p.pos0) * p.Hq + head) * hd + e] * scale2 : 0.0f;
    ks[rr * (hd + 1) + e] = c < W && t0 + c <= last_key ? p.k[(kvh * p.capacity + t0 + c) * hd + e] : 0.0f;
  }
  __syncthreads();
  const int tx = threadIdx.x % kWin, ty = threadIdx.x / kWin;
  const int64_t r = rb + ty, c = cb + tx;
  if (r >= r1 || c >= W) return;
  const int64_t qpos = t0 + r, key = t0 + c;
  float prob = 0.0f;
  if (key <= qpos) {
    float s = 0.0f;
    for (int64_t e = 0; e < hd; ++e) s += qs[ty * hd + e] * ks[tx * (hd + 1) + e];
    prob = exp2f(s - p.lse[(qpos - p.pos0) * p.Hq + head]);
  }
  probs[(r - r0) * W + c] = prob;
}

template <int G4>
void launch(const AttentionParams& p, const Shape& sh, cudaStream_t s) {
  const size_t smem = 2 * sizeof(float) * sh.bk * p.hd;
  const int rows = kThreads / sh.tpr;
  const dim3 grid(static_cast<unsigned>((p.T + rows - 1) / rows), static_cast<unsigned>(p.Hq));
  attention_kernel<G4><<<grid, kThreads, smem, s>>>(p, sh.tpr, sh.bk);
  SS_LAUNCHED("attention");
}

}  // namespace

bool attention_supported(int64_t hd) { return shape_for(hd).tpr > 0; }

void attention(const AttentionParams& p, cudaStream_t s) {
  if (p.T <= 0) return;
  const Shape sh = shape_for(p.hd);
  switch (sh.g4) {
    case 1: return launch<1>(p, sh, s);
    case 2: return launch<2>(p, sh, s);
    case 3: return launch<3>(p, sh, s);
    case 4: return launch<4>(p, sh, s);
    case 5: return launch<5>(p, sh, s);
    case 6: return launch<6>(p, sh, s);
    case 7: return launch<7>(p, sh, s);
    default: return launch<8>(p, sh, s);
  }
}

void attention_window(const AttentionParams& p, int64_t head, int64_t t0, int64_t W, int64_t r0, int64_t r1, float* probs,
                      cudaStream_t s) {
  const int64_t n = (r1 - r0) * W;
  if (n <= 0) return;
  const dim3 grid(static_cast<unsigned>((W + kWin - 1) / kWin), static_cast<unsigned>((r1 - r0 + kWin - 1) / kWin));
  const size_t smem = sizeof(float) * kWin * (2 * p.hd + 1);
  window_kernel<<<grid, kWin * kWin, smem, s>>>(p, head, t0, W, r0, r1, probs);
  SS_LAUNCHED("attention_window");
}

}  // namespace ss::cuda
