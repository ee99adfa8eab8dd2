#include "run_memory.h"

#include <algorithm>
#include <cstdio>

namespace ss {

std::string human_bytes(int64_t bytes) {
  const char* units[] = {"B", "KB", "MB", "GB", "TB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1000.0 && u < 4) { v /= 1000.0; ++u; }
  char buf[32];
  std::snprintf(buf, sizeof buf, u ? "%.1f %s" : "%.0f %s", v, units[u]);
  return buf;
}

std::string RunMemory::describe() const {
  return "weights " + human_bytes(weights) + " + tokens " + human_bytes(tokens) + " + activations " + human_bytes(activations) +
         " + outputs " + human_bytes(outputs) + " + overhead " + human_bytes(overhead()) + " = " + human_bytes(total());
}

namespace {

int64_t mamba_floats(const ModelConfig& c) {  // in_proj (x, z), conv, x_proj (Δ, B, C), Δ, y, gated y, out
  const MambaParams& m = c.mamba;
  return 8 * int64_t(m.d_inner) + m.dt_rank + 2 * int64_t(m.d_state) + c.d_model;
}
int64_t mamba2_floats(const ModelConfig& c) {  // in_proj (z, xBC, dt), conv, y, gate, norm, out; SSD chunk blocks
  const Mamba2Params& m = c.mamba2;
  return 7 * int64_t(m.d_inner) + 6 * int64_t(m.n_groups) * m.d_state + 4 * int64_t(m.n_heads) + 2 * int64_t(m.n_heads) * m.chunk_size +
         c.d_model;
}
int64_t attention_floats(const ModelConfig& c) {  // q, k, v (twice: before and after RoPE), attention out, o_proj
  const AttentionParams& a = c.attn;
  return 2 * int64_t(a.n_heads + 2 * a.n_kv_heads) * a.head_dim + 2 * int64_t(a.n_heads) * a.head_dim + c.d_model;
}

}  // namespace

int64_t activation_floats_per_token(const ModelConfig& c) {
  int64_t widest = 0;
  for (int l = 0; l < c.n_layers; ++l) {
    int64_t w = 0;
    switch (c.mixers[l]) {
      case MixerKind::Mamba: w = mamba_floats(c); break;
      case MixerKind::Mamba2: w = mamba2_floats(c); break;
      case MixerKind::Attention: w = attention_floats(c); break;
      // Falcon-H1: the Mamba-2's output is kept while the attention runs, then the sum
      case MixerKind::AttentionMamba2: w = mamba2_floats(c) + attention_floats(c) + c.d_model; break;
      case MixerKind::None: break;  // Nemotron-H's MLP layers: the feed-forward alone
    }
    if (c.shared_block(l) >= 0) {  // Zamba2's hybrid layer: concat + norm (2D each), q/k/v with their adapters,
      const AttentionParams& a = c.attn;  // attention out, o_proj, the MLP's gate_up (2I), gelu (I), down, linear
      w = std::max<int64_t>(w, 4 * int64_t(c.d_model) + 2 * int64_t(a.n_heads + 2 * a.n_kv_heads) * a.head_dim +
                                   3 * int64_t(c.zamba2.adapter_rank) + 2 * int64_t(a.n_heads) * a.head_dim + 3 * int64_t(c.ffn.intermediate) +
                                   3 * int64_t(c.d_model));
    }
    if (c.ffns[l] == FfnKind::Mlp) w = std::max<int64_t>(w, 4 * int64_t(c.ffn.intermediate) + c.d_model);
    if (c.ffns[l] == FfnKind::Moe)
      w = std::max<int64_t>(w, int64_t(c.ffn.n_experts) + 4 * int64_t(c.ffn.top_k) * c.ffn.intermediate + 2 * int64_t(c.d_model));
    widest = std::max(widest, w);
  }
  return widest + 4 * int64_t(c.d_model);  // the residual stream, its norm and the layer input
}

namespace {

RunMemory common(const Model& m, int64_t tokens) {
  RunMemory r;
  r.weights = m.parameter_count() * 4;
  r.tokens = tokens * (4 + 1);
  const int64_t chunk = std::min(tokens, m.chunk_tokens());
  // The KV cache grows by doubling: up to twice the bytes of the tokens held.
  r.activations = chunk * activation_floats_per_token(m.config()) * 4 + 2 * tokens * m.kv_bytes_per_token();
  return r;
}

}  // namespace

RunMemory logits_run_memory(const Model& m, int64_t tokens, int64_t logits_rows) {
  RunMemory r = common(m, tokens);
  const int64_t rows = std::min(tokens, std::min(logits_rows, m.chunk_tokens()));
  r.outputs = 2 * rows * m.config().vocab_size * 4;  // the device result and its host copy
  return r;
}

RunMemory trace_run_memory(const Model& m, const TraceRequest& req, const std::vector<int32_t>& probe, int64_t tokens) {
  RunMemory r = common(m, tokens);
  const int64_t P = std::min<int64_t>({tokens, 256, static_cast<int64_t>(probe.size())});
  if (P <= 0) return r;
  TraceRequest probe_req = req;
  probe_req.probs_windows.clear();  // probs windows are fixed [W, W]; counted below from the request
  TraceStore store(probe_req);
  ModelState state = m.initial_state();
  m.forward(std::vector<int32_t>(probe.begin(), probe.begin() + P), state, store.recording(), /*want_logits=*/false);

  int64_t per_token = 0, fixed = 0, strided_row = 0, largest_per_token = 0;
  for (const auto& [name, layer] : store.keys()) {
    const Tensor t = store.get(name, layer);
    const int64_t bytes = t.numel() * 4;
    if (!store.state_positions(name, layer).empty()) {
      strided_row += bytes / std::max<int64_t>(1, t.size(0));
    } else if (t.rank() >= 1 && t.size(0) == P) {
      per_token += bytes / P;
      largest_per_token = std::max(largest_per_token, bytes / P);
    } else {
      fixed += bytes;
    }
  }
  // Strided states: also those of the final state's size when the probe was too short to hold one.
  if (req.state_stride > 0 && strided_row == 0)
    for (const auto& [name, layer] : store.keys())
      if (name == trace::kMambaState || name == trace::kMamba2State) strided_row += store.get(name, layer).numel() * 4;
  const int64_t strided = req.state_stride > 0 ? tokens / req.state_stride : 0;
  for (const auto& [layer, w] : req.probs_windows) fixed += (w.t1 - w.t0) * (w.t1 - w.t0) * 4;
  r.outputs = per_token * tokens + strided * strided_row + fixed + largest_per_token * tokens;
  return r;
}

}  // namespace ss
