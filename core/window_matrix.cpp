#include "window_matrix.h"

#include <cmath>
#include <cstdio>

#include <Eigen/SVD>

#include "error.h"

namespace ss {

namespace {

// The pieces of one channel (Mamba-1) or head (Mamba-2) that every cell needs.
struct SsmView {
  int64_t W = 0, N = 0;
  std::vector<double> delta;   // [W] Δ of this channel / head
  std::vector<double> prefix;  // [W] Σ_{k<=i} Δ_k
  std::vector<double> A;       // Mamba-1: [N]; Mamba-2: [1]
  const float* B = nullptr;    // row i at B + i * stride (N values)
  const float* C = nullptr;
  int64_t stride = 0;
  bool per_state_decay = true;  // Mamba-1: exp(A[n] ...) per state dim; Mamba-2: one scalar
};

SsmView ssm_view(const LayerWindow& w, const Tensor& A, int index) {
  SsmView v;
  v.W = w.t1 - w.t0;
  if (w.delta.empty() || w.B.empty()) throw Error("", "window", "needs the gate part (Δ, B, C) to build M");
  if (w.kind == MixerKind::Mamba) {
    const int64_t Di = w.delta.size(1);
    if (index < 0 || index >= Di) throw Error("", "channel", std::to_string(index) + " is outside 0.." + std::to_string(Di - 1));
    v.N = w.B.size(1);
    v.stride = v.N;
    v.B = w.B.data();
    v.C = w.C.data();
    for (int64_t i = 0; i < v.W; ++i) v.delta.push_back(w.delta.data()[i * Di + index]);
    for (int64_t n = 0; n < v.N; ++n) v.A.push_back(A.data()[index * v.N + n]);
  } else {
    const int64_t H = w.delta.size(1), G = w.B.size(1);
    if (index < 0 || index >= H) throw Error("", "head", std::to_string(index) + " is outside 0.." + std::to_string(H - 1));
    const int64_t g = index / (H / G);
    v.N = w.B.size(2);
    v.stride = G * v.N;
    v.B = w.B.data() + g * v.N;
    v.C = w.C.data() + g * v.N;
    for (int64_t i = 0; i < v.W; ++i) v.delta.push_back(w.delta.data()[i * H + index]);
    v.A.push_back(A.data()[index]);
    v.per_state_decay = false;
  }
  double s = 0;
  for (double d : v.delta) v.prefix.push_back(s += d);
  return v;
}

double cell(const SsmView& v, int64_t i, int64_t j, std::vector<double>* terms) {
  const double S = v.prefix[i] - v.prefix[j];  // Σ_{k=j+1..i} Δ_k
  const float* Ci = v.C + i * v.stride;
  const float* Bj = v.B + j * v.stride;
  if (v.per_state_decay) {
    double m = 0;
    for (int64_t n = 0; n < v.N; ++n) {
      const double t = double(Ci[n]) * Bj[n] * v.delta[j] * std::exp(v.A[n] * S);
      if (terms) terms->push_back(t);
      m += t;
    }
    return m;
  }
  double cb = 0;
  for (int64_t n = 0; n < v.N; ++n) cb += double(Ci[n]) * Bj[n];
  const double decay = std::exp(v.A[0] * S);
  if (terms) *terms = {cb, decay};
  return cb * v.delta[j] * decay;
}

}  // namespace

MatrixD window_matrix(const LayerWindow& w, const Tensor& A, int index) {
  const int64_t W = w.t1 - w.t0;
  if (w.kind == MixerKind::Attention) {
    if (w.attn.empty()) throw Error("", "window", "needs the attention part to show the probabilities");
    MatrixD M(W, W);
    for (int64_t i = 0; i < W; ++i)
      for (int64_t j = 0; j < W; ++j) M(i, j) = w.attn.data()[i * W + j];
    return M;
  }
  const SsmView v = ssm_view(w, A, index);
  MatrixD M = MatrixD::Zero(W, W);
  double amax = INFINITY;  // the slowest decay: past this the whole row's remaining terms underflow
  for (double a : v.A) amax = std::min(amax, -a);
  if (!std::isfinite(amax)) amax = 0;
  for (int64_t i = 0; i < W; ++i)
    for (int64_t j = i; j >= 0; --j) {
      if (amax > 0 && -amax * (v.prefix[i] - v.prefix[j]) < -745) break;  // exp() is 0 in double from here on
      M(i, j) = cell(v, i, j, nullptr);
    }
  return M;
}

MatrixF window_matrix_blocked(const LayerWindow& w, const Tensor& A, int index) {
  const int64_t W = w.t1 - w.t0;
  if (w.kind == MixerKind::Attention) {
    if (w.attn.empty()) throw Error("", "window", "needs the attention part to show the probabilities");
    return Eigen::Map<const MatrixF>(w.attn.data(), W, W);
  }
  const SsmView v = ssm_view(w, A, index);
  const int64_t N = v.N;
  auto a_of = [&](int64_t n) { return v.per_state_decay ? v.A[n] : v.A[0]; };
  MatrixF M = MatrixF::Zero(W, W);
  constexpr int64_t kBlock = 64;
  MatrixD Cp, Bp;  // [rows of the block, N], [columns before the block, N]
  for (int64_t r0 = 0; r0 < W; r0 += kBlock) {
    const int64_t r1 = std::min(W, r0 + kBlock);
    for (int64_t i = r0; i < r1; ++i)  // the block's diagonal square, cell by cell
      for (int64_t j = r0; j <= i; ++j) M(i, j) = static_cast<float>(cell(v, i, j, nullptr));
    if (r0 == 0) continue;
    const double Pr = v.prefix[r0];
    Cp.resize(r1 - r0, N);
    for (int64_t i = r0; i < r1; ++i)
      for (int64_t n = 0; n < N; ++n) Cp(i - r0, n) = double(v.C[i * v.stride + n]) * std::exp(a_of(n) * (v.prefix[i] - Pr));
    Bp.resize(r0, N);
    for (int64_t j = 0; j < r0; ++j)
      for (int64_t n = 0; n < N; ++n) Bp(j, n) = double(v.B[j * v.stride + n]) * v.delta[j] * std::exp(a_of(n) * (Pr - v.prefix[j]));
    M.block(r0, 0, r1 - r0, r0) = (Cp * Bp.transpose()).cast<float>();
  }
  return M;
}

CellTerms window_matrix_terms(const LayerWindow& w, const Tensor& A, int index, int64_t i, int64_t j) {
  CellTerms t;
  char buf[512];
  if (w.kind == MixerKind::Attention) {
    const int64_t W = w.t1 - w.t0;
    t.value = w.attn.empty() ? 0.0 : w.attn.data()[i * W + j];
    std::snprintf(buf, sizeof buf, "p[%lld, %lld] = exp(q_i·k_j/√d) / Σ_k≤i exp(q_i·k_k/√d) = %.4g",
                  static_cast<long long>(w.t0 + i), static_cast<long long>(w.t0 + j), t.value);
    t.formula = buf;
    return t;
  }
  const SsmView v = ssm_view(w, A, index);
  if (j > i) {
    t.formula = "above the diagonal: M[i, j] = 0 (causal)";
    return t;
  }
  t.value = cell(v, i, j, &t.per_state);
  t.delta_j = v.delta[j];
  t.decay_sum = v.prefix[i] - v.prefix[j];
  const long long gi = w.t0 + i, gj = w.t0 + j;
  if (w.kind == MixerKind::Mamba) {
    std::snprintf(buf, sizeof buf, "M[%lld, %lld] = Σ_n C_%lld[n]·B_%lld[n]·Δ_%lld·exp(A[n]·ΣΔ)  with Δ_%lld = %.4g, ΣΔ(%lld..%lld] = %.4g  →  %.4g",
                  gi, gj, gi, gj, gj, gj, t.delta_j, gj, gi, t.decay_sum, t.value);
  } else {
    std::snprintf(buf, sizeof buf, "M[%lld, %lld] = (C_%lld·B_%lld) · Δ_%lld · exp(A·ΣΔ) = %.4g · %.4g · %.4g = %.4g",
                  gi, gj, gi, gj, gj, t.per_state[0], t.delta_j, t.per_state[1], t.value);
  }
  t.formula = buf;
  return t;
}

int numerical_rank(const MatrixD& block, double rel_tol, std::vector<double>* singular) {
  if (block.size() == 0) return 0;
  Eigen::BDCSVD<Eigen::MatrixXd> svd(block);
  const Eigen::VectorXd s = svd.singularValues();
  if (singular) singular->assign(s.data(), s.data() + s.size());
  if (s.size() == 0 || s(0) == 0) return 0;
  int r = 0;
  for (int k = 0; k < s.size(); ++k) r += s(k) > rel_tol * s(0);
  return r;
}

}  // namespace ss
