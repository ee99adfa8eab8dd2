// Mamba-2 SSD on tensor cores: BF16 x, B, C; FP32 Δ, A, D, state and accumulation (issue 3).
//
// The same op as ssd_scan.h (and the CPU reference core/cpu_ssd.cpp), per head h with a_t = Δ_t A_h:
//   h_t = exp(a_t) h_{t-1} + Δ_t x_t B_t^T     [P, N]
//   y_t = h_t C_t + D_h x_t                    [P]
// computed in the SSD matrix form over chunks of Q tokens. Chunks are aligned to absolute positions
// (chunk c holds positions c*Q .. c*Q+Q-1), so the first chunk of a call with pos0 % Q != 0 is partial
// at its head and the last one at its tail; missing tokens act as identity steps (Δ = 0, x = B = C = 0).
// Per chunk, with s_i = a_0 + ... + a_i (FP32, in log2 units):
//   y   = (L ∘ C B^T)(Δ x)  +  diag(exp(s)) C h_prev^T  +  D x      L[i,j] = exp(s_i - s_j), j <= i
//   h   = exp(s_{Q-1}) h_prev + (Δ x)^T (exp(s_{Q-1} - s) ∘ B)
// Every product is mma.sync m16n8k16 (BF16 operands, FP32 accumulators); the masked decay is applied
// to C B^T in FP32 registers before it is rounded to BF16 for the second product, and h_prev is rounded
// to BF16 only as an operand of the C h_prev^T product (the carried state stays FP32).
//
// Three kernels (see ssd_chunked_bf16.cu): (1) each segment of K consecutive chunks but the last runs
// its chunks' state updates from zero and keeps its end state and decay; (2) a short sequential pass
// chains the segment states; (3) each segment reruns its chunks from its true start state, writing y,
// the checkpoints and (last segment) the final state. The state between chunks never leaves registers.
//
// Requirements (ssd_bf16_supported says which one fails): a GPU of compute capability 8.0 or newer and
// a build that contains sm_80+ code (an sm_75-only build compiles the kernels empty and reports them
// unsupported, so the caller keeps the FP32 path ssd_scan.h); P = 64, N = 64 or 128, chunk 64 or 128;
// H a multiple of G; checkpoints only when `every` is a multiple of the chunk size (then every
// checkpoint falls on a chunk end). Anything else: use the FP32 path.
#pragma once

#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <cstdint>
#include <string>

namespace ss::cuda {

struct SsdBf16Params {
  const __nv_bfloat16* x = nullptr;  // [T, H, P]
  const float* delta = nullptr;      // [T, H]   Δ after softplus and clamp
  const float* A = nullptr;          // [H]      negative
  const __nv_bfloat16* B = nullptr;  // [T, G, N]
  const __nv_bfloat16* C = nullptr;  // [T, G, N]
  const float* D = nullptr;          // [H], or null for no skip term
  float* y = nullptr;                // [T, H, P] out (FP32), or null when y_bf16 is given
  __nv_bfloat16* y_bf16 = nullptr;   // [T, H, P] out (BF16), or null when y is given
  float* state = nullptr;            // [H, P, N] in/out, FP32
  float* checkpoints = nullptr;      // [n_ck, H, P, N] out: state after each token t with (pos0 + t + 1) % every == 0, or null
  int64_t T = 0, H = 0, P = 0, G = 1, N = 0;
  int64_t pos0 = 0, every = 0;
  int chunk = 64;                    // Q: 64 or 128
};

// True when the tensor-core path can run these shapes on the current device; otherwise *why_not says why.
bool ssd_bf16_supported(const SsdBf16Params& p, std::string* why_not = nullptr);

struct SsdBf16Plan {
  int64_t first_chunk = 0;        // absolute index of the chunk holding position pos0
  int64_t n_chunks = 0;           // chunks touched by this call
  int64_t seg_chunks = 0;         // K: chunks per segment
  int64_t n_segs = 0;             // segments (blocks per head)
  int64_t workspace_floats = 0;   // FP32 scratch the caller allocates (0 when n_segs == 1)
};
// waves: output blocks per resident block slot of the device (H blocks per segment); more segments
// mean more parallelism but more segment states through memory and more work in pass 1.
SsdBf16Plan plan_ssd_bf16(const SsdBf16Params& p, double waves = 2.0);

// Runs the op on stream s; workspace holds plan.workspace_floats floats. Inputs must not alias outputs.
// Callers holding FP32 x, B, C convert them with to_bf16 (bf16_convert.h).
void ssd_bf16(const SsdBf16Params& p, const SsdBf16Plan& plan, float* workspace, cudaStream_t s);

}  // namespace ss::cuda
