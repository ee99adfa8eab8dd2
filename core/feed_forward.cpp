// Feed-forward layers as transformers 5.17 computes them: the SwiGLU MLP (LlamaMLP, JambaMLP,
// BambaMLP), the squared-ReLU MLP (NemotronHMLP), the sparse mixtures of experts of Jamba
// (JambaSparseMoeBlock) and Granite 4.0 (GraniteMoeHybridMoE, with its shared MLP beside it).
//
// Shapes: T tokens, D d_model, I intermediate size, E experts, K experts per token (top_k), Is the
// shared MLP's intermediate size.
//   MLP:  y = down(silu(gate(x)) * up(x))                 gate, up [I, D], down [D, I] (+ bias: mlp_bias)
//         Nemotron-H: y = down(relu(up(x))^2)             relu as clamp(., 0, inf), the square as mul
//   MoE:  logits = router(x)                              [T, E]   (router [E, D], no bias)
//         Jamba: p = softmax(logits) over all E experts, the K largest p per token, NOT renormalised
//                (they sum to less than 1)
//         Granite: the K largest logits, p = softmax over those K (they sum to 1)
//         Nemotron-H: s = sigmoid(logits); a group's score = its two best (s + bias); among the
//                topk_groups best groups the K largest (s + bias) are chosen; p = s of those
//                (/ their sum when norm_topk) * routed_scale; bias = gate.e_score_correction_bias [E]
//         y_t = sum_k p_k * MLP_{e_k}(x_t)                experts have no bias (Nemotron-H: squared ReLU)
//         Granite: y_t += shared(x_t), shared = SwiGLU with input_linear [2Is, D] (gate rows first)
//                  and output_linear [D, Is]
//         Nemotron-H: y_t += shared(x_t), shared = down(relu(up x)^2) under shared_experts., [Is, D]
// Experts are stored per expert (`experts.<e>.{gate,up,down}_proj.weight`, what save_pretrained
// writes for Jamba), fused as transformers 5 holds them in memory (`experts.gate_up_proj` [E, 2I, D],
// gate rows first, and `experts.down_proj` [E, D, I]), or fused under Granite's names
// (`input_linear.weight`, `output_linear.weight`, router `router.layer.weight`); Nemotron-H's
// squared-ReLU experts per expert (`experts.<e>.{up,down}_proj.weight`) or fused (`experts.up_proj`
// [E, I, D], `experts.down_proj` [E, D, I]), router `gate.weight`; all load.
// Granite's residual_multiplier is folded into every down projection (layer.h: load_weight's scale);
// Falcon-H1's MLP is down(silu(gate(x) * mlp_multipliers[0]) * up(x)) * mlp_multipliers[1], the
// two folded into gate_proj and down_proj (weights and biases).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>

#include "error.h"
#include "layer.h"

namespace ss {

namespace {

struct SwiGlu {
  MlpKind kind = MlpKind::SwiGlu;
  Tensor gate, gate_bias;  // [I, D], [I] (SwiGlu only)
  Tensor up, up_bias;      // [I, D], [I]
  Tensor down, down_bias;  // [D, I], [D]

  Tensor operator()(Backend& be, const Tensor& x) const {  // [R, D] -> [R, D]
    Tensor h;  // [R, I]
    if (kind == MlpKind::Relu2) {
      const Tensor r = be.clamp(be.linear(x, up, opt(up_bias)), 0.0f, std::numeric_limits<float>::infinity());  // relu
      h = be.mul(r, r);
    } else {
      h = be.silu_mul(be.linear(x, gate, opt(gate_bias)), be.linear(x, up, opt(up_bias)));
    }
    return be.linear(h, down, opt(down_bias));
  }
  static const Tensor* opt(const Tensor& t) { return t.empty() ? nullptr : &t; }
};

SwiGlu load_swiglu(ModelFolder& ck, Backend& be, const std::string& p, int64_t D, int64_t I, bool bias, MlpKind kind, float out_scale,
                   float gate_scale = 1.0f) {
  SwiGlu m;
  m.kind = kind;
  if (kind == MlpKind::SwiGlu) m.gate = load_weight(ck, be, p + "gate_proj.weight", {I, D}, gate_scale);
  m.up = load_weight(ck, be, p + "up_proj.weight", {I, D});
  m.down = load_weight(ck, be, p + "down_proj.weight", {D, I}, out_scale);
  if (bias) {
    if (kind == MlpKind::SwiGlu) m.gate_bias = load_weight(ck, be, p + "gate_proj.bias", {I}, gate_scale);
    m.up_bias = load_weight(ck, be, p + "up_proj.bias", {I});
    m.down_bias = load_weight(ck, be, p + "down_proj.bias", {D}, out_scale);
  }
  return m;
}

// Granite's shared MLP: input_linear [2Is, D] (gate rows, then up rows), output_linear [D, Is].
SwiGlu load_granite_shared(ModelFolder& ck, Backend& be, const std::string& p, int64_t D, int64_t Is, float out_scale) {
  const Tensor in = ck.get(p + "input_linear.weight", {2 * Is, D});
  if (!ck.has(p + "output_linear.weight"))
    throw Error(ck.file_of(p + "output_linear.weight"), p + "output_linear.weight", "tensor missing from the model folder (expected shape " + shape_to_string({D, Is}) + ")");
  SwiGlu m;
  Tensor gate = Tensor::zeros({Is, D}), up = Tensor::zeros({Is, D});
  std::memcpy(gate.data(), in.data(), Is * D * sizeof(float));
  std::memcpy(up.data(), in.data() + Is * D, Is * D * sizeof(float));
  m.gate = be.upload(gate);
  m.up = be.upload(up);
  m.down = load_weight(ck, be, p + "output_linear.weight", {D, Is}, out_scale);
  return m;
}

class Mlp final : public FeedForward {
 public:
  explicit Mlp(SwiGlu m) : mlp_(std::move(m)) {}
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
  Moe(ModelFolder& ck, const ModelConfig& c, const std::string& p, Backend& be, const std::string& shared_prefix)
      : E_(c.ffn.n_experts), K_(c.ffn.top_k), routing_(c.ffn.routing), groups_(c.ffn.n_groups), topk_groups_(c.ffn.topk_groups),
        norm_topk_(c.ffn.norm_topk), routed_scale_(c.ffn.routed_scale) {
    const int64_t D = c.d_model, I = c.ffn.moe_intermediate > 0 ? c.ffn.moe_intermediate : c.ffn.intermediate;
    const float r = c.mult.residual;
    if (routing_ == MoeRouting::SigmoidGroupedTopK) {  // Nemotron-H: squared-ReLU experts, router "gate."
      load_nemotron_h(ck, c, p, be, D, I);
      return;
    }
    router_ = load_weight(ck, be, ck.has(p + "router.layer.weight") ? p + "router.layer.weight" : p + "router.weight", {E_, D});
    const std::string per_expert = p + "experts.0.gate_proj.weight";
    std::string fused_gate_up = p + "experts.gate_up_proj", fused_down = p + "experts.down_proj";
    if (ck.has(p + "input_linear.weight") || ck.has(p + "output_linear.weight")) {  // Granite's names
      fused_gate_up = p + "input_linear.weight";
      fused_down = p + "output_linear.weight";
    }
    if (ck.has(per_expert)) {
      for (int e = 0; e < E_; ++e)
        experts_.push_back(load_swiglu(ck, be, p + "experts." + std::to_string(e) + ".", D, I, false, MlpKind::SwiGlu, r));
    } else if (ck.has(fused_gate_up) || ck.has(fused_down)) {
      if (!ck.has(fused_down)) throw Error(ck.file_of(fused_down), fused_down, "tensor missing from the model folder (expected shape " + shape_to_string({E_, D, I}) + ")");
      if (!ck.has(fused_gate_up)) throw Error(ck.file_of(fused_gate_up), fused_gate_up, "tensor missing from the model folder (expected shape " + shape_to_string({E_, 2 * I, D}) + ")");
      const Tensor gate_up = ck.get(fused_gate_up, {E_, 2 * I, D});  // gate rows, then up rows
      Tensor down = ck.get(fused_down, {E_, D, I});
      if (r != 1.0f) down.flat() *= r;
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
    if (!shared_prefix.empty()) shared_ = load_granite_shared(ck, be, shared_prefix, D, c.ffn.shared_intermediate, r);
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
      if (routing_ == MoeRouting::SigmoidGroupedTopK) {
        route_sigmoid_grouped(l, order, p);
        for (int k = 0; k < K_; ++k) {
          const int e = order[k];
          chosen.at(t * K_ + k) = static_cast<float>(e);
          weights.at(t * K_ + k) = p[k];
          rows[e].push_back(static_cast<int32_t>(t));
          row_weights[e].push_back(p[k]);
        }
        continue;
      }
      const float m = *std::max_element(l, l + E_);
      float sum = 0.0f;
      for (int e = 0; e < E_; ++e) sum += (p[e] = std::exp(l[e] - m));
      for (int e = 0; e < E_; ++e) p[e] /= sum;
      std::iota(order.begin(), order.end(), 0);
      std::partial_sort(order.begin(), order.begin() + K_, order.end(),
                        [&](int a, int b) { return p[a] > p[b] || (p[a] == p[b] && a < b); });
      // Granite: softmax over the K chosen logits alone (the same order: softmax is monotone).
      float top_sum = 0.0f;
      if (routing_ == MoeRouting::TopKThenSoftmax)
        for (int k = 0; k < K_; ++k) top_sum += std::exp(l[order[k]] - m);
      for (int k = 0; k < K_; ++k) {
        const int e = order[k];
        const float w = routing_ == MoeRouting::TopKThenSoftmax ? std::exp(l[e] - m) / top_sum : p[e];
        chosen.at(t * K_ + k) = static_cast<float>(e);
        weights.at(t * K_ + k) = w;
        rows[e].push_back(static_cast<int32_t>(t));
        row_weights[e].push_back(w);
      }
    }

    // Each expert runs on the tokens routed to it; results are added back in expert order.
    Tensor y = be.zeros({T, D});  // [T, D]
    for (int e = 0; e < E_; ++e) {
      if (rows[e].empty()) continue;
      const Tensor xe = be.gather_rows(x, rows[e]);  // [R_e, D]
      be.scatter_add_rows(y, experts_[e](be, xe), rows[e], row_weights[e]);
    }

    if (!shared_.down.empty()) y = be.add(y, shared_(be, x));  // Granite's shared MLP, Nemotron-H's shared expert

    cb(trace::kMoeRouterLogits, il, logits);
    cb(trace::kMoeExperts, il, chosen);
    cb(trace::kMoeWeights, il, weights);
    return y;
  }

 private:
  // Nemotron-H: the router under gate. (weight [E, D], e_score_correction_bias [E]), squared-ReLU experts
  // per expert or fused, the shared expert under shared_experts.
  void load_nemotron_h(ModelFolder& ck, const ModelConfig& c, const std::string& p, Backend& be, int64_t D, int64_t I) {
    const float r = c.mult.residual;
    router_ = load_weight(ck, be, p + "gate.weight", {E_, D});
    score_bias_ = ck.get(p + "gate.e_score_correction_bias", {E_});  // host: the choice is made on the host
    if (ck.has(p + "experts.0.up_proj.weight")) {
      for (int e = 0; e < E_; ++e)
        experts_.push_back(load_swiglu(ck, be, p + "experts." + std::to_string(e) + ".", D, I, false, MlpKind::Relu2, r));
    } else {
      const std::string up_name = p + "experts.up_proj", down_name = p + "experts.down_proj";
      if (!ck.has(up_name))
        throw Error(ck.file_of(up_name), up_name, "tensor missing from the model folder (experts are stored neither per expert, " + p +
                                                      "experts.0.up_proj.weight, nor fused, expected shape " + shape_to_string({E_, I, D}) + ")");
      const Tensor up = ck.get(up_name, {E_, I, D});
      Tensor down = ck.get(down_name, {E_, D, I});
      if (r != 1.0f) down.flat() *= r;
      for (int e = 0; e < E_; ++e) {
        SwiGlu m;
        m.kind = MlpKind::Relu2;
        m.up = be.upload(expert_slice(up, e, 0, I));
        m.down = be.upload(expert_slice(down, e, 0, D));
        experts_.push_back(std::move(m));
      }
    }
    shared_ = load_swiglu(ck, be, p + "shared_experts.", D, c.ffn.shared_intermediate, c.ffn.mlp_bias, MlpKind::Relu2, r);
  }

  // NemotronHTopkRouter for one token's logits l [E]: order[0..K) = the chosen experts, w[0..K) their
  // weights. Scores s = sigmoid(l) (in float, as transformers computes the router in float32); the
  // choice uses s + bias; a group scores the sum of its best two; only the topk_groups best groups are
  // eligible. Ties go to the lower index (torch.topk's order among exact ties is unspecified).
  void route_sigmoid_grouped(const float* l, std::vector<int>& order, std::vector<float>& w) const {
    std::vector<float> s(E_), choice(E_);
    for (int e = 0; e < E_; ++e) {
      s[e] = 1.0f / (1.0f + std::exp(-l[e]));
      choice[e] = s[e] + score_bias_.data()[e];
    }
    const int per = E_ / groups_;
    std::vector<float> group_score(groups_);
    for (int g = 0; g < groups_; ++g) {
      float b1 = -std::numeric_limits<float>::infinity(), b2 = b1;
      for (int j = 0; j < per; ++j) {
        const float v = choice[g * per + j];
        if (v > b1) { b2 = b1; b1 = v; }
        else if (v > b2) b2 = v;
      }
      group_score[g] = b1 + b2;
    }
    std::vector<int> gorder(groups_);
    std::iota(gorder.begin(), gorder.end(), 0);
    std::partial_sort(gorder.begin(), gorder.begin() + topk_groups_, gorder.end(),
                      [&](int a, int b) { return group_score[a] > group_score[b] || (group_score[a] == group_score[b] && a < b); });
    std::vector<char> eligible(groups_, 0);
    for (int k = 0; k < topk_groups_; ++k) eligible[gorder[k]] = 1;
    order.clear();
    for (int e = 0; e < E_; ++e)
      if (eligible[e / per]) order.push_back(e);
    std::partial_sort(order.begin(), order.begin() + K_, order.end(),
                      [&](int a, int b) { return choice[a] > choice[b] || (choice[a] == choice[b] && a < b); });
    order.resize(K_);
    w.assign(K_, 0.0f);
    float sum = 0.0f;
    for (int k = 0; k < K_; ++k) sum += (w[k] = s[order[k]]);
    for (int k = 0; k < K_; ++k) w[k] = (norm_topk_ ? w[k] / (sum + 1e-20f) : w[k]) * routed_scale_;
    order.resize(E_);  // keep the caller's buffer its size; only the first K entries are meaningful
  }

  int E_, K_;
  MoeRouting routing_;
  int groups_ = 1, topk_groups_ = 1;  // SigmoidGroupedTopK
  bool norm_topk_ = false;
  float routed_scale_ = 1.0f;
  Tensor score_bias_;            // [E] host (SigmoidGroupedTopK)
  Tensor router_;                // [E, D]
  std::vector<SwiGlu> experts_;  // E of them
  SwiGlu shared_;                // Granite: the shared MLP (empty otherwise)
};

}  // namespace

std::unique_ptr<FeedForward> load_mlp(ModelFolder& ck, const ModelConfig& c, const std::string& prefix, Backend& be) {
  return std::make_unique<Mlp>(load_swiglu(ck, be, prefix, c.d_model, c.ffn.intermediate, c.ffn.mlp_bias, c.ffn.mlp,
                                           c.mult.residual * c.mult.mlp_down, c.mult.mlp_gate));
}
std::unique_ptr<FeedForward> load_shared_mlp(ModelFolder& ck, const ModelConfig& c, const std::string& prefix, Backend& be) {
  return std::make_unique<Mlp>(load_granite_shared(ck, be, prefix, c.d_model, c.ffn.shared_intermediate, c.mult.residual));
}
std::unique_ptr<FeedForward> load_moe(ModelFolder& ck, const ModelConfig& c, const std::string& prefix, Backend& be,
                                      const std::string& shared_prefix) {
  return std::make_unique<Moe>(ck, c, prefix, be, shared_prefix);
}

}  // namespace ss
