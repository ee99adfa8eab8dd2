#include "scan_matrix_check.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "error.h"

namespace ss {

ScanMatrixCheck scan_vs_matrix(const LayerWindow& w, const Tensor& A, int index, const MatrixF& M, const Tensor& h_before) {
  if (w.kind == MixerKind::Attention) throw Error("", "window", "an attention layer has no scan to compare");
  if (w.delta.empty() || w.B.empty() || w.C.empty() || w.x.empty()) throw Error("", "window", "needs the gate part (x, Δ, B, C)");
  if (w.states.empty()) throw Error("", "window", "needs the states part (the scan's h_t)");
  const int64_t W = w.t1 - w.t0;
  if (M.rows() != W || M.cols() != W) throw Error("", "M", "is not [W, W] for the window's " + std::to_string(W) + " tokens");
  if (w.states.size(0) != W) throw Error("", "window", "states do not cover the window");
  const bool m1 = w.kind == MixerKind::Mamba;
  // Per token i: the scan input values x (one per head dim), the C row, and the state rows.
  const int64_t N = m1 ? w.B.size(1) : w.B.size(2);
  const int64_t H = w.delta.size(1);  // Mamba-1: Di channels; Mamba-2: heads
  if (index < 0 || index >= H) throw Error("", m1 ? "channel" : "head", std::to_string(index) + " is outside 0.." + std::to_string(H - 1));
  const int64_t P = m1 ? 1 : w.x.size(2);
  const int64_t G = m1 ? 1 : w.B.size(1);
  const int64_t g = m1 ? 0 : index / (H / G);
  const int64_t cstride = m1 ? N : G * N;
  const int64_t per_token_state = w.states.numel() / W;  // Di·N or H·P·N
  if (!h_before.empty() && h_before.numel() != per_token_state) throw Error("", "h_before", "does not have the layer's state shape");
  auto x_at = [&](int64_t i, int64_t p) { return double(w.x.data()[i * H * P + index * P + p]); };
  auto C_at = [&](int64_t i, int64_t n) { return double(w.C.data()[i * cstride + g * N + n]); };
  // The state row of (index, p): Mamba-1 [Di, N] at index; Mamba-2 [H, P, N] at (index, p).
  auto h_row = [&](const float* h, int64_t p) { return h + (index * P + p) * N; };
  const float* A_ = A.data();
  auto a_of = [&](int64_t n) { return m1 ? double(A_[index * N + n]) : double(A_[index]); };

  ScanMatrixCheck out;
  double prefix = 0;  // Σ_{k=0..i} Δ_k
  for (int64_t i = 0; i < W; ++i) {
    prefix += double(w.delta.data()[i * H + index]);
    const float* hi = w.states.data() + i * per_token_state;
    for (int64_t p = 0; p < P; ++p) {
      double scan = 0, carry = 0, mx = 0;
      const float* s = h_row(hi, p);
      for (int64_t n = 0; n < N; ++n) scan += C_at(i, n) * s[n];
      if (!h_before.empty()) {
        const float* h0 = h_row(h_before.data(), p);
        for (int64_t n = 0; n < N; ++n) carry += C_at(i, n) * std::exp(a_of(n) * prefix) * h0[n];
      }
      for (int64_t j = 0; j <= i; ++j) mx += double(M(i, j)) * x_at(j, p);
      out.max_abs_diff = std::max(out.max_abs_diff, std::abs(scan - (mx + carry)));
      out.max_abs_y = std::max(out.max_abs_y, std::abs(scan));
    }
  }
  return out;
}

}  // namespace ss
