// CPU reference for the Mamba-2 SSD (Dao & Gu 2024): the chunked matrix form and the recurrent step.
//
// Shapes: T tokens, H heads, P head dim, G groups (head h reads group h / (H/G)), N state dims,
// Q chunk size. Per head, with a_t = Δ_t A (a scalar, <= 0):
//   h_t = exp(a_t) h_{t-1} + Δ_t x_t B_t^T        [P, N]
//   y_t = h_t C_t + D x_t                          [P]
// Chunked form, for a chunk of Lc <= Q tokens starting from the state h_prev entering it; local
// indices i, j in [0, Lc), S(i, j) = a_{j+1} + ... + a_i (0 on the diagonal), s_i = a_0 + ... + a_i:
//   y_i  = Σ_{j<=i} (C_i·B_j) exp(S(i, j)) Δ_j x_j            diagonal block: (L ∘ C B^T)(Δ x)
//        + exp(s_i) h_prev C_i                                 the state entering the chunk
//        + D x_i
//   h_i  = exp(s_i) h_prev + Σ_{j<=i} exp(S(i, j)) Δ_j x_j B_j^T   (i = Lc-1: the next chunk's h_prev)
// The segment sums S are accumulated directly (not as differences of cumulative sums), as
// transformers' segment_sum does, so long chunks with large Δ lose no precision.
#include <cmath>
#include <cstring>
#include <stdexcept>

#include "cpu_backend.h"

namespace ss {

namespace {

using ArrayRows = Eigen::Array<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using Strided = Eigen::OuterStride<>;
using ConstStridedMap = Eigen::Map<const RowMatrix, 0, Strided>;  // rows of one head/group inside [T, H, P] etc.
using StridedMap = Eigen::Map<RowMatrix, 0, Strided>;

struct SsdSizes {
  int64_t T, H, P, G, N;
};

SsdSizes check_ssd(const SsdArgs& a, const char* op) {
  if (!a.x || !a.delta || !a.A || !a.B || !a.C || !a.D || !a.state) throw std::invalid_argument(std::string(op) + ": missing argument");
  const SsdSizes s{a.x->size(0), a.x->size(1), a.x->size(2), a.B->size(1), a.B->size(2)};
  const bool ok = a.x->rank() == 3 && a.B->rank() == 3 && a.delta->shape() == Shape{s.T, s.H} && a.A->numel() == s.H &&
                  a.D->numel() == s.H && a.B->size(0) == s.T && a.C->shape() == a.B->shape() && s.G > 0 && s.H % s.G == 0 &&
                  a.state->shape() == Shape{s.H, s.P, s.N};
  if (!ok)
    throw std::invalid_argument(std::string(op) + ": inconsistent shapes (x " + a.x->shape_string() + ", delta " + a.delta->shape_string() +
                                ", A " + a.A->shape_string() + ", B " + a.B->shape_string() + ", C " + a.C->shape_string() +
                                ", state " + a.state->shape_string() + ")");
  return s;
}

// Tokens t (in this call) after which a strided state is due, in order; allocates a.states.
std::vector<int64_t> state_tokens(CpuBackend& be, const SsdArgs& a, const SsdSizes& s) {
  std::vector<int64_t> ts;
  const int64_t E = a.state_stride;
  if (E <= 0 || !a.states) return ts;
  for (int64_t t = 0; t < s.T; ++t)
    if ((a.pos0 + t + 1) % E == 0) ts.push_back(t);
  *a.states = be.empty({static_cast<int64_t>(ts.size()), s.H, s.P, s.N});  // [C, H, P, N]
  return ts;
}

// h = decay h + (Δ x) B^T for one head: h [P, N], x [P], B [N]. The one place the recurrence's state
// update is written, so the chunked form's recorded states are the step form's numbers bit for bit
// (two spellings of it compiled to different FMA contractions under -march=native).
[[gnu::noinline]] void ssd_state_update(float* h, float decay, float dt, const float* x, const float* B, int64_t P, int64_t N) {
  Eigen::Map<ArrayRows> Hs(h, P, N);                      // [P, N]
  const Eigen::Map<const Eigen::ArrayXf> xv(x, P);        // [P]
  const Eigen::Map<const Eigen::RowVectorXf> Bv(B, N);    // [N]
  Hs = decay * Hs + ((dt * xv).matrix() * Bv).array();
}

}  // namespace

void ssd_token(float* h, const float* x, const float* delta, const float* A, const float* B, const float* C, const float* D,
               float* y_out, int64_t H, int64_t P, int64_t N, int64_t G) {
  const int64_t heads_per_group = H / G;
  for (int64_t hd = 0; hd < H; ++hd) {
    const int64_t g = hd / heads_per_group;
    Eigen::Map<ArrayRows> Hs(h + hd * P * N, P, N);                             // [P, N]
    const Eigen::Map<const Eigen::ArrayXf> xv(x + hd * P, P);                  // [P]
    const Eigen::Map<const Eigen::VectorXf> Cv(C + g * N, N);                  // [N]
    const float dt = delta[hd];
    // h = exp(Δ A) h + (Δ x) B^T
    ssd_state_update(Hs.data(), std::exp(dt * A[hd]), dt, x + hd * P, B + g * N, P, N);
    // y = h C + D x
    Eigen::Map<Eigen::VectorXf> y(y_out + hd * P, P);
    y.noalias() = Hs.matrix() * Cv;
    y.array() += D[hd] * xv;
  }
}

Tensor CpuBackend::ssd_step(const SsdArgs& a) {
  const SsdSizes s = check_ssd(a, "ssd_step");
  if (s.T != 1) throw std::invalid_argument("ssd_step: expects one token, got x " + a.x->shape_string());
  Tensor y = empty({1, s.H, s.P});  // [1, H, P]
  ssd_token(a.state->data(), a.x->data(), a.delta->data(), a.A->data(), a.B->data(), a.C->data(), a.D->data(), y.data(), s.H, s.P,
            s.N, s.G);
  if (!state_tokens(*this, a, s).empty())
    std::memcpy(a.states->data(), a.state->data(), s.H * s.P * s.N * sizeof(float));
  return y;
}

Tensor CpuBackend::ssd_chunked(const SsdArgs& a) {
  const SsdSizes s = check_ssd(a, "ssd_chunked");
  const int64_t T = s.T, H = s.H, P = s.P, G = s.G, N = s.N, Q = a.chunk_size;
  if (Q <= 0) throw std::invalid_argument("ssd_chunked: chunk_size must be positive");
  const int64_t heads_per_group = H / G;
  Tensor y = empty({T, H, P});  // [T, H, P]
  const std::vector<int64_t> state_toks = state_tokens(*this, a, s);
  size_t next_state = 0;

  // Work buffers, sized for a full chunk.
  RowMatrix CB(Q, Q);    // C B^T of one group           [Lc, Lc]
  ArrayRows S(Q, Q);     // segment sums S(i, j), lower   [Lc, Lc]
  RowMatrix M(Q, Q);     // (L ∘ C B^T), lower           [Lc, Lc]
  RowMatrix Xd(Q, P);    // Δ x                           [Lc, P]
  RowMatrix Ch(Q, P);    // C h_prev^T                    [Lc, P]
  RowMatrix WB(Q, N);    // exp(S(i, j)) B_j rows         [Lc, N]
  Eigen::ArrayXf av(Q), sv(Q);  // a_i, s_i

  for (int64_t c0 = 0; c0 < T; c0 += Q) {
    const int64_t Lc = std::min(Q, T - c0);
    for (int64_t g = 0; g < G; ++g) {
      const ConstStridedMap Bg(a.B->data() + c0 * G * N + g * N, Lc, N, Strided(G * N));  // [Lc, N]
      const ConstStridedMap Cg(a.C->data() + c0 * G * N + g * N, Lc, N, Strided(G * N));  // [Lc, N]
      auto cb = CB.topLeftCorner(Lc, Lc);
      cb.noalias() = Cg * Bg.transpose();
      for (int64_t hd = g * heads_per_group; hd < (g + 1) * heads_per_group; ++hd) {
        const ConstStridedMap Xh(a.x->data() + c0 * H * P + hd * P, Lc, P, Strided(H * P));  // [Lc, P]
        StridedMap Yh(y.data() + c0 * H * P + hd * P, Lc, P, Strided(H * P));                 // [Lc, P]
        Eigen::Map<RowMatrix> Hs(a.state->data() + hd * P * N, P, N);                          // [P, N] h_prev
        const float A = a.A->data()[hd], D = a.D->data()[hd];
        auto dt = [&](int64_t i) { return a.delta->data()[(c0 + i) * H + hd]; };

        // a_i, s_i, the segment sums and the masked matrix M = L ∘ C B^T (lower triangle only).
        float run = 0.0f;
        for (int64_t i = 0; i < Lc; ++i) {
          av(i) = dt(i) * A;
          sv(i) = run += av(i);
          if (i > 0) S.row(i).head(i) = S.row(i - 1).head(i) + av(i);
          S(i, i) = 0.0f;
          M.row(i).head(i + 1) = (cb.row(i).head(i + 1).array() * S.row(i).head(i + 1).exp()).matrix();
        }
        auto xd = Xd.topRows(Lc);
        xd = (Xh.array().colwise() * Eigen::Map<const Eigen::ArrayXf, 0, Eigen::InnerStride<>>(
                                         a.delta->data() + c0 * H + hd, Lc, Eigen::InnerStride<>(H)))
                 .matrix();

        // y = (L ∘ C B^T)(Δ x) + exp(s) ∘ (C h_prev^T) + D x
        Yh.noalias() = M.topLeftCorner(Lc, Lc).triangularView<Eigen::Lower>() * xd;
        auto ch = Ch.topRows(Lc);
        ch.noalias() = Cg * Hs.transpose();
        Yh.array() += ch.array().colwise() * sv.head(Lc).exp() + D * Xh.array();

        // The strided states due in this chunk (observation only): the recurrence
        // h_i = exp(a_i) h_{i-1} + (Δ_i x_i) B_i^T from h_prev, as ssd_token steps it: O(P N) per token
        // (the closed form below costs O(i P N) for token i: 30x more for every token of a 64-token chunk).
        if (next_state < state_toks.size() && state_toks[next_state] < c0 + Lc) {
          RowMatrix h = Hs;  // [P, N]
          size_t k = next_state;
          for (int64_t i = 0; k < state_toks.size() && state_toks[k] < c0 + Lc; ++i) {
            ssd_state_update(h.data(), std::exp(av(i)), dt(i), a.x->data() + (c0 + i) * H * P + hd * P,
                             a.B->data() + (c0 + i) * G * N + g * N, P, N);
            if (state_toks[k] == c0 + i) Eigen::Map<RowMatrix>(a.states->data() + (k++ * H + hd) * P * N, P, N) = h;
          }
        }
        // The state leaving the chunk, in place: exp(s_i) h_prev + (Δ x)[0..i]^T (exp(S(i, 0..i)) ∘ B[0..i]), i = Lc - 1.
        {
          const int64_t i = Lc - 1;
          auto wb = WB.topRows(i + 1);
          wb = (Bg.topRows(i + 1).array().colwise() * S.row(i).head(i + 1).transpose().exp()).matrix();
          Hs *= std::exp(sv(i));
          Hs.noalias() += xd.topRows(i + 1).transpose() * wb;
        }
      }
    }
    while (next_state < state_toks.size() && state_toks[next_state] < c0 + Lc) ++next_state;
  }
  return y;
}

}  // namespace ss
