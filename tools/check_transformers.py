#!/usr/bin/env python3
"""Cross-check statescope-cli against HuggingFace transformers on fresh random models.

    python3 tools/check_transformers.py --cli build/statescope-cli --n 8 --seed 1
    python3 tools/check_transformers.py --self-test --n 2 --seed 1   # no CLI: transformers float32 vs float64

For every family (mamba1, mamba2, llama, jamba, falcon_mamba, bamba, nemotron_h, granite_hybrid,
falcon_h1, zamba2; --families picks some, e.g. --families falcon_h1) and i in 0..n-1 it draws a random small
config (shapes NOT in tests/fixtures; see hf_families.random_spec), perturbs the weights
so activations are O(1), saves the model with save_pretrained (stored float32, bfloat16
or float16) into a temporary folder, draws a random byte input (mostly 200-500 bytes,
English + UTF-8 multi-byte + raw bytes), then runs

    <cli> logits --model DIR --input FILE --out OUT.npy        (float32 [tokens, 256])

and compares with transformers' float64 logits computed from the saved (rounded)
weights: relative L2 error ||ours - ref|| / ||ref|| < --tol (1e-4) and the same argmax
at every position (positions whose reference top-2 logit gap is below 1e-6 * max|logit|
count as ties and are reported, not failed). One table row per model; exit status 1
on any failure. Needs torch + transformers + numpy (CPU is enough).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hf_families as hf  # noqa: E402


def describe(family, c):
    if family == "mamba1":
        return (f"d={c['hidden_size']} L={c['num_hidden_layers']} N={c['state_size']} K={c['conv_kernel']} "
                f"x{c['expand']} R={c['time_step_rank']}{' tied' if c['tie_word_embeddings'] else ''}"
                f"{' bias' if c['use_bias'] else ''}{'' if c['use_conv_bias'] else ' noconvb'}")
    if family == "mamba2":
        return (f"d={c['hidden_size']} L={c['num_hidden_layers']} H={c['num_heads']} P={c['head_dim']} "
                f"G={c['n_groups']} N={c['state_size']} K={c['conv_kernel']} cs={c['chunk_size']}"
                f"{' tied' if c['tie_word_embeddings'] else ''}{' bias' if c['use_bias'] else ''}"
                f"{'' if c['use_conv_bias'] else ' noconvb'}")
    if family == "llama":
        return (f"d={c['hidden_size']} L={c['num_hidden_layers']} H={c['num_attention_heads']} "
                f"KV={c['num_key_value_heads']} hd={c.get('head_dim', c['hidden_size'] // c['num_attention_heads'])} "
                f"I={c['intermediate_size']} th={c['rope_theta']:g}{' tied' if c['tie_word_embeddings'] else ''}"
                f"{' qkvbias' if c['attention_bias'] else ''}")
    if family == "falcon_mamba":
        return (f"d={c['hidden_size']} L={c['num_hidden_layers']} N={c['state_size']} K={c['conv_kernel']} "
                f"x{c['expand']} R={c['time_step_rank']} eps={c['mixer_rms_eps']:g}{' tied' if c['tie_word_embeddings'] else ''}"
                f"{' bias' if c['use_bias'] else ''}{'' if c['use_conv_bias'] else ' noconvb'}")
    if family in ("bamba", "granite_hybrid"):
        layout = c.get("attn_layer_indices") if family == "bamba" else "".join("A" if t == "attention" else "M" for t in c["layer_types"])
        extra = ""
        if family == "granite_hybrid":
            extra = (f" E={c['num_local_experts']}k{c['num_experts_per_tok']} Is={c['shared_intermediate_size']} "
                     f"pe={c['position_embedding_type']} mult={c['embedding_multiplier']:g}/{c['residual_multiplier']:g}/"
                     f"{c['attention_multiplier']:g}/{c['logits_scaling']:g}")
        return (f"d={c['hidden_size']} L={c['num_hidden_layers']} attn={layout} H={c['num_attention_heads']} "
                f"KV={c['num_key_value_heads']} mH={c['mamba_n_heads']} G={c['mamba_n_groups']} N={c['mamba_d_state']} "
                f"K={c['mamba_d_conv']} x{c['mamba_expand']} cs={c['mamba_chunk_size']}{extra}"
                f"{' tied' if c['tie_word_embeddings'] else ''}{' projb' if c['mamba_proj_bias'] else ''}")
    if family == "falcon_h1":
        m = [c["embedding_multiplier"], c["lm_head_multiplier"], *c["mlp_multipliers"], c["key_multiplier"],
             c["attention_in_multiplier"], c["attention_out_multiplier"], *c["ssm_multipliers"], c["ssm_in_multiplier"],
             c["ssm_out_multiplier"]]
        norm = ("norm>gate" if c["mamba_norm_before_gate"] else "gate>norm") if c["mamba_rms_norm"] else "nonorm"
        bias = "".join(t for t, k in ((" projb", "mamba_proj_bias"), (" outb", "projectors_bias"), (" qkvb", "attention_bias"),
                                      (" mlpb", "mlp_bias")) if c[k])
        return (f"d={c['hidden_size']} L={c['num_hidden_layers']} H={c['num_attention_heads']} KV={c['num_key_value_heads']}"
                f"{' hd=' + str(c['head_dim']) if 'head_dim' in c else ''} I={c['intermediate_size']} "
                f"ssm={c['mamba_d_ssm'] or 'x' + str(c['mamba_expand'])} mH={c['mamba_n_heads']} G={c['mamba_n_groups']} "
                f"N={c['mamba_d_state']} K={c['mamba_d_conv']} cs={c['mamba_chunk_size']} {norm} "
                f"mult={'/'.join(f'{v:g}' for v in m)}{' tied' if c['tie_word_embeddings'] else ''}{bias}")
    if family == "nemotron_h":
        return (f"d={c['hidden_size']} {c['hybrid_override_pattern']} H={c['num_attention_heads']} KV={c['num_key_value_heads']} "
                f"hd={c['head_dim']} I={c['intermediate_size']} mH={c['mamba_num_heads']} P={c['mamba_head_dim']} "
                f"G={c['n_groups']} N={c['ssm_state_size']} K={c['conv_kernel']} cs={c['chunk_size']} "
                f"dtmin={c['time_step_min']:g}{' tied' if c['tie_word_embeddings'] else ''}{' bias' if c['use_bias'] else ''}"
                f"{' mlpb' if c['mlp_bias'] else ''}")
    if family == "zamba2":
        layout = "".join("H" if t == "hybrid" else "M" for t in c["layers_block_type"])
        return (f"d={c['hidden_size']} {layout} mem={c['num_mem_blocks']} H={c['num_attention_heads']} "
                f"KV={c['num_key_value_heads']} I={c['intermediate_size']} r={c['adapter_rank']}"
                f"{' qkvadapt' if c['use_shared_attention_adapter'] else ''}"
                f"{' rope=%g' % c['rope_theta'] if c['use_mem_rope'] else ''} mH={c['n_mamba_heads']} "
                f"G={c['mamba_ngroups']} N={c['mamba_d_state']} K={c['mamba_d_conv']} x{c['mamba_expand']} "
                f"cs={c['chunk_size']} dtmin={c['time_step_min']:g}{' bias' if c['add_bias_linear'] else ''}"
                f"{' tied' if c['tie_word_embeddings'] else ''}")
    return (f"d={c['hidden_size']} L={c['num_hidden_layers']} attn={c['attn_layer_offset']}/{c['attn_layer_period']} "
            f"moe={c['expert_layer_offset']}/{c['expert_layer_period']} E={c['num_experts']}k{c['num_experts_per_tok']} "
            f"H={c['num_attention_heads']} KV={c['num_key_value_heads']} N={c['mamba_d_state']} "
            f"K={c['mamba_d_conv']} x{c['mamba_expand']} R={c['mamba_dt_rank']}"
            f"{' tied' if c['tie_word_embeddings'] else ''}{' projb' if c['mamba_proj_bias'] else ''}")


def run_cli(cli, model_dir, input_path, out_path, timeout, device=""):
    cmd = [cli, "logits", "--model", model_dir, "--input", input_path, "--out", out_path]
    if device:
        cmd += ["--device", device]
    t0 = time.time()
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    return p.returncode, (p.stdout + p.stderr)[-2000:], time.time() - t0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cli", help="path to statescope-cli")
    ap.add_argument("--n", type=int, default=8, help="random models per family (default 8)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--families", default=",".join(hf.FAMILIES))
    ap.add_argument("--devices", default="", help="comma-separated --device values for the CLI, each compared with the "
                    "same reference (e.g. cpu,cuda); default: the CLI's own (auto)")
    ap.add_argument("--tol", type=float, default=1e-4, help="max relative L2 error of the logits")
    ap.add_argument("--min-len", type=int, default=200)
    ap.add_argument("--max-len", type=int, default=500)
    ap.add_argument("--keep", default="", help="keep the generated models/inputs/outputs in this folder")
    ap.add_argument("--timeout", type=int, default=600, help="seconds per CLI run")
    ap.add_argument("--self-test", action="store_true",
                    help="no CLI: compare transformers' own float32 forward with the float64 reference")
    args = ap.parse_args()
    if not args.cli and not args.self_test:
        ap.error("--cli PATH is required (or --self-test)")
    if args.cli and not os.path.exists(args.cli):
        ap.error(f"CLI not found: {args.cli}")

    import numpy as np
    import torch
    import transformers

    torch.set_num_threads(max(1, min(8, os.cpu_count() or 1)))
    print(f"# transformers {transformers.__version__}, torch {torch.__version__}; seed {args.seed}; "
          f"n {args.n} per family; tol {args.tol:g}; {'self-test (transformers f32)' if args.self_test else args.cli}")
    work = args.keep or tempfile.mkdtemp(prefix="ss_check_")
    os.makedirs(work, exist_ok=True)
    hdr = f"{'model':<22} {'dtype':<8} {'T':>4} {'rel_l2':>10} {'argmax':>8} {'ties':>4} {'secs':>6}  status  config"
    print(hdr)
    print("-" * len(hdr))
    failures = 0
    rows = 0
    for family in [f for f in args.families.split(",") if f]:
        if family not in hf.FAMILIES:
            print(f"unknown family {family}")
            return 2
        for i in range(args.n):
            rng = random.Random(f"statescope-check:{args.seed}:{family}:{i}")
            spec = hf.random_spec(family, rng)
            if rng.random() < 0.2:
                data = hf.random_input(rng, 30, 120)
            else:
                data = hf.random_input(rng, args.min_len, args.max_len)
            tag = f"{family}-{i}"
            d = os.path.join(work, tag)
            shutil.rmtree(d, ignore_errors=True)
            os.makedirs(d)
            devices = [x for x in args.devices.split(",") if x] or [""]
            results = {dev: ["FAIL", float("nan"), -1, 0, 0.0, ""] for dev in devices}  # status rel mism ties secs msg
            try:
                cfg, _ = hf.build_config(family, spec["config"])
                model = hf.build_model(family, cfg, seed=rng.randrange(2**31))
                hf.perturb_weights(model, family, cfg, seed=rng.randrange(2**31))
                mdir = os.path.join(d, "model")
                hf.save_model(model, mdir, spec["dtype"])
                inp = os.path.join(d, "input.bin")
                with open(inp, "wb") as f:
                    f.write(data)
                arrays, info, _ = hf.compute_reference(family, mdir, data, extras=False, probes=False, purify=True)
                ref = arrays["logits"]
                for dev in devices:
                    r = results[dev]
                    outp = os.path.join(d, f"logits{dev}.npy")
                    try:
                        if args.self_test:
                            t0 = time.time()
                            m32 = hf.load_model(family, mdir, "float32")
                            ours = hf.logits_only(m32, family, torch.tensor([list(data)])).float().numpy()
                            r[4] = time.time() - t0
                            rc, out = 0, ""
                        else:
                            rc, out, r[4] = run_cli(args.cli, mdir, inp, outp, args.timeout, dev)
                            ours = np.load(outp) if rc == 0 and os.path.exists(outp) else None
                    except subprocess.TimeoutExpired:
                        r[5] = "cli timeout"
                        continue
                    if rc != 0 or ours is None:
                        r[5] = f"cli rc={rc}: {out.strip()[-300:]}"
                    elif ours.shape != ref.shape:
                        r[5] = f"shape {ours.shape} != {ref.shape}"
                    else:
                        ours64 = ours.astype(np.float64)
                        r[1] = hf.rel_l2(ours64, ref)
                        a_ref, a_ours = ref.argmax(-1), ours64.argmax(-1)
                        top2 = -np.sort(-ref, axis=-1)[:, :2]
                        tie = (top2[:, 0] - top2[:, 1]) < 1e-6 * np.abs(ref).max(-1)
                        diff = a_ref != a_ours
                        r[3] = int((diff & tie).sum())
                        r[2] = int((diff & ~tie).sum())
                        ok = np.isfinite(r[1]) and r[1] < args.tol and r[2] == 0
                        r[0] = "ok" if ok else "FAIL"
                        if not ok and r[2]:
                            r[5] = f"argmax differs at {np.nonzero(diff & ~tie)[0][:5].tolist()}"
                    if not info.get("pure_float64", False):
                        r[5] += f" [ref not pure f64: {info.get('purify_error', '')[:120] or info.get('non_float64_ops_during_forward')}]"
            except Exception as e:
                import traceback

                for r in results.values():
                    r[5] = f"{type(e).__name__}: {e}"
                traceback.print_exc()
            for dev in devices:
                status, rel, mism, ties, secs, msg = results[dev]
                rows += 1
                failures += status != "ok"
                name = tag + (f"@{dev}" if dev else "")
                print(f"{name:<22} {spec['dtype']:<8} {len(data):>4} {rel:>10.3e} {mism:>8} {ties:>4} {secs:>6.2f}  "
                      f"{status:<6}  {describe(family, spec['config'])}{('  ' + msg) if msg else ''}", flush=True)
            if not args.keep:
                shutil.rmtree(d, ignore_errors=True)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    print(f"# {rows - failures}/{rows} passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
