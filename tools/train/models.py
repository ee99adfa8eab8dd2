"""Model configurations for StateScope's shipped models, built with transformers' own classes.

Every model is byte-level (vocab 256, token = byte), ties its output head to its input embedding
and is saved with save_pretrained (config.json + model.safetensors, weights in bfloat16).

Families and the transformers classes:
  mamba1  MambaConfig  / MambaForCausalLM
  mamba2  Mamba2Config / Mamba2ForCausalLM   (n_groups=1, so the gated RMSNorm over the whole
                                              d_inner equals mamba_ssm's grouped one)
  llama   LlamaConfig  / LlamaForCausalLM    (RoPE, multi-head attention, SwiGLU MLP)
  jamba   JambaConfig  / JambaForCausalLM    (Mamba-1 layers with RMSNorms on dt, B, C; attention
                                              layers without positional encoding; MLP or top-2
                                              mixture of experts after every mixer)
"""
import math

FAMILIES = ("mamba1", "mamba2", "llama", "jamba")

# The four language models on the corpus: 4.0-4.2 M parameters each (largest / smallest 1.03; see
# docs/models.md), d_model 352, byte-level, trained on 2048-byte contexts. (About 8 MB each in bfloat16:
# the four together stay near 33 MB of the 40 MB that assets/ may take.)
LM_SIZES = {
    "mamba1": dict(d_model=352, n_layer=5, d_state=16),
    "mamba2": dict(d_model=352, n_layer=5, d_state=64, head_dim=64, chunk_size=64),
    "llama": dict(d_model=352, n_layer=3, n_head=11, d_ff=800),
    "jamba": dict(d_model=352, n_layer=4, n_head=11, d_ff=96, d_state=16, attn_period=4, attn_offset=2,
                  n_experts=4, expert_period=2, expert_offset=1),
}
LM_NAMES = {"mamba1": "mamba1-bytes", "mamba2": "mamba2-bytes", "llama": "llama-bytes", "jamba": "jamba-bytes"}


def make_config(family, d_model, n_layer, d_state=16, head_dim=64, chunk_size=32, n_head=4, d_ff=None,
                attn_period=2, attn_offset=1, n_experts=1, expert_period=2, expert_offset=1, max_positions=2048):
    import transformers as tf
    common = dict(vocab_size=256, hidden_size=d_model, num_hidden_layers=n_layer, initializer_range=0.02,
                  tie_word_embeddings=True)
    if family == "mamba1":
        return tf.MambaConfig(state_size=d_state, expand=2, conv_kernel=4, use_bias=False, use_conv_bias=True,
                              hidden_act="silu", residual_in_fp32=True, time_step_rank=math.ceil(d_model / 16),
                              layer_norm_epsilon=1e-5, use_mambapy=False, **common)
    if family == "mamba2":
        d_inner = 2 * d_model
        return tf.Mamba2Config(state_size=d_state, expand=2, head_dim=head_dim, num_heads=d_inner // head_dim,
                               n_groups=1, chunk_size=chunk_size, conv_kernel=4, use_bias=False,
                               use_conv_bias=True, hidden_act="silu", rms_norm=True, norm_before_gate=False,
                               residual_in_fp32=True, layer_norm_epsilon=1e-5,
                               time_step_limit=(0.0, float("inf")), **common)
    if family == "llama":
        return tf.LlamaConfig(intermediate_size=d_ff, num_attention_heads=n_head, num_key_value_heads=n_head,
                              head_dim=d_model // n_head, hidden_act="silu", max_position_embeddings=max_positions,
                              rms_norm_eps=1e-5, attention_bias=False, mlp_bias=False,
                              pad_token_id=None, bos_token_id=None, eos_token_id=None, **common)
    if family == "jamba":
        return tf.JambaConfig(intermediate_size=d_ff, num_attention_heads=n_head, num_key_value_heads=n_head,
                              attn_layer_period=attn_period, attn_layer_offset=attn_offset,
                              expert_layer_period=expert_period, expert_layer_offset=expert_offset,
                              num_experts=n_experts, num_experts_per_tok=min(2, n_experts),
                              mamba_d_state=d_state, mamba_d_conv=4, mamba_expand=2,
                              mamba_dt_rank=math.ceil(d_model / 16), mamba_conv_bias=True, mamba_proj_bias=False,
                              use_mamba_kernels=False, rms_norm_eps=1e-6, max_position_embeddings=max_positions,
                              pad_token_id=None, bos_token_id=None, eos_token_id=None, **common)
    raise ValueError(family)


def model_class(family):
    import transformers as tf
    return {"mamba1": tf.MambaForCausalLM, "mamba2": tf.Mamba2ForCausalLM,
            "llama": tf.LlamaForCausalLM, "jamba": tf.JambaForCausalLM}[family]


def build(family, config):
    cls = model_class(family)
    if family in ("llama", "jamba"):
        try:
            config._attn_implementation = "sdpa"
        except Exception:
            pass
    return cls(config)


def load_pretrained(family, path, device):
    """transformers' own loader; float32, eval mode, eager attention (the reference numerics)."""
    cls = model_class(family)
    kwargs = {"attn_implementation": "eager"} if family in ("llama", "jamba") else {}
    model = cls.from_pretrained(path, **kwargs)
    return model.float().to(device).eval()


def layer_kinds(family, config):
    """Per layer: 'mamba1', 'mamba2' or 'attention'."""
    n = config.num_hidden_layers
    if family == "mamba1":
        return ["mamba1"] * n
    if family == "mamba2":
        return ["mamba2"] * n
    if family == "llama":
        return ["attention"] * n
    return ["attention" if i % config.attn_layer_period == config.attn_layer_offset else "mamba1" for i in range(n)]


def memory_bytes(family, config, bytes_per_value=4):
    """State bytes per SSM layer (fp32 by default) and KV-cache bytes per token for the whole model."""
    kinds = layer_kinds(family, config)
    out = {"layers": kinds, "ssm_layers": sum(k != "attention" for k in kinds),
           "attention_layers": kinds.count("attention")}
    if family in ("mamba1", "jamba"):
        d_state = config.state_size if family == "mamba1" else config.mamba_d_state
        d_conv = config.conv_kernel if family == "mamba1" else config.mamba_d_conv
        expand = config.expand if family == "mamba1" else config.mamba_expand
        d_inner = expand * config.hidden_size
        out["ssm_state_shape"] = [d_inner, d_state]
        out["ssm_state_bytes_per_layer"] = d_inner * d_state * bytes_per_value
        out["conv_state_bytes_per_layer"] = d_inner * (d_conv - 1) * bytes_per_value
    if family == "mamba2":
        d_inner = config.expand * config.hidden_size
        conv_dim = d_inner + 2 * config.n_groups * config.state_size
        out["ssm_state_shape"] = [config.num_heads, config.head_dim, config.state_size]
        out["ssm_state_bytes_per_layer"] = config.num_heads * config.head_dim * config.state_size * bytes_per_value
        out["conv_state_bytes_per_layer"] = conv_dim * (config.conv_kernel - 1) * bytes_per_value
    if out["attention_layers"]:
        head_dim = getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads
        out["kv_bytes_per_token_per_attention_layer"] = 2 * config.num_key_value_heads * head_dim * bytes_per_value
        out["kv_bytes_per_token"] = out["attention_layers"] * out["kv_bytes_per_token_per_attention_layer"]
    else:
        out["kv_bytes_per_token"] = 0
    per_layer = out.get("ssm_state_bytes_per_layer", 0) + out.get("conv_state_bytes_per_layer", 0)
    out["fixed_state_bytes"] = out["ssm_layers"] * per_layer
    return out


def param_counts(model, family, config):
    total = sum(p.numel() for p in model.parameters())
    emb = model.get_input_embeddings().weight.numel()
    out = {"total": total, "embedding": emb, "non_embedding": total - emb, "active": total}
    if family == "jamba" and config.num_experts > 1:
        per_expert = 3 * config.hidden_size * config.intermediate_size
        moe_layers = sum(1 for i in range(config.num_hidden_layers)
                         if i % config.expert_layer_period == config.expert_layer_offset)
        out["active"] = total - moe_layers * (config.num_experts - config.num_experts_per_tok) * per_expert
    return out
