#!/usr/bin/env python3
"""Generate StateScope's reference fixtures from HuggingFace transformers' own
implementations (Mamba, Mamba-2, Llama, Jamba, Falcon-Mamba, Bamba, Nemotron-H, Granite 4.0
hybrid, Falcon-H1, Zamba2), on raw bytes (vocab 256).

    python3 tools/make_fixtures.py --out tests/fixtures            # all fixtures
    python3 tools/make_fixtures.py --out tests/fixtures --only jamba_a
    python3 tools/make_fixtures.py --out tests/fixtures --only falcon_h1_a,falcon_h1_b,falcon_h1_c
    python3 tools/make_fixtures.py --out tests/fixtures --readme-only   # no torch needed

Needs torch + transformers (5.17 was used) + numpy; runs on CPU (we ran it on the
GPU device machine because that is where those are installed). Seeded: re-running
with the same versions reproduces the same weights and references.

Per fixture (tests/fixtures/<name>/):
  config.json, generation_config.json, model.safetensors (or index + shards): exactly as
      save_pretrained writes them, after perturbing the weights so activations are O(1);
  reference/input.bin                raw input bytes (token id = byte value, no BOS);
  reference/logits.npy               float64 [T, 256];
  reference/hidden_states.npy        float64 [n_hidden, T, d]  (meaning per entry in meta.json);
  reference/layer_outputs.npy        float64 [L, T, d]  output of every layer, before final norm;
  reference/attn_L<l>.npy            float64 [heads, T, T]  softmax probabilities (attention layers; Zamba2's
                                     hybrid layers: their use of a shared block's attention);
  reference/conv_state_L<l>.npy      float64 final conv state per Mamba layer;
  reference/ssm_state_L<l>.npy       float64 final SSM state per Mamba layer;
  reference/router_logits_L<l>.npy   float64 [T, E] (Jamba MoE layers) and router_topk_L<l>.npy int64 [T, k];
  reference/meta.json                versions, seed, shapes, what every array means, checks.
The reference is computed from the SAVED checkpoint reloaded in float64 (so bf16/f16
fixtures use the rounded stored weights upcast to float64).
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hf_families as hf  # noqa: E402

REGENERATE = "python3 tools/make_fixtures.py --out tests/fixtures (on the GPU machine)"
BASE_SEED = 20251117

FIXTURES = [
    dict(
        name="mamba1_tied_f32",
        family="mamba1",
        dtype="float32",
        input="Mamba reads bytes: 你好，世界!".encode() + b"\x00\x7f\x80\xfe\xff" + b" ok.",
        config=dict(
            hidden_size=32, num_hidden_layers=2, state_size=8, conv_kernel=4, expand=2,
            time_step_rank="auto", tie_word_embeddings=True, use_bias=False, use_conv_bias=True,
        ),
    ),
    dict(
        name="mamba1_untied_bf16",
        family="mamba1",
        dtype="bfloat16",
        input="Selective state: Δ gates memory. 状态空间模型 ".encode() + b"\xc3\x28\xf0",
        config=dict(
            hidden_size=48, num_hidden_layers=3, state_size=16, conv_kernel=3, expand=3,
            time_step_rank=5, tie_word_embeddings=False, use_bias=True, use_conv_bias=True,
        ),
    ),
    dict(
        name="mamba2_g1_f32",
        family="mamba2",
        dtype="float32",
        input="SSD = chunked duality; 分块计算 x=y?".encode() + b"\x01\x02\xfa\xfb",  # 44 bytes, not a multiple of 8
        config=dict(
            hidden_size=32, expand=2, num_heads=4, head_dim=16, n_groups=1, state_size=16,
            conv_kernel=4, chunk_size=8, num_hidden_layers=2, tie_word_embeddings=True,
        ),
    ),
    dict(
        name="mamba2_g2_f16",
        family="mamba2",
        dtype="float16",
        input="Two groups share B and C — 两组共享 B 和 C. end".encode() + b"\x9f\x80",  # 56 bytes
        config=dict(
            hidden_size=32, expand=2, num_heads=8, head_dim=8, n_groups=2, state_size=8,
            conv_kernel=3, chunk_size=16, num_hidden_layers=3, tie_word_embeddings=False,
        ),
    ),
    dict(
        name="llama_mha_f32",
        family="llama",
        dtype="float32",
        input="Attention keeps every token: 注意力 (KV cache) ".encode() + b"\xff\x00",
        config=dict(
            hidden_size=32, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=4,
            head_dim=8, intermediate_size=64, rope_theta=10000.0, tie_word_embeddings=True,
            rms_norm_eps=1e-5,
        ),
    ),
    dict(
        name="llama_gqa_sharded",
        family="llama",
        dtype="float32",
        shard="150KB",
        input="GQA: 8 query heads, 2 KV heads; 长上下文 θ=5e5!".encode(),
        config=dict(
            hidden_size=64, num_hidden_layers=3, num_attention_heads=8, num_key_value_heads=2,
            intermediate_size=96, rope_theta=500000.0, tie_word_embeddings=False, attention_bias=False,
        ),
    ),
    dict(
        name="jamba_a",
        family="jamba",
        dtype="float32",
        input="Jamba mixes Mamba+attention+MoE: 混合模型 ".encode() + b"\x80\x81\x82",
        config=dict(
            hidden_size=32, num_hidden_layers=4, attn_layer_offset=1, attn_layer_period=2,
            expert_layer_offset=1, expert_layer_period=2, num_experts=4, num_experts_per_tok=2,
            num_attention_heads=4, num_key_value_heads=2, intermediate_size=64, mamba_d_state=8,
            mamba_d_conv=4, mamba_expand=2, mamba_dt_rank=4, use_mamba_kernels=False,
            tie_word_embeddings=True,
        ),
    ),
    dict(
        name="jamba_b",
        family="jamba",
        dtype="float32",
        input="Every layer MoE, one attention at layer 3. 专家混合 ☺".encode() + b"\xfe",
        config=dict(
            hidden_size=32, num_hidden_layers=6, attn_layer_offset=3, attn_layer_period=4,
            expert_layer_offset=0, expert_layer_period=1, num_experts=8, num_experts_per_tok=2,
            num_attention_heads=4, num_key_value_heads=1, intermediate_size=48, mamba_d_state=16,
            mamba_d_conv=3, mamba_expand=1, mamba_dt_rank="auto", mamba_proj_bias=True,
            use_mamba_kernels=False, tie_word_embeddings=False,
        ),
    ),
]

# The families added for issue 12 (kept small: each folder under 300 KB).
FIXTURES += [
    dict(
        name="falcon_mamba_f32",
        family="falcon_mamba",
        dtype="float32",
        input="Falcon-Mamba: RMS(B,C,Δ) 归一化 ".encode() + b"\x00\xff",
        config=dict(
            hidden_size=24, num_hidden_layers=2, state_size=8, conv_kernel=4, expand=2,
            time_step_rank="auto", tie_word_embeddings=True, use_bias=False, use_conv_bias=True,
            mixer_rms_eps=1e-5,
        ),
    ),
    dict(
        name="bamba_gqa_f32",
        family="bamba",
        dtype="float32",
        input="Bamba: M2+attn, rope/2 混合".encode() + b"\x80\x7f",  # 31 bytes
        config=dict(
            hidden_size=16, num_hidden_layers=3, attn_layer_indices=[1], num_attention_heads=2,
            num_key_value_heads=1, intermediate_size=32, mamba_n_heads=4, mamba_d_head="auto", mamba_n_groups=2,
            mamba_d_state=8, mamba_d_conv=3, mamba_expand=2, mamba_chunk_size=8, rope_theta=10000.0,
            tie_word_embeddings=False,
        ),
    ),
    dict(
        name="nemotron_h_f32",
        family="nemotron_h",
        dtype="float32",
        input="Nemotron-H: M*-M-, relu²".encode() + b"\xfe\x00",  # 29 bytes
        config=dict(
            hidden_size=16, hybrid_override_pattern="M*-M-", num_attention_heads=2, num_key_value_heads=1,
            head_dim=8, intermediate_size=32, mamba_num_heads=4, mamba_head_dim=8, n_groups=2, ssm_state_size=8,
            conv_kernel=4, chunk_size=8, time_step_min=0.01, use_conv_bias=True,
            tie_word_embeddings=True,  # NemotronHForCausalLM ties nothing: lm_head stays its own tensor
        ),
    ),
    dict(
        name="granite_hybrid_f32",
        family="granite_hybrid",
        dtype="float32",
        input="Granite 4.0: MoE+shared ×m".encode() + b"\x01",  # 29 bytes
        config=dict(
            hidden_size=16, num_hidden_layers=3, layer_types=["mamba", "attention", "mamba"], num_attention_heads=2,
            num_key_value_heads=1, intermediate_size=16, num_local_experts=4, num_experts_per_tok=2,
            shared_intermediate_size=16, mamba_n_heads=4, mamba_d_head="auto", mamba_n_groups=2, mamba_d_state=8,
            mamba_d_conv=4, mamba_expand=2, mamba_chunk_size=8, position_embedding_type="rope", rope_theta=10000.0,
            embedding_multiplier=6.0, residual_multiplier=0.35, attention_multiplier=0.25, logits_scaling=4.0,
            tie_word_embeddings=True,
        ),
    ),
]

# Falcon-H1 (issue 12, part 3): attention and Mamba-2 side by side in every layer, muP multipliers.
FIXTURES += [
    dict(
        name="falcon_h1_a",  # GQA, 2 groups, gated norm after the gate (per group), every multiplier != 1, untied
        family="falcon_h1",
        dtype="float32",
        input="Falcon-H1: A∥M2, μP ×7 并行".encode() + b"\x00\xfd",  # 35 bytes: not a multiple of the chunk (8)
        config=dict(
            hidden_size=32, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2, intermediate_size=48,
            mamba_d_ssm=64, mamba_n_heads=4, mamba_d_head="auto", mamba_n_groups=2, mamba_d_state=8, mamba_d_conv=4,
            mamba_chunk_size=8, mamba_rms_norm=True, mamba_norm_before_gate=False, rope_theta=10000.0,
            embedding_multiplier=2.0, lm_head_multiplier=0.5, mlp_multipliers=[1.5, 0.7], key_multiplier=0.8,
            attention_in_multiplier=1.2, attention_out_multiplier=0.9, ssm_multipliers=[1.1, 0.9, 1.3, 0.8, 1.2],
            ssm_in_multiplier=0.7, ssm_out_multiplier=1.4, tie_word_embeddings=False,
        ),
    ),
    dict(
        name="falcon_h1_b",  # MHA with head_dim 16 != hidden/heads, mamba_d_ssm null (expand * hidden), no gated norm, tied
        family="falcon_h1",
        dtype="float32",
        input="Falcon-H1 tied: y∘silu(z), no norm ".encode() + b"\x80\x7f",  # 37 bytes
        config=dict(
            hidden_size=24, num_hidden_layers=3, num_attention_heads=2, num_key_value_heads=2, head_dim=16,
            intermediate_size=40, mamba_d_ssm=None, mamba_expand=2, mamba_n_heads=6, mamba_d_head="auto",
            mamba_n_groups=1, mamba_d_state=16, mamba_d_conv=3, mamba_chunk_size=16, mamba_rms_norm=False,
            rope_theta=500000.0, embedding_multiplier=1.5, lm_head_multiplier=0.75, ssm_out_multiplier=0.6,
            tie_word_embeddings=True,  # the head is lm_head_multiplier x the (unscaled) embedding
        ),
    ),
    dict(
        name="falcon_h1_c",  # MQA (1 KV head), 2 groups, norm before the gate, every bias on
        family="falcon_h1",
        dtype="float32",
        input="Falcon-H1 c: norm→gate, bias 偏置".encode() + b"\x01\xfe",  # 36 bytes
        config=dict(
            hidden_size=16, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=1, intermediate_size=24,
            mamba_d_ssm=32, mamba_n_heads=4, mamba_d_head="auto", mamba_n_groups=2, mamba_d_state=8, mamba_d_conv=4,
            mamba_chunk_size=8, mamba_rms_norm=True, mamba_norm_before_gate=True, mamba_proj_bias=True,
            projectors_bias=True, attention_bias=True, mlp_bias=True, rope_theta=10000.0, key_multiplier=1.25,
            ssm_multipliers=[0.9, 1.2, 1.0, 1.1, 0.8], mlp_multipliers=[0.8, 1.3], tie_word_embeddings=False,
        ),
    ),
    dict(
        name="nemotron_h_moe_f32",
        family="nemotron_h",
        dtype="float32",
        input="Nemotron-H MoE: ME*E-, σ-routed 专家".encode() + b"\x07\xfe",  # 44 bytes
        config=dict(
            hidden_size=16, hybrid_override_pattern="ME*E-", num_attention_heads=2, num_key_value_heads=1,
            head_dim=8, intermediate_size=32, mamba_num_heads=4, mamba_head_dim=8, n_groups=2, ssm_state_size=8,
            conv_kernel=4, chunk_size=8, time_step_min=0.01, use_conv_bias=True, n_routed_experts=6,
            num_experts_per_tok=2, moe_intermediate_size=12, moe_shared_expert_intermediate_size=20, n_group=3,
            topk_group=2, routed_scaling_factor=1.7, norm_topk_prob=True, tie_word_embeddings=False,
        ),
    ),
]

# Zamba2 (issue 12): shared transformer blocks before a hybrid layer's Mamba-2. After every earlier
# spec, so their seeds (BASE_SEED + 1000 * index) stay as they were.
FIXTURES += [
    dict(
        # 2 shared blocks used by 3 hybrid layers (1, 3, 4 -> blocks 0, 1, 0), q/k/v adapters, RoPE, 2 groups;
        # layers_block_type in its legacy spelling ("mamba"), which transformers renames
        name="zamba2_a_f32",
        family="zamba2",
        dtype="float32",
        input="Zamba2: S0+M2 S1+M2, 共享 blocks".encode() + b"\x00\xff",  # 36 bytes
        config=dict(
            hidden_size=16, num_hidden_layers=5, layers_block_type=["mamba", "hybrid", "mamba", "hybrid", "hybrid"],
            num_mem_blocks=2, num_attention_heads=4, num_key_value_heads=4, use_shared_attention_adapter=True,
            adapter_rank=4, use_mem_rope=True, rope_theta=10000.0, intermediate_size=32, hidden_act="gelu",
            n_mamba_heads=4, mamba_ngroups=2, mamba_d_state=8, mamba_d_conv=4, mamba_expand=2, chunk_size=8,
            tie_word_embeddings=True,
        ),
    ),
    dict(
        # 1 shared block used 3 times (layers 0, 2, 3), GQA, no attention adapters (the MLP's are always
        # there), no RoPE, add_bias_linear, untied head, 1 group
        name="zamba2_gqa_f32",
        family="zamba2",
        dtype="float32",
        input="Zamba2 GQA: one block ×3, bias".encode() + b"\x80",  # 32 bytes
        config=dict(
            hidden_size=16, num_hidden_layers=5,
            layers_block_type=["hybrid", "linear_attention", "hybrid", "hybrid", "linear_attention"],
            num_mem_blocks=1, num_attention_heads=4, num_key_value_heads=2, use_shared_attention_adapter=False,
            adapter_rank=4, use_mem_rope=False, intermediate_size=24, hidden_act="gelu", n_mamba_heads=4,
            mamba_ngroups=1, mamba_d_state=8, mamba_d_conv=3, mamba_expand=2, chunk_size=8, add_bias_linear=True,
            time_step_min=0.01, tie_word_embeddings=False,
        ),
    ),
]

COMMON_NOTES = {
    "input.bin": "raw input bytes; token id = byte value; batch 1; no BOS/EOS added",
    "logits.npy": "float64 [T, 256]; row t = next-byte logits after reading bytes 0..t (lm_head output, no softmax)",
    "hidden_states.npy": "float64 [n_hidden, T, d_model] = torch.stack(output.hidden_states) from "
    "model(..., output_hidden_states=True); meaning of each entry in hidden_states_entries",
    "layer_outputs.npy": "float64 [L, T, d_model]; output of decoder layer l (residual stream after the layer, "
    "before the final norm), captured with forward hooks; layer_outputs[L-1] is NOT in hidden_states when the "
    "last hidden_states entry is the final-norm output",
    "attn_L<l>.npy": "float64 [num_attention_heads, T, T]; eager softmax probabilities, row = query position, "
    "column = key position, causal (upper triangle 0); for GQA query head h uses kv head h // (H/KV)",
    "router_logits_L<l>.npy": "float64 [T, num_experts]; raw router logits (x_normed @ router.weight^T, before softmax)",
    "router_topk_L<l>.npy": "int64 [T, k]; selected experts by descending router probability",
    "dtype": "reference computed from the saved checkpoint reloaded with dtype=float64 (stored bf16/f16 weights "
    "rounded, then upcast); see float64_purity for how float32 casts inside transformers were handled",
}

FAMILY_NOTES = {
    "mamba1": {
        "conv_state_L<l>.npy": "float64 [d_inner, conv_kernel]: the last conv_kernel PRE-convolution inputs x "
        "(the first half of in_proj's output, before conv1d and SiLU), oldest first; column K-1 = last byte. "
        "This is K columns (not K-1): decode computes sum(conv_state * conv1d.weight[:,0,:]) after rolling in "
        "the new input.",
        "ssm_state_L<l>.npy": "float64 [d_inner, state_size]: h_T after the last byte (h_t = exp(dt*A) h_{t-1} + "
        "dt*B_t*x_t, A = -exp(A_log))",
    },
    "mamba2": {
        "conv_state_L<l>.npy": "float64 [conv_dim, conv_kernel], conv_dim = d_inner + 2*n_groups*state_size, "
        "channels ordered (x | B | C) exactly as in in_proj's xBC slice; the last conv_kernel PRE-convolution "
        "inputs, oldest first",
        "ssm_state_L<l>.npy": "float64 [num_heads, head_dim, state_size]: final SSM state per head",
        "in_proj_layout": "in_proj output = [z (gate, d_inner) | xBC (conv_dim) | dt (num_heads)]; "
        "xBC = [x (d_inner) | B (n_groups*state) | C (n_groups*state)]; head h uses group h // (num_heads/n_groups)",
    },
    "llama": {},
    "falcon_mamba": {
        "conv_state_L<l>.npy": "float64 [d_inner, conv_kernel]: last K pre-conv inputs, oldest first",
        "ssm_state_L<l>.npy": "float64 [d_inner, state_size]",
        "mixer": "as mamba1, plus RMSNorm without weight (eps mixer_rms_eps) on dt (R dims), B and C (N dims) after x_proj",
    },
    "bamba": {
        "conv_state_L<l>.npy": "float64 [conv_dim, mamba_d_conv] (mamba layers only)",
        "ssm_state_L<l>.npy": "float64 [mamba_n_heads, mamba_d_head, mamba_d_state] (mamba layers only)",
        "attention": "RoPE on the first head_dim/2 dims of each head (partial_rotary_factor 0.5)",
    },
    "nemotron_h": {
        "conv_state_L<l>.npy": "float64 [conv_dim, conv_kernel] (Mamba-2 layers only)",
        "ssm_state_L<l>.npy": "float64 [mamba_num_heads, mamba_head_dim, ssm_state_size] (Mamba-2 layers only)",
        "layers": "one block per layers_block_type entry: x + mixer(norm(x)); mlp blocks: down(relu(up(x))^2); "
        "moe blocks: sigmoid router with e_score_correction_bias for the choice, group-limited top k, weights "
        "renormalised (norm_topk_prob) times routed_scaling_factor, squared-ReLU experts, plus the shared expert",
    },
    "granite_hybrid": {
        "conv_state_L<l>.npy": "float64 [conv_dim, mamba_d_conv] (mamba layers only)",
        "ssm_state_L<l>.npy": "float64 [mamba_n_heads, mamba_d_head, mamba_d_state] (mamba layers only)",
        "multipliers": "x0 = embed * embedding_multiplier; x += branch * residual_multiplier; scores * attention_multiplier; "
        "logits / logits_scaling",
    },
    "zamba2": {
        "conv_state_L<l>.npy": "float64 [conv_dim, mamba_d_conv]: every layer's Mamba-2 (hybrid layers: "
        "mamba_decoder.mamba), when transformers' cache exposes it",
        "ssm_state_L<l>.npy": "float64 [n_mamba_heads, mamba_headdim, mamba_d_state]",
        "attn_L<l>.npy": "hybrid layers only: the probabilities of this layer's use of its shared block's attention "
        "(own KV cache, own adapters)",
        "layers": "mamba layer: x + mamba(norm(x)); hybrid layer: t = linear(shared_block(x, x_0)), then "
        "x + mamba(norm(x + t)); shared_block = attention on rmsnorm(concat(x, x_0)) (head_dim = 2 * hidden / heads, "
        "scale (head_dim / 2)^-0.5), then pre_ff_layernorm and the GELU MLP (no residual inside)",
        "weights": "a shared block is saved once, under the first hybrid layer using it; later uses are tied to it; "
        "use u's adapters are saved inside that block's module (..._adapter_list.<u>)",
    },
    "jamba": {
        "conv_state_L<l>.npy": "float64 [d_inner, mamba_d_conv] (mamba layers only): last K pre-conv inputs, "
        "oldest first",
        "ssm_state_L<l>.npy": "float64 [d_inner, mamba_d_state] (mamba layers only)",
    },
    "falcon_h1": {
        "conv_state_L<l>.npy": "float64 [conv_dim, mamba_d_conv] (every layer: its Mamba-2), conv_dim = mamba_d_ssm + "
        "2*mamba_n_groups*mamba_d_state; pre-conv inputs AFTER in_proj's output is multiplied by mup_vector",
        "ssm_state_L<l>.npy": "float64 [mamba_n_heads, mamba_d_head, mamba_d_state] (every layer)",
        "attn_L<l>.npy": "every layer (its attention beside the Mamba-2)",
        "layers": "x + mamba(n(x)) * ssm_out_multiplier + attn(n(x) * attention_in_multiplier) * attention_out_multiplier, "
        "n = input_layernorm; then x + mlp(pre_ff_layernorm(x)); keys times key_multiplier before RoPE; "
        "mamba: in_proj(x * ssm_in_multiplier) * mup_vector (ssm_multipliers over z|x|B|C|dt); gated RMSNorm "
        "(per group) only when mamba_rms_norm, else y * silu(z); mlp: down(up(x) * silu(gate(x) * m0)) * m1; "
        "x0 = embed * embedding_multiplier; logits = lm_head(norm(x)) * lm_head_multiplier",
    },
}


def shapes_of(family, cfg):
    if family == "mamba1":
        d_in = cfg.intermediate_size
        return dict(d_model=cfg.hidden_size, layers=cfg.num_hidden_layers, d_inner=d_in, state=cfg.state_size,
                    conv_kernel=cfg.conv_kernel, dt_rank=int(cfg.time_step_rank))
    if family == "mamba2":
        d_in = int(cfg.expand * cfg.hidden_size)
        return dict(d_model=cfg.hidden_size, layers=cfg.num_hidden_layers, d_inner=d_in, heads=cfg.num_heads,
                    head_dim=cfg.head_dim, n_groups=cfg.n_groups, state=cfg.state_size,
                    conv_kernel=cfg.conv_kernel, chunk_size=cfg.chunk_size,
                    conv_dim=d_in + 2 * cfg.n_groups * cfg.state_size)
    if family == "llama":
        hd = getattr(cfg, "head_dim", None) or cfg.hidden_size // cfg.num_attention_heads
        return dict(d_model=cfg.hidden_size, layers=cfg.num_hidden_layers, heads=cfg.num_attention_heads,
                    kv_heads=cfg.num_key_value_heads, head_dim=hd, intermediate=cfg.intermediate_size,
                    rope_theta=hf.rope_theta_of(cfg))
    if family == "falcon_mamba":
        return dict(d_model=cfg.hidden_size, layers=cfg.num_hidden_layers, d_inner=cfg.intermediate_size,
                    state=cfg.state_size, conv_kernel=cfg.conv_kernel, dt_rank=int(cfg.time_step_rank),
                    mixer_rms_eps=cfg.mixer_rms_eps)
    if family in ("bamba", "granite_hybrid"):
        d_in = cfg.mamba_expand * cfg.hidden_size
        out = dict(d_model=cfg.hidden_size, layers=cfg.num_hidden_layers, layer_types=hf.block_types(cfg),
                   heads=cfg.num_attention_heads, kv_heads=cfg.num_key_value_heads,
                   head_dim=cfg.hidden_size // cfg.num_attention_heads, intermediate=cfg.intermediate_size,
                   d_inner=d_in, mamba_heads=cfg.mamba_n_heads, mamba_head_dim=cfg.mamba_d_head,
                   n_groups=cfg.mamba_n_groups, state=cfg.mamba_d_state, conv_kernel=cfg.mamba_d_conv,
                   chunk_size=cfg.mamba_chunk_size, rope_theta=hf.rope_theta_of(cfg))
        if family == "granite_hybrid":
            out.update(experts=cfg.num_local_experts, top_k=cfg.num_experts_per_tok,
                       shared_intermediate=cfg.shared_intermediate_size)
        return out
    if family == "falcon_h1":
        d_ssm = cfg.mamba_d_ssm if cfg.mamba_d_ssm is not None else cfg.mamba_expand * cfg.hidden_size
        return dict(d_model=cfg.hidden_size, layers=cfg.num_hidden_layers, heads=cfg.num_attention_heads,
                    kv_heads=cfg.num_key_value_heads,
                    head_dim=getattr(cfg, "head_dim", None) or cfg.hidden_size // cfg.num_attention_heads,
                    intermediate=cfg.intermediate_size, d_ssm=d_ssm, mamba_heads=cfg.mamba_n_heads,
                    mamba_head_dim=cfg.mamba_d_head, n_groups=cfg.mamba_n_groups, state=cfg.mamba_d_state,
                    conv_kernel=cfg.mamba_d_conv, chunk_size=cfg.mamba_chunk_size,
                    conv_dim=d_ssm + 2 * cfg.mamba_n_groups * cfg.mamba_d_state, rope_theta=hf.rope_theta_of(cfg))
    if family == "nemotron_h":
        return dict(d_model=cfg.hidden_size, layers=cfg.num_hidden_layers, layer_types=hf.block_types(cfg),
                    heads=cfg.num_attention_heads, kv_heads=cfg.num_key_value_heads, head_dim=cfg.head_dim,
                    intermediate=cfg.intermediate_size, mamba_heads=cfg.mamba_num_heads,
                    mamba_head_dim=cfg.mamba_head_dim, n_groups=cfg.n_groups, state=cfg.ssm_state_size,
                    conv_kernel=cfg.conv_kernel, chunk_size=cfg.chunk_size)
    if family == "zamba2":
        d_in = int(cfg.mamba_expand * cfg.hidden_size)
        return dict(d_model=cfg.hidden_size, layers=cfg.num_hidden_layers, layer_types=hf.block_types(cfg),
                    shared_blocks=hf.zamba2_shared_blocks(cfg), mem_blocks=cfg.num_mem_blocks,
                    heads=cfg.num_attention_heads, kv_heads=cfg.num_key_value_heads, head_dim=cfg.attention_head_dim,
                    intermediate=cfg.intermediate_size, adapter_rank=cfg.adapter_rank, d_inner=d_in,
                    mamba_heads=cfg.n_mamba_heads, mamba_head_dim=cfg.mamba_headdim, n_groups=cfg.mamba_ngroups,
                    state=cfg.mamba_d_state, conv_kernel=cfg.mamba_d_conv, chunk_size=cfg.chunk_size,
                    rope_theta=hf.rope_theta_of(cfg) if cfg.use_mem_rope else None)
    attn, moe = hf.jamba_layer_kinds(cfg)
    return dict(d_model=cfg.hidden_size, layers=cfg.num_hidden_layers, heads=cfg.num_attention_heads,
                kv_heads=cfg.num_key_value_heads, head_dim=cfg.hidden_size // cfg.num_attention_heads,
                intermediate=cfg.intermediate_size, d_inner=cfg.mamba_expand * cfg.hidden_size,
                state=cfg.mamba_d_state, conv_kernel=cfg.mamba_d_conv, dt_rank=int(cfg.mamba_dt_rank),
                experts=cfg.num_experts, top_k=cfg.num_experts_per_tok, attention_layers=attn, moe_layers=moe)


def family_options(family, cfg):
    keys = {
        "mamba1": ["hidden_act", "layer_norm_epsilon", "residual_in_fp32", "use_bias", "use_conv_bias",
                   "time_step_rank", "use_mambapy", "tie_word_embeddings"],
        "mamba2": ["hidden_act", "layer_norm_epsilon", "residual_in_fp32", "use_bias", "use_conv_bias", "rms_norm",
                   "time_step_limit", "time_step_rank", "norm_before_gate", "tie_word_embeddings"],
        "llama": ["hidden_act", "rms_norm_eps", "attention_bias", "mlp_bias", "rope_parameters", "rope_theta",
                  "rope_scaling", "max_position_embeddings", "tie_word_embeddings"],
        "jamba": ["hidden_act", "rms_norm_eps", "mamba_conv_bias", "mamba_proj_bias", "mamba_dt_rank",
                  "use_mamba_kernels", "sliding_window", "max_position_embeddings", "layers_block_type",
                  "layers_num_experts", "router_aux_loss_coef", "tie_word_embeddings", "num_logits_to_keep"],
        "falcon_mamba": ["hidden_act", "layer_norm_epsilon", "mixer_rms_eps", "use_bias", "use_conv_bias",
                         "time_step_rank", "tie_word_embeddings"],
        "bamba": ["hidden_act", "rms_norm_eps", "attn_layer_indices", "layers_block_type", "rope_parameters",
                  "partial_rotary_factor", "mamba_d_head", "time_step_limit", "mamba_conv_bias", "mamba_proj_bias",
                  "attention_bias", "mlp_bias", "tie_word_embeddings"],
        "nemotron_h": ["layers_block_type", "hybrid_override_pattern", "mlp_hidden_act", "mamba_hidden_act",
                       "layer_norm_epsilon", "time_step_min", "time_step_limit", "use_bias", "use_conv_bias",
                       "mlp_bias", "attention_bias", "head_dim", "tie_word_embeddings", "n_routed_experts",
                       "num_experts_per_tok", "moe_intermediate_size", "moe_shared_expert_intermediate_size",
                       "moe_latent_size", "n_group", "topk_group", "norm_topk_prob", "routed_scaling_factor"],
        "granite_hybrid": ["hidden_act", "rms_norm_eps", "layer_types", "position_embedding_type", "rope_parameters",
                           "embedding_multiplier", "residual_multiplier", "attention_multiplier", "logits_scaling",
                           "num_local_experts", "num_experts_per_tok", "shared_intermediate_size", "mamba_d_head",
                           "time_step_limit", "tie_word_embeddings"],
        "falcon_h1": ["hidden_act", "rms_norm_eps", "head_dim", "rope_parameters", "attention_bias", "mlp_bias",
                      "mamba_d_ssm", "mamba_expand", "mamba_d_head", "mamba_rms_norm", "mamba_norm_before_gate",
                      "mamba_conv_bias", "mamba_proj_bias", "projectors_bias", "time_step_limit",
                      "embedding_multiplier", "lm_head_multiplier", "mlp_multipliers", "key_multiplier",
                      "attention_in_multiplier", "attention_out_multiplier", "ssm_multipliers", "ssm_in_multiplier",
                      "ssm_out_multiplier", "tie_word_embeddings", "layers_block_type"],
        "zamba2": ["hidden_act", "rms_norm_eps", "layers_block_type", "hybrid_layer_ids", "num_mem_blocks",
                   "use_shared_attention_adapter", "use_shared_mlp_adapter", "adapter_rank", "use_mem_rope",
                   "rope_parameters", "attention_head_dim", "mamba_headdim", "time_step_min", "add_bias_linear",
                   "use_conv_bias", "use_long_context", "tie_word_embeddings"],
    }[family]
    out = {}
    for k in keys:
        if hasattr(cfg, k):
            v = getattr(cfg, k)
            try:
                json.dumps(v)
            except TypeError:
                v = repr(v)
            if isinstance(v, float) and v == float("inf"):
                v = "inf"
            out[k] = v
        else:
            out[k] = "<not a config attribute in this version>"
    return json_clean(out)


def activation_stats(model, family, cfg, input_bytes):
    """dt (after softplus) range per Mamba layer, from a stock float64 forward with hooks."""
    import numpy as np
    import torch

    F = torch.nn.functional
    stats = {}
    hooks = []
    plan = hf.layer_plan(family, cfg)
    for i, lay in enumerate(model.base_model.layers):
        mixer = getattr(lay, "mixer", None) if family in ("mamba1", "mamba2", "falcon_mamba", "nemotron_h") else getattr(lay, "mamba", None)
        if family == "zamba2":
            mixer = hf.ssm_module(lay)
        if mixer is None or plan[i]["mixer"] not in hf.SSM_MIXERS:
            continue
        if plan[i]["mixer"] in ("mamba2", "attention+mamba2"):
            nh = mixer.num_heads

            lo = float(getattr(mixer, "time_step_limit", (0.0,))[0] or 0.0)
            # Falcon-H1: in_proj's output times mup_vector (the dt rows: ssm_multipliers[4])
            mup = mixer.mup_vector.reshape(-1)[-nh:] if isinstance(getattr(mixer, "mup_vector", None), torch.Tensor) else 1.0

            def h(m, a, o, i=i, mixer=mixer, nh=nh, lo=lo, mup=mup):
                dt = F.softplus(o[..., -nh:] * mup + mixer.dt_bias).clamp(min=lo)
                stats[f"L{i}"] = [float(dt.min()), float(dt.median()), float(dt.max())]

            hooks.append(mixer.in_proj.register_forward_hook(h))
        elif hasattr(mixer, "dt_proj"):
            W, b = mixer.dt_proj.weight, mixer.dt_proj.bias
            R = W.shape[1]
            if isinstance(getattr(mixer, "dt_layernorm", None), torch.nn.Module):  # jamba: normed time_step
                src_mod, take = mixer.dt_layernorm, (lambda o: o)
            else:  # mamba1: time_step = x_proj(x)[..., :R]
                src_mod, take = mixer.x_proj, (lambda o, R=R: o[..., :R])

            def h(m, a, o, i=i, W=W, b=b, take=take):
                dt = F.softplus(take(o) @ W.T + b)
                stats[f"L{i}"] = [float(dt.min()), float(dt.median()), float(dt.max())]

            hooks.append(src_mod.register_forward_hook(h))
    try:
        hf.logits_only(model, family, torch.tensor([list(input_bytes)]))
    finally:
        for k in hooks:
            k.remove()
    return {"softplus_dt_min_median_max": stats}


def make_fixture(spec, out_root, seed):
    import numpy as np

    name, family = spec["name"], spec["family"]
    d = os.path.join(out_root, name)
    if os.path.isdir(d):
        shutil.rmtree(d)
    os.makedirs(d)
    t0 = time.time()
    cfg, cnotes = hf.build_config(family, spec["config"])
    model = hf.build_model(family, cfg, seed)
    rules = hf.perturb_weights(model, family, cfg, seed + 1)
    hf.save_model(model, d, spec["dtype"], spec.get("shard"))
    files = sorted(os.listdir(d))
    shard_info = None
    if spec.get("shard"):
        shards = [f for f in files if f.endswith(".safetensors")]
        if len(shards) < 2 or "model.safetensors.index.json" not in files:
            raise RuntimeError(f"{name}: expected >=2 shards + index, got {files}")
        shard_info = {"max_shard_size": spec["shard"], "shards": shards}
    arrays, info, m64 = hf.compute_reference(family, d, spec["input"], extras=True, probes=True, purify=True)
    ref = os.path.join(d, "reference")
    os.makedirs(ref)
    with open(os.path.join(ref, "input.bin"), "wb") as f:
        f.write(spec["input"])
    array_shapes = {}
    for k, v in sorted(arrays.items()):
        v = v if k.startswith("router_topk") else np.ascontiguousarray(v, dtype=np.float64)
        np.save(os.path.join(ref, k + ".npy"), v)
        array_shapes[k] = [list(v.shape), str(v.dtype)]
    import torch
    import transformers

    cfg64 = m64.config
    stats = activation_stats(m64, family, cfg64, spec["input"])
    hs = arrays["hidden_states"]
    stats["hidden_states_rms_per_entry"] = [float(np.sqrt((h ** 2).mean())) for h in hs]
    stats["logits_std"] = float(arrays["logits"].std())
    p = np.exp(arrays["logits"] - arrays["logits"].max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    stats["mean_max_prob"] = float(p.max(-1).mean())
    top2 = -np.sort(-arrays["logits"], axis=-1)[:, :2]
    stats["min_top1_top2_logit_gap"] = float((top2[:, 0] - top2[:, 1]).min())

    notes = dict(COMMON_NOTES)
    notes.update(FAMILY_NOTES[family])
    meta = {
        "fixture_version": hf.FIXTURE_VERSION,
        "regenerate": REGENERATE,
        "transformers": transformers.__version__,
        "torch": torch.__version__,
        "numpy": np.__version__,
        "seed": seed,
        "name": name,
        "family": family,
        "architecture": type(m64).__name__,
        "config_class": type(cfg64).__name__,
        "dtype_stored": spec["dtype"],
        "T": len(spec["input"]),
        "input_utf8_lossy": spec["input"].decode("utf-8", "replace"),
        "config_kwargs": spec["config"],
        "config_notes": cnotes,
        "shapes": shapes_of(family, cfg64),
        "options": family_options(family, cfg64),
        "layer_plan": hf.layer_plan(family, cfg64),
        "files": files,
        "sharding": shard_info,
        "tensors": hf.safetensors_listing(d),
        "arrays": array_shapes,
        "hidden_states_entries": info.pop("hidden_states_entries", None),
        "notes": notes,
        "weight_init": rules,
        "activation_stats": stats,
        "checks": info,
        "seconds": round(time.time() - t0, 2),
    }
    meta = json_clean(meta)
    with open(os.path.join(ref, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1, ensure_ascii=False, allow_nan=False)
    return meta


def json_clean(o):
    """Make `o` strict-JSON: non-finite floats -> strings, tuples -> lists, unknown -> repr."""
    import math

    if isinstance(o, dict):
        return {str(k): json_clean(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [json_clean(v) for v in o]
    if isinstance(o, bool) or o is None or isinstance(o, (int, str)):
        return o
    if isinstance(o, float):
        return o if math.isfinite(o) else repr(o)
    try:
        f = float(o)
        return f if math.isfinite(f) else repr(f)
    except (TypeError, ValueError):
        return repr(o)


def dump_sources(dst):
    """Copy the transformers sources the C++ engineers need to read."""
    import inspect

    import transformers

    root = os.path.dirname(transformers.__file__)
    os.makedirs(dst, exist_ok=True)
    rels = []
    for sub in ("mamba", "mamba2", "llama", "jamba", "falcon_mamba", "bamba", "nemotron_h", "granitemoehybrid", "zamba2",
                "falcon_h1"):
        rels += [os.path.relpath(p, root) for p in glob.glob(os.path.join(root, "models", sub, "*.py"))]
    for rel in ("cache_utils.py", "modeling_rope_utils.py", "masking_utils.py", "modeling_layers.py",
                "utils/generic.py", "utils/output_capturing.py", "integrations/moe.py",
                "integrations/hub_kernels.py", "conversion_mapping.py", "core_model_loading.py",
                "configuration_utils.py", "activations.py"):
        if os.path.exists(os.path.join(root, rel)):
            rels.append(rel)
    for rel in sorted(set(rels)):
        os.makedirs(os.path.join(dst, os.path.dirname(rel)), exist_ok=True)
        shutil.copy(os.path.join(root, rel), os.path.join(dst, rel))
    with open(os.path.join(dst, "VERSION.txt"), "w") as f:
        import torch

        f.write(f"transformers {transformers.__version__}\ntorch {torch.__version__}\nfrom {root}\n")
    # the snippets people asked for, in one file
    want = [
        ("transformers.models.mamba.modeling_mamba", "MambaMixer.slow_forward"),
        ("transformers.models.mamba.modeling_mamba", "MambaModel.forward"),
        ("transformers.models.mamba2.modeling_mamba2", "Mamba2Mixer.torch_forward"),
        ("transformers.models.mamba2.modeling_mamba2", "MambaRMSNormGated"),
        ("transformers.models.mamba2.modeling_mamba2", "Mamba2Model.forward"),
        ("transformers.models.llama.modeling_llama", "LlamaRotaryEmbedding"),
        ("transformers.models.llama.modeling_llama", "eager_attention_forward"),
        ("transformers.models.llama.modeling_llama", "LlamaModel.forward"),
        ("transformers.models.jamba.modeling_jamba", "JambaSparseMoeBlock"),
        ("transformers.models.jamba.modeling_jamba", "JambaAttention"),
        ("transformers.models.jamba.modeling_jamba", "JambaMambaMixer.slow_forward"),
        ("transformers.models.jamba.modeling_jamba", "JambaModel.forward"),
    ]
    import importlib

    with open(os.path.join(dst, "SNIPPETS.txt"), "w") as f:
        for modname, qual in want:
            try:
                obj = importlib.import_module(modname)
                for part in qual.split("."):
                    obj = getattr(obj, part)
                src = inspect.getsource(obj)
            except Exception as e:
                src = f"<unavailable: {type(e).__name__}: {e}>\n"
            f.write(f"\n{'=' * 100}\n# {modname}.{qual}\n{'=' * 100}\n{src}")
    print(f"[src] copied {len(rels)} files to {dst}")


README_HEAD = """# Reference fixtures (HuggingFace transformers)

Generated by `tools/make_fixtures.py` from transformers' own PyTorch implementations, run in float64 on
CPU. Regenerate (needs torch + transformers + numpy; we ran it on the GPU device machine, where they are
installed; it takes under a minute and rewrites every fixture folder and this README):

    python3 tools/make_fixtures.py --out tests/fixtures
    python3 tools/make_fixtures.py --out tests/fixtures --readme-only   # README only, no torch needed

Versions: transformers {tf}, torch {torch}. Fixture format version {fv}. Seeds are fixed per fixture
(meta.json `seed`). Fresh random shapes/inputs against `statescope-cli`:
`python3 tools/check_transformers.py --cli PATH/statescope-cli --n 8 --seed S` (relative L2 < 1e-4 and equal
argmax; `--self-test` runs transformers' own float32 forward instead of the CLI: about 1e-7..5e-7).

Other sets here, made by their own scripts (not by this one; see each script's docstring):
`mamba_ssm_m1_tied_f32/`, `mamba_ssm_m2_bf16/` (mamba_ssm's config.json + a torch.save `pytorch_model.bin`
under mamba_ssm's tensor names, with transformers' float64 logits for the same weights; logits only) and
`torch_tensors/` (dtypes, views, strides; the values torch saved in expected.json):
`python3 tools/make_mamba_ssm_fixtures.py --out tests/fixtures` (torch + transformers; GPU machine).
`hostile_pickles/` (broken and malicious torch.save files, docs/robustness.md section 10):
`python3 tools/make_hostile_pickles.py --out tests/fixtures/hostile_pickles` (Python's standard library).

Every model is byte level: `vocab_size = 256`, token id = byte value, no tokenizer files, no BOS.
Weights are perturbed after init so activations are O(1) (normal init scaled by 1/sqrt(fan_in),
norm weights 1+0.2N, Mamba `A_log = log U(1,16)`, dt bias = inv_softplus(logU(1e-3, 0.2)),
`D ~ N(1, 0.3)`, conv weights N(0, 0.3)). The reference is computed from the *saved* checkpoint reloaded in
float64, so bf16/f16 fixtures use the rounded stored weights. Inside transformers several ops cast to
float32 (RMSNorm, softmax, `A_log.float()`, rope); for these fixtures those functions were re-executed from
their own source with float64 (see `checks.float64_patches` / `checks.non_float64_ops_during_forward` in each
meta.json; `checks.stock_transformers_f64_vs_reference_rel_l2` is the distance to the unpatched run).

## Files in each `<name>/`

| file | content |
| --- | --- |
| `config.json`, `generation_config.json`, `model.safetensors` (or `model.safetensors.index.json` + shards) | exactly as `save_pretrained` wrote them |
| `reference/input.bin` | the raw input bytes |
| `reference/logits.npy` | float64 `[T, 256]` |
| `reference/hidden_states.npy` | float64 `[n_hidden, T, d]` = stacked `output_hidden_states` (entry meanings below and in meta.json) |
| `reference/layer_outputs.npy` | float64 `[L, T, d]`: output of every layer (residual stream), before the final norm |
| `reference/attn_L<l>.npy` | float64 `[heads, T, T]` eager softmax probabilities (attention layers only) |
| `reference/conv_state_L<l>.npy`, `ssm_state_L<l>.npy` | final recurrent states of Mamba layer l (shapes below) |
| `reference/router_logits_L<l>.npy`, `router_topk_L<l>.npy` | Jamba MoE layers: float64 `[T, E]` router logits, int64 `[T, k]` chosen experts |
| (new families) | the same files; attention probabilities for Bamba / Nemotron-H / Granite attention layers, states for their Mamba layers |
| `reference/meta.json` | versions, seed, config, shapes, tensor listing, what each array is, numeric checks |

"""


SEMANTICS = """## Semantics of transformers {tf} (read from its source, confirmed by the probes in meta.json)

`checks.probes` in each meta.json recomputes pieces independently in float64 and records the max abs
difference to what transformers produced (0.0 = exact); the statements below are the variants that matched.

**hidden_states** (`output_hidden_states=True`), L = num_hidden_layers, always L+1 entries:
- Mamba, Mamba-2: `[out(layer 0), ..., out(layer L-1), norm_f(out(layer L-1))]`. There is **no embedding
  entry**; entry L-1 is the last layer's pre-norm output and entry L the final-norm output.
- Llama, Jamba: `[embeddings, out(layer 0), ..., out(layer L-2), final_norm(out(layer L-1))]`. The last layer's
  pre-norm output is **not** in hidden_states (the last entry is overwritten by the final-norm output); it is
  `layer_outputs.npy[L-1]`.

**Logits**: `Mamba*ForCausalLM` do `lm_head(...).float()`, i.e. round logits to float32 even in a float64
model; the fixtures' logits are recomputed in float64 as `lm_head(final norm output)` (identical formula).
Llama and Jamba return logits in the model dtype.

**Mamba-1**: in_proj → `[x | z]` (each d_inner); causal depthwise conv1d (+bias) over x, SiLU;
`x_proj(x) → [dt_raw (R) | B (N) | C (N)]`; `dt = softplus(dt_proj.weight @ dt_raw + dt_proj.bias)`;
`A = -exp(A_log)` [d_inner, N]; `h_t = exp(dt*A) h_(t-1) + dt*B_t*x_t`; `y = (C_t·h_t + D*x) * silu(z)`; out_proj.
Block: `x + mixer(RMSNorm(x))` (eps = layer_norm_epsilon); `residual_in_fp32` only changes precision.

**Mamba-2**: in_proj → `[z (d_inner) | xBC (conv_dim) | dt (H)]` (no extra MLP columns in this version);
conv1d + SiLU over xBC; `xBC = [x | B (G*N) | C (G*N)]`; head h reads group `h // (H/G)`;
`dt = softplus(dt + dt_bias)` then clamp to `time_step_limit` (default `(0, inf)`: no-op);
`A = -exp(A_log)` per head; chunked SSD (chunk_size only changes the algorithm, not the result) + `D*x`.
Gated norm: `RMSNorm(y * silu(z))` over the **full d_inner** (one group), weight [d_inner],
eps = layer_norm_epsilon, **even when n_groups > 1** (mamba_ssm's RMSNormGated normalises per group of
d_inner/n_groups; transformers does not; `mamba2_g2_f16` probes confirm). The config has no `rms_norm` or
`norm_before_gate` option in this version (gate is applied before the norm). config.json writes
`time_step_limit` as `[0.0, {{"__float__": "Infinity"}}]`: a JSON parser must accept that object for +inf.

**Llama**: RoPE is the half-split `rotate_half` form (not interleaved pairs), `inv_freq = theta^(-2i/head_dim)`,
scores scaled by `head_dim^-0.5`; GQA query head h uses kv head `h // (H/KV)`. config.json has no top-level
`rope_theta`: it is `rope_parameters: {{"rope_theta": ..., "rope_type": "default"}}`. LlamaConfig's default
`rms_norm_eps` is 1e-6 (llama_gqa_sharded uses it).

**Jamba**: attention layers have **no positional encoding at all** (no RoPE; probe: plain causal softmax of
`q·k * head_dim^-0.5` matches exactly). Layer i is attention iff `i % attn_layer_period == attn_layer_offset`,
MoE iff `i % expert_layer_period == expert_layer_offset` (and num_experts > 1); block = `x + mixer(input_layernorm(x))`,
then `+ feed_forward(pre_ff_layernorm(.))`. Mamba mixer = Mamba-1 plus RMSNorms on the x_proj outputs:
`dt_layernorm` (size R), `b_layernorm`, `c_layernorm` (size N), eps = rms_norm_eps, before dt_proj / the scan.
MoE: `router_logits = x @ router.weight^T`; `p = softmax(router_logits)` over **all** experts; top-k of p;
the k weights are **not renormalised** (they sum to < 1); expert = `down(silu(gate(x)) * up(x))`.
In memory transformers fuses experts (`gate_up_proj` [E, 2I, H], gate first; `down_proj` [E, H, I]) but
`save_pretrained` writes the per-expert layout `feed_forward.experts.<e>.{{gate,up,down}}_proj.weight` plus
`feed_forward.router.weight`; dense layers use `feed_forward.{{gate,up,down}}_proj.weight`. Its default MoE
kernel (grouped_mm) has no float64 path, so the reference loads with `experts_implementation="eager"`.
`use_associative_scan: true` in config.json only matters under torch.compile (the sequential scan is used).

**Recurrent states** (transformers 5.x): no MambaCache any more; Mamba, Mamba-2 and Jamba return a
`DynamicCache` whose layer l (a `LinearAttentionLayer` for Mamba layers) holds `conv_states[0]` and
`recurrent_states[0]`. conv state = the last `conv_kernel` **pre-convolution** inputs (K columns, oldest
first, last byte in column K-1); Mamba-1/Jamba `[d_inner, K]`, Mamba-2 `[conv_dim, K]` with channels (x|B|C).
SSM state: Mamba-1/Jamba `[d_inner, N]`, Mamba-2 `[H, head_dim, N]`.

**Falcon-Mamba** (`FalconMambaForCausalLM`, tensor names as Mamba): Mamba-1 plus `FalconMambaWeightlessRMSNorm`
on `time_step` (R dims), B and C (N dims) after x_proj, eps = `mixer_rms_eps` (default 1e-6); the
`dt_layernorm` / `b_layernorm` / `c_layernorm` weights are non-persistent buffers of ones, not in the checkpoint.

**Bamba** (`BambaForCausalLM`): Jamba's layout (`input_layernorm`, `mamba.` or `self_attn.`, `pre_ff_layernorm`,
`feed_forward.` SwiGLU, `model.final_layernorm`) with Mamba-2 layers (`mamba_*` keys; `mamba_d_head = "auto"` is
d_inner / mamba_n_heads; gated norm over the full d_inner, eps rms_norm_eps) and attention at `attn_layer_indices`.
BambaConfig forces `partial_rotary_factor = 0.5`: RoPE (rotate_half, `inv_freq = theta^(-2i/r)`) on the first
r = head_dim/2 dims of each head, the rest unrotated (probe `rope_partial_half_head`: exact).

**Nemotron-H** (`NemotronHForCausalLM`): one block per `layers_block_type` entry (the legacy string
`hybrid_override_pattern`, M / * / - / E, is turned into it; `num_hidden_layers` is ignored), each
`x + mixer(norm(x))` with every module under `mixer.`. Mamba-2: d_inner = mamba_num_heads * mamba_head_dim,
`in_proj`/`out_proj` bias = `use_bias`, Δ clamped to `(time_step_min, inf)` (not `time_step_limit`), gated norm
`Zamba2RMSNormGated` **per group** of d_inner / n_groups channels (probe `per_group`: exact); attention without
positional encoding and without bias, head_dim from the config; MLP `down(relu(up(x))^2)`. `save_pretrained` writes
the original `backbone.` names; `NemotronHForCausalLM` ties nothing (`_tied_weights_keys = {{}}`): `lm_head.weight`
is its own tensor even with `tie_word_embeddings: true`.

**Granite 4.0 hybrid** (`GraniteMoeHybridForCausalLM`): `layer_types` (Mamba-2 as Bamba's, or attention with
scale `attention_multiplier` and RoPE only when `position_embedding_type == "rope"`), then
`post_attention_layernorm` and `block_sparse_moe(x) + shared_mlp(x)`; router: the top k logits, softmax over those
k; experts fused (`block_sparse_moe.input_linear.weight` [E, 2I, D] gate rows first, `output_linear.weight`
[E, D, I], `router.layer.weight`, as saved); shared MLP `input_linear` [2Is, D] (gate rows first), `output_linear`.
`x0 = embed * embedding_multiplier`; each branch is added times `residual_multiplier`; logits / `logits_scaling`.

**Falcon-H1** (`FalconH1ForCausalLM`): every layer runs `mamba.` (Mamba-2) and `self_attn.` (RoPE, head_dim from
the config when given, else hidden/heads) **side by side** on the same `input_layernorm(x)`:
`x + mamba(n) * ssm_out_multiplier + self_attn(n * attention_in_multiplier) * attention_out_multiplier`, then
`x + feed_forward(pre_ff_layernorm(x))` with `down(up(x) * silu(gate(x) * mlp_multipliers[0])) * mlp_multipliers[1]`;
`model.final_layernorm`; `x0 = embed * embedding_multiplier`; logits `lm_head(.) * lm_head_multiplier`. Keys are
`k_proj(.) * key_multiplier` before RoPE. Mamba-2: width `mamba_d_ssm` (null: `mamba_expand * hidden_size`),
`in_proj(x * ssm_in_multiplier) * mup_vector` where the non-persistent `mup_vector` holds `ssm_multipliers[0..4]`
over the slices `z | x | B | C | dt` (so the conv state holds the scaled xBC); `in_proj` bias = `mamba_proj_bias`,
`out_proj` bias = `projectors_bias`; with `mamba_rms_norm` the gated norm `FalconH1RMSNormGated` **per group**
(mamba_n_groups) with `mamba_norm_before_gate` choosing `norm(y) * silu(z)` or `norm(y * silu(z))`; without it
`y * silu(z)` and no `norm.weight`. The DynamicCache holds for every layer the conv and recurrent state and the
KV cache. Tied (`tie_word_embeddings`): the head is the unscaled embedding times `lm_head_multiplier`.

**Zamba2** (`Zamba2ForCausalLM`): one Mamba-2 per `layers_block_type` entry (`linear_attention`, legacy `mamba`):
`x + mamba(input_layernorm(x))`, the gated norm per group of d_inner / mamba_ngroups channels with eps 1e-5,
Δ clamped below at `time_step_min`, conv1d always with bias. A `hybrid` entry first runs a shared transformer block
on `(x, x_0)` (x_0 = the embeddings): `rmsnorm(concat(x, x_0))` (width 2·hidden) → attention (head_dim =
2·hidden // heads, scale (head_dim/2)^-1/2, RoPE over the whole head when `use_mem_rope`, its own KV cache per
layer) → `pre_ff_layernorm` → `down(gelu(gate) * up)` from `gate_up_proj` (gate rows first); no residual inside the
block; then the layer's own `linear` gives t and the layer computes `x + mamba(input_layernorm(x + t))`. Hybrid
layer u (counted among hybrid layers) uses block `u % num_mem_blocks`, whose weights are saved once under its first
user (`model.layers.<first>.shared_transformer.*`); its adapters `linear_{{q,k,v}}_adapter_list.<u>` (when
`use_shared_attention_adapter`) and `gate_up_proj_adapter_list.<u>` (always) are added to q/k/v and gate_up.
"""


def write_readme(out_root, metas):
    if not metas:
        return
    m0 = metas[0]
    lines = [README_HEAD.format(tf=m0["transformers"], torch=m0["torch"], fv=m0["fixture_version"])]
    lines.append("## Fixtures\n")
    lines.append("| name | architecture | stored | T | shapes |")
    lines.append("| --- | --- | --- | --- | --- |")
    for m in metas:
        sh = ", ".join(f"{k}={v}" for k, v in m["shapes"].items())
        lines.append(f"| `{m['name']}` | {m['architecture']} | {m['dtype_stored']}"
                     f"{' (sharded: ' + str(len(m['sharding']['shards'])) + ' files)' if m.get('sharding') else ''}"
                     f" | {m['T']} | {sh} |")
    lines.append("")
    for m in metas:
        lines.append(f"### `{m['name']}`\n")
        lines.append(f"- config: `{json.dumps(m['config_kwargs'], ensure_ascii=False)}`")
        lines.append(f"- options as transformers resolved them: `{json.dumps(m['options'], ensure_ascii=False)}`")
        lines.append(f"- input ({m['T']} bytes, shown as UTF-8 with replacement): `{m['input_utf8_lossy']!r}`")
        lines.append("- arrays: " + ", ".join(f"`{k}` {v[0]}" for k, v in m["arrays"].items()))
        lines.append("- hidden_states entries:")
        for e in m.get("hidden_states_entries") or []:
            lines.append(f"  - {e}")
        lines.append("")
    lines.append(SEMANTICS.format(tf=m0["transformers"]))
    with open(os.path.join(out_root, "README.md"), "w") as f:
        f.write("\n".join(lines) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="tests/fixtures")
    ap.add_argument("--only", default="", help="comma-separated fixture names")
    ap.add_argument("--dump-src", default="", help="also copy transformers sources to this folder")
    ap.add_argument("--readme-only", action="store_true", help="rebuild README.md from existing meta.json files")
    ap.add_argument("--stop-on-error", action="store_true", help="stop at the first failing fixture")
    args = ap.parse_args()

    names = [s["name"] for s in FIXTURES]
    if args.readme_only:
        metas = []
        for n in names:
            p = os.path.join(args.out, n, "reference", "meta.json")
            if os.path.exists(p):
                metas.append(json.load(open(p)))
        write_readme(args.out, metas)
        print(f"README.md written from {len(metas)} meta.json files")
        return 0

    import numpy as np
    import torch
    import transformers

    torch.set_num_threads(max(1, min(8, os.cpu_count() or 1)))
    print(f"transformers {transformers.__version__}  torch {torch.__version__}  numpy {np.__version__}", flush=True)
    if args.dump_src:
        dump_sources(args.dump_src)
    only = [s for s in args.only.split(",") if s]
    bad = [o for o in only if o not in names]
    if bad:
        print("unknown fixture(s):", bad)
        return 2
    os.makedirs(args.out, exist_ok=True)
    failures = []
    for idx, spec in enumerate(FIXTURES):
        if only and spec["name"] not in only:
            continue
        seed = BASE_SEED + 1000 * idx
        print(f"=== {spec['name']} ({spec['family']}, {spec['dtype']}, T={len(spec['input'])}, seed {seed})", flush=True)
        try:
            meta = make_fixture(spec, args.out, seed)
        except Exception:
            import traceback

            traceback.print_exc()
            failures.append(spec["name"])
            if args.stop_on_error:
                break
            continue
        c = meta["checks"]
        print(json.dumps({
            "files": meta["files"],
            "arrays": meta["arrays"],
            "hidden_states_entries": meta["hidden_states_entries"],
            "pure_float64": c.get("pure_float64"),
            "non_float64_ops": c.get("non_float64_ops_during_forward"),
            "patched": c.get("float64_patches"),
            "stock_vs_ref": c.get("stock_transformers_f64_vs_reference_rel_l2"),
            "purify_error": c.get("purify_error"),
            "cache": [c.get("cache_type"), c.get("state_source"), c.get("cache_note"), c.get("state_errors")],
            "attn_checks": c.get("attn_checks"),
            "router_margin": c.get("router_min_margin_kth_vs_next"),
            "probes": c.get("probes"),
            "stats": meta["activation_stats"],
            "config_notes": meta["config_notes"],
            "options": meta["options"],
            "tensors": meta["tensors"],
            "seconds": meta["seconds"],
        }, indent=1, ensure_ascii=False, default=repr), flush=True)

    metas = []
    for n in names:
        p = os.path.join(args.out, n, "reference", "meta.json")
        if os.path.exists(p):
            metas.append(json.load(open(p)))
    write_readme(args.out, metas)
    total = 0
    for dp, _, fs in os.walk(args.out):
        total += sum(os.path.getsize(os.path.join(dp, f)) for f in fs)
    print(f"total size of {args.out}: {total / 1e6:.2f} MB; failures: {failures}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
