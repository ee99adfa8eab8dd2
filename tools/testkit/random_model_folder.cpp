#include "random_model_folder.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>

#include "config.h"

namespace fs = std::filesystem;

namespace ss::testkit {

void write_safetensors_f32(const std::string& path, const std::map<std::string, Tensor>& tensors) {
  nlohmann::json header = nlohmann::json::object();
  uint64_t offset = 0;
  for (const auto& [name, t] : tensors) {
    const uint64_t bytes = t.numel() * 4;
    header[name] = {{"dtype", "F32"}, {"shape", t.shape()}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string h = header.dump();
  h.append((8 - h.size() % 8) % 8, ' ');
  std::ofstream out(path, std::ios::binary);
  const uint64_t len = h.size();
  for (int i = 0; i < 8; ++i) out.put(static_cast<char>(len >> (8 * i) & 0xff));
  out.write(h.data(), static_cast<std::streamsize>(h.size()));
  for (const auto& [name, t] : tensors) out.write(reinterpret_cast<const char*>(t.data()), t.numel() * 4);
}

namespace {

class Weights {
 public:
  explicit Weights(unsigned seed) : rng_(seed) {}
  void normal(const std::string& name, Shape shape, float scale, float mean = 0.0f) {
    Tensor t = Tensor::zeros(shape);
    for (int64_t i = 0; i < t.numel(); ++i) t.at(i) = mean + scale * n_(rng_);
    w_[name] = t;
  }
  void linear(const std::string& name, int64_t out, int64_t in) { normal(name, {out, in}, 1.0f / std::sqrt(float(in))); }
  void norm(const std::string& name, int64_t d) { normal(name, {d}, 0.1f, 1.0f); }
  // softplus(bias) spread log-uniformly over [0.001, 0.1], as Mamba initialises Δ.
  void dt_bias(const std::string& name, int64_t n) {
    Tensor t = Tensor::zeros({n});
    for (int64_t i = 0; i < n; ++i) {
      const float dt = std::exp(std::log(0.001f) + u_(rng_) * (std::log(0.1f) - std::log(0.001f)));
      t.at(i) = dt + std::log(-std::expm1(-dt));
    }
    w_[name] = t;
  }
  void a_log(const std::string& name, Shape shape) {
    Tensor t = Tensor::zeros(shape);
    for (int64_t i = 0; i < t.numel(); ++i) t.at(i) = std::log(1.0f + 15.0f * u_(rng_));
    w_[name] = t;
  }
  const std::map<std::string, Tensor>& all() const { return w_; }

 private:
  std::mt19937 rng_;
  std::normal_distribution<float> n_{0.0f, 1.0f};
  std::uniform_real_distribution<float> u_{0.0f, 1.0f};
  std::map<std::string, Tensor> w_;
};

void mamba_mixer(Weights& w, const ModelConfig& c, const std::string& p) {
  const MambaParams& m = c.mamba;
  const int64_t D = c.d_model, Di = m.d_inner, N = m.d_state, R = m.dt_rank;
  w.linear(p + "in_proj.weight", 2 * Di, D);
  w.normal(p + "conv1d.weight", {Di, 1, m.d_conv}, 0.4f);
  if (m.conv_bias) w.normal(p + "conv1d.bias", {Di}, 0.1f);
  w.linear(p + "x_proj.weight", R + 2 * N, Di);
  w.normal(p + "dt_proj.weight", {Di, R}, 1.0f / std::sqrt(float(R)));
  w.dt_bias(p + "dt_proj.bias", Di);
  w.a_log(p + "A_log", {Di, N});
  w.normal(p + "D", {Di}, 0.3f, 1.0f);
  w.linear(p + "out_proj.weight", D, Di);
  if (m.proj_bias) {
    w.normal(p + "in_proj.bias", {2 * Di}, 0.1f);
    w.normal(p + "out_proj.bias", {D}, 0.1f);
  }
  if (m.dt_bc_norms && m.dt_bc_norm_weights) {  // Falcon-Mamba's norms have no weight
    w.norm(p + "dt_layernorm.weight", R);
    w.norm(p + "b_layernorm.weight", N);
    w.norm(p + "c_layernorm.weight", N);
  }
}

void mamba2_mixer(Weights& w, const ModelConfig& c, const std::string& p) {
  const Mamba2Params& m = c.mamba2;
  const int64_t D = c.d_model, Di = m.d_inner, GN = int64_t(m.n_groups) * m.d_state, H = m.n_heads;
  w.linear(p + "in_proj.weight", 2 * Di + 2 * GN + H, D);
  w.normal(p + "conv1d.weight", {Di + 2 * GN, 1, m.d_conv}, 0.4f);
  if (m.conv_bias) w.normal(p + "conv1d.bias", {Di + 2 * GN}, 0.1f);
  w.dt_bias(p + "dt_bias", H);
  w.a_log(p + "A_log", {H});
  w.normal(p + "D", {H}, 0.3f, 1.0f);
  if (m.gated_norm) w.norm(p + "norm.weight", Di);  // Falcon-H1 without mamba_rms_norm has none
  w.linear(p + "out_proj.weight", D, Di);
  // Biases only where Falcon-H1's or Zamba2's config asks (the other families' folders are written
  // without them: tst_attention checks that a missing bias is named).
  const bool biased = c.arch == Architecture::FalconH1 || c.arch == Architecture::Zamba2;
  if (biased && m.in_proj_bias) w.normal(p + "in_proj.bias", {2 * Di + 2 * GN + H}, 0.1f);
  if (biased && m.out_proj_bias) w.normal(p + "out_proj.bias", {D}, 0.1f);
}

void attention(Weights& w, const ModelConfig& c, const std::string& p) {
  const AttentionParams& a = c.attn;
  const int64_t D = c.d_model;
  w.linear(p + "q_proj.weight", int64_t(a.n_heads) * a.head_dim, D);
  w.linear(p + "k_proj.weight", int64_t(a.n_kv_heads) * a.head_dim, D);
  w.linear(p + "v_proj.weight", int64_t(a.n_kv_heads) * a.head_dim, D);
  w.linear(p + "o_proj.weight", D, int64_t(a.n_heads) * a.head_dim);
  if (a.bias && c.arch == Architecture::FalconH1) {  // as in mamba2_mixer
    w.normal(p + "q_proj.bias", {int64_t(a.n_heads) * a.head_dim}, 0.1f);
    w.normal(p + "k_proj.bias", {int64_t(a.n_kv_heads) * a.head_dim}, 0.1f);
    w.normal(p + "v_proj.bias", {int64_t(a.n_kv_heads) * a.head_dim}, 0.1f);
    w.normal(p + "o_proj.bias", {D}, 0.1f);
  }
}

void mlp(Weights& w, const ModelConfig& c, const std::string& p) {
  const int64_t D = c.d_model, I = c.ffn.intermediate;
  if (c.ffn.mlp == MlpKind::SwiGlu) w.linear(p + "gate_proj.weight", I, D);
  w.linear(p + "up_proj.weight", I, D);
  w.linear(p + "down_proj.weight", D, I);
  if (c.ffn.mlp_bias && c.arch == Architecture::FalconH1) {  // as in mamba2_mixer
    if (c.ffn.mlp == MlpKind::SwiGlu) w.normal(p + "gate_proj.bias", {I}, 0.1f);
    w.normal(p + "up_proj.bias", {I}, 0.1f);
    w.normal(p + "down_proj.bias", {D}, 0.1f);
  }
}

// Granite 4.0: experts fused under the original names, the router, the shared MLP (as save_pretrained writes them).
void granite_ffn(Weights& w, const ModelConfig& c, const std::string& p) {
  const int64_t D = c.d_model, I = c.ffn.intermediate, E = c.ffn.n_experts, Is = c.ffn.shared_intermediate;
  if (E > 0) {
    w.linear(p + "block_sparse_moe.router.layer.weight", E, D);
    w.normal(p + "block_sparse_moe.input_linear.weight", {E, 2 * I, D}, 1.0f / std::sqrt(float(D)));
    w.normal(p + "block_sparse_moe.output_linear.weight", {E, D, I}, 1.0f / std::sqrt(float(I)));
  }
  w.linear(p + "shared_mlp.input_linear.weight", 2 * Is, D);
  w.linear(p + "shared_mlp.output_linear.weight", D, Is);
}

// Zamba2: layer l's own tensors; a hybrid layer's shared block only under its first user's name (what
// save_pretrained writes: the later uses are tied), with every use's adapters inside that block's module.
void zamba2_layer(Weights& w, const ModelConfig& c, int l) {
  const int64_t D = c.d_model, I = c.ffn.intermediate, r = c.zamba2.adapter_rank;
  const AttentionParams& a = c.attn;
  const std::string p = "model.layers." + std::to_string(l) + ".";
  const int b = c.shared_block(l);
  if (b < 0) {
    w.norm(p + "input_layernorm.weight", D);
    mamba2_mixer(w, c, p + "mamba.");
    return;
  }
  w.norm(p + "mamba_decoder.input_layernorm.weight", D);
  mamba2_mixer(w, c, p + "mamba_decoder.mamba.");
  w.linear(p + "linear.weight", D, D);
  int owner = 0, use = 0;  // the block's first user; this layer's number among hybrid layers
  for (int k = 0; k < l; ++k) use += c.shared_block(k) >= 0;
  while (c.shared_block(owner) != b) ++owner;
  if (!c.tied_embeddings) owner = l;  // transformers 5.17 ties the blocks only with tie_word_embeddings: each use its own copy
  const std::string s = "model.layers." + std::to_string(owner) + ".shared_transformer.";
  if (owner == l) {
    w.norm(s + "input_layernorm.weight", 2 * D);
    w.linear(s + "self_attn.q_proj.weight", int64_t(a.n_heads) * a.head_dim, 2 * D);
    w.linear(s + "self_attn.k_proj.weight", int64_t(a.n_kv_heads) * a.head_dim, 2 * D);
    w.linear(s + "self_attn.v_proj.weight", int64_t(a.n_kv_heads) * a.head_dim, 2 * D);
    w.linear(s + "self_attn.o_proj.weight", D, int64_t(a.n_heads) * a.head_dim);
    w.norm(s + "pre_ff_layernorm.weight", D);
    w.linear(s + "feed_forward.gate_up_proj.weight", 2 * I, D);
    w.linear(s + "feed_forward.down_proj.weight", D, I);
    if (c.ffn.mlp_bias) {
      w.normal(s + "feed_forward.gate_up_proj.bias", {2 * I}, 0.1f);
      w.normal(s + "feed_forward.down_proj.bias", {D}, 0.1f);
    }
  }
  const std::string u = std::to_string(use);
  auto adapter = [&](const std::string& list, int64_t in, int64_t out) {
    w.linear(s + list + "." + u + ".0.weight", r, in);
    w.normal(s + list + "." + u + ".1.weight", {out, r}, 0.5f / std::sqrt(float(r)));
  };
  if (c.zamba2.attention_adapters)
    for (const char* q : {"self_attn.linear_q_adapter_list", "self_attn.linear_k_adapter_list", "self_attn.linear_v_adapter_list"}) adapter(q, 2 * D, 2 * D);
  adapter("feed_forward.gate_up_proj_adapter_list", D, 2 * I);
}

// Nemotron-H's MoE block as save_pretrained writes it: the router and its score-correction bias under
// gate., squared-ReLU experts per expert, the shared expert.
void nemotron_h_moe(Weights& w, const ModelConfig& c, const std::string& p) {
  const int64_t D = c.d_model, I = c.ffn.moe_intermediate, E = c.ffn.n_experts, Is = c.ffn.shared_intermediate;
  w.linear(p + "gate.weight", E, D);
  w.normal(p + "gate.e_score_correction_bias", {E}, 0.2f);
  for (int64_t e = 0; e < E; ++e) {
    w.linear(p + "experts." + std::to_string(e) + ".up_proj.weight", I, D);
    w.linear(p + "experts." + std::to_string(e) + ".down_proj.weight", D, I);
  }
  w.linear(p + "shared_experts.up_proj.weight", Is, D);
  w.linear(p + "shared_experts.down_proj.weight", D, Is);
}

}  // namespace

std::string write_random_model_folder(const nlohmann::json& config, const std::string& dir, unsigned seed) {
  const ModelConfig c = parse_model_config(config, dir + "/config.json");
  Weights w(seed);
  const int64_t V = c.vocab_size, D = c.d_model;
  const bool ssm_naming = c.arch == Architecture::Mamba || c.arch == Architecture::Mamba2 || c.arch == Architecture::FalconMamba;
  const std::string root = ssm_naming || c.arch == Architecture::NemotronH ? "backbone." : "model.";
  w.normal(root + (ssm_naming || c.arch == Architecture::NemotronH ? "embeddings.weight" : "embed_tokens.weight"), {V, D}, 1.0f);
  for (int l = 0; l < c.n_layers; ++l) {
    const std::string p = root + "layers." + std::to_string(l) + ".";
    switch (c.arch) {
      case Architecture::Mamba:
      case Architecture::FalconMamba:
        w.norm(p + "norm.weight", D);
        mamba_mixer(w, c, p + "mixer.");
        break;
      case Architecture::Mamba2:
        w.norm(p + "norm.weight", D);
        mamba2_mixer(w, c, p + "mixer.");
        break;
      case Architecture::Llama:
        w.norm(p + "input_layernorm.weight", D);
        attention(w, c, p + "self_attn.");
        w.norm(p + "post_attention_layernorm.weight", D);
        mlp(w, c, p + "mlp.");
        break;
      case Architecture::Jamba:
        w.norm(p + "input_layernorm.weight", D);
        if (c.mixers[l] == MixerKind::Attention) attention(w, c, p + "self_attn.");
        else mamba_mixer(w, c, p + "mamba.");
        w.norm(p + "pre_ff_layernorm.weight", D);
        if (c.ffns[l] == FfnKind::Moe) {
          w.linear(p + "feed_forward.router.weight", c.ffn.n_experts, D);
          for (int e = 0; e < c.ffn.n_experts; ++e) mlp(w, c, p + "feed_forward.experts." + std::to_string(e) + ".");
        } else {
          mlp(w, c, p + "feed_forward.");
        }
        break;
      case Architecture::Bamba:
        w.norm(p + "input_layernorm.weight", D);
        if (c.mixers[l] == MixerKind::Attention) attention(w, c, p + "self_attn.");
        else mamba2_mixer(w, c, p + "mamba.");
        w.norm(p + "pre_ff_layernorm.weight", D);
        mlp(w, c, p + "feed_forward.");
        break;
      case Architecture::NemotronH:
        w.norm(p + "norm.weight", D);
        if (c.mixers[l] == MixerKind::Attention) attention(w, c, p + "mixer.");
        else if (c.mixers[l] == MixerKind::Mamba2) mamba2_mixer(w, c, p + "mixer.");
        else if (c.ffns[l] == FfnKind::Moe) nemotron_h_moe(w, c, p + "mixer.");
        else mlp(w, c, p + "mixer.");
        break;
      case Architecture::GraniteMoeHybrid:
        w.norm(p + "input_layernorm.weight", D);
        if (c.mixers[l] == MixerKind::Attention) attention(w, c, p + "self_attn.");
        else mamba2_mixer(w, c, p + "mamba.");
        w.norm(p + "post_attention_layernorm.weight", D);
        granite_ffn(w, c, p);
        break;
      case Architecture::FalconH1:  // both mixers in every layer
        w.norm(p + "input_layernorm.weight", D);
        mamba2_mixer(w, c, p + "mamba.");
        attention(w, c, p + "self_attn.");
        w.norm(p + "pre_ff_layernorm.weight", D);
        mlp(w, c, p + "feed_forward.");
        break;
      case Architecture::Zamba2:
        zamba2_layer(w, c, l);
        break;
    }
  }
  const char* final_norm = c.arch == Architecture::Jamba || c.arch == Architecture::Bamba || c.arch == Architecture::FalconH1 ||
                                   c.arch == Architecture::Zamba2
                               ? "final_layernorm.weight"
                           : ssm_naming || c.arch == Architecture::NemotronH              ? "norm_f.weight"
                                                                                          : "norm.weight";
  w.norm(root + final_norm, D);
  if (!c.tied_embeddings) w.linear("lm_head.weight", V, D);
  fs::create_directories(dir);
  write_safetensors_f32((fs::path(dir) / "model.safetensors").string(), w.all());
  std::ofstream((fs::path(dir) / "config.json").string()) << config.dump(2);
  return dir;
}

nlohmann::json bench_config(const std::string& family) {
  if (family == "mamba")
    return {{"architectures", {"MambaForCausalLM"}}, {"vocab_size", 256}, {"hidden_size", 256}, {"num_hidden_layers", 4},
            {"state_size", 16}, {"conv_kernel", 4}, {"expand", 2}, {"time_step_rank", 16}, {"tie_word_embeddings", true}};
  if (family == "mamba2")
    return {{"architectures", {"Mamba2ForCausalLM"}}, {"vocab_size", 256}, {"hidden_size", 256}, {"num_hidden_layers", 4},
            {"num_heads", 8}, {"head_dim", 64}, {"expand", 2}, {"n_groups", 1}, {"state_size", 64}, {"conv_kernel", 4},
            {"chunk_size", 64}, {"tie_word_embeddings", true}};
  if (family == "llama")
    return {{"architectures", {"LlamaForCausalLM"}}, {"vocab_size", 256}, {"hidden_size", 256}, {"num_hidden_layers", 4},
            {"num_attention_heads", 4}, {"num_key_value_heads", 4}, {"intermediate_size", 384}, {"rope_theta", 10000.0},
            {"tie_word_embeddings", true}};
  if (family == "falcon_mamba")
    return {{"architectures", {"FalconMambaForCausalLM"}}, {"vocab_size", 256}, {"hidden_size", 256}, {"num_hidden_layers", 4},
            {"state_size", 16}, {"conv_kernel", 4}, {"expand", 2}, {"time_step_rank", 16}, {"tie_word_embeddings", true},
            {"mixer_rms_eps", 1e-6}};
  if (family == "bamba")
    return {{"architectures", {"BambaForCausalLM"}}, {"vocab_size", 256}, {"hidden_size", 256}, {"num_hidden_layers", 4},
            {"num_attention_heads", 4}, {"num_key_value_heads", 2}, {"intermediate_size", 256}, {"attn_layer_indices", {1}},
            {"mamba_n_heads", 8}, {"mamba_d_head", 64}, {"mamba_n_groups", 2}, {"mamba_d_state", 32}, {"mamba_d_conv", 4},
            {"mamba_expand", 2}, {"mamba_chunk_size", 64}, {"rope_parameters", {{"rope_theta", 10000.0}, {"rope_type", "default"}, {"partial_rotary_factor", 0.5}}},
            {"tie_word_embeddings", false}};
  if (family == "nemotron_h")
    return {{"architectures", {"NemotronHForCausalLM"}}, {"vocab_size", 256}, {"hidden_size", 256}, {"hybrid_override_pattern", "M*-M"},
            {"num_attention_heads", 4}, {"num_key_value_heads", 2}, {"head_dim", 64}, {"intermediate_size", 384},
            {"mamba_num_heads", 8}, {"mamba_head_dim", 64}, {"n_groups", 2}, {"ssm_state_size", 32}, {"conv_kernel", 4},
            {"chunk_size", 64}, {"time_step_min", 0.001}, {"tie_word_embeddings", false}};
  if (family == "granite_hybrid")
    return {{"architectures", {"GraniteMoeHybridForCausalLM"}}, {"vocab_size", 256}, {"hidden_size", 256}, {"num_hidden_layers", 4},
            {"layer_types", {"mamba", "attention", "mamba", "mamba"}}, {"num_attention_heads", 4}, {"num_key_value_heads", 2},
            {"intermediate_size", 128}, {"num_local_experts", 4}, {"num_experts_per_tok", 2}, {"shared_intermediate_size", 256},
            {"mamba_n_heads", 8}, {"mamba_d_head", 64}, {"mamba_n_groups", 1}, {"mamba_d_state", 32}, {"mamba_d_conv", 4},
            {"mamba_expand", 2}, {"mamba_chunk_size", 64}, {"position_embedding_type", "rope"},
            {"rope_parameters", {{"rope_theta", 10000.0}, {"rope_type", "default"}}}, {"embedding_multiplier", 12.0},
            {"residual_multiplier", 0.22}, {"attention_multiplier", 0.0078125}, {"logits_scaling", 8.0}, {"tie_word_embeddings", true}};
  if (family == "falcon_h1")  // every multiplier away from 1, so a misplaced one shows
    return {{"architectures", {"FalconH1ForCausalLM"}}, {"vocab_size", 256}, {"hidden_size", 256}, {"num_hidden_layers", 4},
            {"num_attention_heads", 4}, {"num_key_value_heads", 2}, {"intermediate_size", 384}, {"mamba_d_ssm", 512},
            {"mamba_n_heads", 8}, {"mamba_d_head", "auto"}, {"mamba_n_groups", 2}, {"mamba_d_state", 32}, {"mamba_d_conv", 4},
            {"mamba_chunk_size", 64}, {"mamba_rms_norm", true}, {"mamba_norm_before_gate", false},
            {"rope_parameters", {{"rope_theta", 10000.0}, {"rope_type", "default"}}}, {"embedding_multiplier", 2.0},
            {"lm_head_multiplier", 0.5}, {"mlp_multipliers", {1.5, 0.7}}, {"key_multiplier", 0.8}, {"attention_in_multiplier", 1.2},
            {"attention_out_multiplier", 0.9}, {"ssm_multipliers", {1.1, 0.9, 1.3, 0.8, 1.2}}, {"ssm_in_multiplier", 0.7},
            {"ssm_out_multiplier", 1.4}, {"tie_word_embeddings", false}};
  if (family == "zamba2")
    return {{"architectures", {"Zamba2ForCausalLM"}}, {"vocab_size", 256}, {"hidden_size", 256}, {"num_hidden_layers", 4},
            {"layers_block_type", {"linear_attention", "hybrid", "linear_attention", "hybrid"}}, {"num_mem_blocks", 2},
            {"num_attention_heads", 8}, {"num_key_value_heads", 8}, {"intermediate_size", 512}, {"use_shared_attention_adapter", true},
            {"adapter_rank", 32}, {"use_mem_rope", true}, {"rope_parameters", {{"rope_theta", 10000.0}, {"rope_type", "default"}}},
            {"n_mamba_heads", 8}, {"mamba_ngroups", 2}, {"mamba_d_state", 32}, {"mamba_d_conv", 4}, {"mamba_expand", 2},
            {"chunk_size", 64}, {"hidden_act", "gelu"}, {"tie_word_embeddings", true}};
  return {{"architectures", {"JambaForCausalLM"}}, {"vocab_size", 256}, {"hidden_size", 256}, {"num_hidden_layers", 4},
          {"num_attention_heads", 4}, {"num_key_value_heads", 4}, {"intermediate_size", 256}, {"attn_layer_offset", 2},
          {"attn_layer_period", 4}, {"expert_layer_offset", 1}, {"expert_layer_period", 2}, {"num_experts", 4},
          {"num_experts_per_tok", 2}, {"mamba_d_state", 16}, {"mamba_d_conv", 4}, {"mamba_expand", 2}, {"mamba_dt_rank", 16},
          {"tie_word_embeddings", true}};
}

}  // namespace ss::testkit
