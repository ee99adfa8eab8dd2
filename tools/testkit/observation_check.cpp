#include "observation_check.h"

#include <algorithm>
#include <cstring>

namespace ss::testkit {

namespace {

Tensor on_host(const Model& m, const Tensor& t) { return t.empty() || t.device() == Device::Cpu ? t : m.backend().to_host(t); }

// Logits [T, V] of a forward over tokens[0, split) then steps, recording `rec`.
Tensor run(const Model& m, const std::vector<int32_t>& tokens, int64_t split, ModelState& st, const Recording& rec) {
  const int64_t T = static_cast<int64_t>(tokens.size()), V = m.config().vocab_size, n = std::min(split, T);
  Tensor logits = Tensor::zeros({T, V});
  if (n > 0) {
    const Tensor l = m.forward({tokens.begin(), tokens.begin() + n}, st, rec);  // [n, V]
    std::memcpy(logits.data(), l.data(), sizeof(float) * l.numel());
  }
  for (int64_t t = n; t < T; ++t) {
    const Tensor l = m.step(tokens[t], st, rec);  // [1, V]
    std::memcpy(logits.data() + t * V, l.data(), sizeof(float) * V);
  }
  return logits;
}

// The held positions of a cache tensor [Hkv, capacity, hd] -> [Hkv, length, hd] (the rest is unwritten).
Tensor held(const Model& m, const Tensor& cache, int64_t length) {
  if (cache.empty()) return cache;
  const Tensor h = on_host(m, cache);
  const int64_t H = h.size(0), cap = h.size(1), hd = h.size(2);
  Tensor out = Tensor::zeros({H, length, hd});
  for (int64_t k = 0; k < H; ++k) std::memcpy(out.data() + k * length * hd, h.data() + k * cap * hd, sizeof(float) * length * hd);
  return out;
}

}  // namespace

TraceRequest everything_request(const Model& m, int64_t T, int head, int64_t state_stride) {
  TraceRequest req;  // every name, every layer
  req.state_stride = state_stride;
  for (int l = 0; l < m.config().n_layers; ++l)
    if (has_attention(m.config().mixers[l])) req.probs_windows[l] = ProbsWindow{head % m.config().attn.n_heads, 0, T};
  return req;
}

std::string bit_difference(const Tensor& a, const Tensor& b) {
  if (a.shape() != b.shape()) return "shape " + a.shape_string() + " vs " + b.shape_string();
  for (int64_t i = 0; i < a.numel(); ++i)
    if (std::memcmp(a.data() + i, b.data() + i, sizeof(float)) != 0)
      return "element " + std::to_string(i) + ": " + std::to_string(a.data()[i]) + " vs " + std::to_string(b.data()[i]);
  return "";
}

std::string observation_difference(const Model& m, const std::vector<int32_t>& tokens, int64_t split, TraceStore& store) {
  ModelState plain_state = m.initial_state(), traced_state = m.initial_state();
  const Tensor plain = run(m, tokens, split, plain_state, Recording());
  const Tensor traced = run(m, tokens, split, traced_state, store.recording());
  if (std::string d = bit_difference(traced, plain); !d.empty()) return "logits: " + d;
  for (size_t l = 0; l < plain_state.layers.size(); ++l) {
    const LayerState &p = plain_state.layers[l], &t = traced_state.layers[l];
    const std::string L = " of layer " + std::to_string(l) + ": ";
    if (std::string d = bit_difference(on_host(m, t.ssm_state), on_host(m, p.ssm_state)); !d.empty()) return "ssm state" + L + d;
    if (std::string d = bit_difference(on_host(m, t.conv_state), on_host(m, p.conv_state)); !d.empty()) return "conv state" + L + d;
    if (t.kv.length != p.kv.length) return "KV length" + L + std::to_string(t.kv.length) + " vs " + std::to_string(p.kv.length);
    if (std::string d = bit_difference(held(m, t.kv.k, t.kv.length), held(m, p.kv.k, p.kv.length)); !d.empty()) return "KV keys" + L + d;
    if (std::string d = bit_difference(held(m, t.kv.v, t.kv.length), held(m, p.kv.v, p.kv.length)); !d.empty()) return "KV values" + L + d;
  }
  return "";
}

}  // namespace ss::testkit
