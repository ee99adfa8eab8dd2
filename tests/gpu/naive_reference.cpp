#include "naive_reference.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

namespace ss::gpu_test {

Tensor naive_ssd(const SsdArgs& a) {
  const int64_t T = a.x->size(0), H = a.x->size(1), P = a.x->size(2), G = a.B->size(1), N = a.B->size(2);
  std::vector<double> h(a.state->data(), a.state->data() + H * P * N);  // [H, P, N]
  Tensor y = Tensor::zeros({T, H, P});
  const int64_t E = a.state_stride;
  int64_t n_ck = E > 0 ? (a.pos0 + T) / E - a.pos0 / E : 0, ck = 0;
  if (E > 0 && a.states) *a.states = Tensor::zeros({n_ck, H, P, N});
  for (int64_t t = 0; t < T; ++t) {
    for (int64_t hh = 0; hh < H; ++hh) {
      const int64_t g = hh / (H / G);
      const double dt = a.delta->data()[t * H + hh], decay = std::exp(dt * a.A->data()[hh]);
      const float* B = a.B->data() + (t * G + g) * N;
      const float* C = a.C->data() + (t * G + g) * N;
      for (int64_t p = 0; p < P; ++p) {
        const double xv = a.x->data()[(t * H + hh) * P + p];
        double acc = 0;
        for (int64_t n = 0; n < N; ++n) {
          double& s = h[(hh * P + p) * N + n];
          s = decay * s + dt * xv * B[n];
          acc += s * C[n];
        }
        y.at((t * H + hh) * P + p) = static_cast<float>(acc + a.D->data()[hh] * xv);
      }
    }
    if (E > 0 && a.states && (a.pos0 + t + 1) % E == 0) {
      for (int64_t i = 0; i < H * P * N; ++i) a.states->at(ck * H * P * N + i) = static_cast<float>(h[i]);
      ++ck;
    }
  }
  for (int64_t i = 0; i < H * P * N; ++i) a.state->at(i) = static_cast<float>(h[i]);
  return y;
}

void naive_rope(Tensor& x, int64_t pos0, float theta) {
  const int64_t T = x.size(0), H = x.size(1), hd = x.size(2), half = hd / 2;
  for (int64_t t = 0; t < T; ++t)
    for (int64_t h = 0; h < H; ++h)
      for (int64_t i = 0; i < half; ++i) {
        const double angle = double(pos0 + t) * std::pow(double(theta), -2.0 * double(i) / double(hd));  // exact rotation
        const double c = std::cos(angle), s = std::sin(angle);
        float* v = x.data() + (t * H + h) * hd;
        const double a = v[i], b = v[i + half];
        v[i] = static_cast<float>(a * c - b * s);
        v[i + half] = static_cast<float>(b * c + a * s);
      }
}

Tensor naive_attention(const AttentionArgs& a) {
  const Tensor& q = *a.q;
  const int64_t T = q.size(0), Hq = q.size(1), hd = q.size(2), Hkv = a.cache->k.size(0), cap = a.cache->capacity();
  Tensor out = Tensor::zeros({T, Hq, hd});
  const bool record = a.probs_window && a.probs;
  int64_t r0 = 0;
  if (record) {  // [R, W]: the window's rows whose queries are in this call
    const ProbsWindow& w = *a.probs_window;
    r0 = std::max(w.t0, a.pos0) - w.t0;
    *a.probs = Tensor::zeros({std::max<int64_t>(std::min(w.t1, a.pos0 + T) - w.t0 - r0, 0), w.t1 - w.t0});
  }
  std::vector<double> s;
  for (int64_t t = 0; t < T; ++t) {
    const int64_t qpos = a.pos0 + t, nk = qpos + 1;
    for (int64_t h = 0; h < Hq; ++h) {
      const int64_t kvh = h / (Hq / Hkv);
      const float* qr = q.data() + (t * Hq + h) * hd;
      s.assign(nk, 0.0);
      double mx = -INFINITY;
      for (int64_t k = 0; k < nk; ++k) {
        const float* kr = a.cache->k.data() + (kvh * cap + k) * hd;
        double d = 0;
        for (int64_t e = 0; e < hd; ++e) d += double(qr[e]) * kr[e];
        s[k] = d * a.scale;
        mx = std::max(mx, s[k]);
      }
      double sum = 0;
      for (auto& v : s) sum += (v = std::exp(v - mx));
      for (int64_t e = 0; e < hd; ++e) {
        double acc = 0;
        for (int64_t k = 0; k < nk; ++k) acc += s[k] * a.cache->v.data()[(kvh * cap + k) * hd + e];
        out.at((t * Hq + h) * hd + e) = static_cast<float>(acc / sum);
      }
      if (record && h == a.probs_window->head && qpos >= a.probs_window->t0 && qpos < a.probs_window->t1) {
        const int64_t W = a.probs_window->t1 - a.probs_window->t0, r = qpos - a.probs_window->t0 - r0;
        for (int64_t c = 0; c < W; ++c) {
          const int64_t key = a.probs_window->t0 + c;
          a.probs->at(r * W + c) = key <= qpos ? static_cast<float>(s[key] / sum) : 0.0f;
        }
      }
    }
  }
  return out;
}

}  // namespace ss::gpu_test
