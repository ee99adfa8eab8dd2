// CPU reference for RoPE, the KV cache and causal attention (as transformers' LlamaAttention with
// eager attention: softmax(q k^T * scale + causal mask) v, grouped-query heads).
//
// Shapes: T queries in this call at absolute positions pos0 .. pos0+T-1, Hq query heads, Hkv kv heads,
// R = Hq / Hkv query heads per kv head (query head h reads kv head h / R), hd head dim, L = pos0 + T
// keys. q [T, Hq, hd]; cache k, v [Hkv, capacity, hd] (positions 0 .. length-1 are valid).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "cpu_backend.h"

namespace ss {

// Rotate-half RoPE on the first r dims of each head of [T, H, hd] (r = rotary_dim, hd when 0; the
// rest pass through, as transformers' partial rotary): for i < r/2 and angle a = p * theta^(-2i/r),
//   x[i] <- x[i] cos a - x[i + r/2] sin a ;  x[i + r/2] <- x[i + r/2] cos a + x[i] sin a.
// transformers (LlamaRotaryEmbedding) computes inv_freq and p * inv_freq in float32 even in a float64
// model; its float64 references patch that to float64. The angle is computed here in double and
// cos/sin rounded to float once: the exact rotation, whose error does not grow with the position
// (a float32 angle is off by up to half an ulp, about 2.4e-4 rad at p = 4096).
void CpuBackend::rope(Tensor& x, int64_t pos0, float theta, int64_t rotary_dim) {
  if (x.rank() != 3) throw std::invalid_argument("rope: needs [T, H, hd], got " + x.shape_string());
  const int64_t T = x.size(0), H = x.size(1), hd = x.size(2), r = rotary_dim > 0 ? rotary_dim : hd, half = r / 2;
  if (r % 2 || r > hd) throw std::invalid_argument("rope: rotary_dim " + std::to_string(r) + " must be even and at most hd of " + x.shape_string());
  std::vector<double> inv_freq(half);
  for (int64_t i = 0; i < half; ++i) inv_freq[i] = std::pow(static_cast<double>(theta), -2.0 * static_cast<double>(i) / static_cast<double>(r));
  std::vector<float> cos_a(half), sin_a(half);
  for (int64_t t = 0; t < T; ++t) {
    const double p = static_cast<double>(pos0 + t);
    for (int64_t i = 0; i < half; ++i) {
      const double a = p * inv_freq[i];
      cos_a[i] = static_cast<float>(std::cos(a));
      sin_a[i] = static_cast<float>(std::sin(a));
    }
    for (int64_t h = 0; h < H; ++h) {
      float* v = x.data() + (t * H + h) * hd;  // dims r..hd-1 pass through
      for (int64_t i = 0; i < half; ++i) {
        const float x1 = v[i], x2 = v[i + half];
        v[i] = x1 * cos_a[i] - x2 * sin_a[i];
        v[i + half] = x2 * cos_a[i] + x1 * sin_a[i];
      }
    }
  }
}

// Appends k, v [T, Hkv, hd] at positions length .. length+T-1; capacity doubles when full.
void CpuBackend::kv_append(KvCache& cache, const Tensor& k, const Tensor& v) {
  if (k.rank() != 3 || k.shape() != v.shape()) throw std::invalid_argument("kv_append: k " + k.shape_string() + " and v " + v.shape_string() + " must both be [T, Hkv, hd]");
  const int64_t T = k.size(0), Hkv = k.size(1), hd = k.size(2);
  if (!cache.k.empty() && (cache.k.size(0) != Hkv || cache.k.size(2) != hd))
    throw std::invalid_argument("kv_append: k " + k.shape_string() + " does not fit the cache " + cache.k.shape_string());
  const int64_t need = cache.length + T, cap = cache.capacity();
  if (need > cap) {
    int64_t new_cap = std::max<int64_t>(cap, 16);
    while (new_cap < need) new_cap *= 2;
    Tensor nk = empty({Hkv, new_cap, hd}), nv = empty({Hkv, new_cap, hd});
    for (int64_t h = 0; h < Hkv && cache.length > 0; ++h) {
      std::memcpy(nk.data() + h * new_cap * hd, cache.k.data() + h * cap * hd, cache.length * hd * sizeof(float));
      std::memcpy(nv.data() + h * new_cap * hd, cache.v.data() + h * cap * hd, cache.length * hd * sizeof(float));
    }
    cache.k = nk;
    cache.v = nv;
  }
  const int64_t c = cache.capacity();
  for (int64_t t = 0; t < T; ++t)
    for (int64_t h = 0; h < Hkv; ++h) {
      const int64_t dst = (h * c + cache.length + t) * hd, src = (t * Hkv + h) * hd;
      std::memcpy(cache.k.data() + dst, k.data() + src, hd * sizeof(float));
      std::memcpy(cache.v.data() + dst, v.data() + src, hd * sizeof(float));
    }
  cache.length = need;
}

// Queries are processed in blocks of kBlock positions; the R query heads of one kv head are stacked
// into one [R * nb, hd] matrix so each block is two GEMMs against the key/value prefix it can see:
//   S = (scale Q) K[0..nk)^T   [R*nb, nk]  -> causal row softmax ->   O = S V[0..nk)   [R*nb, hd]
Tensor CpuBackend::attention(const AttentionArgs& a) {
  if (!a.q || !a.cache) throw std::invalid_argument("attention: q and cache are required");
  const Tensor& q = *a.q;
  const KvCache& cache = *a.cache;
  if (q.rank() != 3 || cache.k.empty()) throw std::invalid_argument("attention: q must be [T, Hq, hd] and the cache non-empty");
  const int64_t T = q.size(0), Hq = q.size(1), hd = q.size(2);
  const int64_t Hkv = cache.k.size(0), cap = cache.capacity(), pos0 = a.pos0;
  if (cache.k.size(2) != hd || Hq % Hkv) throw std::invalid_argument("attention: q " + q.shape_string() + " vs cache " + cache.k.shape_string());
  if (pos0 < 0 || pos0 + T > cache.length)
    throw std::invalid_argument("attention: queries at " + std::to_string(pos0) + ".." + std::to_string(pos0 + T) + " but the cache holds " + std::to_string(cache.length));
  const int64_t R = Hq / Hkv;

  // The probs window: its rows whose queries are in this call, r0 .. r1 - 1 (positions t0 + r).
  const bool record = a.probs_window.has_value() && a.probs != nullptr;
  int64_t w0 = 0, W = 0, r0 = 0;
  if (record) {
    const ProbsWindow& w = *a.probs_window;
    w0 = w.t0;
    W = w.t1 - w.t0;
    if (w.head < 0 || w.head >= Hq || w0 < 0 || W <= 0)
      throw std::invalid_argument("attention: bad probs window (head " + std::to_string(w.head) + " of " + std::to_string(Hq) + ", [" +
                                  std::to_string(w.t0) + ", " + std::to_string(w.t1) + "))");
    r0 = std::max(w.t0, pos0) - w0;
    const int64_t r1 = std::min(w.t1, pos0 + T) - w0;
    *a.probs = zeros({std::max<int64_t>(r1 - r0, 0), W});  // [R, W]
  }

  Tensor out = empty({T, Hq, hd});
  const int64_t kBlock = 64;
  RowMatrix Qs(R * std::min(kBlock, T), hd), S, O;
  for (int64_t g = 0; g < Hkv; ++g) {
    const ConstMatrixMap K(cache.k.data() + g * cap * hd, cap, hd);  // [cap, hd]
    const ConstMatrixMap V(cache.v.data() + g * cap * hd, cap, hd);
    for (int64_t b0 = 0; b0 < T; b0 += kBlock) {
      const int64_t nb = std::min(kBlock, T - b0), nk = pos0 + b0 + nb, rows = R * nb;
      // Row j * nb + r holds query head g * R + j at token b0 + r, pre-scaled.
      for (int64_t j = 0; j < R; ++j)
        for (int64_t r = 0; r < nb; ++r) {
          const float* src = q.data() + ((b0 + r) * Hq + g * R + j) * hd;
          for (int64_t i = 0; i < hd; ++i) Qs(j * nb + r, i) = src[i] * a.scale;
        }
      S.resize(rows, nk);
      S.noalias() = Qs.topRows(rows) * K.topRows(nk).transpose();
      for (int64_t j = 0; j < R; ++j)
        for (int64_t r = 0; r < nb; ++r) {
          const int64_t row = j * nb + r, visible = pos0 + b0 + r + 1;  // keys 0 .. position
          auto s = S.row(row).head(visible).array();
          const float m = s.maxCoeff();
          s = (s - m).exp();
          s /= s.sum();
          S.row(row).tail(nk - visible).setZero();
        }
      O.resize(rows, hd);
      O.noalias() = S * V.topRows(nk);
      for (int64_t j = 0; j < R; ++j)
        for (int64_t r = 0; r < nb; ++r)
          std::memcpy(out.data() + ((b0 + r) * Hq + g * R + j) * hd, O.row(j * nb + r).data(), hd * sizeof(float));

      if (record && a.probs->numel() && a.probs_window->head / R == g) {
        const int64_t j = a.probs_window->head % R;
        MatrixMap P = a.probs->rows();  // [R, W]
        for (int64_t r = 0; r < nb; ++r) {
          const int64_t p = pos0 + b0 + r;  // this query's position
          if (p < w0 || p >= w0 + W) continue;
          const int64_t k_end = std::min(nk, w0 + W);
          if (k_end > w0) P.row(p - w0 - r0).head(k_end - w0) = S.row(j * nb + r).segment(w0, k_end - w0);
        }
      }
    }
  }
  return out;
}

}  // namespace ss
