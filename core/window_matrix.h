// The matrix a sequence-mixing layer applies over a token window, y = M x (SSD view, Dao & Gu 2024):
//
//   Mamba-1, channel c:  M[i, j] = Σ_n C_i[n] B_j[n] Δ_j[c] exp(A[c, n] Σ_{k=j+1..i} Δ_k[c])
//   Mamba-2, head h:     M[i, j] = (C_i · B_j)[group of h] Δ_j[h] exp(A_h Σ_{k=j+1..i} Δ_k[h])
//   attention, head h:   M[i, j] = softmax_j(q_i · k_j / sqrt(d))   (the traced probabilities)
//
// for j <= i inside the window (0 above the diagonal). The SSM matrices are semiseparable: every block
// strictly below the diagonal has rank <= N. With a zero state before the window,
// y_i = Σ_j M[i, j] x_j + D x_i (per channel for Mamba-1, per head and head dim for Mamba-2).
// Shapes: W = window length, i and j are offsets inside the window. Computed in double.
#pragma once

#include <string>
#include <vector>

#include <Eigen/Core>

#include "exploration.h"

namespace ss {

using MatrixD = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// M of channel (Mamba-1) or head (Mamba-2 / attention) `index` over the window `w` ([W, W]).
// `A` is Exploration::ssm_A(w.layer). An SSM window needs its gate part; attention its attention part.
MatrixD window_matrix(const LayerWindow& w, const Tensor& A, int index);

// The same matrix for the explorer's large windows (up to 8K x 8K), stored in float. Rows are done in
// blocks of 64: cells inside a block's diagonal square as above; the rest as one product per block,
//   M[i, j] = Σ_n (C_i[n] e^{A_n (P_i - P_r)}) (B_j[n] Δ_j e^{A_n (P_r - P_j)}),  r = the block's first row,
// (P = prefix sums of Δ), where both exponents are <= 0, so nothing overflows. O(W² N) multiply-adds
// in double, W N exponentials per block; matches window_matrix() to float rounding.
using MatrixF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
MatrixF window_matrix_blocked(const LayerWindow& w, const Tensor& A, int index);

// What M[i, j] is made of, for the explorer's "click a cell" readout.
struct CellTerms {
  double value = 0;             // M[i, j]
  double delta_j = 0;           // Δ_j (SSM)
  double decay_sum = 0;         // Σ_{k=j+1..i} Δ_k (SSM)
  std::vector<double> per_state;  // Mamba-1: the N terms C_i[n] B_j[n] Δ_j exp(A[n] ΣΔ); Mamba-2: [C_i·B_j, exp(A ΣΔ)]
  std::string formula;          // a one-line readout with the numbers
};
CellTerms window_matrix_terms(const LayerWindow& w, const Tensor& A, int index, int64_t i, int64_t j);

// Numerical rank: singular values above rel_tol * the largest. `singular` receives them, largest first.
int numerical_rank(const MatrixD& block, double rel_tol = 1e-6, std::vector<double>* singular = nullptr);

}  // namespace ss
