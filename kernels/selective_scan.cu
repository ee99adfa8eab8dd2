// Mamba-1 selective scan kernels (see selective_scan.h for the algorithm).
//
// Thread layout: one thread per channel d, holding that channel's N states in registers; a block is
// 128 (FP32 inputs) or 256 (BF16 inputs) consecutive channels of one chunk. Per token the thread reads Δ, x (and z) of its channel,
// which the warp reads as one coalesced row segment, and B_t, C_t, which every thread shares. All of
// them are staged in shared memory kTile tokens at a time, two tiles deep (asynchronous copies on
// sm_80+), so memory traffic overlaps the exponentials. exp(Δ A) is one exp2 per (token, channel,
// state dim): A is pre-scaled by log2(e) once per thread. The whole path uses FP32 FMA and the
// special-function unit only, so it runs on every architecture the build targets (sm_75 up).
//
// Input type: every kernel is a template on `In`, the element type of x, Δ, z, B and C (float, or
// __nv_bfloat16 for the bf16 mode). Inputs are staged in shared memory in that type as 4-byte words
// (one channel per word in FP32, two in BF16) and widened to FP32 when read (B and C once per tile);
// the state, the exponentials, the readout and every output stay FP32.
#include <cuda_bf16.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "cuda_check.h"
#include "selective_scan.h"

namespace ss::cuda {

namespace {

// Channels per block (one per thread): 128 with FP32 inputs; 256 with BF16 inputs, so that a block's
// piece of each input row stays 512 bytes long (shorter pieces stream worse from DRAM).
template <class In>
constexpr int kThreadsOf = sizeof(In) == 4 ? 128 : 256;
constexpr int kTile = 8;       // tokens staged in shared memory at a time (two tiles in flight)
constexpr float kLog2e = 1.4426950408889634f;

// 2^x on the special-function unit (ex2.approx, 2 ulp; results below 2^-126 flush to 0, which for a
// decay factor is the same as the exact value to far below FP32 resolution of the state).
__device__ __forceinline__ float exp2_sfu(float x) {
  float y;
  asm("ex2.approx.ftz.f32 %0, %1;" : "=f"(y) : "f"(x));
  return y;
}

// Global -> shared copies. On sm_80 and newer they are asynchronous (cp.async), so the next tile
// loads while this one is computed; on sm_75 (Turing) they are plain loads and stores, same result.
__device__ __forceinline__ void copy4(void* dst, const void* src) {
#if __CUDA_ARCH__ >= 800
  const unsigned d = static_cast<unsigned>(__cvta_generic_to_shared(dst));
  asm volatile("cp.async.ca.shared.global [%0], [%1], 4;\n" ::"r"(d), "l"(src) : "memory");
#else
  *static_cast<uint32_t*>(dst) = *static_cast<const uint32_t*>(src);
#endif
}
__device__ __forceinline__ void copies_commit() {
#if __CUDA_ARCH__ >= 800
  asm volatile("cp.async.commit_group;\n" ::: "memory");
#endif
}
template <int kPending>
__device__ __forceinline__ void copies_wait() {
#if __CUDA_ARCH__ >= 800
  asm volatile("cp.async.wait_group %0;\n" ::"n"(kPending) : "memory");
#endif
}

// Widening reads of the staged inputs.
__device__ __forceinline__ float to_f32(float v) { return v; }
__device__ __forceinline__ float to_f32(__nv_bfloat16 v) { return __bfloat162float(v); }
template <class In>
constexpr int kPerWord = 4 / static_cast<int>(sizeof(In));  // channels per 4-byte word: 1 (FP32) or 2 (BF16)

// One tile of a block: the channel-private inputs (each thread stages and reads only its own column)
// and the B (and C) rows every thread shares.
// BF16 only: B and C rows widened to FP32 once per tile (after the copies land), so the per-token
// loop reads them as float4 broadcasts exactly as the FP32 kernel does (converting there per token
// and per state dim costs registers: the BF16 output kernel spilled).
template <int NS, bool kOutput, bool kWiden>
struct WidenedBC {};  // FP32: the staged rows are read as they are
template <int NS, bool kOutput>
struct WidenedBC<NS, kOutput, true> {
  alignas(16) float Bf[kTile][NS];
  alignas(16) float Cf[kOutput ? kTile : 1][NS];
};

template <int NS, bool kOutput, class In>
struct alignas(16) Tile : WidenedBC<NS, kOutput, !std::is_same_v<In, float>> {
  In dt[kTile][kThreadsOf<In>];
  In x[kTile][kThreadsOf<In>];
  In z[kOutput ? kTile : 1][kThreadsOf<In>];
  alignas(16) In B[kTile][NS];  // 16-byte (FP32) / 8-byte (BF16) rows: read four at a time as broadcasts
  alignas(16) In C[kOutput ? kTile : 1][NS];
};

// The FP32 B and C rows of token tt of a tile.
template <int NS, bool kOutput, class In>
__device__ __forceinline__ const float4* b_row(const Tile<NS, kOutput, In>& s, int tt) {
  if constexpr (std::is_same_v<In, float>) return reinterpret_cast<const float4*>(s.B[tt]);
  else return reinterpret_cast<const float4*>(s.Bf[tt]);
}
template <int NS, bool kOutput, class In>
__device__ __forceinline__ const float4* c_row(const Tile<NS, kOutput, In>& s, int tt) {
  if constexpr (std::is_same_v<In, float>) return reinterpret_cast<const float4*>(s.C[tt]);
  else return reinterpret_cast<const float4*>(s.Cf[tt]);
}

// Issues the copies of tokens [t, t + cnt) into `s` (d = this thread's channel). Channel rows move
// as 4-byte words (FP32: each thread stages its own column; BF16: 64 words of two channels hold the
// block's 128 channels). Words past the last channel copy the last one (never read garbage). B and C
// rows move as words when a row is a whole number of words, else element by element (BF16, odd N).
template <int NS, bool kOutput, class In>
__device__ __forceinline__ void stage_tile(Tile<NS, kOutput, In>& s, const SelectiveScanParams& p, int64_t t, int cnt, int64_t d) {
  const In* dt = static_cast<const In*>(p.delta);
  const In* x = static_cast<const In*>(p.x);
  const In* z = static_cast<const In*>(p.z);
  if constexpr (kPerWord<In> == 1) {  // FP32: each thread its own channel in every row
    const int j = threadIdx.x;
    const int64_t dd = d < p.Di ? d : p.Di - 1;
#pragma unroll
    for (int tt = 0; tt < kTile; ++tt) {
      if (tt < cnt) {
        const int64_t i = (t + tt) * p.Di + dd;
        copy4(&s.dt[tt][j], dt + i);
        copy4(&s.x[tt][j], x + i);
        if (kOutput && z) copy4(&s.z[tt][j], z + i);
      }
    }
  } else {  // BF16: word w = channels 2w, 2w+1 of the block; threads 0-63 take the even rows, 64-127 the odd
    constexpr int kWords = kThreadsOf<In> / kPerWord<In>, kRowsPerPass = kPerWord<In>;
    const int c = (threadIdx.x % kWords) * kPerWord<In>;
    const int col = static_cast<int>(std::min<int64_t>(d - threadIdx.x + c, p.Di - kPerWord<In>));  // d_inner < 2^31
#pragma unroll
    for (int tt0 = 0; tt0 < kTile; tt0 += kRowsPerPass) {
      const int tt = tt0 + threadIdx.x / kWords;
      if (tt < cnt) {
        const int64_t i = (t + tt) * p.Di + col;
        copy4(&s.dt[tt][c], dt + i);
        copy4(&s.x[tt][c], x + i);
        if (kOutput && z) copy4(&s.z[tt][c], z + i);
      }
    }
  }
  const In* B = static_cast<const In*>(p.B);
  const In* C = static_cast<const In*>(p.C);
  const int N = static_cast<int>(p.N);
  if (N % kPerWord<In> == 0) {
    const int words = N / kPerWord<In>;
    for (int i = threadIdx.x; i < cnt * words; i += kThreadsOf<In>) {
      const int tt = i / words, n = (i % words) * kPerWord<In>;
      copy4(&s.B[tt][n], B + (t + tt) * p.N + n);
      if (kOutput) copy4(&s.C[tt][n], C + (t + tt) * p.N + n);
    }
  } else {
    for (int i = threadIdx.x; i < cnt * N; i += kThreadsOf<In>) {
      const int tt = i / N, n = i % N;
      s.B[tt][n] = B[(t + tt) * p.N + n];
      if (kOutput) s.C[tt][n] = C[(t + tt) * p.N + n];
    }
  }
  copies_commit();
}

// Runs `body(tile, cnt)` over tokens [t0, t1) in tiles, two shared-memory buffers deep: the copies of
// tile k + 1 are in flight while tile k is computed.
template <int NS, bool kOutput, class In, class Body>
__device__ __forceinline__ void for_each_tile(Tile<NS, kOutput, In> (&s)[2], const SelectiveScanParams& p, int64_t t0, int64_t t1, int64_t d,
                                              Body&& body) {
  const int64_t n_tiles = (t1 - t0 + kTile - 1) / kTile;
  if (n_tiles <= 0) return;
  // State dims N..NS-1 are padding: zero B and C there once (the copies never write them), so they
  // contribute exactly nothing.
  const int N = static_cast<int>(p.N);
  if (N < NS)
    for (int i = threadIdx.x; i < 2 * kTile * NS; i += kThreadsOf<In>) {
      const int buf = i / (kTile * NS), tt = i / NS % kTile, n = i % NS;
      if (n >= N) {
        s[buf].B[tt][n] = In(0.0f);
        if (kOutput) s[buf].C[tt][n] = In(0.0f);
      }
    }
  stage_tile(s[0], p, t0, static_cast<int>(std::min<int64_t>(kTile, t1 - t0)), d);
  for (int64_t k = 0; k < n_tiles; ++k) {
    const int64_t t = t0 + k * kTile;
    if (k + 1 < n_tiles) {
      stage_tile(s[(k + 1) & 1], p, t + kTile, static_cast<int>(std::min<int64_t>(kTile, t1 - t - kTile)), d);
      copies_wait<1>();
    } else {
      copies_wait<0>();
    }
    __syncthreads();  // tile k is in shared memory for every thread
    if constexpr (!std::is_same_v<In, float>) {  // BF16: widen its B and C rows (padding included) once
      Tile<NS, kOutput, In>& cur = s[k & 1];
      const int cnt = static_cast<int>(std::min<int64_t>(kTile, t1 - t));
      for (int i = threadIdx.x; i < cnt * NS; i += kThreadsOf<In>) {
        const int tt = i / NS, n = i % NS;
        cur.Bf[tt][n] = to_f32(cur.B[tt][n]);
        if (kOutput) cur.Cf[tt][n] = to_f32(cur.C[tt][n]);
      }
      __syncthreads();
    }
    body(s[k & 1], t, static_cast<int>(std::min<int64_t>(kTile, t1 - t)));
    __syncthreads();  // tile k's buffer may be overwritten by the copies of tile k + 2
  }
}

// Pass 1: each chunk but the last from a zero state: its end state and its Δ sum (the chunk's decay
// is exp(A ΣΔ), formed in pass 2).
template <int NS, class In>
__global__ void __launch_bounds__(kThreadsOf<In>, NS <= 16 ? 1024 / kThreadsOf<In> : 1) scan_summary_kernel(SelectiveScanParams p, int64_t chunk, float* __restrict__ end,
                                                                float* __restrict__ dsum) {
  __shared__ Tile<NS, false, In> s[2];
  const int64_t d = blockIdx.x * int64_t(kThreadsOf<In>) + threadIdx.x;
  const bool active = d < p.Di;
  const int N = static_cast<int>(p.N);
  const int64_t t0 = blockIdx.y * chunk, t1 = std::min<int64_t>(p.T, t0 + chunk);
  float A2[NS], h[NS];
#pragma unroll
  for (int n = 0; n < NS; ++n) {
    A2[n] = active && n < N ? p.A[d * N + n] * kLog2e : 0.0f;
    h[n] = 0.0f;
  }
  float sum = 0.0f;
  for_each_tile(s, p, t0, t1, d, [&](const Tile<NS, false, In>& tile, int64_t, int cnt) {
    for (int tt = 0; tt < cnt; ++tt) {
      const float dt = to_f32(tile.dt[tt][threadIdx.x]), dx = dt * to_f32(tile.x[tt][threadIdx.x]);
      sum += dt;
#pragma unroll
      for (int q = 0; q < NS / 4; ++q) {
        const float4 b = b_row(tile, tt)[q];
        h[4 * q + 0] = exp2_sfu(dt * A2[4 * q + 0]) * h[4 * q + 0] + dx * b.x;
        h[4 * q + 1] = exp2_sfu(dt * A2[4 * q + 1]) * h[4 * q + 1] + dx * b.y;
        h[4 * q + 2] = exp2_sfu(dt * A2[4 * q + 2]) * h[4 * q + 2] + dx * b.z;
        h[4 * q + 3] = exp2_sfu(dt * A2[4 * q + 3]) * h[4 * q + 3] + dx * b.w;
      }
    }
  });
  if (!active) return;
  float* e = end + (blockIdx.y * p.Di + d) * N;
#pragma unroll
  for (int n = 0; n < NS; ++n)
    if (n < N) e[n] = h[n];
  dsum[blockIdx.y * p.Di + d] = sum;
}

// Pass 2: start[c] = state after chunk c-1, chained over the chunks; one thread per (channel, dim).
__global__ void scan_combine_kernel(const float* __restrict__ state, const float* __restrict__ A, const float* __restrict__ end,
                                    const float* __restrict__ dsum, float* __restrict__ start, int64_t n_chunks, int64_t Di,
                                    int64_t N) {
  const int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x, stride = Di * N;
  if (i >= stride) return;
  const int64_t d = i / N;
  const float A2 = A[i] * kLog2e;
  float H = state[i];
  start[i] = H;
  for (int64_t c = 0; c + 1 < n_chunks; ++c) {
    H = exp2f(A2 * dsum[c * Di + d]) * H + end[c * stride + i];
    start[(c + 1) * stride + i] = H;
  }
}

// Pass 3: every chunk from its true start state: y (with D skip and z gate), checkpoints, final state.
template <int NS, class In>
__global__ void __launch_bounds__(kThreadsOf<In>, NS <= 16 ? 1024 / kThreadsOf<In> : 1) scan_output_kernel(SelectiveScanParams p, int64_t chunk, int64_t n_chunks,
                                                               const float* __restrict__ start) {
  __shared__ Tile<NS, true, In> s[2];
  const int64_t d = blockIdx.x * int64_t(kThreadsOf<In>) + threadIdx.x;
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
  // The next token of this chunk after which a checkpoint is due (absolute position q with (q+1) % every == 0).
  int64_t next_ck = INT64_MAX;
  if (p.checkpoints && p.every > 0) next_ck = ((p.pos0 + t0) / p.every + 1) * p.every - 1 - p.pos0;
  for_each_tile(s, p, t0, t1, d, [&](const Tile<NS, true, In>& tile, int64_t t, int cnt) {
    for (int tt = 0; tt < cnt; ++tt) {
      const float dt = to_f32(tile.dt[tt][threadIdx.x]), xv = to_f32(tile.x[tt][threadIdx.x]), dx = dt * xv;
      float acc = 0.0f;
#pragma unroll
      for (int q = 0; q < NS / 4; ++q) {
        const float4 b = b_row(tile, tt)[q], cc = c_row(tile, tt)[q];
        h[4 * q + 0] = exp2_sfu(dt * A2[4 * q + 0]) * h[4 * q + 0] + dx * b.x;
        h[4 * q + 1] = exp2_sfu(dt * A2[4 * q + 1]) * h[4 * q + 1] + dx * b.y;
        h[4 * q + 2] = exp2_sfu(dt * A2[4 * q + 2]) * h[4 * q + 2] + dx * b.z;
        h[4 * q + 3] = exp2_sfu(dt * A2[4 * q + 3]) * h[4 * q + 3] + dx * b.w;
        acc += h[4 * q + 0] * cc.x + h[4 * q + 1] * cc.y + h[4 * q + 2] * cc.z + h[4 * q + 3] * cc.w;
      }
      float yv = acc + Dd * xv;
      const int64_t tok = t + tt;
      if (p.y_ungated && active) p.y_ungated[tok * p.Di + d] = yv;
      if (p.z) {
        const float zv = to_f32(tile.z[tt][threadIdx.x]);
        yv *= zv / (1.0f + expf(-zv));
      }
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
  });
  if (active && c == n_chunks - 1) {
#pragma unroll
    for (int n = 0; n < NS; ++n)
      if (n < N) p.state[d * N + n] = h[n];
  }
}

int ns_for(int64_t N) { return N <= 4 ? 4 : N <= 8 ? 8 : N <= 16 ? 16 : N <= 32 ? 32 : 64; }

template <int NS, class In>
int resident_output_blocks() {
  static const int blocks = [] {
    int dev = 0, sms = 0, per_sm = 0;
    SS_CUDA(cudaGetDevice(&dev));
    SS_CUDA(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev));
    int per_sm_summary = 0;
    SS_CUDA(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, scan_output_kernel<NS, In>, kThreadsOf<In>, 0));
    SS_CUDA(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm_summary, scan_summary_kernel<NS, In>, kThreadsOf<In>, 0));
    return std::max(1, sms * std::max(1, std::min(per_sm, per_sm_summary)));
  }();
  return blocks;
}

template <class In>
int resident_blocks(int64_t N) {
  switch (ns_for(N)) {
    case 4: return resident_output_blocks<4, In>();
    case 8: return resident_output_blocks<8, In>();
    case 16: return resident_output_blocks<16, In>();
    case 32: return resident_output_blocks<32, In>();
    default: return resident_output_blocks<64, In>();
  }
}

template <int NS, class In>
void run_passes(const SelectiveScanParams& p, const ScanPlan& plan, float* ws, cudaStream_t s, cudaEvent_t* marks) {
  const dim3 grid_d(static_cast<unsigned>((p.Di + kThreadsOf<In> - 1) / kThreadsOf<In>), 1);
  const int64_t stride = p.Di * p.N;
  float* end = ws;                                   // [n_chunks - 1, Di, N]
  float* dsum = end + (plan.n_chunks - 1) * stride;  // [n_chunks - 1, Di]
  float* start = dsum + (plan.n_chunks - 1) * p.Di;  // [n_chunks, Di, N]
  if (marks) SS_CUDA(cudaEventRecord(marks[0], s));
  if (plan.n_chunks > 1) {
    scan_summary_kernel<NS, In><<<dim3(grid_d.x, static_cast<unsigned>(plan.n_chunks - 1)), kThreadsOf<In>, 0, s>>>(p, plan.chunk, end, dsum);
    SS_LAUNCHED("selective_scan_summary");
  }
  if (marks) SS_CUDA(cudaEventRecord(marks[1], s));
  if (plan.n_chunks > 1) {
    scan_combine_kernel<<<static_cast<unsigned>((stride + 255) / 256), 256, 0, s>>>(p.state, p.A, end, dsum, start, plan.n_chunks, p.Di, p.N);
    SS_LAUNCHED("selective_scan_combine");
  }
  if (marks) SS_CUDA(cudaEventRecord(marks[2], s));
  scan_output_kernel<NS, In><<<dim3(grid_d.x, static_cast<unsigned>(plan.n_chunks)), kThreadsOf<In>, 0, s>>>(p, plan.chunk, plan.n_chunks, start);
  SS_LAUNCHED("selective_scan_output");
  if (marks) SS_CUDA(cudaEventRecord(marks[3], s));
}

template <class In>
void dispatch_ns(const SelectiveScanParams& p, const ScanPlan& plan, float* ws, cudaStream_t s, cudaEvent_t* marks) {
  switch (ns_for(p.N)) {
    case 4: return run_passes<4, In>(p, plan, ws, s, marks);
    case 8: return run_passes<8, In>(p, plan, ws, s, marks);
    case 16: return run_passes<16, In>(p, plan, ws, s, marks);
    case 32: return run_passes<32, In>(p, plan, ws, s, marks);
    default: return run_passes<64, In>(p, plan, ws, s, marks);
  }
}

void dispatch(const SelectiveScanParams& p, const ScanPlan& plan, float* ws, cudaStream_t s, cudaEvent_t* marks) {
  if (p.input == ScanInput::bf16) {
    // Channel rows move as 4-byte words of two channels: an even d_inner keeps every row word-aligned.
    if (p.Di % 2) throw std::invalid_argument("selective_scan: bf16 inputs need an even d_inner (got " + std::to_string(p.Di) + ")");
    return dispatch_ns<__nv_bfloat16>(p, plan, ws, s, marks);
  }
  dispatch_ns<float>(p, plan, ws, s, marks);
}

}  // namespace

ScanPlan plan_selective_scan(const SelectiveScanParams& p) {
  ScanPlan plan;
  if (p.T <= 0) return plan;
  // Enough chunks that one wave of output blocks fills the GPU, each chunk at least 4 tiles long.
  const bool bf16 = p.input == ScanInput::bf16;
  const int64_t block = bf16 ? kThreadsOf<__nv_bfloat16> : kThreadsOf<float>;
  const int64_t d_blocks = (p.Di + block - 1) / block;
  const int resident = bf16 ? resident_blocks<__nv_bfloat16>(p.N) : resident_blocks<float>(p.N);
  const int64_t want = std::max<int64_t>(1, resident / d_blocks);
  const int64_t max_chunks = std::max<int64_t>(1, p.T / (4 * kTile));
  const int64_t n = std::min(want, max_chunks);
  plan.chunk = ((p.T + n - 1) / n + kTile - 1) / kTile * kTile;
  plan.n_chunks = (p.T + plan.chunk - 1) / plan.chunk;
  plan.workspace_floats = plan.n_chunks > 1 ? (2 * plan.n_chunks - 1) * p.Di * p.N + (plan.n_chunks - 1) * p.Di : 0;
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
