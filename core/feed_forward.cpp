// Feed-forward layers: the SwiGLU MLP (LlamaMLP, JambaMLP) and Jamba's sparse mixture of experts
// (JambaSparseMoeBlock), as transformers 5.17 computes them.
//
// Shapes: T tokens, D d_model, I intermediate size, E experts, K experts per token (top_k).
//   MLP:  y = down(silu(gate(x)) * up(x))                 gate, up [I, D], down [D, I] (+ bias: mlp_bias)
//   MoE:  logits = router(x)                              [T, E]   (router [E, D], no bias)
//         p = softmax(logits) over all E experts          [T, E]   (float32, as transformers)
//         the K largest p per token, NOT renormalised     [T, K]   (they sum to less than 1)
//         y_t = sum_k p_k * MLP_{e_k}(x_t)                experts have no bias
// Experts are stored per expert (`experts.<e>.{gate,up,down}_proj.weight`, what save_pretrained
// writes) or fused as transformers 5 holds them in memory (`experts.gate_up_proj` [E, 2I, D], gate
// rows first, and `experts.down_proj` [E, D, I]); both load.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

#include "error.h"
#include "layer.h"

namespace ss {

namespace {

struct SwiGlu {
  Tensor gate, gate_bias;  // [I, D], [I]
  Tensor up, up_bias;      // [I, D], [I]
  Tensor down, down_bias;  // [D, I], [D]

  Tensor operator()(Backend& be, const Tensor& x) const {  // [R, D] -> [R, D]
    const Tensor h = be.silu_mul(be.linear(x, gate, opt(gate_bias)), be.linear(x, up, opt(up_bias)));  // [R, I]
    return be.linear(h, down, opt(down_bias));
  }
  static const Tensor* opt(const Tensor& t) { return t.empty() ? nullptr : &t; }
};

SwiGlu load_swiglu(ModelFolder& ck, Backend& be, const std::string& p, int64_t D, int64_t I, bool bias) {
  SwiGlu m;
  m.gate = load_weight(ck, be, p + "gate_proj.weight", {I, D});
  m.up = load_weight(ck, be, p + "up_proj.weight", {I, D});
  m.down = load_weight(ck, be, p + "down_proj.weight", {D, I});
  if (bias) {
    m.gate_bias = load_weight(ck, be, p + "gate_proj.bias", {I});
    m.up_bias = load_weight(ck, be, p + "up_proj.bias", {I});
    m.down_bias = load_weight(ck, be, p + "down_proj.bias", {D});
  }
  return m;
}

class Mlp final : public FeedForward {
 public:
  Mlp(ModelFolder& ck, const ModelConfig& c, const std::string& p, Backend& be)
      : mlp_(load_swiglu(ck, be, p, c.d_model, c.ffn.intermediate, c.ffn.mlp_bias)) {}
  FfnKind kind() const override { return FfnKind::Mlp; }
  Tensor forward(Backend& be, const Tensor& x, const Tracer&, int) const override { return mlp_(be, x); }

 private:
  SwiGlu mlp_;
};

// Copies rows [r0, r0 + n) of expert e of a fused [E, rows, cols] host tensor into a new [n, cols].
Tensor expert_slice(const Tensor& fused, int64_t e, int64_t r0, int64_t n) {
  const int64_t rows = fused.size(1), cols = fused.size(2);
  Tensor t = Tensor::zeros({n, cols});
  std::memcpy(t.data(), fused.data() + (e * rows + r0) * cols, n * cols * sizeof(float));
  return t;
}

class Moe final : public FeedForward {
 public:
  Moe(ModelFolder& ck, const ModelConfig& c, const std::string& p, Backend& be) : E_(c.ffn.n_experts), K_(c.ffn.top_k) {
    const int64_t D = c.d_model, I = c.ffn.intermediate;
    router_ = load_weight(ck, be, p + "router.weight", {E_, D});
    const std::string per_expert = p + "experts.0.gate_proj.weight", fused_gate_up = p + "experts.gate_up_proj",
                      fused_down = p + "experts.down_proj";
    if (ck.has(per_expert)) {
      for (int e = 0; e < E_; ++e) experts_.push_back(load_swiglu(ck, be, p + "experts." + std::to_string(e) + ".", D, I, false));
    } else if (ck.has(fused_gate_up) || ck.has(fused_down)) {
      if (!ck.has(fused_down)) throw Error(ck.file_of(fused_down), fused_down, "tensor missing from the model folder (expected shape " + shape_to_string({E_, D, I}) + ")");
      if (!ck.has(fused_gate_up)) throw Error(ck.file_of(fused_gate_up), fused_gate_up, "tensor missing from the model folder (expected shape " + shape_to_string({E_, 2 * I, D}) + ")");
      const Tensor gate_up = ck.get(fused_gate_up, {E_, 2 * I, D});  // gate rows, then up rows
      const Tensor down = ck.get(fused_down, {E_, D, I});
      for (int e = 0; e < E_; ++e) {
        SwiGlu m;
        m.gate = be.upload(expert_slice(gate_up, e, 0, I));
        m.up = be.upload(expert_slice(gate_up, e, I, I));
        m.down = be.upload(expert_slice(down, e, 0, D));
        experts_.push_back(std::move(m));
      }
    } else {
      throw Error(ck.file_of(per_expert), per_expert,
                  "tensor missing from the model folder (experts are stored neither per expert nor fused as " + fused_gate_up + ")");
    }
  }

  FfnKind kind() const override { return FfnKind::Moe; }

  Tensor forward(Backend& be, const Tensor& x, const Tracer& cb, int il) const override {
    const int64_t T = x.size(0), D = x.size(1);
    const Tensor logits_dev = be.linear(x, router_, nullptr);  // [T, E]
    const Tensor logits = be.to_host(logits_dev);             // routing is decided on the host (T x E)

    // Softmax over all experts, then the top K (largest first; ties go to the lower expert id).
    Tensor chosen = Tensor::zeros({T, K_}), weights = Tensor::zeros({T, K_});  // [T, K]
    std::vector<std::vector<int32_t>> rows(E_);
    std::vector<std::vector<float>> row_weights(E_);
    std::vector<float> p(E_);
    std::vector<int> order(E_);
    for (int64_t t = 0; t < T; ++t) {
      const float* l = logits.data() + t * E_;
      const float m = *std::max_element(l, l + E_);
      float sum = 0.0f;
      for (int e = 0; e < E_; ++e) sum += (p[e] = std::exp(l[e] - m));
      for (int e = 0; e < E_; ++e) p[e] /= sum;
      std::iota(order.begin(), order.end(), 0);
      std::partial_sort(order.begin(), order.begin() + K_, order.end(),
                        [&](int a, int b) { return p[a] > p[b] || (p[a] == p[b] && a < b); });
      for (int k = 0; k < K_; ++k) {
        const int e = order[k];
        chosen.at(t * K_ + k) = static_cast<float>(e);
        weights.at(t * K_ + k) = p[e];
        rows[e].push_back(static_cast<int32_t>(t));
        row_weights[e].push_back(p[e]);
      }
    }

    // Each expert runs on the tokens routed to it; results are added back in expert order.
    Tensor y = be.zeros({T, D});  // [T, D]
    for (int e = 0; e < E_; ++e) {
      if (rows[e].empty()) continue;
      const Tensor xe = be.gather_rows(x, rows[e]);  // [R_e, D]
      be.scatter_add_rows(y, experts_[e](be, xe), rows[e], row_weights[e]);
    }

    cb(trace::kMoeRouterLogits, il, logits);
    cb(trace::kMoeExperts, il, chosen);
    cb(trace::kMoeWeights, il, weights);
    return y;
  }

 private:
  int E_, K_;
  Tensor router_;                // [E, D]
  std::vector<SwiGlu> experts_;  // E of them
};

}  // namespace

std::unique_ptr<FeedForward> load_mlp(ModelFolder& ck, const ModelConfig& c, const std::string& prefix, Backend& be) {
  return std::make_unique<Mlp>(ck, c, prefix, be);
}
std::unique_ptr<FeedForward> load_moe(ModelFolder& ck, const ModelConfig& c, const std::string& prefix, Backend& be) {
  return std::make_unique<Moe>(ck, c, prefix, be);
}

}  // namespace ss
