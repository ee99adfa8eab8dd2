// Mamba-2 SSD over T tokens (A a scalar per head, B and C shared by the heads of a group):
//
//   h_t = exp(Δ_t A_h) h_{t-1} + Δ_t x_t B_t^T     [H, P, N]
//   y_t = h_t C_t + D_h x_t                          [H, P]
//
// Computed in chunks of the sequence, like the Mamba-1 scan (selective_scan.h): pass 1 runs each
// chunk from zero and keeps its end state and its decay, pass 2 chains the chunk states (a short
// recurrence over chunks), pass 3 reruns each chunk from its true start state, reading y out and
// writing the state checkpoints and the final state. The state update and readout are FP32 FMA
// (exact to rounding against the CPU reference; tensor cores in TF32 would not hold 1e-5).
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace ss::cuda {

struct SsdParams {
  const float* x = nullptr;      // [T, H, P]
  const float* delta = nullptr;  // [T, H]
  const float* A = nullptr;      // [H]
  const float* B = nullptr;      // [T, G, N]
  const float* C = nullptr;      // [T, G, N]
  const float* D = nullptr;      // [H]
  float* y = nullptr;            // [T, H, P] out
  float* state = nullptr;        // [H, P, N] in/out
  float* checkpoints = nullptr;  // [n_ck, H, P, N] out, or null
  int64_t T = 0, H = 0, P = 0, G = 1, N = 0;
  int64_t pos0 = 0, every = 0;
};

// N must be a multiple of 4 and 4, 8, 16 or 32 times a power of two, at most 256; otherwise the
// backend runs the op on the CPU.
bool ssd_supported(int64_t N);

struct SsdPlan {
  int64_t chunk = 0, n_chunks = 0, workspace_floats = 0;
};
SsdPlan plan_ssd(const SsdParams& p);
void ssd(const SsdParams& p, const SsdPlan& plan, float* workspace, cudaStream_t s);

}  // namespace ss::cuda
