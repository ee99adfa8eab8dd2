#include "config.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include "error.h"
#include "json_file.h"

namespace ss {

using json = nlohmann::json;

const char* architecture_name(Architecture a) {
  switch (a) {
    case Architecture::Mamba: return "MambaForCausalLM";
    case Architecture::Mamba2: return "Mamba2ForCausalLM";
    case Architecture::Llama: return "LlamaForCausalLM";
    case Architecture::Jamba: return "JambaForCausalLM";
    case Architecture::FalconMamba: return "FalconMambaForCausalLM";
    case Architecture::Bamba: return "BambaForCausalLM";
    case Architecture::NemotronH: return "NemotronHForCausalLM";
    case Architecture::GraniteMoeHybrid: return "GraniteMoeHybridForCausalLM";
    case Architecture::FalconH1: return "FalconH1ForCausalLM";
    case Architecture::Zamba2: return "Zamba2ForCausalLM";
  }
  return "?";
}
const char* mixer_name(MixerKind k) {
  switch (k) {
    case MixerKind::Mamba: return "mamba";
    case MixerKind::Mamba2: return "mamba2";
    case MixerKind::Attention: return "attention";
    case MixerKind::None: return "none";
    case MixerKind::AttentionMamba2: return "attention+mamba2";
  }
  return "?";
}
bool has_ssm(MixerKind k) { return k == MixerKind::Mamba || k == MixerKind::Mamba2 || k == MixerKind::AttentionMamba2; }
bool has_attention(MixerKind k) { return k == MixerKind::Attention || k == MixerKind::AttentionMamba2; }
MixerKind ssm_kind(MixerKind k) {
  return k == MixerKind::Mamba ? MixerKind::Mamba : k == MixerKind::Mamba2 || k == MixerKind::AttentionMamba2 ? MixerKind::Mamba2 : MixerKind::None;
}
const char* ffn_name(FfnKind k) {
  switch (k) {
    case FfnKind::None: return "none";
    case FfnKind::Mlp: return "mlp";
    case FfnKind::Moe: return "moe";
  }
  return "?";
}

json parse_json_relaxed(const std::string& text) { return parse_json_text(text, "", /*relaxed=*/true); }

namespace {

// Typed, range-checked access to config.json fields; every error names the file and the key.
class Fields {
 public:
  // `prefix` goes before every key in errors ("ssm_cfg." for a nested object).
  Fields(const json& j, std::string path, std::string prefix = "") : j_(j), path_(std::move(path)), prefix_(std::move(prefix)) {}

  bool has(const std::string& key) const { return j_.contains(key) && !j_[key].is_null(); }

  int integer(const std::string& key, int lo, int hi) const {
    if (!has(key)) throw Error(path_, prefix_ + key, "missing");
    return check_int(j_[key], key, lo, hi);
  }
  int integer_or(const std::string& key, int fallback, int lo, int hi) const {
    return has(key) ? integer(key, lo, hi) : fallback;
  }
  double number(const json& v, const std::string& key) const {
    if (v.is_number()) return v.get<double>();
    if (v.is_object() && v.contains("__float__")) return number(v["__float__"], key);  // transformers 5: {"__float__": "Infinity"}
    if (v.is_string()) {
      const std::string s = v.get<std::string>();
      if (s == "Infinity") return std::numeric_limits<double>::infinity();
      if (s == "-Infinity") return -std::numeric_limits<double>::infinity();
    }
    throw Error(path_, prefix_ + key, "is not a number");
  }
  double real_or(const std::string& key, double fallback, double lo, double hi) const {
    if (!has(key)) return fallback;
    const double v = number(j_[key], key);
    if (!(v >= lo && v <= hi)) throw Error(path_, prefix_ + key, "value " + std::to_string(v) + " outside [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
    return v;
  }
  bool boolean_or(const std::string& key, bool fallback) const {
    if (!has(key)) return fallback;
    if (!j_[key].is_boolean()) throw Error(path_, prefix_ + key, "is not true/false");
    return j_[key].get<bool>();
  }
  // A rank that may be the string "auto" (ceil(d_model / 16), as transformers does).
  int rank_or_auto(const std::string& key, int d_model) const {
    if (!has(key) || (j_[key].is_string() && j_[key].get<std::string>() == "auto")) return (d_model + 15) / 16;
    return integer(key, 1, 1 << 16);
  }
  const json& raw(const std::string& key) const { return j_[key]; }
  const std::string& path() const { return path_; }

  int check_int(const json& v, const std::string& key, int lo, int hi) const {
    if (!v.is_number_integer()) throw Error(path_, prefix_ + key, "is not an integer");
    const int64_t x = v.get<int64_t>();
    if (x < lo || x > hi) throw Error(path_, prefix_ + key, "value " + std::to_string(x) + " outside [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
    return static_cast<int>(x);
  }

 private:
  const json& j_;
  std::string path_;
  std::string prefix_;
};

constexpr int kMaxDim = 1 << 16;     // hidden sizes, intermediate sizes
constexpr int kMaxLayers = 1024;
constexpr int kMaxVocab = 1 << 21;
constexpr int kMaxHeads = 1024;

void require(bool ok, const std::string& path, const std::string& key, const std::string& msg) {
  if (!ok) throw Error(path, key, msg);
}

// transformers applies ACT2FN[hidden_act] ("silu" and "swish" are both SiLU) where we apply SiLU: in
// the Mamba mixers after the conv and on the gate, in the MLPs on the gate. Anything else is refused.
void require_silu(const Fields& f) {
  if (!f.has("hidden_act")) return;
  const json& act = f.raw("hidden_act");
  const bool silu = act.is_string() && (act.get<std::string>() == "silu" || act.get<std::string>() == "swish");
  require(silu, f.path(), "hidden_act", "only \"silu\" (or its alias \"swish\") is supported; StateScope does not compute other activations");
}

void parse_mamba(const Fields& f, ModelConfig& c) {
  require_silu(f);
  c.d_model = f.integer("hidden_size", 1, kMaxDim);
  c.n_layers = f.integer("num_hidden_layers", 1, kMaxLayers);
  c.norm_eps = static_cast<float>(f.real_or("layer_norm_epsilon", 1e-5, 0.0, 1.0));
  const int expand = f.integer_or("expand", 2, 1, 64);
  c.mamba.d_inner = f.integer_or("intermediate_size", expand * c.d_model, 1, kMaxDim * 4);
  c.mamba.d_state = f.integer("state_size", 1, 4096);
  c.mamba.d_conv = f.integer_or("conv_kernel", 4, 1, 64);
  c.mamba.dt_rank = f.rank_or_auto("time_step_rank", c.d_model);
  c.mamba.conv_bias = f.boolean_or("use_conv_bias", true);
  c.mamba.proj_bias = f.boolean_or("use_bias", false);
  c.tied_embeddings = f.boolean_or("tie_word_embeddings", true);
  c.mixers.assign(c.n_layers, MixerKind::Mamba);
  c.ffns.assign(c.n_layers, FfnKind::None);
}

void parse_time_step_limit(const Fields& f, Mamba2Params& m) {
  m.dt_min = 0.0f;
  m.dt_max = std::numeric_limits<float>::infinity();
  if (f.has("time_step_limit")) {
    const json& lim = f.raw("time_step_limit");
    require(lim.is_array() && lim.size() == 2, f.path(), "time_step_limit", "is not a [min, max] pair");
    m.dt_min = static_cast<float>(f.number(lim[0], "time_step_limit"));
    m.dt_max = static_cast<float>(f.number(lim[1], "time_step_limit"));
    require(m.dt_min >= 0 && m.dt_max > m.dt_min, f.path(), "time_step_limit", "needs 0 <= min < max");
  }
}

void parse_mamba2(const Fields& f, ModelConfig& c) {
  require_silu(f);
  c.d_model = f.integer("hidden_size", 1, kMaxDim);
  c.n_layers = f.integer("num_hidden_layers", 1, kMaxLayers);
  c.norm_eps = static_cast<float>(f.real_or("layer_norm_epsilon", 1e-5, 0.0, 1.0));
  Mamba2Params& m = c.mamba2;
  m.n_heads = f.integer("num_heads", 1, kMaxHeads);
  m.head_dim = f.integer("head_dim", 1, 4096);
  m.d_inner = m.n_heads * m.head_dim;
  const int expand = f.integer_or("expand", 2, 1, 64);
  require(m.d_inner == expand * c.d_model, f.path(), "num_heads",
          "num_heads * head_dim = " + std::to_string(m.d_inner) + " but expand * hidden_size = " + std::to_string(expand * c.d_model));
  m.n_groups = f.integer_or("n_groups", 1, 1, kMaxHeads);
  require(m.n_heads % m.n_groups == 0, f.path(), "n_groups", "num_heads must be a multiple of n_groups");
  m.d_state = f.integer("state_size", 1, 4096);
  m.d_conv = f.integer_or("conv_kernel", 4, 1, 64);
  m.chunk_size = f.integer_or("chunk_size", 256, 1, 1 << 14);
  m.conv_bias = f.boolean_or("use_conv_bias", true);
  m.in_proj_bias = m.out_proj_bias = f.boolean_or("use_bias", false);
  parse_time_step_limit(f, m);
  // transformers 5.17's MambaRMSNormGated normalises over the whole d_inner, whatever n_groups is
  // (the original mamba_ssm kernel normalises each group separately); we match transformers.
  m.norm_group_size = m.d_inner;
  require(f.boolean_or("rms_norm", true), f.path(), "rms_norm", "only rms_norm = true is supported");
  c.tied_embeddings = f.boolean_or("tie_word_embeddings", false);
  c.mixers.assign(c.n_layers, MixerKind::Mamba2);
  c.ffns.assign(c.n_layers, FfnKind::None);
}

void parse_attention(const Fields& f, ModelConfig& c) {
  AttentionParams& a = c.attn;
  a.n_heads = f.integer("num_attention_heads", 1, kMaxHeads);
  a.n_kv_heads = f.integer_or("num_key_value_heads", a.n_heads, 1, kMaxHeads);
  require(a.n_heads % a.n_kv_heads == 0, f.path(), "num_key_value_heads", "num_attention_heads must be a multiple of it");
  if (f.has("head_dim")) {
    a.head_dim = f.integer("head_dim", 1, 4096);
  } else {
    require(c.d_model % a.n_heads == 0, f.path(), "num_attention_heads", "hidden_size is not a multiple of it");
    a.head_dim = c.d_model / a.n_heads;
  }
  a.bias = f.boolean_or("attention_bias", false);
  c.ffn.intermediate = f.integer("intermediate_size", 1, kMaxDim * 4);
  c.ffn.mlp_bias = f.boolean_or("mlp_bias", false);
  require_silu(f);
}

// How a family treats partial_rotary_factor (RoPE on the first fraction of each head's dims).
enum class PartialRotary {
  WholeHead,  // Llama, Granite: transformers 5.17 rotates the whole head; any other factor is refused
  Half,       // Bamba: BambaConfig forces 0.5 whatever config.json says; a different stated value is refused
};

void parse_rope(const Fields& f, ModelConfig& c, PartialRotary partial = PartialRotary::WholeHead) {
  // transformers 5 keeps RoPE settings in rope_parameters; older configs have rope_theta at the top.
  const double want = partial == PartialRotary::Half ? 0.5 : 1.0;
  const std::string why = partial == PartialRotary::Half
                              ? "BambaConfig (transformers 5.17) always uses 0.5 (RoPE on the first half of each head)"
                              : "only 1 (RoPE on the whole head) is supported";
  double theta = f.real_or("rope_theta", 10000.0, 1.0, 1e12);
  if (f.has("rope_parameters")) {
    const json& rp = f.raw("rope_parameters");
    require(rp.is_object(), f.path(), "rope_parameters", "is not an object");
    if (rp.contains("rope_theta")) theta = f.number(rp["rope_theta"], "rope_parameters.rope_theta");
    // transformers reads the legacy key "type" as rope_type ({"type": "linear", "factor": 4} scales).
    for (const char* key : {"rope_type", "type"})
      if (rp.contains(key))
        require(rp[key].is_string() && rp[key].get<std::string>() == "default", f.path(), std::string("rope_parameters.") + key,
                "only the default RoPE is supported (RoPE scaling is not)");
    if (rp.contains("partial_rotary_factor"))
      require(f.number(rp["partial_rotary_factor"], "rope_parameters.partial_rotary_factor") == want, f.path(),
              "rope_parameters.partial_rotary_factor", why);
  }
  if (f.has("partial_rotary_factor"))
    require(f.number(f.raw("partial_rotary_factor"), "partial_rotary_factor") == want, f.path(), "partial_rotary_factor", why);
  if (f.has("rope_scaling") && !f.raw("rope_scaling").is_null()) {
    const json& rs = f.raw("rope_scaling");
    const bool plain = rs.is_object() && rs.contains("rope_type") && rs["rope_type"] == "default";
    require(plain, f.path(), "rope_scaling", "RoPE scaling is not supported");
  }
  require(theta >= 1.0 && std::isfinite(theta), f.path(), "rope_theta", "must be a finite number >= 1");
  c.attn.rope = true;
  c.attn.rope_theta = static_cast<float>(theta);
  c.attn.rotary_dim = static_cast<int>(c.attn.head_dim * want);  // int(head_dim * factor), as transformers
  require(c.attn.rotary_dim >= 2 && c.attn.rotary_dim % 2 == 0, f.path(), "head_dim",
          "RoPE needs an even number of rotated dims, got " + std::to_string(c.attn.rotary_dim) + " of head_dim " +
              std::to_string(c.attn.head_dim));
}

void parse_llama(const Fields& f, ModelConfig& c) {
  c.d_model = f.integer("hidden_size", 1, kMaxDim);
  c.n_layers = f.integer("num_hidden_layers", 1, kMaxLayers);
  c.norm_eps = static_cast<float>(f.real_or("rms_norm_eps", 1e-6, 0.0, 1.0));
  parse_attention(f, c);
  parse_rope(f, c);
  c.tied_embeddings = f.boolean_or("tie_word_embeddings", false);
  c.mixers.assign(c.n_layers, MixerKind::Attention);
  c.ffns.assign(c.n_layers, FfnKind::Mlp);
}

void parse_jamba(const Fields& f, ModelConfig& c) {
  c.d_model = f.integer("hidden_size", 1, kMaxDim);
  c.n_layers = f.integer("num_hidden_layers", 1, kMaxLayers);
  c.norm_eps = static_cast<float>(f.real_or("rms_norm_eps", 1e-6, 0.0, 1.0));
  parse_attention(f, c);
  c.attn.rope = false;  // Jamba's attention layers carry no positional encoding
  c.attn.bias = false;  // JambaAttention and JambaMLP have no bias, whatever the config says
  c.ffn.mlp_bias = false;
  c.ffn.n_experts = f.integer_or("num_experts", 16, 1, 4096);
  c.ffn.top_k = f.integer_or("num_experts_per_tok", 2, 1, 4096);
  require(c.ffn.top_k <= c.ffn.n_experts, f.path(), "num_experts_per_tok", "exceeds num_experts");
  const int attn_period = f.integer_or("attn_layer_period", 8, 1, kMaxLayers);
  const int attn_offset = f.integer_or("attn_layer_offset", 4, 0, kMaxLayers);
  const int exp_period = f.integer_or("expert_layer_period", 2, 1, kMaxLayers);
  const int exp_offset = f.integer_or("expert_layer_offset", 1, 0, kMaxLayers);
  require(attn_offset < attn_period, f.path(), "attn_layer_offset", "must be less than attn_layer_period");
  require(exp_offset < exp_period, f.path(), "expert_layer_offset", "must be less than expert_layer_period");
  MambaParams& m = c.mamba;
  const int expand = f.integer_or("mamba_expand", 2, 1, 64);
  m.d_inner = expand * c.d_model;
  m.d_state = f.integer_or("mamba_d_state", 16, 1, 4096);
  m.d_conv = f.integer_or("mamba_d_conv", 4, 1, 64);
  m.dt_rank = f.rank_or_auto("mamba_dt_rank", c.d_model);
  m.conv_bias = f.boolean_or("mamba_conv_bias", true);
  m.proj_bias = f.boolean_or("mamba_proj_bias", false);
  m.dt_bc_norms = true;
  m.dt_bc_norm_weights = true;
  m.dt_bc_norm_eps = c.norm_eps;
  c.tied_embeddings = f.boolean_or("tie_word_embeddings", false);
  for (int i = 0; i < c.n_layers; ++i) {
    c.mixers.push_back(i % attn_period == attn_offset ? MixerKind::Attention : MixerKind::Mamba);
    c.ffns.push_back(i % exp_period == exp_offset && c.ffn.n_experts > 1 ? FfnKind::Moe : FfnKind::Mlp);
  }
}

// mamba_ssm's MambaConfig (mamba_ssm/models/config_mamba.py) and the Mamba / Mamba2 constructor
// arguments in its ssm_cfg, with mamba_ssm's defaults. Options only the initialisation reads are
// accepted and ignored; options that change the computation in a way StateScope does not follow are
// refused by name; unknown keys are refused (they could change the computation).
void parse_mamba_ssm(const Fields& f, ModelConfig& c) {
  c.layout = CheckpointLayout::MambaSsm;
  c.d_model = f.integer("d_model", 1, kMaxDim);
  c.n_layers = f.integer("n_layer", 1, kMaxLayers);
  const int vocab = f.integer("vocab_size", 1, kMaxVocab);
  const int pad = f.integer_or("pad_vocab_size_multiple", 8, 1, 1 << 16);
  c.vocab_size = (vocab + pad - 1) / pad * pad;  // MambaLMHeadModel pads the embedding and head rows
  require(c.vocab_size <= kMaxVocab, f.path(), "pad_vocab_size_multiple", "the padded vocabulary exceeds " + std::to_string(kMaxVocab));
  c.norm_eps = 1e-5f;  // MixerModel's norm_epsilon; mamba_ssm does not save it
  require(f.integer_or("d_intermediate", 0, 0, kMaxDim * 4) == 0, f.path(), "d_intermediate",
          "MLP blocks after the mixers (d_intermediate > 0) are not supported");
  if (f.has("attn_layer_idx"))
    require(f.raw("attn_layer_idx").is_array() && f.raw("attn_layer_idx").empty(), f.path(), "attn_layer_idx",
            "attention layers in a mamba_ssm model are not supported (only an empty list)");
  require(f.boolean_or("rms_norm", true), f.path(), "rms_norm", "only rms_norm = true is supported (LayerNorm is not)");
  f.boolean_or("residual_in_fp32", true);  // checked for type; StateScope keeps the residual in fp32 anyway
  f.boolean_or("fused_add_norm", true);    // a kernel choice, same numbers
  c.tied_embeddings = f.boolean_or("tie_embeddings", true);

  const json empty = json::object();
  const json& cfg = f.has("ssm_cfg") ? f.raw("ssm_cfg") : empty;
  require(cfg.is_object(), f.path(), "ssm_cfg", "is not an object");
  Fields s(cfg, f.path(), "ssm_cfg.");
  const auto key = [](const std::string& k) { return "ssm_cfg." + k; };
  std::string layer = "Mamba1";
  if (s.has("layer")) {
    require(s.raw("layer").is_string(), f.path(), key("layer"), "is not a string");
    layer = s.raw("layer").get<std::string>();
  }
  const std::set<std::string> init_only = {"dt_min", "dt_max", "dt_init", "dt_scale", "dt_init_floor", "A_init_range", "conv_init",
                                           "use_fast_path", "use_mem_eff_path", "layer_idx", "device", "dtype", "process_group",
                                           "sequence_parallel"};
  if (layer == "Mamba1") {
    for (auto it = cfg.begin(); it != cfg.end(); ++it)
      require(init_only.count(it.key()) || std::set<std::string>{"layer", "d_state", "d_conv", "expand", "dt_rank", "conv_bias", "bias"}.count(it.key()),
              f.path(), key(it.key()), "unknown Mamba option: refused (it could change the computation)");
    MambaParams& m = c.mamba;
    const int expand = s.integer_or("expand", 2, 1, 64);
    m.d_inner = expand * c.d_model;
    m.d_state = s.integer_or("d_state", 16, 1, 4096);
    m.d_conv = s.integer_or("d_conv", 4, 1, 64);
    m.dt_rank = s.rank_or_auto("dt_rank", c.d_model);
    m.conv_bias = s.boolean_or("conv_bias", true);
    m.proj_bias = s.boolean_or("bias", false);
    c.arch = Architecture::Mamba;
    c.mixers.assign(c.n_layers, MixerKind::Mamba);
  } else if (layer == "Mamba2") {
    for (auto it = cfg.begin(); it != cfg.end(); ++it)
      require(init_only.count(it.key()) || std::set<std::string>{"layer", "d_state", "d_conv", "expand", "headdim", "d_ssm", "ngroups", "rmsnorm",
                                                                 "norm_before_gate", "D_has_hdim", "dt_limit", "bias", "conv_bias", "chunk_size"}
                                               .count(it.key()),
              f.path(), key(it.key()), "unknown Mamba2 option: refused (it could change the computation)");
    Mamba2Params& m = c.mamba2;
    const int expand = s.integer_or("expand", 2, 1, 64);
    m.d_inner = expand * c.d_model;
    if (s.has("d_ssm"))
      require(s.integer("d_ssm", 1, kMaxDim * 4) == m.d_inner, f.path(), key("d_ssm"),
              "a d_ssm smaller than expand * d_model (an MLP beside the SSM) is not supported");
    m.head_dim = s.integer_or("headdim", 64, 1, 4096);
    require(m.d_inner % m.head_dim == 0, f.path(), key("headdim"),
            "expand * d_model = " + std::to_string(m.d_inner) + " is not a multiple of headdim " + std::to_string(m.head_dim));
    m.n_heads = m.d_inner / m.head_dim;
    require(m.n_heads <= kMaxHeads, f.path(), key("headdim"), "more than " + std::to_string(kMaxHeads) + " heads");
    m.n_groups = s.integer_or("ngroups", 1, 1, kMaxHeads);
    require(m.n_heads % m.n_groups == 0, f.path(), key("ngroups"), "the number of heads (" + std::to_string(m.n_heads) + ") is not a multiple of it");
    m.d_state = s.integer_or("d_state", 128, 1, 4096);
    m.d_conv = s.integer_or("d_conv", 4, 1, 64);
    m.chunk_size = s.integer_or("chunk_size", 256, 1, 1 << 14);
    m.conv_bias = s.boolean_or("conv_bias", true);
    m.in_proj_bias = m.out_proj_bias = s.boolean_or("bias", false);
    require(s.boolean_or("rmsnorm", true), f.path(), key("rmsnorm"), "only rmsnorm = true is supported");
    require(!s.boolean_or("norm_before_gate", false), f.path(), key("norm_before_gate"),
            "only norm_before_gate = false is supported");
    require(!s.boolean_or("D_has_hdim", false), f.path(), key("D_has_hdim"),
            "only D_has_hdim = false (one D per head) is supported");
    m.dt_min = 0.0f;
    m.dt_max = std::numeric_limits<float>::infinity();
    if (s.has("dt_limit")) {
      const json& lim = s.raw("dt_limit");
      require(lim.is_array() && lim.size() == 2, f.path(), key("dt_limit"), "is not a [min, max] pair");
      m.dt_min = static_cast<float>(s.number(lim[0], "dt_limit"));
      m.dt_max = static_cast<float>(s.number(lim[1], "dt_limit"));
      require(m.dt_min >= 0 && m.dt_max > m.dt_min, f.path(), key("dt_limit"), "needs 0 <= min < max");
    }
    // mamba_ssm's RMSNormGated normalises each group of d_inner / ngroups channels on its own.
    m.norm_group_size = m.d_inner / m.n_groups;
    c.arch = Architecture::Mamba2;
    c.mixers.assign(c.n_layers, MixerKind::Mamba2);
  } else {
    throw Error(f.path(), key("layer"), "unknown layer '" + layer.substr(0, 32) + "' (mamba_ssm's are Mamba1 and Mamba2)");
  }
  c.ffns.assign(c.n_layers, FfnKind::None);
}

// FalconMambaForCausalLM: Mamba-1 with RMSNorms without weight on dt, B and C after x_proj (eps
// mixer_rms_eps; transformers' FalconMambaWeightlessRMSNorm), otherwise MambaForCausalLM's fields.
void parse_falcon_mamba(const Fields& f, ModelConfig& c) {
  parse_mamba(f, c);
  c.mamba.dt_bc_norms = true;
  c.mamba.dt_bc_norm_weights = false;
  c.mamba.dt_bc_norm_eps = static_cast<float>(f.real_or("mixer_rms_eps", 1e-6, 0.0, 1.0));
}

// The mamba_* head layout shared by Bamba, Granite 4.0 and Falcon-H1 once m.d_inner is known:
// heads, head size ("auto" or absent: d_inner / heads), groups, state, conv, chunk, conv bias.
// `width` names what d_inner is in the messages ("mamba_expand * hidden_size = 256").
void parse_mamba2_heads(const Fields& f, Mamba2Params& m, const std::string& width, const std::string& width_is) {
  m.n_heads = f.integer_or("mamba_n_heads", 128, 1, kMaxHeads);
  require(m.d_inner % m.n_heads == 0, f.path(), "mamba_n_heads", "must divide " + width + " = " + std::to_string(m.d_inner));
  if (f.has("mamba_d_head") && !(f.raw("mamba_d_head").is_string() && f.raw("mamba_d_head").get<std::string>() == "auto"))
    m.head_dim = f.integer("mamba_d_head", 1, 4096);
  else
    m.head_dim = m.d_inner / m.n_heads;
  require(m.head_dim * m.n_heads == m.d_inner, f.path(), "mamba_d_head",
          "mamba_n_heads * mamba_d_head = " + std::to_string(m.head_dim * m.n_heads) + " but " + width_is + std::to_string(m.d_inner));
  m.n_groups = f.integer_or("mamba_n_groups", 1, 1, kMaxHeads);
  require(m.n_heads % m.n_groups == 0, f.path(), "mamba_n_groups", "mamba_n_heads must be a multiple of it");
  m.d_state = f.integer_or("mamba_d_state", 256, 1, 4096);
  m.d_conv = f.integer_or("mamba_d_conv", 4, 1, 64);
  m.chunk_size = f.integer_or("mamba_chunk_size", 256, 1, 1 << 14);
  m.conv_bias = f.boolean_or("mamba_conv_bias", true);
}

// The Mamba-2 layers of Bamba and Granite 4.0 hybrids (mamba_* keys); the gated norm over all
// d_inner channels, eps rms_norm_eps (BambaRMSNormGated / GraniteMoeHybridRMSNormGated).
void parse_hybrid_mamba2(const Fields& f, ModelConfig& c) {
  Mamba2Params& m = c.mamba2;
  const int expand = f.integer_or("mamba_expand", 2, 1, 64);
  m.d_inner = expand * c.d_model;
  parse_mamba2_heads(f, m, "mamba_expand * hidden_size", "mamba_expand * hidden_size = ");
  m.in_proj_bias = m.out_proj_bias = f.boolean_or("mamba_proj_bias", false);
  parse_time_step_limit(f, m);
  m.norm_group_size = m.d_inner;
}

// A layer-type list as transformers 5.17 writes it ("linear_attention", "full_attention", ...; the
// legacy "mamba" and "attention" are renamed as transformers' remap_legacy_layer_types does).
std::vector<std::string> layer_type_list(const Fields& f, const std::string& key) {
  const json& a = f.raw(key);
  require(a.is_array() && !a.empty() && a.size() <= size_t(kMaxLayers), f.path(), key, "is not a list of 1 to 1024 layer types");
  std::vector<std::string> out;
  for (size_t i = 0; i < a.size(); ++i) {
    require(a[i].is_string(), f.path(), key + "[" + std::to_string(i) + "]", "is not a string");
    std::string t = a[i].get<std::string>();
    if (t == "mamba") t = "linear_attention";
    if (t == "attention") t = "full_attention";
    out.push_back(t);
  }
  return out;
}

// BambaForCausalLM: Mamba-2 layers and attention layers (at attn_layer_indices; partial RoPE on the
// first half of each head), each followed by a SwiGLU MLP; as JambaForCausalLM's layout.
void parse_bamba(const Fields& f, ModelConfig& c) {
  c.d_model = f.integer("hidden_size", 1, kMaxDim);
  c.n_layers = f.integer("num_hidden_layers", 1, kMaxLayers);
  c.norm_eps = static_cast<float>(f.real_or("rms_norm_eps", 1e-5, 0.0, 1.0));
  parse_attention(f, c);
  parse_rope(f, c, PartialRotary::Half);
  parse_hybrid_mamba2(f, c);
  c.tied_embeddings = f.boolean_or("tie_word_embeddings", false);
  c.mixers.assign(c.n_layers, MixerKind::Mamba2);
  c.ffns.assign(c.n_layers, FfnKind::Mlp);
  if (f.has("attn_layer_indices")) {
    const json& idx = f.raw("attn_layer_indices");
    require(idx.is_array(), f.path(), "attn_layer_indices", "is not a list of layer indices");
    for (size_t i = 0; i < idx.size(); ++i)
      c.mixers[f.check_int(idx[i], "attn_layer_indices[" + std::to_string(i) + "]", 0, c.n_layers - 1)] = MixerKind::Attention;
  }
}

// Nemotron-H's mixture-of-experts layers (NemotronHMoE): n_routed_experts squared-ReLU experts of
// moe_intermediate_size, the DeepSeek-V3 style router (sigmoid scores, a learned score-correction bias
// for the choice, group-limited top k, optional renormalisation, routed_scaling_factor) and one shared
// squared-ReLU expert of moe_shared_expert_intermediate_size added to every token.
void parse_nemotron_h_moe(const Fields& f, ModelConfig& c) {
  FfnParams& p = c.ffn;
  p.n_experts = f.has("num_local_experts") ? f.integer("num_local_experts", 1, 4096) : f.integer_or("n_routed_experts", 8, 1, 4096);
  p.top_k = f.integer_or("num_experts_per_tok", 2, 1, 4096);
  require(p.top_k <= p.n_experts, f.path(), "num_experts_per_tok", "exceeds n_routed_experts");
  p.moe_intermediate = f.integer_or("moe_intermediate_size", 7688, 1, kMaxDim * 4);
  p.shared_intermediate = f.integer_or("moe_shared_expert_intermediate_size", 7688, 1, kMaxDim * 4);
  p.n_groups = f.integer_or("n_group", 1, 1, 4096);
  require(p.n_experts % p.n_groups == 0, f.path(), "n_group", "does not divide n_routed_experts into equal groups");
  // NemotronHTopkRouter scores a group by the sum of its two best experts (topk(2) within the group).
  require(p.n_experts / p.n_groups >= 2, f.path(), "n_group", "leaves fewer than 2 experts per group (each group is scored by its best two)");
  p.topk_groups = f.integer_or("topk_group", 1, 1, 4096);
  require(p.topk_groups <= p.n_groups, f.path(), "topk_group", "exceeds n_group");
  require(p.top_k <= p.topk_groups * (p.n_experts / p.n_groups), f.path(), "num_experts_per_tok",
          "exceeds the experts of the topk_group eligible groups");
  p.norm_topk = f.boolean_or("norm_topk_prob", true);
  p.routed_scale = static_cast<float>(f.real_or("routed_scaling_factor", 1.0, 1e-6, 1e6));
  p.routing = MoeRouting::SigmoidGroupedTopK;
  require(!f.has("moe_latent_size"), f.path(), "moe_latent_size",
          "latent expert projections (fc1_latent_proj / fc2_latent_proj) are not supported");
}

// NemotronHForCausalLM: one block per entry of layers_block_type (or the legacy pattern string
// hybrid_override_pattern: M Mamba-2, * attention, - MLP, E MoE), each x + mixer(norm(x)). Mamba-2
// with the gated norm per group (d_inner / n_groups channels) and Δ clamped below at time_step_min;
// attention without positional encoding; the MLP down(relu(up(x))^2).
void parse_nemotron_h(const Fields& f, ModelConfig& c) {
  c.d_model = f.integer("hidden_size", 1, kMaxDim);
  c.norm_eps = static_cast<float>(f.real_or("layer_norm_epsilon", 1e-5, 0.0, 1.0));
  std::vector<std::string> types;
  std::string key;
  if (f.has("layers_block_type")) {
    key = "layers_block_type";
    types = layer_type_list(f, key);
  } else if (f.has("hybrid_override_pattern")) {
    key = "hybrid_override_pattern";
    require(f.raw(key).is_string(), f.path(), key, "is not a string");
    const std::string pat = f.raw(key).get<std::string>();
    require(!pat.empty() && pat.size() <= size_t(kMaxLayers), f.path(), key, "must have 1 to 1024 characters");
    for (size_t i = 0; i < pat.size(); ++i) {
      const char ch = pat[i];
      require(ch == 'M' || ch == '*' || ch == '-' || ch == 'E', f.path(), key,
              std::string("character '") + ch + "' at " + std::to_string(i) + " is none of M * - E");
      types.push_back(ch == 'M' ? "linear_attention" : ch == '*' ? "full_attention" : ch == '-' ? "mlp" : "moe");
    }
  } else {
    throw Error(f.path(), "layers_block_type", "missing (and no hybrid_override_pattern either): the layer layout is unknown");
  }
  c.n_layers = static_cast<int>(types.size());  // num_hidden_layers is ignored, as transformers does
  for (int i = 0; i < c.n_layers; ++i) {
    const std::string& t = types[i];
    const std::string where = key + "[" + std::to_string(i) + "]";
    if (t == "linear_attention") { c.mixers.push_back(MixerKind::Mamba2); c.ffns.push_back(FfnKind::None); }
    else if (t == "full_attention") { c.mixers.push_back(MixerKind::Attention); c.ffns.push_back(FfnKind::None); }
    else if (t == "mlp") { c.mixers.push_back(MixerKind::None); c.ffns.push_back(FfnKind::Mlp); }
    else if (t == "moe") { c.mixers.push_back(MixerKind::None); c.ffns.push_back(FfnKind::Moe); }
    else throw Error(f.path(), where, "unknown layer type '" + t + "' (one of linear_attention, full_attention, mlp, moe)");
  }
  // Mamba-2 (transformers' legacy key names are read too, as NemotronHConfig does)
  auto int_key = [&](const char* k, const char* legacy, int fallback, int lo, int hi) {
    return f.has(legacy) ? f.integer(legacy, lo, hi) : f.integer_or(k, fallback, lo, hi);
  };
  if (f.has("mamba_hidden_act")) {
    const json& act = f.raw("mamba_hidden_act");
    require(act.is_string() && (act.get<std::string>() == "silu" || act.get<std::string>() == "swish"), f.path(), "mamba_hidden_act",
            "only \"silu\" is supported");
  }
  Mamba2Params& m = c.mamba2;
  m.n_heads = f.integer_or("mamba_num_heads", 128, 1, kMaxHeads);
  m.head_dim = f.integer_or("mamba_head_dim", 64, 1, 4096);
  m.d_inner = m.n_heads * m.head_dim;
  require(m.d_inner <= kMaxDim * 4, f.path(), "mamba_num_heads", "mamba_num_heads * mamba_head_dim is too large");
  m.n_groups = int_key("n_groups", "mamba_n_groups", 8, 1, kMaxHeads);
  require(m.n_heads % m.n_groups == 0, f.path(), "n_groups", "mamba_num_heads must be a multiple of it");
  m.d_state = f.integer_or("ssm_state_size", 128, 1, 4096);
  m.d_conv = int_key("conv_kernel", "mamba_d_conv", 4, 1, 64);
  m.chunk_size = int_key("chunk_size", "mamba_chunk_size", 128, 1, 1 << 14);
  m.conv_bias = f.has("mamba_conv_bias") ? f.boolean_or("mamba_conv_bias", true) : f.boolean_or("use_conv_bias", true);
  m.in_proj_bias = m.out_proj_bias = f.boolean_or("use_bias", false);  // NemotronHMamba2Mixer: in_proj / out_proj bias = use_bias
  // NemotronHMamba2Mixer clamps Δ to (time_step_min, inf); time_step_limit is not used.
  m.dt_min = static_cast<float>(f.has("mamba_dt_min") ? f.real_or("mamba_dt_min", 1e-3, 0.0, 1e6) : f.real_or("time_step_min", 1e-3, 0.0, 1e6));
  m.dt_max = std::numeric_limits<float>::infinity();
  m.norm_group_size = m.d_inner / m.n_groups;  // Zamba2RMSNormGated(group_size = d_inner / n_groups)
  // attention (NemotronHAttention: no bias, no RoPE, head_dim from the config, 128 by default)
  AttentionParams& a = c.attn;
  a.n_heads = f.integer_or("num_attention_heads", 32, 1, kMaxHeads);
  a.n_kv_heads = f.integer_or("num_key_value_heads", a.n_heads, 1, kMaxHeads);
  require(a.n_heads % a.n_kv_heads == 0, f.path(), "num_key_value_heads", "num_attention_heads must be a multiple of it");
  a.head_dim = f.integer_or("head_dim", 128, 1, 4096);
  a.rope = false;
  a.bias = false;
  require(!f.has("sliding_window"), f.path(), "sliding_window", "sliding-window attention is not supported");
  // MLP
  if (f.has("mlp_hidden_act"))
    require(f.raw("mlp_hidden_act").is_string() && f.raw("mlp_hidden_act").get<std::string>() == "relu2", f.path(), "mlp_hidden_act",
            "only \"relu2\" (squared ReLU) is supported");
  c.ffn.intermediate = f.integer_or("intermediate_size", 21504, 1, kMaxDim * 4);
  c.ffn.mlp = MlpKind::Relu2;
  c.ffn.mlp_bias = f.boolean_or("mlp_bias", false);
  if (std::find(c.ffns.begin(), c.ffns.end(), FfnKind::Moe) != c.ffns.end()) parse_nemotron_h_moe(f, c);
  // NemotronHForCausalLM has no tied weights (_tied_weights_keys = {}): its lm_head is its own tensor
  // even when config.json says tie_word_embeddings = true (transformers 5.17 saves and loads it so).
  c.tied_embeddings = false;
}

// GraniteMoeHybridForCausalLM (Granite 4.0): Mamba-2 and attention layers (layer_types), each with a
// mixture of experts (top k logits, softmax over those k) plus a shared SwiGLU MLP, and the scalar
// multipliers (embedding, residual, attention scale, logits scaling).
void parse_granite_moe_hybrid(const Fields& f, ModelConfig& c) {
  c.d_model = f.integer("hidden_size", 1, kMaxDim);
  c.n_layers = f.integer("num_hidden_layers", 1, kMaxLayers);
  c.norm_eps = static_cast<float>(f.real_or("rms_norm_eps", 1e-6, 0.0, 1.0));
  parse_attention(f, c);
  if (f.has("position_embedding_type")) {
    const json& pe = f.raw("position_embedding_type");
    require(pe.is_string() && pe.get<std::string>() == "rope", f.path(), "position_embedding_type", "is neither null (no positional encoding) nor \"rope\"");
    parse_rope(f, c);
  } else {
    c.attn.rope = false;
  }
  c.attn.scale = static_cast<float>(f.real_or("attention_multiplier", 1.0, 1e-6, 1e6));
  c.mult.embedding = static_cast<float>(f.real_or("embedding_multiplier", 1.0, 1e-6, 1e6));
  c.mult.residual = static_cast<float>(f.real_or("residual_multiplier", 1.0, 1e-6, 1e6));
  c.mult.logits_scaling = static_cast<float>(f.real_or("logits_scaling", 1.0, 1e-6, 1e6));
  parse_hybrid_mamba2(f, c);
  c.ffn.n_experts = f.integer_or("num_local_experts", 8, 0, 4096);
  c.ffn.top_k = f.integer_or("num_experts_per_tok", 2, 1, 4096);
  require(c.ffn.n_experts == 0 || c.ffn.top_k <= c.ffn.n_experts, f.path(), "num_experts_per_tok", "exceeds num_local_experts");
  c.ffn.routing = MoeRouting::TopKThenSoftmax;
  c.ffn.shared_intermediate = f.integer_or("shared_intermediate_size", 1024, 1, kMaxDim * 4);
  c.tied_embeddings = f.boolean_or("tie_word_embeddings", false);
  std::vector<std::string> types(c.n_layers, "linear_attention");
  if (f.has("layer_types")) {
    types = layer_type_list(f, "layer_types");
    require(static_cast<int>(types.size()) == c.n_layers, f.path(), "layer_types",
            "has " + std::to_string(types.size()) + " entries for num_hidden_layers = " + std::to_string(c.n_layers));
  }
  for (int i = 0; i < c.n_layers; ++i) {
    if (types[i] == "linear_attention") c.mixers.push_back(MixerKind::Mamba2);
    else if (types[i] == "full_attention") c.mixers.push_back(MixerKind::Attention);
    else throw Error(f.path(), "layer_types[" + std::to_string(i) + "]", "unknown layer type '" + types[i] + "' (linear_attention or full_attention)");
    c.ffns.push_back(c.ffn.n_experts > 0 ? FfnKind::Moe : FfnKind::Mlp);  // Mlp: the shared MLP alone
  }
}

// A list of `n` numbers (Falcon-H1's mlp_multipliers, ssm_multipliers); absent or null: all 1.
void multiplier_list(const Fields& f, const std::string& key, float* out, size_t n) {
  if (!f.has(key)) return;
  const json& a = f.raw(key);
  require(a.is_array() && a.size() == n, f.path(), key, "is not a list of " + std::to_string(n) + " numbers");
  for (size_t i = 0; i < n; ++i) {
    const std::string k = key + "[" + std::to_string(i) + "]";
    const double v = f.number(a[i], k);
    require(std::isfinite(v) && std::fabs(v) <= 1e6, f.path(), k, "must be a finite number in [-1e6, 1e6]");
    out[i] = static_cast<float>(v);
  }
}

// FalconH1ForCausalLM: every layer runs attention (RoPE) and a Mamba-2 mixer side by side on the same
// normalised input (MixerKind::AttentionMamba2), then a SwiGLU MLP, with muP multipliers (config.h:
// Multipliers). Defaults for absent keys are FalconH1Config's (transformers 5.17): e.g. mamba_d_ssm
// absent is 1024, null is mamba_expand * hidden_size; num_key_value_heads absent is 8, null is
// num_attention_heads.
void parse_falcon_h1(const Fields& f, const json& j, ModelConfig& c) {
  require_silu(f);
  c.d_model = f.integer("hidden_size", 1, kMaxDim);
  c.n_layers = f.integer("num_hidden_layers", 1, kMaxLayers);
  c.norm_eps = static_cast<float>(f.real_or("rms_norm_eps", 1e-5, 0.0, 1.0));
  // attention (FalconH1Attention: head_dim from the config when given, else hidden_size / heads)
  parse_attention(f, c);
  if (!j.contains("num_key_value_heads")) {
    c.attn.n_kv_heads = 8;
    require(c.attn.n_heads % 8 == 0, f.path(), "num_key_value_heads",
            "absent, so 8 (FalconH1Config's default), and num_attention_heads is not a multiple of 8");
  }
  parse_rope(f, c);
  // Mamba-2 (FalconH1Mixer)
  Mamba2Params& m = c.mamba2;
  const int expand = f.integer_or("mamba_expand", 2, 1, 64);
  if (!j.contains("mamba_d_ssm")) m.d_inner = 1024;
  else if (j["mamba_d_ssm"].is_null()) m.d_inner = expand * c.d_model;
  else m.d_inner = f.integer("mamba_d_ssm", 1, kMaxDim * 4);
  require(m.d_inner <= kMaxDim * 4, f.path(), "mamba_expand", "mamba_expand * hidden_size is too large");
  parse_mamba2_heads(f, m, "the SSM width (mamba_d_ssm, or mamba_expand * hidden_size)", "the SSM width is ");
  m.in_proj_bias = f.boolean_or("mamba_proj_bias", false);
  m.out_proj_bias = f.boolean_or("projectors_bias", false);  // FalconH1Mixer's out_proj
  parse_time_step_limit(f, m);
  m.gated_norm = f.boolean_or("mamba_rms_norm", false);
  m.norm_before_gate = f.boolean_or("mamba_norm_before_gate", true);
  m.norm_group_size = m.d_inner / m.n_groups;  // FalconH1RMSNormGated(n_groups = mamba_n_groups)
  // MLP
  c.ffn.mlp = MlpKind::SwiGlu;
  // muP multipliers
  const auto mult = [&](const char* key) { return static_cast<float>(f.real_or(key, 1.0, -1e6, 1e6)); };
  c.mult.embedding = mult("embedding_multiplier");
  c.mult.lm_head = mult("lm_head_multiplier");
  c.mult.attention_in = mult("attention_in_multiplier");
  c.mult.key = mult("key_multiplier");
  c.mult.attention_out = mult("attention_out_multiplier");
  c.mult.ssm_in = mult("ssm_in_multiplier");
  c.mult.ssm_out = mult("ssm_out_multiplier");
  multiplier_list(f, "ssm_multipliers", c.mult.ssm_zxbcdt, 5);
  float mlp[2] = {1.0f, 1.0f};
  multiplier_list(f, "mlp_multipliers", mlp, 2);
  c.mult.mlp_gate = mlp[0];
  c.mult.mlp_down = mlp[1];
  c.tied_embeddings = f.boolean_or("tie_word_embeddings", false);
  c.mixers.assign(c.n_layers, MixerKind::AttentionMamba2);
  c.ffns.assign(c.n_layers, FfnKind::Mlp);
}

// Zamba2ForCausalLM (Zamba2Config of transformers 5.17): one Mamba-2 per entry of layers_block_type;
// a "hybrid" entry first runs a shared transformer block on concat(x, x_0) (core/zamba2_hybrid.h).
// Fields as Zamba2Config.__post_init__ derives them: attention_head_dim = 2 * hidden_size //
// num_attention_heads (a head_dim in config.json is overwritten, so it is ignored here too),
// mamba_headdim = mamba_expand * hidden_size // n_mamba_heads, time_step_limit = (time_step_min, inf).
void parse_zamba2(const Fields& f, ModelConfig& c) {
  c.d_model = f.integer("hidden_size", 1, kMaxDim);
  c.norm_eps = static_cast<float>(f.real_or("rms_norm_eps", 1e-5, 0.0, 1.0));
  if (f.has("hidden_act")) {
    const json& act = f.raw("hidden_act");
    require(act.is_string() && act.get<std::string>() == "gelu", f.path(), "hidden_act",
            "only \"gelu\" (exact, erf) is supported for Zamba2's shared MLP");
  }
  // Layers: the list's length is the depth (Zamba2Model builds one layer per entry).
  std::vector<std::string> types;
  if (f.has("layers_block_type")) {
    types = layer_type_list(f, "layers_block_type");
  } else {  // Zamba2Config's default (Zamba2-2.7B's 54 layers)
    types.push_back("linear_attention");
    for (int r = 0; r < 7; ++r) { types.insert(types.end(), 5, "linear_attention"); types.push_back("hybrid"); }
    types.insert(types.end(), 4, "linear_attention"); types.push_back("hybrid");
    types.insert(types.end(), 3, "linear_attention"); types.push_back("hybrid");
    types.insert(types.end(), 2, "linear_attention");
  }
  c.n_layers = static_cast<int>(types.size());
  Zamba2Params& z = c.zamba2;
  z.num_mem_blocks = f.integer_or("num_mem_blocks", 1, 1, kMaxLayers);
  int uses = 0;
  for (int i = 0; i < c.n_layers; ++i) {
    const std::string& t = types[i];
    require(t == "linear_attention" || t == "hybrid", f.path(), "layers_block_type[" + std::to_string(i) + "]",
            "unknown layer type '" + t.substr(0, 32) + "' (linear_attention, or its legacy name mamba, or hybrid)");
    c.mixers.push_back(MixerKind::Mamba2);  // every layer ends in its own Mamba-2
    c.ffns.push_back(FfnKind::None);
    c.shared_blocks.push_back(t == "hybrid" ? uses++ % z.num_mem_blocks : -1);
  }
  z.adapter_rank = f.integer_or("adapter_rank", 128, 1, kMaxDim);
  z.attention_adapters = f.boolean_or("use_shared_attention_adapter", false);
  z.linear_bias = f.boolean_or("add_bias_linear", false);
  f.boolean_or("use_shared_mlp_adapter", true);  // not read by transformers 5.17: the MLP adapters are always built
  f.boolean_or("use_long_context", false);       // only raises max_position_embeddings: no change to the math

  // Mamba-2 (Zamba2MambaMixer): conv1d always has a bias (nn.Conv1d(bias=True), whatever use_conv_bias
  // says); in_proj / out_proj bias = add_bias_linear; the gated norm per group, eps 1e-5.
  Mamba2Params& m = c.mamba2;
  const int expand = f.integer_or("mamba_expand", 2, 1, 64);
  m.d_inner = expand * c.d_model;
  require(m.d_inner <= kMaxDim * 4, f.path(), "mamba_expand", "mamba_expand * hidden_size is too large");
  m.n_heads = f.integer_or("n_mamba_heads", 8, 1, kMaxHeads);
  require(m.d_inner % m.n_heads == 0, f.path(), "n_mamba_heads", "must divide mamba_expand * hidden_size = " + std::to_string(m.d_inner));
  m.head_dim = m.d_inner / m.n_heads;
  m.n_groups = f.integer_or("mamba_ngroups", 1, 1, kMaxHeads);
  require(m.n_heads % m.n_groups == 0, f.path(), "mamba_ngroups", "n_mamba_heads must be a multiple of it");
  m.d_state = f.integer_or("mamba_d_state", 64, 1, 4096);
  m.d_conv = f.integer_or("mamba_d_conv", 4, 1, 64);
  m.chunk_size = f.integer_or("chunk_size", 256, 1, 1 << 14);
  f.boolean_or("use_conv_bias", true);
  m.conv_bias = true;
  m.in_proj_bias = z.linear_bias;
  m.out_proj_bias = z.linear_bias;
  m.dt_min = static_cast<float>(f.real_or("time_step_min", 1e-3, 0.0, 1e6));
  m.dt_max = std::numeric_limits<float>::infinity();
  m.norm_group_size = m.d_inner / m.n_groups;  // Zamba2RMSNormGated(group_size = d_inner / n_groups)
  m.gated_norm_eps = 1e-5f;

  // Shared attention (Zamba2Attention): input 2D wide, no bias, scale (head_dim / 2)^-0.5, RoPE when
  // use_mem_rope.
  AttentionParams& a = c.attn;
  a.n_heads = f.integer_or("num_attention_heads", 32, 1, kMaxHeads);
  a.n_kv_heads = f.integer_or("num_key_value_heads", a.n_heads, 1, kMaxHeads);
  require(a.n_heads % a.n_kv_heads == 0, f.path(), "num_key_value_heads", "num_attention_heads must be a multiple of it");
  a.head_dim = 2 * c.d_model / a.n_heads;
  require(a.head_dim >= 2, f.path(), "num_attention_heads", "2 * hidden_size // num_attention_heads (the head size) is under 2");
  a.bias = false;
  a.scale = static_cast<float>(1.0 / std::sqrt(a.head_dim / 2.0));
  if (z.attention_adapters) {  // an adapter's output (2 * hidden_size) is added to q, k and v
    require(a.n_heads * a.head_dim == 2 * c.d_model, f.path(), "num_attention_heads",
            "with use_shared_attention_adapter, 2 * hidden_size must be a multiple of it");
    require(a.n_kv_heads == a.n_heads, f.path(), "num_key_value_heads",
            "with use_shared_attention_adapter, k and v must be 2 * hidden_size wide (num_key_value_heads = num_attention_heads)");
  }
  if (f.boolean_or("use_mem_rope", false)) {
    parse_rope(f, c);
  } else {
    a.rope = false;
  }
  // Shared MLP (Zamba2MLP): gate_up_proj [2I, D] (gate rows first), GELU, down_proj [D, I].
  c.ffn.intermediate = f.integer_or("intermediate_size", 4 * c.d_model, 1, kMaxDim * 4);
  c.ffn.mlp_bias = z.linear_bias;
  c.tied_embeddings = f.boolean_or("tie_word_embeddings", true);
}

}  // namespace

ModelConfig parse_model_config(const json& j, const std::string& path) {
  Fields f(j, path);
  ModelConfig c;
  std::string arch;
  if (!f.has("architectures") && f.has("d_model") && f.has("n_layer")) {  // mamba_ssm's config.json
    parse_mamba_ssm(f, c);
    return c;
  }
  if (f.has("architectures")) {
    const json& a = f.raw("architectures");
    if (!a.is_array() || a.empty() || !a[0].is_string()) throw Error(path, "architectures", "is not a list of names");
    arch = a[0].get<std::string>();
  } else if (f.has("model_type") && f.raw("model_type").is_string()) {
    const std::string mt = f.raw("model_type").get<std::string>();
    if (mt == "mamba") arch = "MambaForCausalLM";
    else if (mt == "mamba2") arch = "Mamba2ForCausalLM";
    else if (mt == "llama") arch = "LlamaForCausalLM";
    else if (mt == "jamba") arch = "JambaForCausalLM";
    else if (mt == "falcon_mamba") arch = "FalconMambaForCausalLM";
    else if (mt == "bamba") arch = "BambaForCausalLM";
    else if (mt == "nemotron_h") arch = "NemotronHForCausalLM";
    else if (mt == "granitemoehybrid") arch = "GraniteMoeHybridForCausalLM";
    else if (mt == "falcon_h1") arch = "FalconH1ForCausalLM";
    else if (mt == "zamba2") arch = "Zamba2ForCausalLM";
    else throw Error(path, "model_type", "unknown model type '" + mt + "'");
  } else {
    throw Error(path, "architectures", "missing (and no model_type either)");
  }

  c.vocab_size = f.integer("vocab_size", 1, kMaxVocab);
  if (arch == "MambaForCausalLM") { c.arch = Architecture::Mamba; parse_mamba(f, c); }
  else if (arch == "Mamba2ForCausalLM") { c.arch = Architecture::Mamba2; parse_mamba2(f, c); }
  else if (arch == "LlamaForCausalLM") { c.arch = Architecture::Llama; parse_llama(f, c); }
  else if (arch == "JambaForCausalLM") { c.arch = Architecture::Jamba; parse_jamba(f, c); }
  else if (arch == "FalconMambaForCausalLM") { c.arch = Architecture::FalconMamba; parse_falcon_mamba(f, c); }
  else if (arch == "BambaForCausalLM") { c.arch = Architecture::Bamba; parse_bamba(f, c); }
  else if (arch == "NemotronHForCausalLM") { c.arch = Architecture::NemotronH; parse_nemotron_h(f, c); }
  else if (arch == "GraniteMoeHybridForCausalLM") { c.arch = Architecture::GraniteMoeHybrid; parse_granite_moe_hybrid(f, c); }
  else if (arch == "FalconH1ForCausalLM") { c.arch = Architecture::FalconH1; parse_falcon_h1(f, j, c); }
  else if (arch == "Zamba2ForCausalLM") { c.arch = Architecture::Zamba2; parse_zamba2(f, c); }
  else throw Error(path, "architectures", "unknown architecture '" + arch + "' (StateScope runs MambaForCausalLM, Mamba2ForCausalLM, LlamaForCausalLM, JambaForCausalLM, "
                                          "FalconMambaForCausalLM, BambaForCausalLM, NemotronHForCausalLM, GraniteMoeHybridForCausalLM, "
                                          "FalconH1ForCausalLM and Zamba2ForCausalLM)");
  return c;
}

}  // namespace ss
