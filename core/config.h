// ModelConfig: the architecture-independent description of a model, parsed from a HuggingFace
// config.json (MambaForCausalLM, Mamba2ForCausalLM, LlamaForCausalLM, JambaForCausalLM,
// FalconMambaForCausalLM, BambaForCausalLM, NemotronHForCausalLM, GraniteMoeHybridForCausalLM,
// FalconH1ForCausalLM, Zamba2ForCausalLM) with
// the field names transformers 5.17 uses, or from mamba_ssm's own config.json (the
// state-spaces/mamba-* and mamba2-* repositories: d_model, n_layer, ssm_cfg, ...), each value
// range-checked.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace ss {

enum class Architecture { Mamba, Mamba2, Llama, Jamba, FalconMamba, Bamba, NemotronH, GraniteMoeHybrid, FalconH1, Zamba2 };
// What mixes information across tokens. None: a layer without one (Nemotron-H's MLP layers, "-" in
// its pattern), only a feed-forward. AttentionMamba2: attention and a Mamba-2 mixer side by side on
// the same normalised input, their outputs summed (Falcon-H1: every layer); the layer has a KV cache
// and an SSM state.
enum class MixerKind { Mamba, Mamba2, Attention, None, AttentionMamba2 };
enum class FfnKind { None, Mlp, Moe };             // the per-token feed-forward after the mixer

const char* architecture_name(Architecture a);  // "MambaForCausalLM", ...
const char* mixer_name(MixerKind k);            // "mamba", "mamba2", "attention", "none", "attention+mamba2"
// What a layer of this kind holds: an SSM (a Δ and a fixed state; Mamba, Mamba2, AttentionMamba2), an
// attention (a KV cache; Attention, AttentionMamba2), and which SSM that is (Mamba or Mamba2; None
// when it has none).
bool has_ssm(MixerKind k);
bool has_attention(MixerKind k);
MixerKind ssm_kind(MixerKind k);
const char* ffn_name(FfnKind k);                // "none", "mlp", "moe"

struct MambaParams {   // Mamba-1 mixer (also Jamba's Mamba layers)
  int d_inner = 0;     // expand * d_model: channels of the SSM
  int d_state = 0;     // N: state dims per channel
  int d_conv = 0;      // causal depthwise conv kernel
  int dt_rank = 0;     // rank of the Δ projection
  bool conv_bias = true;
  bool proj_bias = false;     // in_proj / out_proj bias
  bool dt_bc_norms = false;   // Jamba, Falcon-Mamba: RMSNorm on dt, B and C after x_proj
  bool dt_bc_norm_weights = true;  // Jamba: learned weights; Falcon-Mamba: none (weight 1)
  float dt_bc_norm_eps = 1e-6f;    // Jamba: rms_norm_eps; Falcon-Mamba: mixer_rms_eps
};

struct Mamba2Params {  // Mamba-2 (SSD) mixer
  int d_inner = 0;     // n_heads * head_dim
  int n_heads = 0;     // H
  int head_dim = 0;    // P
  int n_groups = 0;    // G: heads share B and C within a group
  int d_state = 0;     // N
  int d_conv = 0;
  int chunk_size = 0;
  bool conv_bias = true;
  bool in_proj_bias = false;
  bool out_proj_bias = false;  // Falcon-H1: projectors_bias (in_proj's is mamba_proj_bias); elsewhere as in_proj's
  float dt_min = 0.0f;  // time_step_limit clamp on Δ after softplus
  float dt_max = 0.0f;  // +inf when unlimited
  int norm_group_size = 0;  // gated RMSNorm normalises groups of this many channels
                            // (d_inner, except Nemotron-H, Falcon-H1 and Zamba2: d_inner / n_groups)
  float gated_norm_eps = 0.0f;  // eps of the gated RMSNorm; 0: the model's norm_eps (Zamba2: 1e-5
                                // whatever rms_norm_eps says)
  bool gated_norm = true;        // false (Falcon-H1's mamba_rms_norm = false): out_proj(y ∘ silu(z)), no norm
  bool norm_before_gate = false; // Falcon-H1's mamba_norm_before_gate: rms_norm(y) ∘ silu(z), not rms_norm(y ∘ silu(z))
};

struct AttentionParams {
  int n_heads = 0;
  int n_kv_heads = 0;
  int head_dim = 0;
  bool rope = true;          // Jamba's and Nemotron-H's attention layers use no positional encoding
  float rope_theta = 10000.0f;
  int rotary_dim = 0;        // RoPE on the first rotary_dim dims of each head (Bamba: head_dim / 2); 0: all
  float scale = 0.0f;        // scores = q·k * scale; 0: 1/sqrt(head_dim) (Granite: attention_multiplier)
  bool bias = false;         // q/k/v/o projection bias
};

enum class MlpKind { SwiGlu, Relu2 };  // down(silu(gate x) * up x); Nemotron-H: down(relu(up x)^2)
enum class MoeRouting {
  SoftmaxThenTopK,   // Jamba: softmax over all experts, the top k weights as they are (sum < 1)
  TopKThenSoftmax,   // Granite: the top k logits, softmax over those k (sum = 1)
  SigmoidGroupedTopK,  // Nemotron-H: s = sigmoid(logits); experts chosen by s + a learned bias among the
                       // topk_groups best of n_groups groups; weights = s of the chosen (renormalised
                       // when norm_topk) times routed_scale
};

struct FfnParams {
  int intermediate = 0;
  MlpKind mlp = MlpKind::SwiGlu;
  int n_experts = 0;         // MoE layers only
  int top_k = 0;
  MoeRouting routing = MoeRouting::SoftmaxThenTopK;
  int shared_intermediate = 0;  // Granite: a shared SwiGLU MLP beside the experts (0: none);
                                // Nemotron-H: its shared squared-ReLU expert
  int moe_intermediate = 0;     // the experts' intermediate size where it differs from the MLP's
                                // (Nemotron-H's moe_intermediate_size); 0: intermediate
  int n_groups = 1;             // SigmoidGroupedTopK: experts in n_groups equal groups ...
  int topk_groups = 1;          // ... of which the topk_groups best are eligible
  bool norm_topk = false;       // SigmoidGroupedTopK: the K weights renormalised to sum 1
  float routed_scale = 1.0f;    // SigmoidGroupedTopK: the routed experts' weights times this
  bool mlp_bias = false;
};

// Whose tensor names the checkpoint uses: transformers' or mamba_ssm's (backbone.embedding.weight
// for backbone.embeddings.weight; everything else is named alike).
enum class CheckpointLayout { Transformers, MambaSsm };

// Granite's and Falcon-H1's (muP) scalar multipliers (1 elsewhere), all folded into weights at load:
// x_0 = embed * embedding; each residual branch (mixer, feed-forward) is added times residual;
// logits = lm_head(...) * lm_head / logits_scaling. Falcon-H1 also scales inside its branches:
// attention sees x * attention_in, its keys are k_proj(.) * key, its output is o_proj(.) * attention_out;
// the Mamba-2 sees x * ssm_in, in_proj's output slices z, x, B, C, dt are times ssm_zxbcdt[0..4], its
// output is out_proj(.) * ssm_out; the MLP is down(silu(gate(x) * mlp_gate) * up(x)) * mlp_down.
struct Multipliers {
  float embedding = 1.0f;
  float residual = 1.0f;        // Granite
  float logits_scaling = 1.0f;  // Granite (divides)
  float lm_head = 1.0f;         // Falcon-H1 (multiplies)
  float attention_in = 1.0f, key = 1.0f, attention_out = 1.0f;  // Falcon-H1
  float ssm_in = 1.0f, ssm_out = 1.0f;                          // Falcon-H1
  float ssm_zxbcdt[5] = {1.0f, 1.0f, 1.0f, 1.0f, 1.0f};         // Falcon-H1's ssm_multipliers
  float mlp_gate = 1.0f, mlp_down = 1.0f;                       // Falcon-H1's mlp_multipliers
};

// Zamba2's shared transformer blocks (Zamba2AttentionDecoderLayer): num_mem_blocks blocks of
// attention (c.attn, on concat(x, x_0) of width 2D) + GELU MLP (c.ffn.intermediate), whose weights are
// shared by the hybrid layers, used in rotation (hybrid layer u, counted among hybrid layers, uses block
// u % num_mem_blocks). Each use has its own LoRA-style adapters (rank adapter_rank) and its own KV cache.
struct Zamba2Params {
  int num_mem_blocks = 0;
  int adapter_rank = 0;
  bool attention_adapters = false;  // use_shared_attention_adapter: adapters on q, k, v
                                    // (the MLP's gate_up adapter is always there in transformers 5.17)
  bool linear_bias = false;         // add_bias_linear: MLP gate_up/down bias (and the Mamba-2 projections)
};

struct ModelConfig {
  Architecture arch = Architecture::Mamba;
  CheckpointLayout layout = CheckpointLayout::Transformers;
  int vocab_size = 0;
  int d_model = 0;
  int n_layers = 0;
  float norm_eps = 1e-5f;
  bool tied_embeddings = true;
  std::vector<MixerKind> mixers;  // [n_layers]
  std::vector<FfnKind> ffns;      // [n_layers]
  MambaParams mamba;
  Mamba2Params mamba2;
  AttentionParams attn;
  FfnParams ffn;
  Multipliers mult;
  Zamba2Params zamba2;
  // [n_layers] Zamba2: the shared block a hybrid layer runs before its Mamba-2 (-1: a plain Mamba-2
  // layer); empty for every other family.
  std::vector<int> shared_blocks;

  // The shared block layer `l` uses, -1 when none (every family but Zamba2).
  int shared_block(int l) const { return l >= 0 && l < static_cast<int>(shared_blocks.size()) ? shared_blocks[l] : -1; }
  // Layer `l` has attention and so keeps a KV cache: an attention layer, a Falcon-H1 layer (its
  // attention beside its Mamba-2), or a Zamba2 hybrid layer (its use of the shared block's attention).
  bool has_kv_cache(int l) const { return has_attention(mixers.at(l)) || shared_block(l) >= 0; }
  // Layer `l` has both an SSM and attention (Falcon-H1's layers, Zamba2's hybrid layers): the views
  // show one part or the other (session: Choice::attention_part).
  bool has_ssm_and_attention(int l) const { return ss::has_ssm(mixers.at(l)) && has_kv_cache(l); }

  // Some layer has a Mamba-1 or Mamba-2 SSM (it has a Δ, a fixed state: what Δ → average needs).
  bool has_ssm() const {
    for (MixerKind k : mixers)
      if (ss::has_ssm(k)) return true;
    return false;
  }
};

// Parses and validates; throws ss::Error naming `path` and the offending key.
ModelConfig parse_model_config(const nlohmann::json& j, const std::string& path);

// config.json as transformers writes it may hold the bare tokens Infinity / NaN (Python's json);
// this reader accepts them, turning each into the string "Infinity" etc. that number fields accept.
// A key given twice in one object is refused (ss::Error; json_file.h has the file readers).
nlohmann::json parse_json_relaxed(const std::string& text);

}  // namespace ss
