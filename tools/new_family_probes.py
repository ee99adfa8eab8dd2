#!/usr/bin/env python3
"""Development probes for families StateScope does not run yet (Falcon-H1, Zamba2, Nemotron-H with
mixture-of-experts layers): tiny random models made by transformers itself, with every submodule's
output recorded, so the C++ side can be built and debugged layer by layer on a machine without torch.

    python3 tools/new_family_probes.py --out DIR          # GPU machine (torch + transformers), CPU only

Per probe (DIR/<name>/): config.json + model.safetensors (save_pretrained, float32), input.bin (raw bytes),
logits.npy float64 [T, 256], activations.npz (float64; key = module path, value = that module's first
output tensor, batch dimension dropped), report.json (config as transformers resolved it, shapes, errors).
DIR/src/ holds the transformers sources of these families. These are development aids, not the committed
fixtures (tools/make_fixtures.py makes those)."""
import argparse, glob, json, math, os, shutil, sys, traceback

PROBES = {
    "falcon_h1_a": ("FalconH1ForCausalLM", "FalconH1Config", dict(
        vocab_size=256, hidden_size=32, intermediate_size=48, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, mamba_d_ssm=64, mamba_n_heads=4, mamba_d_head="auto", mamba_n_groups=2,
        mamba_d_state=8, mamba_d_conv=4, mamba_expand=2, mamba_chunk_size=8, mamba_rms_norm=True,
        mamba_norm_before_gate=False, embedding_multiplier=2.0, lm_head_multiplier=0.5, mlp_multipliers=[1.5, 0.7],
        key_multiplier=0.8, attention_out_multiplier=0.9, attention_in_multiplier=1.2,
        ssm_multipliers=[1.1, 0.9, 1.3, 0.8, 1.2], ssm_in_multiplier=0.7, ssm_out_multiplier=1.4,
        tie_word_embeddings=False, pad_token_id=0, bos_token_id=1, eos_token_id=2)),
    "falcon_h1_b": ("FalconH1ForCausalLM", "FalconH1Config", dict(
        vocab_size=256, hidden_size=24, intermediate_size=40, num_hidden_layers=3, num_attention_heads=2,
        num_key_value_heads=2, mamba_d_ssm=None, mamba_n_heads=6, mamba_n_groups=1, mamba_d_state=16,
        mamba_d_conv=3, mamba_expand=2, mamba_chunk_size=16, mamba_rms_norm=False, mamba_norm_before_gate=True,
        mamba_conv_bias=True, mamba_proj_bias=False, projectors_bias=False, head_dim=16,
        tie_word_embeddings=True, pad_token_id=0, bos_token_id=1, eos_token_id=2)),
    "zamba2_a": ("Zamba2ForCausalLM", "Zamba2Config", dict(
        vocab_size=256, hidden_size=32, num_hidden_layers=5,
        layers_block_type=["mamba", "hybrid", "mamba", "hybrid", "hybrid"], mamba_d_state=8, mamba_d_conv=4,
        mamba_expand=2, mamba_ngroups=2, n_mamba_heads=4, chunk_size=8, intermediate_size=48, hidden_act="gelu",
        num_attention_heads=4, num_key_value_heads=4, num_mem_blocks=2, use_shared_mlp_adapter=True,
        use_shared_attention_adapter=True, adapter_rank=4, use_mem_rope=True, rope_theta=10000,
        pad_token_id=0, bos_token_id=1, eos_token_id=2)),
    "zamba2_b": ("Zamba2ForCausalLM", "Zamba2Config", dict(
        vocab_size=256, hidden_size=24, num_hidden_layers=4, layers_block_type=["hybrid", "mamba", "mamba", "hybrid"],
        mamba_d_state=16, mamba_d_conv=4, mamba_expand=2, mamba_ngroups=1, n_mamba_heads=3, chunk_size=16,
        intermediate_size=40, hidden_act="gelu", num_attention_heads=2, num_key_value_heads=2, num_mem_blocks=1,
        use_shared_mlp_adapter=False, use_shared_attention_adapter=False, use_mem_rope=False,
        pad_token_id=0, bos_token_id=1, eos_token_id=2)),
    "nemotron_h_moe": ("NemotronHForCausalLM", "NemotronHConfig", dict(
        vocab_size=256, hidden_size=16, hybrid_override_pattern="ME*E", num_attention_heads=2, num_key_value_heads=1,
        head_dim=8, intermediate_size=32, mamba_num_heads=4, mamba_head_dim=8, n_groups=2, ssm_state_size=8,
        conv_kernel=4, chunk_size=8, n_routed_experts=4, num_experts_per_tok=2, moe_intermediate_size=12,
        moe_shared_expert_intermediate_size=20, n_group=2, topk_group=1, routed_scaling_factor=1.7,
        norm_topk_prob=True, tie_word_embeddings=False, pad_token_id=0, bos_token_id=1, eos_token_id=2)),
}
INPUT = "Hybrid: attn ∥ SSM, 共享 blocks!".encode() + b"\x00\xff\x80 end."


def perturb(model, seed):
    import torch
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            leaf = name.split(".")[-1]
            if leaf == "A_log":
                p.copy_(torch.log(1 + 3 * torch.rand(p.shape, generator=g)))
            elif leaf == "dt_bias":
                dt = 0.005 + 0.1 * torch.rand(p.shape, generator=g)
                p.copy_(dt + torch.log(-torch.expm1(-dt)))
            elif leaf == "D":
                p.copy_(0.5 + torch.rand(p.shape, generator=g))
            elif p.dim() == 1 and "norm" in name:
                p.copy_(1 + 0.2 * torch.randn(p.shape, generator=g))
            elif p.dim() == 1:
                p.copy_(0.1 * torch.randn(p.shape, generator=g))
            elif "embed" in name:
                p.copy_(torch.randn(p.shape, generator=g))
            elif "conv1d" in name:
                p.copy_(0.4 * torch.randn(p.shape, generator=g))
            else:
                p.copy_(torch.randn(p.shape, generator=g) / math.sqrt(p.shape[-1]))


def probe(name, arch, cfg_name, kwargs, out):
    import numpy as np, torch, transformers
    d = os.path.join(out, name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    report = {"name": name, "architecture": arch, "kwargs": kwargs, "transformers": transformers.__version__}
    try:
        cfg = getattr(transformers, cfg_name)(**kwargs)
        torch.manual_seed(1)
        model = getattr(transformers, arch)(cfg).eval()
        perturb(model, 1234)
        model.save_pretrained(d)
        # float64 where transformers allows it (its grouped expert matmul does not: those run in float32)
        dtype = torch.float32 if "n_routed_experts" in kwargs else torch.float64
        report["reference_dtype"] = str(dtype)
        m64 = getattr(transformers, arch).from_pretrained(d, dtype=dtype, attn_implementation="eager").eval()
        report["config"] = json.loads(m64.config.to_json_string())
        report["parameters"] = {n: list(p.shape) for n, p in m64.named_parameters()}
        acts = {}

        def hook(path):
            def h(mod, args, outp):
                t = outp[0] if isinstance(outp, (tuple, list)) else outp
                if hasattr(t, "detach") and t.dim() >= 2:
                    acts[path] = t.detach()[0].double().numpy().copy() if t.shape[0] == 1 else t.detach().double().numpy().copy()
            return h

        for path, mod in m64.named_modules():
            if path:
                mod.register_forward_hook(hook(path))
        ids = torch.tensor([list(INPUT)])
        with torch.no_grad():
            o = m64(ids, use_cache=False)
        np.save(os.path.join(d, "logits.npy"), o.logits[0].double().numpy())
        np.savez(os.path.join(d, "activations.npz"), **acts)
        with open(os.path.join(d, "input.bin"), "wb") as f:
            f.write(INPUT)
        # the recurrent path: feed byte by byte with the cache, logits must agree with the parallel form
        try:
            with torch.no_grad():
                o1 = m64(ids[:, :1], use_cache=True)
                cache, rows = o1.past_key_values, [o1.logits[0, -1]]
                for t in range(1, ids.shape[1]):
                    o1 = m64(ids[:, t:t + 1], past_key_values=cache, use_cache=True,
                             cache_position=torch.tensor([t]))
                    cache = o1.past_key_values
                    rows.append(o1.logits[0, -1])
            step = torch.stack(rows).double().numpy()
            full = o.logits[0].double().numpy()
            report["step_vs_forward_max_abs"] = float(abs(step - full).max())
        except Exception as e:
            report["step_error"] = f"{type(e).__name__}: {e}"
        report["T"] = len(INPUT)
        report["logits_std"] = float(o.logits.std())
    except Exception as e:
        report["error"] = f"{type(e).__name__}: {e}"
        report["traceback"] = traceback.format_exc()
    with open(os.path.join(d, "report.json"), "w") as f:
        json.dump(report, f, indent=1, default=repr)
    print(name, report.get("error", "ok"), report.get("step_vs_forward_max_abs", report.get("step_error")))


def dump_sources(out):
    import transformers
    root = os.path.dirname(transformers.__file__)
    for sub in ("falcon_h1", "zamba2", "nemotron_h", "zamba", "mamba2", "bamba", "granitemoehybrid", "deepseek_v3"):
        for p in glob.glob(os.path.join(root, "models", sub, "*.py")):
            rel = os.path.relpath(p, root)
            os.makedirs(os.path.join(out, "src", os.path.dirname(rel)), exist_ok=True)
            shutil.copy(p, os.path.join(out, "src", rel))


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--only", default="")
    a = ap.parse_args()
    dump_sources(a.out)
    for n, (arch, cfgn, kw) in PROBES.items():
        if not a.only or n in a.only.split(","):
            probe(n, arch, cfgn, kw, a.out)
