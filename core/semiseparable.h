// Analysis of recorded SSM traces: the semiseparable matrix an SSM layer applies to its input over a
// window of tokens (BACKGROUND.md §4), and the hidden state after any token.
//
// Every function reads a TraceStore filled by a run that started from the initial (zero) state at
// position 0, so trace row t is token t (a forward followed by steps reads as one sequence). For
// layer l it needs these traces (an ss::Error names the one missing):
//   Mamba-2: mamba2.x, mamba2.delta, mamba2.B, mamba2.C, and mamba2.strided_states if kept;
//   Mamba-1 (and Jamba's Mamba layers): mamba.x, mamba.delta, mamba.B, mamba.C, mamba.strided_states if kept.
// A comes from the mixer (Mixer::ssm_A()). Window indices i, j below are relative to t0.
//
// With these, the SSM output of the window (traced mamba2.y / mamba.y, minus the D skip) is
//   y_i - D x_i = Σ_{j <= i} M[i, j] x_j + carry_in[i]
// where carry_in is what the state entering the window (after token t0 - 1) contributes.
#pragma once

#include <cstdint>

#include "layer.h"
#include "tensor.h"
#include "trace_store.h"

namespace ss {

// Mamba-2, one head h over tokens [t0, t1), W = t1 - t0:                                   [W, W]
//   M[i, j] = C_i·B_j · exp(Σ_{k=j+1..i} Δ_k A_h) · Δ_j   for j <= i, 0 above the diagonal
// (B, C of the head's group). The same M multiplies every one of the head's P channels.
Tensor ssd_matrix(const TraceStore& traces, const Mixer& mixer, int layer, int head, int64_t t0, int64_t t1);

// Mamba-1, one channel c over tokens [t0, t1):                                              [W, W]
//   M_c[i, j] = Σ_n C_i[n] B_j[n] · exp(Σ_{k=j+1..i} Δ_k[c] A[c, n]) · Δ_j[c]   for j <= i
Tensor mamba_channel_matrix(const TraceStore& traces, const Mixer& mixer, int layer, int channel, int64_t t0, int64_t t1);

// The contribution of the state h_{t0-1} entering the window (zero when t0 = 0):
//   Mamba-2 head h:    carry[i, p] = exp(Σ_{k=t0..i} Δ_k A_h) · (h_{t0-1}[h] C_i)[p]          [W, P]
//   Mamba-1 channel c: carry[i] = Σ_n exp(Σ_{k=t0..i} Δ_k[c] A[c, n]) h_{t0-1}[c, n] C_i[n]  [W]
Tensor ssd_carry_in(const TraceStore& traces, const Mixer& mixer, int layer, int head, int64_t t0, int64_t t1);
Tensor mamba_channel_carry_in(const TraceStore& traces, const Mixer& mixer, int layer, int channel, int64_t t0, int64_t t1);

// The SSM state after token t (t = -1: before the first token, zeros), recomputed from the nearest
// strided state at or before t with the recurrent step's own arithmetic (ssd_token /
// selective_scan_token), so it is exactly the strided state at its positions. Cost: at most
// state_stride steps. Mamba-2 [H, P, N]; Mamba-1 [Di, N]. Dispatches on mixer.kind().
Tensor state_at(const TraceStore& traces, const Mixer& mixer, int layer, int64_t t);

}  // namespace ss
