"""Shared model-family generators and float64 reference runner for StateScope's
HuggingFace-transformers cross-checks.

Used by tools/make_fixtures.py (fixed, committed fixtures) and
tools/check_transformers.py (fresh random configs against statescope-cli).

Everything here runs on CPU. torch / transformers / numpy are imported lazily so
that `python3 tools/check_transformers.py --help` works without them.

Model families (byte level, vocab_size 256, token id = byte value):
  mamba1  -> MambaConfig  / MambaForCausalLM
  mamba2  -> Mamba2Config / Mamba2ForCausalLM
  llama   -> LlamaConfig  / LlamaForCausalLM
  jamba   -> JambaConfig  / JambaForCausalLM
  falcon_mamba -> FalconMambaConfig / FalconMambaForCausalLM
  bamba        -> BambaConfig / BambaForCausalLM
  nemotron_h   -> NemotronHConfig / NemotronHForCausalLM
  granite_hybrid -> GraniteMoeHybridConfig / GraniteMoeHybridForCausalLM
  falcon_h1      -> FalconH1Config / FalconH1ForCausalLM (attention and Mamba-2 side by side in every layer)
  zamba2         -> Zamba2Config / Zamba2ForCausalLM
"""

from __future__ import annotations

import collections
import contextlib
import inspect
import json
import math
import os
import random
import re
import struct
import textwrap
import traceback

VOCAB = 256
FIXTURE_VERSION = 1

FAMILY_CLASSES = {
    "mamba1": ("MambaConfig", "MambaForCausalLM", "transformers.models.mamba.modeling_mamba"),
    "mamba2": ("Mamba2Config", "Mamba2ForCausalLM", "transformers.models.mamba2.modeling_mamba2"),
    "llama": ("LlamaConfig", "LlamaForCausalLM", "transformers.models.llama.modeling_llama"),
    "jamba": ("JambaConfig", "JambaForCausalLM", "transformers.models.jamba.modeling_jamba"),
    "falcon_mamba": ("FalconMambaConfig", "FalconMambaForCausalLM", "transformers.models.falcon_mamba.modeling_falcon_mamba"),
    "bamba": ("BambaConfig", "BambaForCausalLM", "transformers.models.bamba.modeling_bamba"),
    "nemotron_h": ("NemotronHConfig", "NemotronHForCausalLM", "transformers.models.nemotron_h.modeling_nemotron_h"),
    "granite_hybrid": ("GraniteMoeHybridConfig", "GraniteMoeHybridForCausalLM",
                       "transformers.models.granitemoehybrid.modeling_granitemoehybrid"),
    "falcon_h1": ("FalconH1Config", "FalconH1ForCausalLM", "transformers.models.falcon_h1.modeling_falcon_h1"),
    "zamba2": ("Zamba2Config", "Zamba2ForCausalLM", "transformers.models.zamba2.modeling_zamba2"),
}
# modules whose float32 casts also run in a family's forward (NemotronH imports Zamba2RMSNormGated)
EXTRA_F64_MODULES = {"nemotron_h": ["transformers.models.zamba2.modeling_zamba2"]}
ATTENTION_FAMILIES = ("llama", "jamba", "bamba", "nemotron_h", "granite_hybrid", "falcon_h1", "zamba2")
FAMILIES = tuple(FAMILY_CLASSES)

_TORCH = None

# never touch the network (kernels hub, model hub): everything here is local
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def _torch():
    global _TORCH
    if _TORCH is None:
        import torch  # noqa: F401

        _TORCH = torch
    return _TORCH


# --------------------------------------------------------------------------------------
# Config construction
# --------------------------------------------------------------------------------------


def _accepts(cls, name):
    try:
        sig = inspect.signature(cls.__init__)
    except (TypeError, ValueError):
        return True
    if name in sig.parameters:
        return True
    fields = getattr(cls, "__dataclass_fields__", None)
    if fields and name in fields:
        return True
    return False


def build_config(family: str, hf_kwargs: dict):
    """Build the transformers config. `hf_kwargs` uses transformers' own argument
    names, except `rope_theta`, which is mapped to `rope_parameters` where the
    installed version has that field. Returns (config, notes)."""
    import transformers

    cfg_name = FAMILY_CLASSES[family][0]
    cls = getattr(transformers, cfg_name)
    kw = dict(hf_kwargs)
    kw.setdefault("vocab_size", VOCAB)
    notes = {}
    if "rope_theta" in kw and _accepts(cls, "rope_parameters"):
        theta = kw.pop("rope_theta")
        kw["rope_parameters"] = {"rope_type": "default", "rope_theta": float(theta)}
        notes["rope"] = "rope_theta passed as rope_parameters={'rope_type':'default','rope_theta':%g}" % theta
    cfg = cls(**kw)
    # verify what we asked for actually landed
    for k, v in hf_kwargs.items():
        if k == "rope_theta":
            got = rope_theta_of(cfg)
            if got is None or abs(float(got) - float(v)) > 1e-9 * abs(float(v)):
                raise ValueError(f"{cfg_name}: rope_theta {v} did not land (got {got})")
            continue
        if k in ("time_step_rank", "mamba_dt_rank", "mamba_d_head") and v == "auto":
            continue
        if k == "hybrid_override_pattern":  # NemotronH turns it into layers_block_type
            got = getattr(cfg, "hybrid_override_pattern", None)
            if got != v:
                notes.setdefault("config_differs", {})[k] = {"asked": v, "got": repr(got)}
            continue
        got = getattr(cfg, k, "<missing>")
        if isinstance(v, (list, tuple)) and isinstance(got, (list, tuple)):
            ok = list(v) == list(got)
        else:
            ok = got == v
        if not ok:
            notes.setdefault("config_differs", {})[k] = {"asked": v, "got": repr(got)}
    return cfg, notes


def rope_theta_of(cfg):
    rp = getattr(cfg, "rope_parameters", None)
    if isinstance(rp, dict):
        if "rope_theta" in rp:
            return rp["rope_theta"]
        for v in rp.values():  # per-layer-type dicts
            if isinstance(v, dict) and "rope_theta" in v:
                return v["rope_theta"]
    return getattr(cfg, "rope_theta", None)


def jamba_layer_kinds(cfg):
    n = cfg.num_hidden_layers
    attn = [i for i in range(n) if i % cfg.attn_layer_period == cfg.attn_layer_offset]
    moe = (
        [i for i in range(n) if i % cfg.expert_layer_period == cfg.expert_layer_offset]
        if cfg.num_experts > 1
        else []
    )
    return attn, moe


def block_types(cfg):
    """transformers 5.17's per-layer types (linear_attention / full_attention / mlp / moe)."""
    t = getattr(cfg, "layers_block_type", None) or getattr(cfg, "layer_types", None)
    return list(t)


def zamba2_shared_blocks(cfg):
    """Zamba2: per layer, the shared transformer block a hybrid layer uses (None for a plain Mamba-2
    layer); hybrid layers, counted among themselves, use the blocks in rotation (Zamba2Model.get_layers)."""
    out, uses = [], 0
    for t in block_types(cfg):
        if t == "hybrid":
            out.append(uses % cfg.num_mem_blocks)
            uses += 1
        else:
            out.append(None)
    return out


def ssm_module(layer):
    """The Mamba module of a decoder layer (Zamba2's hybrid layers keep theirs in mamba_decoder.mamba)."""
    dec = getattr(layer, "mamba_decoder", None)
    if dec is not None:
        return dec.mamba
    for n in ("mixer", "mamba"):
        m = getattr(layer, n, None)
        if m is not None and hasattr(m, "in_proj"):
            return m
    return None


# A layer plan's mixer kinds: "attention+mamba2" is Falcon-H1's layer (both side by side on one input).
SSM_MIXERS = ("mamba", "mamba2", "attention+mamba2")
ATTENTION_MIXERS = ("attention", "attention+mamba2")


def has_attention(kind):
    """A layer plan entry with attention: an attention layer, Falcon-H1's layer, Zamba2's hybrid layer
    (its use of a shared block's attention)."""
    return kind["mixer"] in ATTENTION_MIXERS or kind.get("shared") is not None


def layer_plan(family, cfg):
    """Per-layer kinds: list of dicts {mixer: 'mamba'|'mamba2'|'attention'|'attention+mamba2'|'none',
    ffn: None|'mlp'|'moe'} (Zamba2: every layer's mixer is its Mamba-2, and 'shared' names the shared
    block a hybrid layer runs first, or None)."""
    if family == "zamba2":
        return [{"mixer": "mamba2", "ffn": None, "shared": b} for b in zamba2_shared_blocks(cfg)]
    n = cfg.num_hidden_layers
    if family == "falcon_h1":
        return [{"mixer": "attention+mamba2", "ffn": "mlp"} for _ in range(n)]
    if family in ("mamba1", "falcon_mamba"):
        return [{"mixer": "mamba", "ffn": None} for _ in range(n)]
    if family == "mamba2":
        return [{"mixer": "mamba2", "ffn": None} for _ in range(n)]
    if family == "llama":
        return [{"mixer": "attention", "ffn": "mlp"} for _ in range(n)]
    if family == "bamba":
        return [{"mixer": "attention" if t == "full_attention" else "mamba2", "ffn": "mlp"} for t in block_types(cfg)]
    if family == "nemotron_h":
        m = {"linear_attention": ("mamba2", None), "full_attention": ("attention", None), "mlp": ("none", "mlp"),
             "moe": ("none", "moe")}
        return [{"mixer": m[t][0], "ffn": m[t][1]} for t in block_types(cfg)]
    if family == "granite_hybrid":
        ffn = "moe" if cfg.num_local_experts > 0 else "mlp"
        return [{"mixer": "attention" if t == "full_attention" else "mamba2", "ffn": ffn} for t in block_types(cfg)]
    attn, moe = jamba_layer_kinds(cfg)
    return [
        {"mixer": "attention" if i in attn else "mamba", "ffn": "moe" if i in moe else "mlp"} for i in range(n)
    ]


# --------------------------------------------------------------------------------------
# Random config generators (for check_transformers.py); fixture specs live in make_fixtures.py
# --------------------------------------------------------------------------------------


def random_spec(family: str, rng: random.Random) -> dict:
    """Draw a random small config of `family`. Returns {family, dtype, config}."""
    dtype = rng.choice(["float32", "float32", "bfloat16", "float16"])
    tie = rng.random() < 0.5
    if family == "mamba1":
        h = rng.choice([16, 24, 32, 40, 48, 64])
        c = dict(
            hidden_size=h,
            num_hidden_layers=rng.randint(1, 4),
            state_size=rng.choice([4, 8, 16]),
            conv_kernel=rng.choice([2, 3, 4]),
            expand=rng.choice([1, 2, 3]),
            time_step_rank=rng.choice(["auto", rng.randint(1, 8)]),
            tie_word_embeddings=tie,
            use_bias=rng.random() < 0.5,
            use_conv_bias=rng.random() < 0.7,
        )
    elif family == "mamba2":
        while True:
            h = rng.choice([16, 24, 32, 48, 64])
            expand = rng.choice([1, 2])
            d_in = h * expand
            head_dim = rng.choice([4, 8, 16])
            if d_in % head_dim:
                continue
            nh = d_in // head_dim
            groups = [g for g in (1, 2, 4) if nh % g == 0]
            break
        c = dict(
            hidden_size=h,
            expand=expand,
            num_heads=nh,
            head_dim=head_dim,
            n_groups=rng.choice(groups),
            state_size=rng.choice([4, 8, 16, 32]),
            conv_kernel=rng.choice([2, 3, 4]),
            chunk_size=rng.choice([4, 8, 16, 32, 64]),
            num_hidden_layers=rng.randint(1, 3),
            tie_word_embeddings=tie,
            use_bias=rng.random() < 0.3,
            use_conv_bias=rng.random() < 0.7,
        )
    elif family == "llama":
        while True:
            h = rng.choice([32, 48, 64, 96])
            heads = rng.choice([2, 4, 6, 8])
            if h % heads == 0:
                break
        kv = rng.choice([k for k in (1, 2, heads // 2, heads) if k >= 1 and heads % k == 0])
        c = dict(
            hidden_size=h,
            num_hidden_layers=rng.randint(1, 4),
            num_attention_heads=heads,
            num_key_value_heads=kv,
            intermediate_size=rng.choice([32, 64, 96, 128]),
            rope_theta=rng.choice([10000.0, 500000.0, 1000000.0]),
            tie_word_embeddings=tie,
            rms_norm_eps=rng.choice([1e-5, 1e-6]),
            attention_bias=rng.random() < 0.25,
        )
        if rng.random() < 0.3:  # explicit head_dim != hidden/heads
            c["head_dim"] = rng.choice([4, 8, 12, 16])
    elif family == "jamba":
        n = rng.randint(2, 8)
        ap = rng.choice([2, 3, 4, 8])
        ep = rng.choice([1, 2])
        heads = rng.choice([2, 4])
        h = rng.choice([16, 32, 48])
        ne = rng.choice([2, 4, 8])
        c = dict(
            hidden_size=h,
            intermediate_size=rng.choice([32, 48, 64]),
            num_hidden_layers=n,
            num_attention_heads=heads,
            num_key_value_heads=rng.choice([k for k in (1, 2, heads) if heads % k == 0]),
            attn_layer_period=ap,
            attn_layer_offset=rng.randrange(ap),
            expert_layer_period=ep,
            expert_layer_offset=rng.randrange(ep),
            num_experts=ne,
            num_experts_per_tok=rng.choice([1, 2]),
            mamba_d_state=rng.choice([4, 8, 16]),
            mamba_d_conv=rng.choice([2, 3, 4]),
            mamba_expand=rng.choice([1, 2]),
            mamba_dt_rank=rng.choice(["auto", rng.randint(1, 6)]),
            mamba_proj_bias=rng.random() < 0.4,
            mamba_conv_bias=rng.random() < 0.8,
            use_mamba_kernels=False,
            tie_word_embeddings=tie,
        )
    elif family == "falcon_mamba":
        h = rng.choice([16, 24, 32, 40, 48])
        c = dict(
            hidden_size=h,
            num_hidden_layers=rng.randint(1, 4),
            state_size=rng.choice([4, 8, 16]),
            conv_kernel=rng.choice([2, 3, 4]),
            expand=rng.choice([1, 2, 3]),
            time_step_rank=rng.choice(["auto", rng.randint(1, 8)]),
            tie_word_embeddings=tie,
            use_bias=rng.random() < 0.4,
            use_conv_bias=rng.random() < 0.7,
            mixer_rms_eps=rng.choice([1e-6, 1e-5, 1e-3]),
        )
    elif family == "falcon_h1":
        while True:
            h = rng.choice([16, 24, 32, 48])
            heads = rng.choice([2, 4, 8])
            d_ssm = rng.choice([None, 16, 32, 64])  # None: mamba_expand * hidden_size
            expand = rng.choice([1, 2])
            width = d_ssm or expand * h
            mh = rng.choice([2, 4, 8])
            if width % mh or h % heads or (h // heads) % 2:  # RoPE needs an even head_dim
                continue
            break
        kv = rng.choice([k for k in (1, 2, heads // 2, heads) if k >= 1 and heads % k == 0])

        def mult():
            return rng.choice([1.0, 1.0, 0.5, 0.8, 1.3, 2.0])

        c = dict(
            hidden_size=h,
            num_hidden_layers=rng.randint(1, 4),
            num_attention_heads=heads,
            num_key_value_heads=kv,
            intermediate_size=rng.choice([16, 32, 48, 64]),
            mamba_d_ssm=d_ssm,
            mamba_expand=expand,
            mamba_n_heads=mh,
            mamba_d_head="auto",
            mamba_n_groups=rng.choice([g for g in (1, 2, 4) if mh % g == 0]),
            mamba_d_state=rng.choice([4, 8, 16, 32]),
            mamba_d_conv=rng.choice([2, 3, 4]),
            mamba_chunk_size=rng.choice([4, 8, 16, 32]),
            mamba_conv_bias=rng.random() < 0.8,
            mamba_proj_bias=rng.random() < 0.3,
            projectors_bias=rng.random() < 0.3,
            attention_bias=rng.random() < 0.2,
            mlp_bias=rng.random() < 0.2,
            mamba_rms_norm=rng.random() < 0.6,
            mamba_norm_before_gate=rng.random() < 0.5,
            rope_theta=rng.choice([10000.0, 500000.0]),
            tie_word_embeddings=tie,
            rms_norm_eps=rng.choice([1e-5, 1e-6]),
            embedding_multiplier=mult(),
            lm_head_multiplier=mult(),
            mlp_multipliers=[mult(), mult()],
            key_multiplier=mult(),
            attention_in_multiplier=mult(),
            attention_out_multiplier=mult(),
            ssm_multipliers=[mult() for _ in range(5)],
            ssm_in_multiplier=mult(),
            ssm_out_multiplier=mult(),
        )
        if rng.random() < 0.3:  # explicit head_dim != hidden/heads
            c["head_dim"] = rng.choice([4, 8, 16])
    elif family in ("bamba", "granite_hybrid"):
        while True:
            h = rng.choice([16, 24, 32, 48, 64])
            expand = rng.choice([1, 2])
            mh = rng.choice([2, 4, 8])
            heads = rng.choice([2, 4, 8])
            if (h * expand) % mh or h % heads or (h // heads) % 4:
                continue
            break
        n = rng.randint(2, 6)
        attn = sorted(rng.sample(range(n), rng.randint(1, max(1, n // 2))))
        kv = rng.choice([k for k in (1, 2, heads // 2, heads) if k >= 1 and heads % k == 0])
        c = dict(
            hidden_size=h,
            num_hidden_layers=n,
            num_attention_heads=heads,
            num_key_value_heads=kv,
            intermediate_size=rng.choice([16, 32, 48, 64]),
            mamba_n_heads=mh,
            mamba_d_head="auto",
            mamba_n_groups=rng.choice([g for g in (1, 2, 4) if mh % g == 0]),
            mamba_d_state=rng.choice([4, 8, 16, 32]),
            mamba_d_conv=rng.choice([2, 3, 4]),
            mamba_expand=expand,
            mamba_chunk_size=rng.choice([4, 8, 16, 32]),
            mamba_conv_bias=rng.random() < 0.8,
            mamba_proj_bias=rng.random() < 0.3,
            rope_theta=rng.choice([10000.0, 500000.0]),
            tie_word_embeddings=tie,
            rms_norm_eps=rng.choice([1e-5, 1e-6]),
        )
        if family == "bamba":
            c["attn_layer_indices"] = attn
        else:
            c["layer_types"] = ["attention" if i in attn else "mamba" for i in range(n)]
            c["num_local_experts"] = rng.choice([0, 2, 4, 8])
            c["num_experts_per_tok"] = rng.choice([1, 2]) if c["num_local_experts"] else 1
            c["shared_intermediate_size"] = rng.choice([16, 32, 48])
            c["position_embedding_type"] = rng.choice(["rope", None])
            c["embedding_multiplier"] = rng.choice([1.0, 4.0, 12.0])
            c["residual_multiplier"] = rng.choice([1.0, 0.22, 0.5])
            c["attention_multiplier"] = rng.choice([0.0625, 0.25, 0.5])
            c["logits_scaling"] = rng.choice([1.0, 3.0, 8.0])
    elif family == "nemotron_h":
        while True:
            h = rng.choice([16, 24, 32, 48, 64])
            mh = rng.choice([2, 4, 8])
            groups = [g for g in (1, 2, 4) if mh % g == 0]
            heads = rng.choice([2, 4, 8])
            break
        n = rng.randint(2, 7)
        pattern = "".join(rng.choice("MM*-") for _ in range(n))
        kv = rng.choice([k for k in (1, 2, heads // 2, heads) if k >= 1 and heads % k == 0])
        c = dict(
            hidden_size=h,
            hybrid_override_pattern=pattern,
            num_attention_heads=heads,
            num_key_value_heads=kv,
            head_dim=rng.choice([4, 8, 16]),
            intermediate_size=rng.choice([16, 32, 48, 64]),
            mamba_num_heads=mh,
            mamba_head_dim=rng.choice([4, 8, 16]),
            n_groups=rng.choice(groups),
            ssm_state_size=rng.choice([4, 8, 16, 32]),
            conv_kernel=rng.choice([2, 3, 4]),
            chunk_size=rng.choice([4, 8, 16, 32]),
            use_conv_bias=rng.random() < 0.8,
            use_bias=rng.random() < 0.3,
            mlp_bias=rng.random() < 0.3,
            time_step_min=rng.choice([0.001, 0.01, 0.05]),
            tie_word_embeddings=tie,
            layer_norm_epsilon=rng.choice([1e-5, 1e-6]),
        )
        if rng.random() < 0.5:  # mixture-of-experts layers (E) in place of some MLP / Mamba layers
            pat = list(pattern)
            for i in rng.sample(range(n), k=max(1, n // 3)):
                pat[i] = "E"
            groups_e = rng.choice([1, 2, 4])
            experts = groups_e * rng.choice([2, 3, 4])
            topk_group = rng.randint(1, groups_e)
            c.update(hybrid_override_pattern="".join(pat), n_routed_experts=experts,
                     num_experts_per_tok=rng.randint(1, min(4, topk_group * (experts // groups_e))),
                     moe_intermediate_size=rng.choice([8, 16, 24]),
                     moe_shared_expert_intermediate_size=rng.choice([8, 16, 32]), n_group=groups_e,
                     topk_group=topk_group, norm_topk_prob=rng.random() < 0.7,
                     routed_scaling_factor=rng.choice([1.0, 1.5, 2.5]))
    elif family == "zamba2":
        while True:
            h = rng.choice([16, 24, 32, 48])
            heads = rng.choice([2, 4, 8])
            mh = rng.choice([2, 4, 8])
            expand = rng.choice([1, 2])
            if (2 * h) % heads or (2 * h // heads) % 2 or (expand * h) % mh:
                continue
            break
        n = rng.randint(2, 6)
        types = [rng.choice(["linear_attention", "hybrid"]) for _ in range(n)]
        if "hybrid" not in types:
            types[rng.randrange(n)] = "hybrid"
        adapters = rng.random() < 0.6
        kv = heads if adapters else rng.choice([k for k in (1, 2, heads // 2, heads) if k >= 1 and heads % k == 0])
        c = dict(
            hidden_size=h,
            num_hidden_layers=n,
            layers_block_type=types,
            num_mem_blocks=rng.choice([1, 2, 3]),
            num_attention_heads=heads,
            num_key_value_heads=kv,
            use_shared_attention_adapter=adapters,
            adapter_rank=rng.choice([2, 4, 8]),
            use_mem_rope=rng.random() < 0.6,
            intermediate_size=rng.choice([16, 32, 48, 64]),
            hidden_act="gelu",
            n_mamba_heads=mh,
            mamba_ngroups=rng.choice([g for g in (1, 2, 4) if mh % g == 0]),
            mamba_d_state=rng.choice([4, 8, 16]),
            mamba_d_conv=rng.choice([2, 3, 4]),
            mamba_expand=expand,
            chunk_size=rng.choice([4, 8, 16, 32]),
            add_bias_linear=rng.random() < 0.3,
            time_step_min=rng.choice([0.001, 0.01]),
            rms_norm_eps=rng.choice([1e-5, 1e-6]),
            tie_word_embeddings=tie,
        )
        if c["use_mem_rope"]:
            c["rope_theta"] = rng.choice([10000.0, 500000.0])
    else:
        raise KeyError(family)
    return {"family": family, "dtype": dtype, "config": c}


def random_input(rng: random.Random, min_len=200, max_len=500) -> bytes:
    """Byte input mixing English, UTF-8 multi-byte text and raw high bytes."""
    pieces = [
        "The quick brown fox jumps over the lazy dog. ",
        "State space models keep a fixed-size state; attention keeps every token. ",
        "状态空间模型把过去压缩进固定大小的状态。",
        "注意力机制保留每一个过去的词元。",
        "Größe, naïve café, déjà vu — ",
        "Привет, мир! ",
        "0123456789 +-*/=<>()[]{} ",
        "def f(x):\n    return x * 2\n",
        "🙂🚀 ",
    ]
    target = rng.randint(min_len, max_len)
    out = bytearray()
    while len(out) < target:
        r = rng.random()
        if r < 0.75:
            out += rng.choice(pieces).encode("utf-8")
        else:
            out += bytes(rng.randrange(256) for _ in range(rng.randint(1, 6)))
    return bytes(out[:target])


# --------------------------------------------------------------------------------------
# Model construction and weight perturbation
# --------------------------------------------------------------------------------------


def torch_dtype(name):
    torch = _torch()
    return {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16, "float64": torch.float64}[
        name
    ]


def build_model(family, cfg, seed):
    import transformers

    torch = _torch()
    torch.manual_seed(seed)
    cls = getattr(transformers, FAMILY_CLASSES[family][1])
    model = cls(cfg)
    model.eval()
    return model


def _inv_softplus(y):
    torch = _torch()
    return y + torch.log(-torch.expm1(-y))


def perturb_weights(model, family, cfg, seed):
    """Overwrite every parameter with O(1)-activation values. Returns {param: rule}."""
    torch = _torch()
    g = torch.Generator().manual_seed(seed)
    hidden = cfg.hidden_size
    inter = getattr(cfg, "intermediate_size", None)

    def normal(shape, std, mean=0.0):
        return torch.randn(shape, generator=g, dtype=torch.float64) * std + mean

    def uniform(shape, lo, hi):
        return torch.rand(shape, generator=g, dtype=torch.float64) * (hi - lo) + lo

    rules = {}
    tied = bool(getattr(cfg, "tie_word_embeddings", False))
    with torch.no_grad():
        for name, p in model.named_parameters():  # shared (tied) params appear once
            parts = name.split(".")
            leaf = parts[-1]
            owner = parts[-2] if len(parts) > 1 else ""
            shape = tuple(p.shape)
            if leaf == "A_log":
                v = torch.log(uniform(shape, 1.0, 16.0))
                rule = "log(U(1,16))"
            elif leaf == "D" and p.ndim == 1:
                v = normal(shape, 0.3, 1.0)
                rule = "N(1,0.3)"
            elif leaf == "dt_bias" or (owner == "dt_proj" and leaf == "bias"):
                dt = torch.exp(uniform(shape, math.log(1e-3), math.log(0.2)))
                v = _inv_softplus(dt)
                rule = "inv_softplus(logU(1e-3,0.2))"
            elif "conv1d" in owner:
                v = normal(shape, 0.3 if leaf == "weight" else 0.1)
                rule = "N(0,0.3)" if leaf == "weight" else "N(0,0.1)"
            elif "norm" in owner.lower() and p.ndim == 1:
                v = normal(shape, 0.2, 1.0)
                rule = "1+0.2N"
            elif leaf == "bias":
                v = normal(shape, 0.1)
                rule = "N(0,0.1)"
            elif p.ndim == 2 and ("embed" in name):
                std = 0.5 if tied else 1.0  # tied: logits = h.E, keep them O(2) rather than O(sqrt(d))
                v = normal(shape, std)
                rule = "N(0,%g)" % std
            elif p.ndim == 2 and parts[0] == "lm_head":
                v = normal(shape, 2.0 / math.sqrt(shape[1]))
                rule = "N(0,2/sqrt(fan_in))"
            elif p.ndim == 2:
                gain = 0.5 if owner == "dt_proj" else 1.0
                v = normal(shape, gain / math.sqrt(shape[1]))
                rule = "N(0,%g/sqrt(fan_in))" % gain
            elif p.ndim == 3:  # fused experts [E, ., .]
                fan_in = inter if ("down" in leaf and inter) else hidden
                v = normal(shape, 1.0 / math.sqrt(fan_in))
                rule = "N(0,1/sqrt(%d)) fused-experts" % fan_in
            else:
                v = normal(shape, 0.1)
                rule = "fallback N(0,0.1)"
            p.copy_(v.to(p.dtype))
            rules[name] = rule
        for name, b in model.named_buffers():  # Nemotron-H's router bias only chooses experts: make it matter
            if name.endswith("e_score_correction_bias"):
                b.copy_(normal(tuple(b.shape), 0.2).to(b.dtype))
                rules[name] = "N(0,0.2) (buffer)"
        if family in ("mamba2", "bamba", "nemotron_h", "granite_hybrid", "zamba2"):
            # soften the dt rows of in_proj so softplus(dt + dt_bias) stays ~1e-3..0.6
            for layer in model.base_model.layers:
                for mx in [getattr(layer, a, None) for a in ("mixer", "mamba")] + [ssm_module(layer)]:
                    if mx is not None and hasattr(mx, "dt_bias") and hasattr(mx, "in_proj"):
                        mx.in_proj.weight[-mx.num_heads:, :] *= 0.5
                        break
            rules["*.in_proj.weight[-num_heads:] (Mamba-2 layers)"] = "dt rows scaled by 0.5"
        if family == "falcon_h1":  # the same for the Mamba-2 beside the attention (layer.mamba)
            for layer in model.base_model.layers:
                layer.mamba.in_proj.weight[-layer.mamba.num_heads:, :] *= 0.5
            rules["*.mamba.in_proj.weight[-num_heads:] (Falcon-H1)"] = "dt rows scaled by 0.5 (before ssm_multipliers[4])"
    rules["_tie_word_embeddings"] = tied
    lm = getattr(model, "lm_head", None)
    emb = model.get_input_embeddings()
    rules["_lm_head_shares_embedding_storage"] = bool(
        lm is not None and lm.weight.data_ptr() == emb.weight.data_ptr()
    )
    return rules


def save_model(model, out_dir, dtype_name, max_shard_size=None):
    torch = _torch()
    os.makedirs(out_dir, exist_ok=True)
    m = model.to(torch_dtype(dtype_name))
    kw = {}
    if max_shard_size is not None:
        kw["max_shard_size"] = max_shard_size
    m.save_pretrained(out_dir, **kw)
    return m


def safetensors_listing(model_dir):
    """Parse the safetensors headers (pure python): {name: {dtype, shape, file}}."""
    out = {}
    for fn in sorted(os.listdir(model_dir)):
        if not fn.endswith(".safetensors"):
            continue
        with open(os.path.join(model_dir, fn), "rb") as f:
            n = struct.unpack("<Q", f.read(8))[0]
            hdr = json.loads(f.read(n))
        for k, v in hdr.items():
            if k == "__metadata__":
                continue
            out[k] = {"dtype": v["dtype"], "shape": v["shape"], "file": fn}
    return dict(sorted(out.items()))


# --------------------------------------------------------------------------------------
# float64 purification: transformers casts to float32 in several places (RMSNorm,
# softmax, A_log.float(), rope). For a true float64 reference we re-exec those
# functions from their own source with float32 -> float64.
# --------------------------------------------------------------------------------------

_F32_PATTERNS = [
    (re.compile(r"torch\.float32\b"), "torch.float64"),
    (re.compile(r"torch\.float(?![0-9A-Za-z_])"), "torch.float64"),
    (re.compile(r"\.float\(\)"), ".double()"),
]


def _needs_patch(src):
    return any(p.search(src) for p, _ in _F32_PATTERNS)


def _rewrite(src):
    for p, r in _F32_PATTERNS:
        src = p.sub(r, src)
    return src


@contextlib.contextmanager
def float64_patches(family):
    """Temporarily re-define every function/method of the family's modeling module
    whose source casts to float32, with float64 instead. Yields a report dict."""
    import importlib

    torch = _torch()
    from transformers import PreTrainedModel

    mods = [importlib.import_module(m) for m in [FAMILY_CLASSES[family][2]] + EXTRA_F64_MODULES.get(family, [])]
    restore = []
    report = {"module": ", ".join(m.__name__ for m in mods), "patched": [], "skipped": []}

    def compile_fn(src, name, mod):
        src = textwrap.dedent(src)
        ns = {}
        exec(compile(_rewrite(src), f"<f64:{mod.__name__}.{name}>", "exec"), mod.__dict__, ns)
        return ns

    try:
      for mod in mods:
        for oname, obj in list(vars(mod).items()):
            if inspect.isfunction(obj) and obj.__module__ == mod.__name__:
                try:
                    src = inspect.getsource(obj)
                except (OSError, TypeError):
                    continue
                if not _needs_patch(src):
                    continue
                if "super(" in src or "__class__" in src:
                    report["skipped"].append(oname + " (super)")
                    continue
                try:
                    ns = compile_fn(src, oname, mod)
                    restore.append((mod.__dict__, oname, obj, True))
                    mod.__dict__[oname] = ns[oname]
                    report["patched"].append(oname)
                except Exception as e:  # pragma: no cover
                    report["skipped"].append(f"{oname} ({type(e).__name__}: {e})")
            elif (
                inspect.isclass(obj)
                and obj.__module__ == mod.__name__
                and issubclass(obj, torch.nn.Module)
                and not issubclass(obj, PreTrainedModel)
            ):
                for aname, raw in list(vars(obj).items()):
                    fn = raw.__func__ if isinstance(raw, (staticmethod, classmethod)) else raw
                    if not inspect.isfunction(fn):
                        continue
                    try:
                        src = inspect.getsource(fn)
                    except (OSError, TypeError):
                        continue
                    if not _needs_patch(src):
                        continue
                    q = f"{oname}.{aname}"
                    if "super(" in src or "__class__" in src:
                        report["skipped"].append(q + " (super)")
                        continue
                    try:
                        ns = compile_fn(src, q, mod)
                        new = ns[aname]
                        restore.append((obj, aname, raw, False))
                        setattr(obj, aname, new)
                        report["patched"].append(q)
                    except Exception as e:  # pragma: no cover
                        report["skipped"].append(f"{q} ({type(e).__name__}: {e})")
      yield report
    finally:
        for owner, name, orig, is_dict in reversed(restore):
            if is_dict:
                owner[name] = orig
            else:
                setattr(owner, name, orig)


def recompute_inv_freq(model, cfg):
    """Recompute rotary inv_freq buffers in float64 (default rope only)."""
    torch = _torch()
    theta = rope_theta_of(cfg)
    notes = []
    if theta is None:
        return notes
    for name, m in model.named_modules():
        inv = getattr(m, "inv_freq", None)
        if not isinstance(inv, torch.Tensor):
            continue
        n = inv.numel()
        dim = 2 * n
        new = 1.0 / (float(theta) ** (torch.arange(0, dim, 2, dtype=torch.float64) / dim))
        rel = float(((new - inv.double()).abs() / new).max())
        if rel < 1e-5:
            m.inv_freq = new.to(inv.device)
            if isinstance(getattr(m, "original_inv_freq", None), torch.Tensor):
                m.original_inv_freq = new.clone()
            notes.append(f"{name}.inv_freq recomputed in float64 = theta^(-2i/{dim}) (rel diff {rel:.2e})")
        else:
            notes.append(f"{name}.inv_freq NOT default rope (rel diff {rel:.2e}); left as is")
    return notes


class DtypeWatch:
    """TorchFunctionMode that records ops producing non-float64 floating tensors."""

    def __new__(cls):
        from torch.overrides import TorchFunctionMode

        class _W(TorchFunctionMode):
            def __init__(self):
                super().__init__()
                self.bad = collections.Counter()

            def __torch_function__(self, func, types, args=(), kwargs=None):
                out = func(*args, **(kwargs or {}))
                torch = _torch()
                ts = out if isinstance(out, (tuple, list)) else (out,)
                for t in ts:
                    if (
                        isinstance(t, torch.Tensor)
                        and t.is_floating_point()
                        and t.dtype != torch.float64
                        and t.numel() > 0
                    ):
                        where = "?"
                        for fr in reversed(traceback.extract_stack(limit=40)[:-1]):
                            if f"{os.sep}transformers{os.sep}" in fr.filename:
                                where = (f"{os.path.basename(fr.filename)}:{fr.lineno}:{fr.name}: "
                                         f"{(fr.line or '').strip()[:100]}")
                                break
                        fname = getattr(func, "__name__", str(func))
                        self.bad[f"{fname} -> {t.dtype} @ {where}"] += 1
                        break
                return out

        return _W()


# --------------------------------------------------------------------------------------
# Loading and the float64 reference forward
# --------------------------------------------------------------------------------------


def load_model(family, model_dir, dtype_name="float64"):
    import transformers

    torch = _torch()
    cls = getattr(transformers, FAMILY_CLASSES[family][1])
    kw = {"attn_implementation": "eager"} if family in ATTENTION_FAMILIES else {}
    if family in ("jamba", "granite_hybrid", "nemotron_h"):
        # 5.x routes fused MoE experts through grouped_mm by default, which has no float64 kernel
        kw["experts_implementation"] = "eager"
    m = cls.from_pretrained(model_dir, dtype=torch_dtype(dtype_name), **kw)
    m.eval()
    for sub in m.modules():
        c = getattr(sub, "config", None)
        if c is not None and getattr(c, "_experts_implementation", "eager") not in (None, "eager"):
            c._experts_implementation = "eager"
    for p in m.parameters():
        if p.dtype != torch_dtype(dtype_name):
            m = m.to(torch_dtype(dtype_name))
            break
    return m


def _forward_kwargs(model, family, extras):
    kw = {}
    if extras:
        kw["output_hidden_states"] = True
        kw["use_cache"] = True
        if family in ATTENTION_FAMILIES:
            kw["output_attentions"] = True
        if family == "jamba":
            kw["output_router_logits"] = True
    else:
        kw["use_cache"] = False
    params = inspect.signature(model.forward).parameters
    if "logits_to_keep" in params:
        kw["logits_to_keep"] = 0
    elif "num_logits_to_keep" in params:
        kw["num_logits_to_keep"] = None
    return kw


def logits_only(model, family, ids):
    torch = _torch()
    with torch.no_grad():
        out = model(ids, **_forward_kwargs(model, family, extras=False))
    return out.logits[0]


def _first_attr(obj, names):
    """First attribute in `names` that is a non-empty tensor, or a dict/list whose
    first entry is one (transformers 5.x LinearAttentionLayer keeps {state_idx: tensor})."""
    torch = _torch()
    for n in names:
        v = getattr(obj, n, None)
        if isinstance(v, dict) and v:
            k0 = sorted(v)[0]
            v, n = v[k0], f"{n}[{k0}]"
        elif isinstance(v, (list, tuple)) and v:
            v, n = v[0], f"{n}[0]"
        if isinstance(v, torch.Tensor) and v.numel() > 0:
            return n, v
    return None, None


def extract_states(cache, layer_idx):
    """Find (conv_state, ssm_state, description) for a mamba layer in whatever cache object."""
    torch = _torch()
    if cache is None:
        return None, None, "no cache object"
    layers = getattr(cache, "layers", None)
    if isinstance(layers, (list, tuple)) and layer_idx < len(layers):
        lay = layers[layer_idx]
        cn, cv = _first_attr(lay, ["conv_states", "conv_state"])
        sn, sv = _first_attr(lay, ["recurrent_states", "ssm_states", "ssm_state"])
        if cv is not None and sv is not None:
            return cv, sv, f"{type(cache).__name__}.layers[l].{cn} / .{sn} ({type(lay).__name__})"
    for cn in ("conv_states", "conv_state"):
        cl = getattr(cache, cn, None)
        if isinstance(cl, (list, tuple, dict)) or isinstance(cl, torch.Tensor):
            for sn in ("ssm_states", "recurrent_states", "ssm_state"):
                sl = getattr(cache, sn, None)
                if sl is None:
                    continue
                try:
                    cv, sv = cl[layer_idx], sl[layer_idx]
                except (IndexError, KeyError, TypeError):
                    continue
                if isinstance(cv, torch.Tensor) and cv.numel() and isinstance(sv, torch.Tensor) and sv.numel():
                    return cv, sv, f"{type(cache).__name__}.{cn}[l] / .{sn}[l]"
    return None, None, f"no states found in {type(cache).__name__} (attrs: {[a for a in dir(cache) if not a.startswith('_')][:40]})"


def _try_make_cache(model, family, cfg, ids):
    """Build the family's cache class explicitly (for models that do not create one)."""
    import importlib

    torch = _torch()
    mod = importlib.import_module(FAMILY_CLASSES[family][2])
    tried = []
    for cname, cls in vars(mod).items():
        if not (inspect.isclass(cls) and "Cache" in cname and cls.__module__ == mod.__name__):
            continue
        for args, kw in (
            ((cfg, 1), {"dtype": torch.float64, "device": "cpu"}),
            ((), {"config": cfg, "batch_size": 1, "dtype": torch.float64, "device": "cpu"}),
            ((), {"config": cfg, "max_batch_size": 1, "dtype": torch.float64, "device": "cpu"}),
            ((), {"config": cfg}),
        ):
            try:
                c = cls(*args, **kw)
                tried.append(f"{cname} ok")
                return c, tried
            except Exception as e:
                tried.append(f"{cname}{args and '(cfg,1)' or ''}{sorted(kw)}: {type(e).__name__}")
    try:
        from transformers import DynamicCache

        return DynamicCache(config=cfg), tried + ["DynamicCache(config)"]
    except Exception as e:
        tried.append(f"DynamicCache(config): {type(e).__name__}")
    return None, tried


def _to_np(t):
    return t.detach().to(_torch().float64).cpu().numpy()


def reference_forward(model, family, cfg, input_bytes, extras=True, probes=True):
    """Run the float64 model (already loaded in float64, eager attention) on the bytes.

    Returns (arrays: dict name -> np.ndarray, info: dict) where arrays holds
    logits [T,V], hidden_states [n,T,d], layer_outputs [L,T,d], attn_L<l> [H,T,T],
    conv_state_L<l>, ssm_state_L<l>, router_logits_L<l> [T,E], router_topk_L<l> [T,k].
    """
    import numpy as np

    torch = _torch()
    ids = torch.tensor([list(input_bytes)], dtype=torch.long)
    T = ids.shape[1]
    plan = layer_plan(family, cfg)
    info = {"T": T}
    arrays = {}

    base = model.base_model
    layers = base.layers
    final_norm = None
    for n in ("norm_f", "norm", "final_layernorm"):
        if isinstance(getattr(base, n, None), torch.nn.Module):
            final_norm = (n, getattr(base, n))
            break
    cap = {"emb": None, "layers": [None] * len(layers), "final": None}
    probe_data = collections.defaultdict(dict)
    hooks = []

    def first_tensor(o):
        if isinstance(o, torch.Tensor):
            return o
        if isinstance(o, (tuple, list)) and o and isinstance(o[0], torch.Tensor):
            return o[0]
        if hasattr(o, "last_hidden_state"):
            return o.last_hidden_state
        return None

    hooks.append(
        model.get_input_embeddings().register_forward_hook(lambda m, a, o: cap.__setitem__("emb", o.detach().clone()))
    )
    for i, lay in enumerate(layers):
        def h(m, a, o, i=i):
            cap["layers"][i] = first_tensor(o).detach().clone()

        hooks.append(lay.register_forward_hook(h))
    if final_norm is not None:
        hooks.append(final_norm[1].register_forward_hook(lambda m, a, o: cap.__setitem__("final", o.detach().clone())))

    if probes:
        for i, lay in enumerate(layers):
            kind = plan[i]
            mixer = ssm_module(lay) if family == "zamba2" else None
            for n in ("mixer", "mamba", "self_attn"):
                if mixer is None and isinstance(getattr(lay, n, None), torch.nn.Module):
                    mixer = getattr(lay, n)
                    break
            if mixer is None:
                continue
            attn_mixer = mixer
            if kind["mixer"] == "attention+mamba2":  # Falcon-H1: layer.mamba and layer.self_attn
                mixer, attn_mixer = lay.mamba, lay.self_attn
            if kind["mixer"] in SSM_MIXERS and hasattr(mixer, "in_proj"):
                hooks.append(
                    mixer.in_proj.register_forward_hook(
                        lambda m, a, o, i=i: probe_data[i].__setitem__("in_proj_out", o.detach().clone())
                    )
                )
            if kind["mixer"] in ("mamba2", "attention+mamba2") and isinstance(getattr(getattr(mixer, "norm", None), "weight", None), torch.Tensor):
                def hn(m, a, kw, o, i=i):
                    args = list(a) + [kw.get("gate")] if len(a) == 1 else list(a)
                    probe_data[i]["gnorm"] = (args[0].detach().clone(), args[1].detach().clone(), o.detach().clone())

                hooks.append(mixer.norm.register_forward_hook(hn, with_kwargs=True))
            if kind["mixer"] in ATTENTION_MIXERS:
                def ha(m, a, kw, o, i=i):
                    x = a[0] if a else kw.get("hidden_states")
                    probe_data[i]["attn_in"] = x.detach().clone()

                hooks.append(attn_mixer.register_forward_hook(ha, with_kwargs=True))
            if kind["ffn"] == "moe":
                moe = None
                for _, sub in lay.named_modules():
                    if sub is not lay and hasattr(sub, "router") and hasattr(sub, "experts"):
                        moe = sub
                        break
                if moe is not None:
                    def hm(m, a, kw, o, i=i):
                        x = a[0] if a else kw.get("hidden_states")
                        probe_data[i]["moe"] = (m, x.detach().clone(), first_tensor(o).detach().clone())

                    hooks.append(moe.register_forward_hook(hm, with_kwargs=True))

    fkw = _forward_kwargs(model, family, extras)
    cache_note = None
    try:
        with torch.no_grad():
            out = model(ids, **fkw)
            cache = getattr(out, "cache_params", None)
            if cache is None:
                cache = getattr(out, "past_key_values", None)
            needs_states = extras and any(k["mixer"] in SSM_MIXERS for k in plan)
            if needs_states:
                first_m = next(i for i, k in enumerate(plan) if k["mixer"] in SSM_MIXERS)
                cv, sv, how = extract_states(cache, first_m)
                if cv is None:
                    c2, tried = _try_make_cache(model, family, cfg, ids)
                    cache_note = {"first_try": how, "explicit_cache": tried}
                    if c2 is not None:
                        fk2 = dict(fkw)
                        params = inspect.signature(model.forward).parameters
                        key = "cache_params" if "cache_params" in params else "past_key_values"
                        fk2[key] = c2
                        if "cache_position" in params:
                            fk2["cache_position"] = torch.arange(T)
                        out2 = model(ids, **fk2)
                        d = float((out2.logits - out.logits).abs().max())
                        cache_note["logits_maxdiff_with_explicit_cache"] = d
                        cache = c2
    finally:
        for hk in hooks:
            hk.remove()

    logits = out.logits[0]
    if logits.shape[0] != T:
        raise RuntimeError(f"logits have {logits.shape[0]} positions, expected {T}")
    info["logits_dtype_in_model"] = str(out.logits.dtype)
    # transformers 5.x Mamba*ForCausalLM do lm_head(...).float(), i.e. round the logits to float32
    # even in a float64 model; recompute them from the (float64) final-norm output instead.
    lm = model.get_output_embeddings()
    if cap["final"] is not None and lm is not None:
        with torch.no_grad():
            lg = torch.nn.functional.linear(cap["final"][0], lm.weight, getattr(lm, "bias", None))
            if family == "falcon_h1":  # FalconH1ForCausalLM: lm_head(x) * lm_head_multiplier
                lg = lg * cfg.lm_head_multiplier
        dl = float((lg - logits.double()).abs().max() / lg.abs().max())
        info["logits_recomputed_vs_model_logits_max_rel"] = dl
        if tuple(lg.shape) == tuple(logits.shape) and dl < 1e-5:
            logits = lg
            info["logits_source"] = "lm_head(final norm output) recomputed in float64"
        else:
            info["logits_source"] = "model output (recomputation disagreed)"
    arrays["logits"] = _to_np(logits)
    if not extras:
        return arrays, info

    # ---- hidden states and their meaning
    hs = out.hidden_states
    arrays["hidden_states"] = np.stack([_to_np(h[0]) for h in hs])
    arrays["layer_outputs"] = np.stack([_to_np(t[0]) for t in cap["layers"]])
    cands = {"embeddings (token embedding lookup, input to layer 0)": cap["emb"]}
    for i, t in enumerate(cap["layers"]):
        cands[f"output of layer {i} (residual stream, before any final norm)"] = t
    if cap["final"] is not None:
        cands[f"output of final norm `{final_norm[0]}` applied to output of layer {len(layers)-1}"] = cap["final"]
    labels = []
    for k, h in enumerate(hs):
        best, bd = None, float("inf")
        for lab, t in cands.items():
            if t is None or t.shape != h.shape:
                continue
            d = float((t - h).abs().max())
            if d < bd:
                best, bd = lab, d
        labels.append(f"[{k}] {best}" + ("" if bd == 0.0 else f" (max abs diff {bd:.3g})"))
    info["hidden_states_entries"] = labels
    info["n_hidden"] = len(hs)

    # ---- attention probabilities
    att = getattr(out, "attentions", None)
    # attention layers, Falcon-H1's layers, and Zamba2's hybrid layers (one map per use of a shared block)
    attn_layers = [i for i, k in enumerate(plan) if has_attention(k)]
    if att is not None and attn_layers:
        att = [a for a in att if a is not None]
        if len(att) == len(plan) and len(attn_layers) != len(plan):
            att = [att[i] for i in attn_layers]
        if len(att) != len(attn_layers):
            info["attentions_warning"] = f"{len(att)} attention maps for {len(attn_layers)} attention layers"
        for l, a in zip(attn_layers, att):
            A = _to_np(a[0])
            arrays[f"attn_L{l}"] = A
            rs = np.abs(A.sum(-1) - 1).max()
            up = np.abs(np.triu(A, 1)).max()
            info.setdefault("attn_checks", {})[f"L{l}"] = {"max|rowsum-1|": float(rs), "max|upper|": float(up)}

    # ---- recurrent states
    mamba_layers = [i for i, k in enumerate(plan) if k["mixer"] in SSM_MIXERS]
    if mamba_layers:
        info["cache_type"] = type(cache).__name__ if cache is not None else None
        if cache_note:
            info["cache_note"] = cache_note
        for l in mamba_layers:
            cv, sv, how = extract_states(cache, l)
            if cv is None:
                info.setdefault("state_errors", []).append(f"L{l}: {how}")
                continue
            arrays[f"conv_state_L{l}"] = _to_np(cv[0])
            arrays[f"ssm_state_L{l}"] = _to_np(sv[0])
            info["state_source"] = how
            info.setdefault("state_dtypes", {})[f"L{l}"] = [str(cv.dtype), str(sv.dtype)]

    # ---- router logits
    rl = getattr(out, "router_logits", None)
    moe_layers = [i for i, k in enumerate(plan) if k["ffn"] == "moe"]
    if rl is not None and moe_layers:
        rl = [r for r in rl if r is not None and r.numel() > 0]
        if len(rl) == len(plan) and len(moe_layers) != len(plan):
            rl = [rl[i] for i in moe_layers]
        if len(rl) != len(moe_layers):
            info["router_warning"] = f"{len(rl)} router tensors for {len(moe_layers)} MoE layers"
        k = cfg.num_experts_per_tok
        margins = {}
        for l, r in zip(moe_layers, rl):
            R = _to_np(r.reshape(-1, r.shape[-1]))[-T:]
            arrays[f"router_logits_L{l}"] = R
            order = np.argsort(-R, axis=-1, kind="stable")
            arrays[f"router_topk_L{l}"] = order[:, :k].astype(np.int64)
            srt = -np.sort(-R, axis=-1)
            if R.shape[1] > k:
                margins[f"L{l}"] = float((srt[:, k - 1] - srt[:, k]).min())
        info["router_min_margin_kth_vs_next"] = margins
        info["router_logits_raw_shape"] = list(rl[0].shape) if rl else None

    # ---- probes: pin down semantics numerically
    if probes:
        with torch.no_grad():
            info["probes"] = run_probes(model, family, cfg, plan, layers, probe_data, arrays, T)
    return arrays, info


def run_probes(model, family, cfg, plan, layers, probe_data, arrays, T):
    import numpy as np

    torch = _torch()
    F = torch.nn.functional
    res = {}
    for i, kind in enumerate(plan):
        pd = probe_data.get(i, {})
        r = {}
        lay = layers[i]
        mixer = ssm_module(lay) if family == "zamba2" else None
        for n in ("mixer", "mamba", "self_attn"):
            if mixer is None and isinstance(getattr(lay, n, None), torch.nn.Module):
                mixer = getattr(lay, n)
                break
        attn_mixer = mixer
        if kind["mixer"] == "attention+mamba2":  # Falcon-H1: layer.mamba and layer.self_attn
            mixer, attn_mixer = lay.mamba, lay.self_attn
        # conv state == last K pre-conv inputs?
        if "in_proj_out" in pd and f"conv_state_L{i}" in arrays:
            P = pd["in_proj_out"][0]
            if isinstance(getattr(mixer, "mup_vector", None), torch.Tensor):  # Falcon-H1: in_proj(.) * mup_vector
                P = P * mixer.mup_vector.reshape(-1).to(P.dtype)
            K = mixer.conv1d.weight.shape[-1]
            C = mixer.conv1d.weight.shape[0]
            if kind["mixer"] == "mamba":
                xin = P[:, : P.shape[-1] // 2]
            else:
                d_in = mixer.intermediate_size
                conv_dim = mixer.conv_dim
                d_mlp = (P.shape[-1] - 2 * d_in - 2 * mixer.n_groups * mixer.ssm_state_size - mixer.num_heads) // 2
                xin = P[:, 2 * d_mlp + d_in : 2 * d_mlp + d_in + conv_dim]
            want = xin[-K:, :].T
            got = torch.from_numpy(arrays[f"conv_state_L{i}"])
            if tuple(want.shape) == tuple(got.shape) and want.shape[0] == C:
                r["conv_state_vs_last_K_preconv_inputs_maxdiff"] = float((want.double() - got).abs().max())
            else:
                r["conv_state_shape_mismatch"] = [list(want.shape), list(got.shape)]
        if "gnorm" in pd:
            y, z, o = pd["gnorm"]
            w = mixer.norm.weight.double()
            eps = mixer.norm.variance_epsilon
            G = mixer.n_groups
            h = y.double() * F.silu(z.double())

            def rms(x):
                return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps)

            full = rms(h) * w
            grp = rms(h.reshape(*h.shape[:-1], G, -1)).reshape(h.shape) * w
            nbg = rms(y.double()) * w * F.silu(z.double())
            yd = y.double()
            nbg_grp = rms(yd.reshape(*yd.shape[:-1], G, -1)).reshape(yd.shape) * w * F.silu(z.double())
            r["gated_norm"] = {
                "full_width(y*silu(z))": float((full - o).abs().max()),
                f"per_group(G={G})": float((grp - o).abs().max()),
                "norm_before_gate": float((nbg - o).abs().max()),
                f"norm_before_gate_per_group(G={G})": float((nbg_grp - o).abs().max()),
            }
        if "attn_in" in pd and f"attn_L{i}" in arrays:
            r["attention"] = _probe_attention(attn_mixer, cfg, pd["attn_in"][0], arrays[f"attn_L{i}"])
        if "moe" in pd:
            try:
                r["moe"] = _probe_moe(*pd["moe"], cfg)
            except Exception as e:
                r["moe"] = f"probe failed: {type(e).__name__}: {e}"
        if r:
            res[f"L{i}"] = r
    return res


def _probe_attention(attn, cfg, x, probs):
    import numpy as np

    torch = _torch()
    x = x.double()
    hd = getattr(attn, "head_dim", None) or cfg.hidden_size // cfg.num_attention_heads
    H = cfg.num_attention_heads
    KV = cfg.num_key_value_heads
    q = attn.q_proj(x).reshape(-1, H, hd).transpose(0, 1)
    k = attn.k_proj(x).reshape(-1, KV, hd).transpose(0, 1)
    k = k * getattr(attn, "key_multiplier", 1.0)  # Falcon-H1: keys times key_multiplier before RoPE
    k = k.repeat_interleave(H // KV, dim=0)
    T = x.shape[0]
    scale = getattr(attn, "scaling", None) or hd**-0.5
    theta = rope_theta_of(cfg)
    pos = torch.arange(T, dtype=torch.float64)
    out = {"scaling": float(scale)}

    def softmax_causal(qq, kk):
        s = (qq @ kk.transpose(-1, -2)) * scale
        s = s.masked_fill(torch.triu(torch.ones(T, T, dtype=torch.bool), 1), float("-inf"))
        return torch.softmax(s, -1).numpy()

    variants = {"no_positional_encoding": (q, k)}
    if theta is not None:
        inv = 1.0 / (float(theta) ** (torch.arange(0, hd, 2, dtype=torch.float64) / hd))
        ang = pos[:, None] * inv[None, :]  # [T, hd/2]
        c, s = ang.cos(), ang.sin()

        def half(t):
            t1, t2 = t[..., : hd // 2], t[..., hd // 2 :]
            return torch.cat([t1 * c - t2 * s, t2 * c + t1 * s], -1)

        def inter(t):
            t1, t2 = t[..., 0::2], t[..., 1::2]
            o = torch.empty_like(t)
            o[..., 0::2] = t1 * c - t2 * s
            o[..., 1::2] = t2 * c + t1 * s
            return o

        variants["rope_half_split(rotate_half)"] = (half(q), half(k))
        variants["rope_interleaved_pairs"] = (inter(q), inter(k))
        r = hd // 2  # partial rotary (Bamba): rotate_half on the first hd/2 dims, the rest unchanged
        if r % 2 == 0 and r > 0:
            invp = 1.0 / (float(theta) ** (torch.arange(0, r, 2, dtype=torch.float64) / r))
            angp = pos[:, None] * invp[None, :]
            cp, sp = angp.cos(), angp.sin()

            def partial(t):
                t1, t2, rest = t[..., : r // 2], t[..., r // 2 : r], t[..., r:]
                return torch.cat([t1 * cp - t2 * sp, t2 * cp + t1 * sp, rest], -1)

            variants["rope_partial_half_head(first hd/2 dims)"] = (partial(q), partial(k))
    for n, (qq, kk) in variants.items():
        out[n] = float(np.abs(softmax_causal(qq, kk) - probs).max())
    return out


def _probe_moe(moe, x, y, cfg):
    torch = _torch()
    F = torch.nn.functional
    x = x.double().reshape(-1, x.shape[-1])
    y = y.double().reshape(-1, y.shape[-1])
    k = cfg.num_experts_per_tok
    E = getattr(cfg, "num_experts", None) or cfg.num_local_experts
    rw = moe.router.weight if hasattr(moe.router, "weight") else None
    rb = getattr(moe.router, "bias", None)
    logits = F.linear(x, rw, rb)
    probs = torch.softmax(logits, -1)
    topv, topi = torch.topk(probs, k, -1)
    weights = {"softmax_all_then_topk_unnormalized": topv, "topk_renormalized": topv / topv.sum(-1, keepdim=True),
               "topk_logits_then_softmax": torch.softmax(torch.topk(logits, k, -1).values, -1)}
    experts = moe.experts
    fns = {}
    if isinstance(experts, torch.nn.ModuleList):
        fns["modulelist"] = lambda e, xe: experts[e](xe)
    else:
        params = dict(experts.named_parameters())
        gu = next((v for n, v in params.items() if "gate_up" in n), None)
        dn = next((v for n, v in params.items() if "down" in n), None)
        H = cfg.hidden_size
        if gu is not None and dn is not None:
            for gate_first in (True, False):
                def fn(e, xe, gate_first=gate_first):
                    W = gu[e]
                    hmid = xe @ (W.T if W.shape[-1] == H else W)
                    a, b = hmid.chunk(2, -1)
                    g_, u_ = (a, b) if gate_first else (b, a)
                    m = F.silu(g_) * u_
                    D = dn[e]
                    return m @ (D.T if D.shape[0] == H else D)

                fns["fused gate_up(" + ("gate|up" if gate_first else "up|gate") + ")"] = fn
    out = {"router_params": [n for n, _ in moe.router.named_parameters()],
           "experts_type": type(experts).__name__,
           "expert_params": {n: list(p.shape) for n, p in experts.named_parameters()}}
    for fname, fn in fns.items():
        for wname, W in weights.items():
            acc = torch.zeros_like(y)
            for j in range(k):
                for e in range(E):
                    sel = topi[:, j] == e
                    if sel.any():
                        acc[sel] += W[sel, j : j + 1] * fn(e, x[sel])
            out[f"{fname} + {wname}"] = float((acc - y).abs().max())
    return out


def compute_reference(family, model_dir, input_bytes, extras=True, probes=True, purify=True):
    """Load `model_dir` in float64 (eager attention) and compute the reference.

    With purify=True, transformers' internal float32 casts are re-executed in
    float64 (see float64_patches) and rotary inv_freq is recomputed in float64;
    the stock float64 run (with those float32 casts) is also made, and the
    relative L2 distance between the two logits is reported."""
    torch = _torch()
    model = load_model(family, model_dir, "float64")
    cfg = model.config
    ids = torch.tensor([list(input_bytes)], dtype=torch.long)
    info = {}
    stock = _to_np(logits_only(model, family, ids))
    arrays = None
    if purify:
        try:
            info["rope_inv_freq"] = recompute_inv_freq(model, cfg)
            with float64_patches(family) as rep:
                watch = DtypeWatch()
                with watch:
                    arrays, rinfo = reference_forward(model, family, cfg, input_bytes, extras, probes)
            info["float64_patches"] = rep
            bad, ignored = {}, {}
            for k, v in watch.bad.items():
                if k.endswith("@ ?"):
                    continue  # our own comparisons, outside transformers
                if "lm_head" in k and ".float()" in k:
                    ignored[k] = v  # logits rounded to f32 by the model; we recompute them in f64
                else:
                    bad[k] = v
            info["non_float64_ops_during_forward"] = bad
            info["non_float64_ops_ignored"] = ignored
            info["pure_float64"] = not bad
        except Exception as e:
            info["purify_error"] = f"{type(e).__name__}: {e}\n" + traceback.format_exc()[-3000:]
            arrays = None
            model = load_model(family, model_dir, "float64")
    if arrays is None:
        arrays, rinfo = reference_forward(model, family, cfg, input_bytes, extras, probes)
        info["pure_float64"] = False
    info.update(rinfo)
    info["stock_transformers_f64_vs_reference_rel_l2"] = d = rel_l2(stock, arrays["logits"])
    if d > 1e-4:
        info["purify_suspicious"] = "stock float64 run and purified run differ by more than 1e-4"
    return arrays, info, model


def rel_l2(a, b):
    import numpy as np

    return float(np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-300))
