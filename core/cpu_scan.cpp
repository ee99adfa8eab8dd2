// CPU reference for the causal depthwise conv1d and the Mamba-1 selective scan.
#include <cmath>
#include <cstring>
#include <stdexcept>

#include "cpu_backend.h"

namespace ss {

using ArrayRows = Eigen::Array<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

Tensor CpuBackend::conv1d_causal(const Tensor& x, const Tensor& w, const Tensor* bias, Tensor& state, bool apply_silu) {
  const int64_t T = x.size(0), C = x.size(1), K = w.size(1);
  if (w.size(0) != C || state.size(0) != C || state.size(1) != K - 1)
    throw std::invalid_argument("conv1d_causal: x " + x.shape_string() + ", w " + w.shape_string() + ", state " + state.shape_string());
  // Work on a padded copy, channel-major: pad[c, 0..K-2] = state, pad[c, K-1..] = x[:, c].
  const int64_t L = T + K - 1;
  std::vector<float> pad(C * L);
  for (int64_t c = 0; c < C; ++c) {
    std::memcpy(&pad[c * L], state.data() + c * (K - 1), (K - 1) * sizeof(float));
    for (int64_t t = 0; t < T; ++t) pad[c * L + K - 1 + t] = x.data()[t * C + c];
  }
  Tensor y = empty({T, C});  // [T, C]
  const float* wd = w.data();
  const float* bd = bias && !bias->empty() ? bias->data() : nullptr;
  for (int64_t t = 0; t < T; ++t) {
    float* out = y.data() + t * C;
    for (int64_t c = 0; c < C; ++c) {
      const float* p = &pad[c * L + t];
      const float* wc = wd + c * K;
      float acc = bd ? bd[c] : 0.0f;
      for (int64_t k = 0; k < K; ++k) acc += wc[k] * p[k];
      out[c] = apply_silu ? acc / (1.0f + std::exp(-acc)) : acc;
    }
  }
  for (int64_t c = 0; c < C; ++c)  // the last K-1 inputs become the new state
    std::memcpy(state.data() + c * (K - 1), &pad[c * L + T], (K - 1) * sizeof(float));
  return y;
}

void selective_scan_token(float* h, const float* x, const float* delta, const float* A, const float* B, const float* C,
                          const float* D, float* y_out, int64_t Di, int64_t N) {
  Eigen::Map<ArrayRows> H(h, Di, N);                          // [Di, N]
  const Eigen::Map<const ArrayRows> Am(A, Di, N);             // [Di, N]
  const Eigen::Map<const Eigen::ArrayXf> dt(delta, Di);       // [Di]
  const Eigen::Map<const Eigen::ArrayXf> xv(x, Di);           // [Di]
  const Eigen::Map<const Eigen::RowVectorXf> Bv(B, N);        // [N]
  const Eigen::Map<const Eigen::VectorXf> Cv(C, N);           // [N]
  const Eigen::ArrayXf dx = dt * xv;                          // Δ x
  // h = exp(Δ A) ∘ h + (Δ x) B^T
  H = (Am.colwise() * dt).exp() * H + (dx.matrix() * Bv).array();
  Eigen::Map<Eigen::VectorXf> y(y_out, Di);
  y.noalias() = H.matrix() * Cv;
  y.array() += Eigen::Map<const Eigen::ArrayXf>(D, Di) * xv;
}

static Tensor scan(CpuBackend& be, const SelectiveScanArgs& a) {
  const int64_t T = a.x->size(0), Di = a.x->size(1), N = a.A->size(1);
  if (a.delta->shape() != a.x->shape() || a.A->size(0) != Di || a.B->size(0) != T || a.B->size(1) != N ||
      a.C->shape() != a.B->shape() || a.D->numel() != Di || a.state->size(0) != Di || a.state->size(1) != N)
    throw std::invalid_argument("selective_scan: inconsistent shapes (x " + a.x->shape_string() + ", A " + a.A->shape_string() +
                                ", B " + a.B->shape_string() + ", state " + a.state->shape_string() + ")");
  Tensor y = be.empty({T, Di});  // [T, Di]
  const int64_t E = a.checkpoint_every;
  int64_t n_ck = 0;
  if (E > 0) {
    for (int64_t t = 0; t < T; ++t) n_ck += (a.pos0 + t + 1) % E == 0;
    if (a.checkpoints) *a.checkpoints = be.empty({n_ck, Di, N});  // [C, Di, N]
  }
  int64_t ck = 0;
  for (int64_t t = 0; t < T; ++t) {
    selective_scan_token(a.state->data(), a.x->data() + t * Di, a.delta->data() + t * Di, a.A->data(), a.B->data() + t * N,
                         a.C->data() + t * N, a.D->data(), y.data() + t * Di, Di, N);
    if (E > 0 && a.checkpoints && (a.pos0 + t + 1) % E == 0)
      std::memcpy(a.checkpoints->data() + (ck++) * Di * N, a.state->data(), Di * N * sizeof(float));
  }
  if (a.z) {
    const float* z = a.z->data();
    float* yd = y.data();
    for (int64_t i = 0; i < T * Di; ++i) yd[i] *= z[i] / (1.0f + std::exp(-z[i]));
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
