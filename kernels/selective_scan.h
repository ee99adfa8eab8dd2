// Mamba-1 selective scan, fused: discretisation (exp(Δ A)), the scan over the N state dims, the C
// readout, the D skip and the z gate in one pass over the inputs, with state checkpoints.
//
//   h_t = exp(Δ_t A) ∘ h_{t-1} + (Δ_t x_t) B_t^T      [Di, N]
//   y_t = h_t C_t + D ∘ x_t ;  y_t *= silu(z_t)       [Di]
//
// Parallel over channels and over time: the sequence is cut into chunks; pass 1 runs each chunk
// from a zero state and keeps its end state and its Δ sum (the chunk's decay is exp(A ΣΔ)), pass 2 chains those across chunks
// (one short sequential loop per (channel, state dim)), pass 3 reruns every chunk from its true
// start state and writes y, the checkpoints and the final state. One chunk (short inputs) is pass 3
// alone.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace ss::cuda {

// Element type of the inputs x, Δ, z, B and C. A, D, the state, y and the checkpoints are FP32 always.
enum class ScanInput { f32, bf16 };  // bf16: __nv_bfloat16, d_inner even; the arithmetic stays FP32

struct SelectiveScanParams {
  ScanInput input = ScanInput::f32;
  const void* x = nullptr;       // [T, Di]   `input` type
  const void* delta = nullptr;   // [T, Di]   `input` type, Δ after softplus
  const float* A = nullptr;      // [Di, N]
  const void* B = nullptr;       // [T, N]    `input` type
  const void* C = nullptr;       // [T, N]    `input` type
  const float* D = nullptr;      // [Di]
  const void* z = nullptr;       // [T, Di]   `input` type, or null (no gate)
  float* y = nullptr;            // [T, Di] out
  float* y_ungated = nullptr;    // [T, Di] out, or null: y before the z gate (observation only; y is unchanged)
  float* state = nullptr;        // [Di, N] in: h before token 0; out: h after the last token
  float* checkpoints = nullptr;  // [n_ck, Di, N] out, or null
  int64_t T = 0, Di = 0, N = 0;
  int64_t pos0 = 0;              // absolute position of token 0
  int64_t every = 0;             // > 0: checkpoint h after absolute positions p with (p + 1) % every == 0
};

constexpr int64_t kSelectiveScanMaxN = 64;  // larger N falls back to the CPU path

// How the sequence is cut for this GPU.
struct ScanPlan {
  int64_t chunk = 0;     // tokens per chunk (a multiple of the shared-memory tile)
  int64_t n_chunks = 0;
  int64_t workspace_floats = 0;  // scratch the launcher needs (0 for one chunk)
};
ScanPlan plan_selective_scan(const SelectiveScanParams& p);

// Runs the three passes on stream s; `workspace` holds plan.workspace_floats floats.
void selective_scan(const SelectiveScanParams& p, const ScanPlan& plan, float* workspace, cudaStream_t s);

// Time of each pass, for the benchmark's "where the time goes" table (milliseconds, synchronises).
struct ScanPassTimes { float summary = 0, combine = 0, output = 0; };
ScanPassTimes selective_scan_timed(const SelectiveScanParams& p, const ScanPlan& plan, float* workspace, cudaStream_t s);

}  // namespace ss::cuda
