// CPU reference for the causal depthwise conv1d and the Mamba-1 selective scan.
#include <cmath>
#include <cstring>
#include <stdexcept>

#include "cpu_backend.h"

namespace ss {


Tensor CpuBackend::conv1d_causal(const Tensor& x, const Tensor& w, const Tensor* bias, Tensor& state, bool apply_silu) {
  const int64_t T = x.size(0), C = x.size(1), K = w.size(1);
  if (w.size(0) != C || state.size(0) != C || state.size(1) != K - 1)
    throw std::invalid_argument("conv1d_causal: x " + x.shape_string() + ", w " + w.shape_string() + ", state " + state.shape_string());
  // Time-major padded input: pad[0..K-2] = state (transposed), pad[K-1..] = x; rows of C channels,
  // so the inner loop runs over contiguous channels and vectorises.
  const int64_t L = T + K - 1;
  std::vector<float, Eigen::aligned_allocator<float>> pad(L * C), wt(K * C);  // [L, C], [K, C]
  for (int64_t c = 0; c < C; ++c) {
    for (int64_t k = 0; k < K - 1; ++k) pad[k * C + c] = state.data()[c * (K - 1) + k];
    for (int64_t k = 0; k < K; ++k) wt[k * C + c] = w.data()[c * K + k];
  }
  std::memcpy(pad.data() + (K - 1) * C, x.data(), T * C * sizeof(float));
  Tensor y = empty({T, C});  // [T, C]
  const float* bd = bias && !bias->empty() ? bias->data() : nullptr;
  for (int64_t t = 0; t < T; ++t) {
    float* out = y.data() + t * C;
    for (int64_t c = 0; c < C; ++c) out[c] = bd ? bd[c] : 0.0f;
    for (int64_t k = 0; k < K; ++k) {
      const float* p = pad.data() + (t + k) * C;
      const float* wk = wt.data() + k * C;
      for (int64_t c = 0; c < C; ++c) out[c] += wk[c] * p[c];
    }
  }
  if (apply_silu) {
    auto v = y.flat().array();
    v = v / (1.0f + (-v).exp());
  }
  for (int64_t c = 0; c < C; ++c)  // the last K-1 inputs become the new state
    for (int64_t k = 0; k < K - 1; ++k) state.data()[c * (K - 1) + k] = pad[(T + k) * C + c];
  return y;
}

void selective_scan_token(float* h, const float* x, const float* delta, const float* A, const float* B, const float* C,
                          const float* D, float* y_out, int64_t Di, int64_t N) {
  // exp(Δ A) for every (channel, state dim), as one contiguous vectorised exp.
  thread_local std::vector<float, Eigen::aligned_allocator<float>> decay;
  decay.resize(Di * N);
  float* e = decay.data();
  for (int64_t d = 0; d < Di; ++d)
    for (int64_t n = 0; n < N; ++n) e[d * N + n] = A[d * N + n] * delta[d];
  Eigen::Map<Eigen::ArrayXf> ea(e, Di * N);
  ea = ea.exp();
  // h = exp(Δ A) ∘ h + (Δ x) B^T
  for (int64_t d = 0; d < Di; ++d) {
    const float dx = delta[d] * x[d];
    float* hd = h + d * N;
    const float* ed = e + d * N;
    for (int64_t n = 0; n < N; ++n) hd[n] = ed[n] * hd[n] + dx * B[n];
  }
  // y = h C + D ∘ x
  Eigen::Map<Eigen::VectorXf> y(y_out, Di);
  y.noalias() = Eigen::Map<const RowMatrix>(h, Di, N) * Eigen::Map<const Eigen::VectorXf>(C, N);
  y.array() += Eigen::Map<const Eigen::ArrayXf>(D, Di) * Eigen::Map<const Eigen::ArrayXf>(x, Di);
}

static Tensor scan(CpuBackend& be, const SelectiveScanArgs& a) {
  const int64_t T = a.x->size(0), Di = a.x->size(1), N = a.A->size(1);
  if (a.delta->shape() != a.x->shape() || a.A->size(0) != Di || a.B->size(0) != T || a.B->size(1) != N ||
      a.C->shape() != a.B->shape() || a.D->numel() != Di || a.state->size(0) != Di || a.state->size(1) != N)
    throw std::invalid_argument("selective_scan: inconsistent shapes (x " + a.x->shape_string() + ", A " + a.A->shape_string() +
                                ", B " + a.B->shape_string() + ", state " + a.state->shape_string() + ")");
  Tensor y = be.empty({T, Di});  // [T, Di]
  const int64_t E = a.state_stride;
  int64_t n_states = 0;
  if (E > 0) {
    for (int64_t t = 0; t < T; ++t) n_states += (a.pos0 + t + 1) % E == 0;
    if (a.states) *a.states = be.empty({n_states, Di, N});  // [C, Di, N]
  }
  int64_t k = 0;
  for (int64_t t = 0; t < T; ++t) {
    selective_scan_token(a.state->data(), a.x->data() + t * Di, a.delta->data() + t * Di, a.A->data(), a.B->data() + t * N,
                         a.C->data() + t * N, a.D->data(), y.data() + t * Di, Di, N);
    if (E > 0 && a.states && (a.pos0 + t + 1) % E == 0)
      std::memcpy(a.states->data() + (k++) * Di * N, a.state->data(), Di * N * sizeof(float));
  }
  if (a.z && a.y_ungated) *a.y_ungated = be.clone(y);  // observation only: y before the gate
  if (a.z) {  // y *= silu(z)
    const auto z = a.z->flat().array();
    y.flat().array() *= z / (1.0f + (-z).exp());
  }
  return y;
}

// On the CPU the parallel form is the same exact recurrence over the whole chunk (with the
// projections batched around it); the CUDA backend parallelises over time.
Tensor CpuBackend::selective_scan(const SelectiveScanArgs& a) { return scan(*this, a); }

Tensor CpuBackend::selective_scan_step(const SelectiveScanArgs& a) {
  if (a.x->size(0) != 1) throw std::invalid_argument("selective_scan_step: expects one token, got " + a.x->shape_string());
  return scan(*this, a);
}

}  // namespace ss
