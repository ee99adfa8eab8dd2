// Mamba-2 SSD kernels (see ssd_scan.h).
//
// Thread layout: the N states of one (head, p) row are split over LPN = N / NT adjacent lanes, each
// holding NT states in registers as float4 groups interleaved across the lanes (lane l owns groups
// l, l + LPN, ...), so the lanes of a row read B and C from shared memory without bank conflicts.
// Each thread holds kRows such rows (rows r, r + 128 / LPN, ...) of the same lanes' states, so one
// shared-memory read of B_t and C_t serves kRows rows: shared-memory bandwidth, not the FMA units,
// bounds this kernel. The readout h_t C_t is summed over a row's lanes with shuffles. A block holds
// 128 threads: kRows * 128 / LPN rows of one head and one chunk, with kTile tokens of B, C, x, Δ and
// exp(Δ A) staged in shared memory.
#include <algorithm>

#include "cuda_check.h"
#include "ssd_scan.h"

namespace ss::cuda {

namespace {

constexpr int kThreads = 128;
constexpr int kTile = 16;
constexpr int kRows = 2;  // rows per thread

struct Layout {
  int NT = 0;   // states per thread
  int LPN = 0;  // lanes per row
};

Layout layout_for(int64_t N) {
  for (int nt : {32, 16, 8, 4}) {
    if (N % nt) continue;
    const int64_t lanes = N / nt;
    if (lanes <= 8 && (lanes & (lanes - 1)) == 0) return {nt, static_cast<int>(lanes)};
  }
  return {};
}

struct Smem {  // views into dynamic shared memory
  float* B;    // [kTile][N]
  float* C;    // [kTile][N]
  float* x;    // [kTile][rows]
  float* a;    // [kTile]
  float* dt;   // [kTile]
};

__device__ Smem carve(float* base, int64_t N, int rows) {
  Smem s;
  s.B = base;
  s.C = s.B + kTile * N;
  s.x = s.C + kTile * N;
  s.a = s.x + kTile * rows;
  s.dt = s.a + kTile;
  return s;
}

// Stages tokens [t, t + cnt) for head h, rows [p0, p0 + rows).
__device__ void load_tile(const Smem& s, const SsdParams& p, int64_t t, int cnt, int64_t h, int64_t p0, int rows, bool want_c) {
  const int64_t g = h / (p.H / p.G);
  const int64_t N = p.N;
  for (int i = threadIdx.x; i < cnt * N; i += blockDim.x) {
    const int64_t tt = i / N, n = i % N;
    const int64_t src = ((t + tt) * p.G + g) * N + n;
    s.B[i] = p.B[src];
    if (want_c) s.C[i] = p.C[src];
  }
  for (int i = threadIdx.x; i < cnt * rows; i += blockDim.x) {
    const int tt = i / rows, r = i % rows;
    s.x[i] = p0 + r < p.P ? p.x[((t + tt) * p.H + h) * p.P + p0 + r] : 0.0f;
  }
  for (int i = threadIdx.x; i < cnt; i += blockDim.x) {
    const float dt = p.delta[(t + i) * p.H + h];
    s.dt[i] = dt;
    s.a[i] = expf(dt * p.A[h]);
  }
}

// One thread's part of a row: NT states, float4 group j at n = 4 * (j * LPN + lane).
template <int NT>
struct Part {
  float h[NT];
};

template <int NT>
__device__ __forceinline__ void load_part(Part<NT>& q, const float* row, int lpn, int lane, bool active) {
#pragma unroll
  for (int j = 0; j < NT / 4; ++j) {
    const int n = 4 * (j * lpn + lane);
#pragma unroll
    for (int c = 0; c < 4; ++c) q.h[4 * j + c] = active ? row[n + c] : 0.0f;
  }
}

template <int NT>
__device__ __forceinline__ void store_part(const Part<NT>& q, float* row, int lpn, int lane) {
#pragma unroll
  for (int j = 0; j < NT / 4; ++j) {
    const int n = 4 * (j * lpn + lane);
#pragma unroll
    for (int c = 0; c < 4; ++c) row[n + c] = q.h[4 * j + c];
  }
}

// Pass 1: chunk end states from zero and chunk decays (every chunk but the last).
template <int NT>
__global__ void __launch_bounds__(kThreads) ssd_summary_kernel(SsdParams p, int lpn, int64_t chunk, float* __restrict__ end,
                                                               float* __restrict__ decay) {
  extern __shared__ float smem[];
  const int rt = kThreads / lpn, rows = kRows * rt;  // row threads; rows of the block
  const Smem s = carve(smem, p.N, rows);
  const int r = threadIdx.x / lpn, lane = threadIdx.x % lpn;
  const int64_t h = blockIdx.y, p0 = blockIdx.x * int64_t(rows);
  const int64_t c = blockIdx.z, t0 = c * chunk, t1 = std::min<int64_t>(p.T, t0 + chunk);
  Part<NT> q[kRows];
#pragma unroll
  for (int k = 0; k < kRows; ++k)
#pragma unroll
    for (int i = 0; i < NT; ++i) q[k].h[i] = 0.0f;
  float dec = 1.0f;
  for (int64_t t = t0; t < t1; t += kTile) {
    const int cnt = static_cast<int>(std::min<int64_t>(kTile, t1 - t));
    __syncthreads();
    load_tile(s, p, t, cnt, h, p0, rows, false);
    __syncthreads();
    for (int tt = 0; tt < cnt; ++tt) {
      const float a = s.a[tt];
      float dx[kRows];
#pragma unroll
      for (int k = 0; k < kRows; ++k) dx[k] = s.dt[tt] * s.x[tt * rows + r + k * rt];
      const float4* B4 = reinterpret_cast<const float4*>(s.B + tt * p.N);
#pragma unroll
      for (int j = 0; j < NT / 4; ++j) {
        const float4 b = B4[j * lpn + lane];
#pragma unroll
        for (int k = 0; k < kRows; ++k) {
          q[k].h[4 * j + 0] = a * q[k].h[4 * j + 0] + dx[k] * b.x;
          q[k].h[4 * j + 1] = a * q[k].h[4 * j + 1] + dx[k] * b.y;
          q[k].h[4 * j + 2] = a * q[k].h[4 * j + 2] + dx[k] * b.z;
          q[k].h[4 * j + 3] = a * q[k].h[4 * j + 3] + dx[k] * b.w;
        }
      }
      dec *= a;
    }
  }
#pragma unroll
  for (int k = 0; k < kRows; ++k) {
    const int64_t prow = p0 + r + k * rt;
    if (prow < p.P) store_part(q[k], end + ((c * p.H + h) * p.P + prow) * p.N, lpn, lane);
  }
  if (blockIdx.x == 0 && threadIdx.x == 0) decay[c * p.H + h] = dec;
}

// Pass 2: start[c] = state before chunk c; one thread per (head, p, n).
__global__ void ssd_combine_kernel(const float* __restrict__ state, const float* __restrict__ end,
                                   const float* __restrict__ decay, float* __restrict__ start, int64_t n_chunks, int64_t H,
                                   int64_t PN) {
  const int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x, stride = H * PN;
  if (i >= stride) return;
  const int64_t h = i / PN;
  float v = state[i];
  start[i] = v;
  for (int64_t c = 0; c + 1 < n_chunks; ++c) {
    v = decay[c * H + h] * v + end[c * stride + i];
    start[(c + 1) * stride + i] = v;
  }
}

// Pass 3: every chunk from its start state: y, checkpoints and (last chunk) the final state.
template <int NT>
__global__ void __launch_bounds__(kThreads) ssd_output_kernel(SsdParams p, int lpn, int64_t chunk, int64_t n_chunks,
                                                              const float* __restrict__ start) {
  extern __shared__ float smem[];
  const int rt = kThreads / lpn, rows = kRows * rt;  // row threads; rows of the block
  const Smem s = carve(smem, p.N, rows);
  const int r = threadIdx.x / lpn, lane = threadIdx.x % lpn;
  const int64_t h = blockIdx.y, p0 = blockIdx.x * int64_t(rows);
  const int64_t c = blockIdx.z, t0 = c * chunk, t1 = std::min<int64_t>(p.T, t0 + chunk);
  int64_t row_off[kRows];  // this thread's rows in a [H, P, N] state
  bool active[kRows];
  Part<NT> q[kRows];
#pragma unroll
  for (int k = 0; k < kRows; ++k) {
    const int64_t prow = p0 + r + k * rt;
    active[k] = prow < p.P;
    row_off[k] = (h * p.P + prow) * p.N;
    load_part(q[k], (n_chunks > 1 ? start + c * p.H * p.P * p.N : p.state) + row_off[k], lpn, lane, active[k]);
  }
  const float Dh = p.D[h];
  int64_t next_ck = INT64_MAX;
  if (p.checkpoints && p.every > 0) next_ck = ((p.pos0 + t0) / p.every + 1) * p.every - 1 - p.pos0;
  for (int64_t t = t0; t < t1; t += kTile) {
    const int cnt = static_cast<int>(std::min<int64_t>(kTile, t1 - t));
    __syncthreads();
    load_tile(s, p, t, cnt, h, p0, rows, true);
    __syncthreads();
    for (int tt = 0; tt < cnt; ++tt) {
      const float a = s.a[tt];
      float xv[kRows], dx[kRows], acc[kRows];
#pragma unroll
      for (int k = 0; k < kRows; ++k) {
        xv[k] = s.x[tt * rows + r + k * rt];
        dx[k] = s.dt[tt] * xv[k];
        acc[k] = 0.0f;
      }
      const float4* B4 = reinterpret_cast<const float4*>(s.B + tt * p.N);
      const float4* C4 = reinterpret_cast<const float4*>(s.C + tt * p.N);
#pragma unroll
      for (int j = 0; j < NT / 4; ++j) {
        const float4 b = B4[j * lpn + lane], cc = C4[j * lpn + lane];
#pragma unroll
        for (int k = 0; k < kRows; ++k) {
          float* hq = q[k].h + 4 * j;
          hq[0] = a * hq[0] + dx[k] * b.x;
          hq[1] = a * hq[1] + dx[k] * b.y;
          hq[2] = a * hq[2] + dx[k] * b.z;
          hq[3] = a * hq[3] + dx[k] * b.w;
          acc[k] += hq[0] * cc.x + hq[1] * cc.y + hq[2] * cc.z + hq[3] * cc.w;
        }
      }
#pragma unroll
      for (int k = 0; k < kRows; ++k)
        for (int off = lpn / 2; off > 0; off >>= 1) acc[k] += __shfl_xor_sync(0xffffffffu, acc[k], off);
      const int64_t tok = t + tt;
      if (lane == 0) {
#pragma unroll
        for (int k = 0; k < kRows; ++k)
          if (active[k]) p.y[(tok * p.H + h) * p.P + p0 + r + k * rt] = acc[k] + Dh * xv[k];
      }
      if (tok == next_ck) {
        const int64_t ck = (p.pos0 + tok + 1) / p.every - p.pos0 / p.every - 1;
#pragma unroll
        for (int k = 0; k < kRows; ++k)
          if (active[k]) store_part(q[k], p.checkpoints + ck * p.H * p.P * p.N + row_off[k], lpn, lane);
        next_ck += p.every;
      }
    }
  }
  if (c == n_chunks - 1) {
#pragma unroll
    for (int k = 0; k < kRows; ++k)
      if (active[k]) store_part(q[k], p.state + row_off[k], lpn, lane);
  }
}

size_t smem_bytes(int64_t N, int rows) { return sizeof(float) * (2 * kTile * N + kTile * rows + 2 * kTile); }

template <int NT>
void run_passes(const SsdParams& p, const SsdPlan& plan, int lpn, float* ws, cudaStream_t s) {
  const int rows = kRows * kThreads / lpn;
  const size_t smem = smem_bytes(p.N, rows);
  const int64_t PN = p.P * p.N, stride = p.H * PN;
  float* end = ws;
  float* decay = end + (plan.n_chunks - 1) * stride;
  float* start = decay + (plan.n_chunks - 1) * p.H;
  const unsigned ptiles = static_cast<unsigned>((p.P + rows - 1) / rows);
  if (plan.n_chunks > 1) {
    ssd_summary_kernel<NT><<<dim3(ptiles, unsigned(p.H), unsigned(plan.n_chunks - 1)), kThreads, smem, s>>>(p, lpn, plan.chunk, end, decay);
    SS_LAUNCHED("ssd_summary");
    ssd_combine_kernel<<<unsigned((stride + 255) / 256), 256, 0, s>>>(p.state, end, decay, start, plan.n_chunks, p.H, PN);
    SS_LAUNCHED("ssd_combine");
  }
  ssd_output_kernel<NT><<<dim3(ptiles, unsigned(p.H), unsigned(plan.n_chunks)), kThreads, smem, s>>>(p, lpn, plan.chunk, plan.n_chunks, start);
  SS_LAUNCHED("ssd_output");
}

int resident_blocks(const Layout& l, int64_t N) {
  int dev = 0, sms = 0, per_sm = 0;
  SS_CUDA(cudaGetDevice(&dev));
  SS_CUDA(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev));
  const size_t smem = smem_bytes(N, kRows * kThreads / l.LPN);
  switch (l.NT) {
    case 4: SS_CUDA(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, ssd_output_kernel<4>, kThreads, smem)); break;
    case 8: SS_CUDA(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, ssd_output_kernel<8>, kThreads, smem)); break;
    case 16: SS_CUDA(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, ssd_output_kernel<16>, kThreads, smem)); break;
    default: SS_CUDA(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, ssd_output_kernel<32>, kThreads, smem)); break;
  }
  return std::max(1, sms * std::max(1, per_sm));
}

}  // namespace

bool ssd_supported(int64_t N) { return N > 0 && N <= 256 && layout_for(N).NT > 0; }

SsdPlan plan_ssd(const SsdParams& p) {
  SsdPlan plan;
  if (p.T <= 0) return plan;
  const Layout l = layout_for(p.N);
  const int64_t rows = kRows * kThreads / l.LPN;
  const int64_t blocks_per_chunk = p.H * ((p.P + rows - 1) / rows);
  const int64_t want = std::max<int64_t>(1, resident_blocks(l, p.N) / blocks_per_chunk);
  const int64_t n = std::min(want, std::max<int64_t>(1, p.T / (4 * kTile)));
  plan.chunk = ((p.T + n - 1) / n + kTile - 1) / kTile * kTile;
  plan.n_chunks = (p.T + plan.chunk - 1) / plan.chunk;
  const int64_t stride = p.H * p.P * p.N;
  plan.workspace_floats = plan.n_chunks > 1 ? (2 * plan.n_chunks - 1) * stride + (plan.n_chunks - 1) * p.H : 0;
  return plan;
}

void ssd(const SsdParams& p, const SsdPlan& plan, float* workspace, cudaStream_t s) {
  if (p.T <= 0) return;
  const Layout l = layout_for(p.N);
  switch (l.NT) {
    case 4: return run_passes<4>(p, plan, l.LPN, workspace, s);
    case 8: return run_passes<8>(p, plan, l.LPN, workspace, s);
    case 16: return run_passes<16>(p, plan, l.LPN, workspace, s);
    default: return run_passes<32>(p, plan, l.LPN, workspace, s);
  }
}

}  // namespace ss::cuda
