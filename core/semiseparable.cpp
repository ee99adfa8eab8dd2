#include "semiseparable.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "cpu_backend.h"
#include "error.h"

namespace ss {

namespace {

using MatrixXd = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

std::string where(int layer) { return "traces of layer " + std::to_string(layer); }

Tensor need(const TraceStore& traces, const char* name, int layer) {
  Tensor t = traces.get(name, layer);
  if (t.empty()) throw Error(where(layer), name, "not recorded (ask for it in the TraceRequest)");
  return t;
}

// `kind` is Mamba or Mamba2; a Falcon-H1 layer (AttentionMamba2) is its Mamba-2 part here.
void require_kind(const Mixer& mixer, MixerKind kind, int layer) {
  if (ssm_kind(mixer.kind()) != kind)
    throw Error(where(layer), "mixer", std::string("is ") + mixer_name(mixer.kind()) + ", not " + mixer_name(kind));
}

void check_window(int layer, int64_t t0, int64_t t1, int64_t T) {
  if (t0 < 0 || t1 <= t0 || t1 > T)
    throw Error(where(layer), "window", "[" + std::to_string(t0) + ", " + std::to_string(t1) + ") is not inside the " +
                                            std::to_string(T) + " recorded tokens");
}

void check_index(int layer, const char* what, int64_t i, int64_t n) {
  if (i < 0 || i >= n) throw Error(where(layer), what, std::to_string(i) + " outside [0, " + std::to_string(n) + ")");
}

// Rows [t0, t1) of the n-column slice starting at column c0 of a [T, ...] trace, in double.  [W, n]
MatrixXd window_rows(const Tensor& t, int64_t t0, int64_t t1, int64_t c0, int64_t n) {
  const int64_t stride = t.numel() / t.size(0);
  const Eigen::Map<const RowMatrix, 0, Eigen::OuterStride<>> m(t.data() + t0 * stride + c0, t1 - t0, n, Eigen::OuterStride<>(stride));
  return m.cast<double>();
}

// The strided state nearest at or before t: (position, row) or (-1, -1) when there is none.
std::pair<int64_t, int64_t> nearest_strided_state(const TraceStore& traces, const char* name, int layer, int64_t t) {
  const std::vector<int64_t> pos = traces.state_positions(name, layer);
  auto it = std::upper_bound(pos.begin(), pos.end(), t);
  if (it == pos.begin()) return {-1, -1};
  --it;
  return {*it, it - pos.begin()};
}

Tensor ssd_state_at(const TraceStore& traces, const Mixer& mixer, int layer, int64_t t) {
  const Tensor x = need(traces, trace::kMamba2X, layer), delta = need(traces, trace::kMamba2Delta, layer);
  const Tensor B = need(traces, trace::kMamba2B, layer), C = need(traces, trace::kMamba2C, layer);
  const int64_t T = x.size(0), H = x.size(1), P = x.size(2), G = B.size(1), N = B.size(2);
  if (t < -1 || t >= T) throw Error(where(layer), "token", std::to_string(t) + " outside [-1, " + std::to_string(T) + ")");
  Tensor h = Tensor::zeros({H, P, N});  // [H, P, N]
  const auto [p, row] = nearest_strided_state(traces, trace::kMamba2StridedStates, layer, t);
  if (p >= 0) {
    const Tensor saved = need(traces, trace::kMamba2StridedStates, layer);  // [C, H, P, N]
    std::copy(saved.data() + row * H * P * N, saved.data() + (row + 1) * H * P * N, h.data());
  }
  const Tensor A = mixer.ssm_A(), D = mixer.ssm_D();
  std::vector<float> y(H * P);
  for (int64_t q = p + 1; q <= t; ++q)
    ssd_token(h.data(), x.data() + q * H * P, delta.data() + q * H, A.data(), B.data() + q * G * N, C.data() + q * G * N, D.data(),
              y.data(), H, P, N, G);
  return h;
}

Tensor mamba_state_at(const TraceStore& traces, const Mixer& mixer, int layer, int64_t t) {
  const Tensor x = need(traces, trace::kMambaX, layer), delta = need(traces, trace::kMambaDelta, layer);
  const Tensor B = need(traces, trace::kMambaB, layer), C = need(traces, trace::kMambaC, layer);
  const int64_t T = x.size(0), Di = x.size(1), N = B.size(1);
  if (t < -1 || t >= T) throw Error(where(layer), "token", std::to_string(t) + " outside [-1, " + std::to_string(T) + ")");
  Tensor h = Tensor::zeros({Di, N});  // [Di, N]
  const auto [p, row] = nearest_strided_state(traces, trace::kMambaStridedStates, layer, t);
  if (p >= 0) {
    const Tensor saved = need(traces, trace::kMambaStridedStates, layer);  // [C, Di, N]
    std::copy(saved.data() + row * Di * N, saved.data() + (row + 1) * Di * N, h.data());
  }
  const Tensor A = mixer.ssm_A(), D = mixer.ssm_D();
  std::vector<float> y(Di);
  for (int64_t q = p + 1; q <= t; ++q)
    selective_scan_token(h.data(), x.data() + q * Di, delta.data() + q * Di, A.data(), B.data() + q * N, C.data() + q * N, D.data(),
                         y.data(), Di, N);
  return h;
}

}  // namespace

Tensor ssd_matrix(const TraceStore& traces, const Mixer& mixer, int layer, int head, int64_t t0, int64_t t1) {
  require_kind(mixer, MixerKind::Mamba2, layer);
  const Tensor delta = need(traces, trace::kMamba2Delta, layer);  // [T, H]
  const Tensor B = need(traces, trace::kMamba2B, layer), C = need(traces, trace::kMamba2C, layer);  // [T, G, N]
  const int64_t H = delta.size(1), G = B.size(1), N = B.size(2), W = t1 - t0;
  check_index(layer, "head", head, H);
  check_window(layer, t0, t1, delta.size(0));
  const int64_t g = head / (H / G);
  const double A = mixer.ssm_A().at(head);
  const MatrixXd CB = window_rows(C, t0, t1, g * N, N) * window_rows(B, t0, t1, g * N, N).transpose();  // [W, W]
  std::vector<double> dt(W), decay(W);  // Δ_k, exp(Δ_k A)
  for (int64_t k = 0; k < W; ++k) {
    dt[k] = delta.at((t0 + k) * H + head);
    decay[k] = std::exp(dt[k] * A);
  }
  Tensor M = Tensor::zeros({W, W});  // [W, W]
  for (int64_t i = 0; i < W; ++i) {
    double f = 1.0;  // exp(Σ_{k=j+1..i} Δ_k A), built up as j walks down from i
    for (int64_t j = i; j >= 0; --j) {
      M.at(i * W + j) = static_cast<float>(CB(i, j) * f * dt[j]);
      f *= decay[j];
    }
  }
  return M;
}

Tensor mamba_channel_matrix(const TraceStore& traces, const Mixer& mixer, int layer, int channel, int64_t t0, int64_t t1) {
  require_kind(mixer, MixerKind::Mamba, layer);
  const Tensor delta = need(traces, trace::kMambaDelta, layer);  // [T, Di]
  const Tensor B = need(traces, trace::kMambaB, layer), C = need(traces, trace::kMambaC, layer);  // [T, N]
  const int64_t Di = delta.size(1), N = B.size(1), W = t1 - t0;
  check_index(layer, "channel", channel, Di);
  check_window(layer, t0, t1, delta.size(0));
  const Eigen::RowVectorXd A = mixer.ssm_A().rows().row(channel).cast<double>();  // [N]
  const MatrixXd Bw = window_rows(B, t0, t1, 0, N), Cw = window_rows(C, t0, t1, 0, N);  // [W, N]
  std::vector<double> dt(W);
  MatrixXd decay(W, N);  // exp(Δ_k[c] A[c, n])
  for (int64_t k = 0; k < W; ++k) {
    dt[k] = delta.at((t0 + k) * Di + channel);
    decay.row(k) = (dt[k] * A).array().exp().matrix();
  }
  Tensor M = Tensor::zeros({W, W});  // [W, W]
  Eigen::ArrayXd f(N);
  for (int64_t i = 0; i < W; ++i) {
    f.setOnes();  // exp(Σ_{k=j+1..i} Δ_k[c] A[c, n]) per n, as j walks down from i
    for (int64_t j = i; j >= 0; --j) {
      M.at(i * W + j) = static_cast<float>((Cw.row(i).array().transpose() * Bw.row(j).array().transpose() * f).sum() * dt[j]);
      f *= decay.row(j).array().transpose();
    }
  }
  return M;
}

Tensor ssd_carry_in(const TraceStore& traces, const Mixer& mixer, int layer, int head, int64_t t0, int64_t t1) {
  require_kind(mixer, MixerKind::Mamba2, layer);
  const Tensor delta = need(traces, trace::kMamba2Delta, layer), C = need(traces, trace::kMamba2C, layer);
  const int64_t H = delta.size(1), G = C.size(1), N = C.size(2), W = t1 - t0;
  check_index(layer, "head", head, H);
  check_window(layer, t0, t1, delta.size(0));
  const Tensor h = ssd_state_at(traces, mixer, layer, t0 - 1);  // [H, P, N]
  const int64_t P = h.size(1);
  const MatrixXd hh = Eigen::Map<const RowMatrix>(h.data() + head * P * N, P, N).cast<double>();  // [P, N]
  const MatrixXd Cw = window_rows(C, t0, t1, head / (H / G) * N, N);                              // [W, N]
  const double A = mixer.ssm_A().at(head);
  Tensor carry = Tensor::zeros({W, P});  // [W, P]
  double f = 1.0;
  for (int64_t i = 0; i < W; ++i) {
    f *= std::exp(double(delta.at((t0 + i) * H + head)) * A);
    carry.rows().row(i) = (f * (hh * Cw.row(i).transpose())).transpose().cast<float>();
  }
  return carry;
}

Tensor mamba_channel_carry_in(const TraceStore& traces, const Mixer& mixer, int layer, int channel, int64_t t0, int64_t t1) {
  require_kind(mixer, MixerKind::Mamba, layer);
  const Tensor delta = need(traces, trace::kMambaDelta, layer), C = need(traces, trace::kMambaC, layer);
  const int64_t Di = delta.size(1), N = C.size(1), W = t1 - t0;
  check_index(layer, "channel", channel, Di);
  check_window(layer, t0, t1, delta.size(0));
  const Tensor h = mamba_state_at(traces, mixer, layer, t0 - 1);  // [Di, N]
  const Eigen::ArrayXd hc = h.rows().row(channel).transpose().cast<double>();       // [N]
  const Eigen::ArrayXd A = mixer.ssm_A().rows().row(channel).transpose().cast<double>();  // [N]
  const MatrixXd Cw = window_rows(C, t0, t1, 0, N);                                  // [W, N]
  Tensor carry = Tensor::zeros({W});  // [W]
  Eigen::ArrayXd f = Eigen::ArrayXd::Ones(N);
  for (int64_t i = 0; i < W; ++i) {
    f *= (double(delta.at((t0 + i) * Di + channel)) * A).exp();
    carry.at(i) = static_cast<float>((f * hc * Cw.row(i).transpose().array()).sum());
  }
  return carry;
}

Tensor state_at(const TraceStore& traces, const Mixer& mixer, int layer, int64_t t) {
  switch (ssm_kind(mixer.kind())) {
    case MixerKind::Mamba2: return ssd_state_at(traces, mixer, layer, t);  // Mamba-2, and Falcon-H1's Mamba-2 part
    case MixerKind::Mamba: return mamba_state_at(traces, mixer, layer, t);
    default: break;
  }
  throw Error(where(layer), "mixer", std::string("a layer of kind ") + mixer_name(mixer.kind()) + " has no recurrent state");
}

}  // namespace ss
