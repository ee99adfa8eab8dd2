// The duality of an SSM layer, checked on the explorer's window (Dao & Gu 2024, BACKGROUND.md §4):
// the layer's scan output against the matrix form the matrix view shows.
//
//   scan:    y_i = C_i · h_i, with h_i the states the model's own recurrent scan recorded
//            (LayerWindow::states, the window traced with kWindowStates)
//   matrix:  (M x)_i + carry_i = Σ_{j <= i} M[i, j] x_j + C_i · (exp(A Σ_{k=0..i} Δ_k) ∘ h_before)
//
// where M is window_matrix_blocked() over the same window, x the scan input and h_before the state
// entering the window (after token t0 - 1; empty = zeros, when t0 = 0). Mamba-1 channel c: one value
// per token; Mamba-2 head h: P values per token (the same M for all of them). The D skip is on both
// sides and left out. Computed in double.
#pragma once

#include "tensor.h"
#include "window_matrix.h"

namespace ss {

struct ScanMatrixCheck {
  double max_abs_diff = 0;  // max over the window (and head dims) of |y_scan - (M x + carry)|
  double max_abs_y = 0;     // max |y_scan|: the scale the difference is read against
};

// `w`: an SSM window with its gate and states parts; `A`: Exploration::ssm_A(w.layer); `index`: the
// channel (Mamba-1) or head (Mamba-2) M belongs to; `M`: [W, W]; `h_before`: Mamba-1 [Di, N],
// Mamba-2 [H, P, N], or empty. Throws ss::Error when a part is missing or a shape does not fit.
ScanMatrixCheck scan_vs_matrix(const LayerWindow& w, const Tensor& A, int index, const MatrixF& M, const Tensor& h_before);

}  // namespace ss
