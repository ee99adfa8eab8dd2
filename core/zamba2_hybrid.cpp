// Zamba2's hybrid layers: see zamba2_hybrid.h for the math and the tensor names.
#include "zamba2_hybrid.h"

#include <cmath>
#include <cstring>
#include <string>

#include "attention_recording.h"
#include "error.h"
#include "layer.h"

namespace ss {

// The weights of one shared transformer block, shared (by pointer) among the hybrid layers using it.
struct Zamba2SharedBlock {
  Tensor input_norm;                     // [2D]
  Tensor q_proj, k_proj, v_proj;         // [Hq * hd, 2D], [Hkv * hd, 2D], [Hkv * hd, 2D]
  Tensor o_proj;                         // [D, Hq * hd]
  Tensor pre_ff_norm;                    // [D]
  Tensor gate_up, gate_up_bias;          // [2I, D] (gate rows, then up rows), [2I] (add_bias_linear)
  Tensor down, down_bias;                // [D, I], [D]
};

Zamba2BlockUse::Zamba2BlockUse() = default;
Zamba2BlockUse::~Zamba2BlockUse() = default;

namespace {

const Tensor* opt(const Tensor& t) { return t.empty() ? nullptr : &t; }

std::string layer_prefix(int layer) { return "model.layers." + std::to_string(layer) + "."; }

// Reads a block's tensors from under its first user's name; the same tensor written again under a
// later user's name (a tied copy) must hold the same numbers, and is then counted as used.
class BlockReader {
 public:
  BlockReader(ModelFolder& ck, Backend& be, std::string owner, std::vector<std::string> tied)
      : ck_(ck), be_(be), owner_(std::move(owner)), tied_(std::move(tied)) {}

  Tensor shared(const std::string& name, const Shape& shape) {
    Tensor t = load_weight(ck_, be_, owner_ + name, shape);
    for (const std::string& p : tied_) {
      if (!ck_.has(p + name)) continue;
      const Tensor a = be_.to_host(t), b = ck_.get(p + name, shape);
      if (std::memcmp(a.data(), b.data(), sizeof(float) * a.numel()) != 0)
        throw Error(ck_.file_of(p + name), p + name, "differs from " + owner_ + name + ", the shared block it is tied to");
    }
    return t;
  }
  // A per-use tensor kept inside the block's module (the adapters), or under the use's own layer.
  Tensor per_use(const std::string& own_prefix, const std::string& name, const Shape& shape) {
    return load_weight(ck_, be_, ck_.has(owner_ + name) || !ck_.has(own_prefix + name) ? owner_ + name : own_prefix + name, shape);
  }

 private:
  ModelFolder& ck_;
  Backend& be_;
  std::string owner_;
  std::vector<std::string> tied_;
};

}  // namespace

std::vector<std::unique_ptr<Zamba2BlockUse>> load_zamba2_block_uses(ModelFolder& ck, const ModelConfig& c, Backend& be) {
  const AttentionParams& a = c.attn;
  const Zamba2Params& z = c.zamba2;
  const int64_t D = c.d_model, Hq = a.n_heads, Hkv = a.n_kv_heads, hd = a.head_dim, I = c.ffn.intermediate, r = z.adapter_rank;
  if (a.rope && hd % 2) throw Error(ck.config_path(), "num_attention_heads", "RoPE needs an even head size, got " + std::to_string(hd));

  // Who uses which block: the first user names the block's tensors, the others are tied to it. But
  // transformers 5.17 ties them (Zamba2Model._tied_weights_keys) only when tie_word_embeddings is true:
  // PreTrainedModel.get_expanded_tied_weights_keys returns no ties at all otherwise, and every hybrid
  // layer then runs its own copy of the block, which save_pretrained writes under the layer's own name
  // (the fixture zamba2_gqa_f32: the copies differ). So does StateScope: untied, each hybrid layer owns
  // its block (`slot` = the layer); tied, the uses of block b share one copy (`slot` = b).
  const bool shared_copies = c.tied_embeddings;
  auto slot_of = [&](int l) { return shared_copies ? c.shared_block(l) : l; };
  const int slots = shared_copies ? z.num_mem_blocks : c.n_layers;
  std::vector<int> owner(slots, -1);
  std::vector<std::vector<std::string>> tied(slots);
  for (int l = 0; l < c.n_layers; ++l) {
    if (c.shared_block(l) < 0) continue;
    const int b = slot_of(l);
    if (owner[b] < 0) owner[b] = l;
    else tied[b].push_back(layer_prefix(l) + "shared_transformer.");
  }

  std::vector<std::shared_ptr<const Zamba2SharedBlock>> blocks(slots);
  std::vector<std::unique_ptr<Zamba2BlockUse>> uses(c.n_layers);
  int u = 0;  // hybrid layers so far: the index of the adapters
  for (int l = 0; l < c.n_layers; ++l) {
    if (c.shared_block(l) < 0) continue;
    const int b = slot_of(l);
    BlockReader rd(ck, be, layer_prefix(owner[b]) + "shared_transformer.", tied[b]);
    if (!blocks[b]) {
      auto blk = std::make_shared<Zamba2SharedBlock>();
      blk->input_norm = rd.shared("input_layernorm.weight", {2 * D});
      blk->q_proj = rd.shared("self_attn.q_proj.weight", {Hq * hd, 2 * D});
      blk->k_proj = rd.shared("self_attn.k_proj.weight", {Hkv * hd, 2 * D});
      blk->v_proj = rd.shared("self_attn.v_proj.weight", {Hkv * hd, 2 * D});
      blk->o_proj = rd.shared("self_attn.o_proj.weight", {D, Hq * hd});
      blk->pre_ff_norm = rd.shared("pre_ff_layernorm.weight", {D});
      blk->gate_up = rd.shared("feed_forward.gate_up_proj.weight", {2 * I, D});
      blk->down = rd.shared("feed_forward.down_proj.weight", {D, I});
      if (c.ffn.mlp_bias) {
        blk->gate_up_bias = rd.shared("feed_forward.gate_up_proj.bias", {2 * I});
        blk->down_bias = rd.shared("feed_forward.down_proj.bias", {D});
      }
      blocks[b] = std::move(blk);
    }
    auto use = std::make_unique<Zamba2BlockUse>();
    use->shared_ = blocks[b];
    use->block_ = c.shared_block(l);
    use->attn_ = a;
    use->intermediate_ = I;
    use->eps_ = c.norm_eps;
    const std::string own = layer_prefix(l) + "shared_transformer.";
    const std::string n = std::to_string(u);
    auto adapter = [&](const std::string& list, int64_t in, int64_t out) {
      Zamba2BlockUse::Adapter ad;
      ad.down = rd.per_use(own, list + "." + n + ".0.weight", {r, in});
      ad.up = rd.per_use(own, list + "." + n + ".1.weight", {out, r});
      return ad;
    };
    if (z.attention_adapters) {
      use->q_adapter_ = adapter("self_attn.linear_q_adapter_list", 2 * D, 2 * D);
      use->k_adapter_ = adapter("self_attn.linear_k_adapter_list", 2 * D, 2 * D);
      use->v_adapter_ = adapter("self_attn.linear_v_adapter_list", 2 * D, 2 * D);
    }
    use->gate_up_adapter_ = adapter("feed_forward.gate_up_proj_adapter_list", D, 2 * I);
    use->linear_ = load_weight(ck, be, layer_prefix(l) + "linear.weight", {D, D});
    uses[l] = std::move(use);
    ++u;
  }
  return uses;
}

// linear(x, w, bias) + up(down(x)): a projection with this use's adapter (none: the projection alone).
Tensor Zamba2BlockUse::adapted(Backend& be, const Tensor& x, const Tensor& w, const Tensor* bias, const Adapter& a) const {
  Tensor y = be.linear(x, w, bias);
  if (a.down.empty()) return y;
  return be.add(y, be.linear(be.linear(x, a.down, nullptr), a.up, nullptr));
}

Tensor Zamba2BlockUse::forward(Backend& be, const Tensor& x, const Tensor& x0, KvCache& kv, const Tracer& cb, int il) const {
  const Zamba2SharedBlock& s = *shared_;
  const int64_t T = x.size(0), Hq = attn_.n_heads, Hkv = attn_.n_kv_heads, hd = attn_.head_dim, I = intermediate_;
  const int64_t p0 = kv.length;
  // Attention on concat(x, x_0).
  const Tensor n = be.rms_norm(be.concat_cols(x, x0), s.input_norm, eps_);          // [T, 2D]
  Tensor q = adapted(be, n, s.q_proj, nullptr, q_adapter_).reshaped({T, Hq, hd});   // [T, Hq, hd]
  Tensor k = adapted(be, n, s.k_proj, nullptr, k_adapter_).reshaped({T, Hkv, hd});  // [T, Hkv, hd]
  Tensor v = adapted(be, n, s.v_proj, nullptr, v_adapter_).reshaped({T, Hkv, hd});  // [T, Hkv, hd]
  if (attn_.rope) {
    be.rope(q, p0, attn_.rope_theta, hd);
    be.rope(k, p0, attn_.rope_theta, hd);
  }
  be.kv_append(kv, k, v);
  AttentionArgs args;
  args.q = &q;
  args.cache = &kv;
  args.pos0 = p0;
  args.scale = attn_.scale;
  Tensor probs;  // [R, W] the probs window's rows whose queries are in this call
  request_probs_rows(cb, il, p0, T, args, probs);
  const Tensor o = be.linear(be.attention(args).reshaped({T, Hq * hd}), s.o_proj, nullptr);  // [T, D]
  record_attention(cb, il, q, k, probs, p0, [this](int64_t n) { return kv_bytes(n); });
  // The GELU MLP on the attention's output (no residual in the block), then this layer's linear.
  const Tensor f = be.rms_norm(o, s.pre_ff_norm, eps_);                             // [T, D]
  const Tensor gu = adapted(be, f, s.gate_up, opt(s.gate_up_bias), gate_up_adapter_);  // [T, 2I]
  const Tensor h = be.gelu_mul(be.slice_cols(gu, 0, I), be.slice_cols(gu, I, 2 * I));  // [T, I]
  const Tensor mlp = be.linear(h, s.down, opt(s.down_bias));                         // [T, D]
  return be.linear(mlp, linear_, nullptr);                                           // [T, D]
}

int64_t Zamba2BlockUse::kv_bytes(int64_t positions) const {
  return 2 * static_cast<int64_t>(sizeof(float)) * attn_.n_kv_heads * attn_.head_dim * positions;
}

}  // namespace ss
