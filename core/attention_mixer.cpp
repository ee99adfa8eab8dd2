// Attention mixer, as transformers' LlamaAttention (RoPE), BambaAttention (RoPE on the first half of
// each head), GraniteMoeHybridAttention (scale attention_multiplier; RoPE or none) and JambaAttention /
// NemotronHAttention (no positional encoding), FalconH1Attention (muP multipliers, below).
//
// Shapes: T tokens in this call at positions p0 .. p0+T-1 (p0 = positions already in the cache),
// D d_model, Hq query heads, Hkv key/value heads, hd head dim.
//   q = q_proj(x)   [T, Hq, hd]      k = k_proj(x), v = v_proj(x)   [T, Hkv, hd]   (+ bias: attention_bias)
//   q, k = rope(q, k, p0..)          (on the first rotary_dim dims of each head; Jamba and Nemotron-H: none)
//   cache.k, cache.v += k, v         [Hkv, length, hd]
//   o_t = sum_s softmax_s(q_t · k_s * scale) v_s over s <= t; head h reads kv head h / (Hq / Hkv)
//                                    (scale 1/sqrt(hd); Granite: attention_multiplier)
//   out = o_proj(o)                  [T, D]
// Falcon-H1's multipliers, folded into the weights at load: q, k, v see x * attention_in_multiplier
// (their weights times it, not their biases), k is times key_multiplier before RoPE (k_proj's weight
// and bias; RoPE is linear), out is times attention_out_multiplier (o_proj's weight and bias).
// The parallel form (forward) and the recurrent form (step, T = 1) are the same ops: the KV cache is
// the recurrent state, and it grows by one position per token.
#include <cmath>

#include "attention_recording.h"
#include "error.h"
#include "layer.h"

namespace ss {

namespace {

class AttentionMixer final : public Mixer {
 public:
  AttentionMixer(ModelFolder& ck, const ModelConfig& c, const std::string& p, Backend& be) : a_(c.attn) {
    const int64_t D = c.d_model, Hq = a_.n_heads, Hkv = a_.n_kv_heads, hd = a_.head_dim;
    if (a_.rope && hd % 2) throw Error(ck.config_path(), "head_dim", "RoPE needs an even head_dim, got " + std::to_string(hd));
    if (a_.rope && (rotary_dim() % 2 || rotary_dim() > hd))
      throw Error(ck.config_path(), "partial_rotary_factor", "RoPE needs an even number of rotated dims <= head_dim, got " + std::to_string(rotary_dim()));
    const float in = c.mult.attention_in, key = c.mult.key;
    const float out = c.mult.residual * c.mult.attention_out;  // Granite: residual_multiplier; Falcon-H1: attention_out_multiplier
    q_proj_ = load_weight(ck, be, p + "q_proj.weight", {Hq * hd, D}, in);
    k_proj_ = load_weight(ck, be, p + "k_proj.weight", {Hkv * hd, D}, in * key);
    v_proj_ = load_weight(ck, be, p + "v_proj.weight", {Hkv * hd, D}, in);
    o_proj_ = load_weight(ck, be, p + "o_proj.weight", {D, Hq * hd}, out);
    if (a_.bias) {
      q_bias_ = load_weight(ck, be, p + "q_proj.bias", {Hq * hd});
      k_bias_ = load_weight(ck, be, p + "k_proj.bias", {Hkv * hd}, key);
      v_bias_ = load_weight(ck, be, p + "v_proj.bias", {Hkv * hd});
      o_bias_ = load_weight(ck, be, p + "o_proj.bias", {D}, out);
    }
  }

  MixerKind kind() const override { return MixerKind::Attention; }

  LayerState initial_state(Backend&) const override { return LayerState{};  /* empty cache: kv_append allocates */ }

  Tensor forward(Backend& be, const Tensor& x, LayerState& s, const Tracer& cb, int il, const LayerIntervention&) const override { return run(be, x, s, cb, il); }
  Tensor step(Backend& be, const Tensor& x, LayerState& s, const Tracer& cb, int il, const LayerIntervention&) const override { return run(be, x, s, cb, il); }

  int64_t kv_bytes(int64_t positions) const override {
    return 2 * static_cast<int64_t>(sizeof(float)) * a_.n_kv_heads * a_.head_dim * positions;
  }

 private:
  static const Tensor* opt(const Tensor& t) { return t.empty() ? nullptr : &t; }
  int64_t rotary_dim() const { return a_.rotary_dim > 0 ? a_.rotary_dim : a_.head_dim; }

  Tensor run(Backend& be, const Tensor& x, LayerState& s, const Tracer& cb, int il) const {
    const int64_t T = x.size(0), Hq = a_.n_heads, Hkv = a_.n_kv_heads, hd = a_.head_dim;
    const int64_t p0 = s.kv.length;
    Tensor q = be.linear(x, q_proj_, opt(q_bias_)).reshaped({T, Hq, hd});
    Tensor k = be.linear(x, k_proj_, opt(k_bias_)).reshaped({T, Hkv, hd});
    Tensor v = be.linear(x, v_proj_, opt(v_bias_)).reshaped({T, Hkv, hd});
    if (a_.rope) {
      be.rope(q, p0, a_.rope_theta, rotary_dim());
      be.rope(k, p0, a_.rope_theta, rotary_dim());
    }
    be.kv_append(s.kv, k, v);

    AttentionArgs args;
    args.q = &q;
    args.cache = &s.kv;
    args.pos0 = p0;
    args.scale = a_.scale > 0.0f ? a_.scale : 1.0f / std::sqrt(static_cast<float>(hd));
    Tensor probs;  // [R, W] the probs window's rows whose queries are in this call
    request_probs_rows(cb, il, p0, T, args, probs);
    Tensor o = be.attention(args).reshaped({T, Hq * hd});  // [T, Hq * hd]

    record_attention(cb, il, q, k, probs, p0, [this](int64_t n) { return kv_bytes(n); });
    return be.linear(o, o_proj_, opt(o_bias_));  // [T, D]
  }

  AttentionParams a_;
  Tensor q_proj_, q_bias_;  // [Hq * hd, D], [Hq * hd]
  Tensor k_proj_, k_bias_;  // [Hkv * hd, D], [Hkv * hd]
  Tensor v_proj_, v_bias_;  // [Hkv * hd, D], [Hkv * hd]
  Tensor o_proj_, o_bias_;  // [D, Hq * hd], [D]
};

}  // namespace

std::unique_ptr<Mixer> load_attention_mixer(ModelFolder& ck, const ModelConfig& c, const std::string& prefix, Backend& be) {
  return std::make_unique<AttentionMixer>(ck, c, prefix, be);
}

}  // namespace ss
