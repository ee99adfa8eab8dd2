// Mamba-1 selective scan kernels (see selective_scan.h for the algorithm).
//
// Thread layout: one thread per channel d, holding that channel's N states in registers; a block is
// 128 consecutive channels of one chunk. Per token the thread reads Δ, x (and z) of its channel,
// which the warp reads as one coalesced row segment, and B_t, C_t, which every thread shares: those
// are staged in shared memory kTile tokens at a time. exp(Δ A) is one exp2 per (token, channel,
// state dim): A is pre-scaled by log2(e) once per thread. The whole path uses FP32 FMA and the
// special-function unit only, so it runs on every architecture the build targets (sm_75 up).
#include <algorithm>

#include "cuda_check.h"
#include "selective_scan.h"

namespace ss::cuda {

namespace {

constexpr int kThreads = 128;  // channels per block
constexpr int kTile = 16;      // tokens staged in shared memory at a time
constexpr float kLog2e = 1.4426950408889634f;

// Tile of one block: the channel-private inputs (each thread writes and reads only its own column,
// staged so that a thread has kTile independent loads in flight) and the shared B, C rows.
template <int NS, bool kOutput>
struct Tile {
  float dt[kTile][kThreads];
  float x[kTile][kThreads];
  float z[kOutput ? kTile : 1][kThreads];
  float B[kTile][NS];
  float C[kOutput ? kTile : 1][NS];
};

// Stages tokens [t, t + cnt) of the block's channels and the shared B (and C) rows.
template <int NS, bool kOutput>
__device__ __forceinline__ void load_tile(Tile<NS, kOutput>& s, const SelectiveScanParams& p, int64_t t, int cnt, int64_t d,
                                          bool active) {
  const int j = threadIdx.x;
  if (active) {
#pragma unroll
    for (int tt = 0; tt < kTile; ++tt) {
      if (tt < cnt) {
        const int64_t i = (t + tt) * p.Di + d;
        s.dt[tt][j] = p.delta[i];
        s.x[tt][j] = p.x[i];
        if (kOutput && p.z) s.z[tt][j] = p.z[i];
      }
    }
  }
  const int N = static_cast<int>(p.N);
  for (int i = j; i < cnt * N; i += kThreads) {
    const int tt = i / N, n = i % N;
    s.B[tt][n] = p.B[(t + tt) * p.N + n];
    if (kOutput) s.C[tt][n] = p.C[(t + tt) * p.N + n];
  }
}

// Pass 1: each chunk but the last from a zero state: its end state and its total decay prod exp(Δ A).
template <int NS>
__global__ void __launch_bounds__(kThreads) scan_summary_kernel(SelectiveScanParams p, int64_t chunk, float* __restrict__ end,
                                                                float* __restrict__ decay) {
  __shared__ Tile<NS, false> s;
  const int64_t d = blockIdx.x * int64_t(kThreads) + threadIdx.x;
  const bool active = d < p.Di;
  const int N = static_cast<int>(p.N);
  const int64_t t0 = blockIdx.y * chunk, t1 = std::min<int64_t>(p.T, t0 + chunk);
  float A2[NS], h[NS], dec[NS];
#pragma unroll
  for (int n = 0; n < NS; ++n) {
    A2[n] = active && n < N ? p.A[d * N + n] * kLog2e : 0.0f;
    h[n] = 0.0f;
    dec[n] = 1.0f;
  }
  for (int64_t t = t0; t < t1; t += kTile) {
    const int cnt = static_cast<int>(std::min<int64_t>(kTile, t1 - t));
    __syncthreads();
    load_tile(s, p, t, cnt, d, active);
    __syncthreads();
    for (int tt = 0; tt < cnt; ++tt) {
      const float dt = s.dt[tt][threadIdx.x], dx = dt * s.x[tt][threadIdx.x];
#pragma unroll
      for (int n = 0; n < NS; ++n) {
        const float a = exp2f(dt * A2[n]);
        h[n] = a * h[n] + dx * s.B[tt][n];
        dec[n] *= a;
      }
    }
  }
  if (!active) return;
  float* e = end + (blockIdx.y * p.Di + d) * N;
  float* g = decay + (blockIdx.y * p.Di + d) * N;
#pragma unroll
  for (int n = 0; n < NS; ++n)
    if (n < N) {
      e[n] = h[n];
      g[n] = dec[n];
    }
}

// Pass 2: start[c] = state after chunk c-1, chained over the chunks; one thread per (channel, dim).
__global__ void scan_combine_kernel(const float* __restrict__ state, const float* __restrict__ end,
                                    const float* __restrict__ decay, float* __restrict__ start, int64_t n_chunks,
                                    int64_t stride) {
  const int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  if (i >= stride) return;
  float H = state[i];
  start[i] = H;
  for (int64_t c = 0; c + 1 < n_chunks; ++c) {
    H = decay[c * stride + i] * H + end[c * stride + i];
    start[(c + 1) * stride + i] = H;
  }
}

// Pass 3: every chunk from its true start state: y (with D skip and z gate), checkpoints, final state.
template <int NS>
__global__ void __launch_bounds__(kThreads) scan_output_kernel(SelectiveScanParams p, int64_t chunk, int64_t n_chunks,
                                                               const float* __restrict__ start) {
  __shared__ Tile<NS, true> s;
  const int64_t d = blockIdx.x * int64_t(kThreads) + threadIdx.x;
  const bool active = d < p.Di;
  const int N = static_cast<int>(p.N);
  const int64_t c = blockIdx.y;
  const int64_t t0 = c * chunk, t1 = std::min<int64_t>(p.T, t0 + chunk);
  const float* h0 = n_chunks > 1 ? start + (c * p.Di + d) * N : p.state + d * N;
  float A2[NS], h[NS];
#pragma unroll
  for (int n = 0; n < NS; ++n) {
    A2[n] = active && n < N ? p.A[d * N + n] * kLog2e : 0.0f;
    h[n] = active && n < N ? h0[n] : 0.0f;
  }
  const float Dd = active ? p.D[d] : 0.0f;
  // The next token of this chunk after which a checkpoint is due (absolute position p with (p+1) % every == 0).
  int64_t next_ck = INT64_MAX;
  if (p.checkpoints && p.every > 0) {
    const int64_t first_pos = ((p.pos0 + t0) / p.every + 1) * p.every - 1;  // smallest such p >= pos0 + t0
    next_ck = first_pos - p.pos0;
  }
  for (int64_t t = t0; t < t1; t += kTile) {
    const int cnt = static_cast<int>(std::min<int64_t>(kTile, t1 - t));
    __syncthreads();
    load_tile(s, p, t, cnt, d, active);
    __syncthreads();
    for (int tt = 0; tt < cnt; ++tt) {
      const float dt = s.dt[tt][threadIdx.x], xv = s.x[tt][threadIdx.x], dx = dt * xv;
      float acc = 0.0f;
#pragma unroll
      for (int n = 0; n < NS; ++n) {
        const float a = exp2f(dt * A2[n]);
        h[n] = a * h[n] + dx * s.B[tt][n];
        acc += h[n] * s.C[tt][n];
      }
      float yv = acc + Dd * xv;
      if (p.z) {
        const float zv = s.z[tt][threadIdx.x];
        yv *= zv / (1.0f + expf(-zv));
      }
      const int64_t tok = t + tt;
      if (active) p.y[tok * p.Di + d] = yv;
      if (tok == next_ck) {
        const int64_t k = (p.pos0 + tok + 1) / p.every - p.pos0 / p.every - 1;
        float* ck = p.checkpoints + (k * p.Di + d) * N;
#pragma unroll
        for (int n = 0; n < NS; ++n)
          if (active && n < N) ck[n] = h[n];
        next_ck += p.every;
      }
    }
  }
  if (active && c == n_chunks - 1) {
#pragma unroll
    for (int n = 0; n < NS; ++n)
      if (n < N) p.state[d * N + n] = h[n];
  }
}

int ns_for(int64_t N) { return N <= 4 ? 4 : N <= 8 ? 8 : N <= 16 ? 16 : N <= 32 ? 32 : 64; }

template <int NS>
int resident_output_blocks() {
  static const int blocks = [] {
    int dev = 0, sms = 0, per_sm = 0;
    SS_CUDA(cudaGetDevice(&dev));
    SS_CUDA(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev));
    SS_CUDA(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, scan_output_kernel<NS>, kThreads, 0));
    return std::max(1, sms * std::max(1, per_sm));
  }();
  return blocks;
}

int resident_blocks(int64_t N) {
  switch (ns_for(N)) {
    case 4: return resident_output_blocks<4>();
    case 8: return resident_output_blocks<8>();
    case 16: return resident_output_blocks<16>();
    case 32: return resident_output_blocks<32>();
    default: return resident_output_blocks<64>();
  }
}

template <int NS>
void run_passes(const SelectiveScanParams& p, const ScanPlan& plan, float* ws, cudaStream_t s, cudaEvent_t* marks) {
  const dim3 grid_d(static_cast<unsigned>((p.Di + kThreads - 1) / kThreads), 1);
  const int64_t stride = p.Di * p.N;
  float* end = ws;
  float* decay = ws + (plan.n_chunks - 1) * stride;
  float* start = ws + 2 * (plan.n_chunks - 1) * stride;
  if (marks) SS_CUDA(cudaEventRecord(marks[0], s));
  if (plan.n_chunks > 1) {
    scan_summary_kernel<NS><<<dim3(grid_d.x, static_cast<unsigned>(plan.n_chunks - 1)), kThreads, 0, s>>>(p, plan.chunk, end, decay);
    SS_LAUNCHED("selective_scan_summary");
  }
  if (marks) SS_CUDA(cudaEventRecord(marks[1], s));
  if (plan.n_chunks > 1) {
    scan_combine_kernel<<<static_cast<unsigned>((stride + 255) / 256), 256, 0, s>>>(p.state, end, decay, start, plan.n_chunks, stride);
    SS_LAUNCHED("selective_scan_combine");
  }
  if (marks) SS_CUDA(cudaEventRecord(marks[2], s));
  scan_output_kernel<NS><<<dim3(grid_d.x, static_cast<unsigned>(plan.n_chunks)), kThreads, 0, s>>>(p, plan.chunk, plan.n_chunks, start);
  SS_LAUNCHED("selective_scan_output");
  if (marks) SS_CUDA(cudaEventRecord(marks[3], s));
}

void dispatch(const SelectiveScanParams& p, const ScanPlan& plan, float* ws, cudaStream_t s, cudaEvent_t* marks) {
  switch (ns_for(p.N)) {
    case 4: return run_passes<4>(p, plan, ws, s, marks);
    case 8: return run_passes<8>(p, plan, ws, s, marks);
    case 16: return run_passes<16>(p, plan, ws, s, marks);
    case 32: return run_passes<32>(p, plan, ws, s, marks);
    default: return run_passes<64>(p, plan, ws, s, marks);
  }
}

}  // namespace

ScanPlan plan_selective_scan(const SelectiveScanParams& p) {
  ScanPlan plan;
  if (p.T <= 0) return plan;
  // Enough chunks that one wave of output blocks fills the GPU, each chunk at least 4 tiles long.
  const int64_t d_blocks = (p.Di + kThreads - 1) / kThreads;
  const int64_t want = std::max<int64_t>(1, resident_blocks(p.N) / d_blocks);
  const int64_t max_chunks = std::max<int64_t>(1, p.T / (4 * kTile));
  const int64_t n = std::min(want, max_chunks);
  plan.chunk = ((p.T + n - 1) / n + kTile - 1) / kTile * kTile;
  plan.n_chunks = (p.T + plan.chunk - 1) / plan.chunk;
  plan.workspace_floats = plan.n_chunks > 1 ? (3 * plan.n_chunks - 2) * p.Di * p.N : 0;
  return plan;
}

void selective_scan(const SelectiveScanParams& p, const ScanPlan& plan, float* workspace, cudaStream_t s) {
  if (p.T <= 0) return;
  dispatch(p, plan, workspace, s, nullptr);
}

ScanPassTimes selective_scan_timed(const SelectiveScanParams& p, const ScanPlan& plan, float* workspace, cudaStream_t s) {
  cudaEvent_t ev[4];
  for (auto& e : ev) SS_CUDA(cudaEventCreate(&e));
  dispatch(p, plan, workspace, s, ev);
  SS_CUDA(cudaEventSynchronize(ev[3]));
  ScanPassTimes t;
  SS_CUDA(cudaEventElapsedTime(&t.summary, ev[0], ev[1]));
  SS_CUDA(cudaEventElapsedTime(&t.combine, ev[1], ev[2]));
  SS_CUDA(cudaEventElapsedTime(&t.output, ev[2], ev[3]));
  for (auto& e : ev) SS_CUDA(cudaEventDestroy(e));
  return t;
}

}  // namespace ss::cuda
