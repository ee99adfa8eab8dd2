#!/usr/bin/env python3
"""Train StateScope's four byte-level language models on the Debian corpus, with transformers' classes.

    tools/corpus/build_corpus.sh                          # writes .corpus/ (train.txt, heldout.txt, ...)
    python3 tools/train/train_lm.py --steps N             # on a CUDA machine; see docs/models.md

Same data (the same seeded sequence of random 512-byte windows of train.txt), same number of steps and
tokens for every model. Mamba-1, Jamba and Mamba-2 train through the exact fast paths of
fastpaths.py; everything that is reported afterwards uses transformers' own, unpatched code on the
saved bfloat16 weights upcast to float32:
  * held-out bits per byte over every non-overlapping 512-byte window of heldout.txt;
  * the largest logit difference between the patched and the unpatched forward on held-out windows;
  * assets/models/<name>/reference_heldout.json: bits per byte and logits on two 512-byte held-out
    slices stored beside it (reference_heldout_en.bin, reference_heldout_zh.bin), for the C++ tests.
`--steps auto` times a few steps of every model first and picks the step count that lets the slowest
one train for about --time-budget seconds; the chosen number is printed and stored in the results.
"""
import argparse
import hashlib
import json
import os
import sys
import time
import traceback

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
import fastpaths  # noqa: E402
import models  # noqa: E402


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default=".corpus")
    ap.add_argument("--models", default="mamba1,mamba2,llama,jamba")
    ap.add_argument("--steps", default="auto", help="'auto' or a number of optimizer steps")
    ap.add_argument("--time-budget", type=float, default=70.0, help="seconds of training per model for --steps auto")
    ap.add_argument("--max-steps", type=int, default=4000)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--seq", type=int, default=512)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--weight-decay", type=float, default=0.1)
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--log-every", type=int, default=50)
    ap.add_argument("--eval-every", type=int, default=250)
    ap.add_argument("--eval-batch", type=int, default=32)
    ap.add_argument("--out-models", default="assets/models")
    ap.add_argument("--out-img", default="docs/img")
    ap.add_argument("--out-results", default="tools/train/results/lm_results.json")
    ap.add_argument("--dump-src", default=None, help="copy transformers' model sources here")
    ap.add_argument("--eval-only", action="store_true", help="re-evaluate the saved models, keep the curves")
    return ap.parse_args()


class Batches:
    """Seeded random windows of seq+1 bytes from a uint8 array."""

    def __init__(self, data, batch, seq, seed):
        self.data, self.batch, self.seq = data, batch, seq
        self.rng = np.random.Generator(np.random.PCG64(seed))
        self.offsets = np.arange(seq + 1)

    def next(self):
        starts = self.rng.integers(0, len(self.data) - self.seq - 1, size=self.batch)
        return torch.from_numpy(self.data[starts[:, None] + self.offsets].astype(np.int64))


def train_step(model, opt, xy, lr):
    for group in opt.param_groups:
        group["lr"] = lr
    x, y = xy[:, :-1], xy[:, 1:]
    with torch.autocast("cuda", dtype=torch.bfloat16):
        logits = model(input_ids=x, use_cache=False).logits
    loss = F.cross_entropy(logits.float().reshape(-1, logits.size(-1)), y.reshape(-1))
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    return loss.detach()


@torch.no_grad()
def eval_bpb(model, windows, device, batch=32, autocast=False):
    """Mean bits per byte over windows (n, L): every byte but the first of each window is predicted."""
    model.eval()
    nll, count = 0.0, 0
    for i in range(0, len(windows), batch):
        x = windows[i:i + batch].to(device)
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=autocast):
            logits = model(input_ids=x, use_cache=False).logits
        nll += F.cross_entropy(logits[:, :-1].float().reshape(-1, logits.size(-1)), x[:, 1:].reshape(-1),
                               reduction="sum").item()
        count += x[:, 1:].numel()
    return nll / count / common.LN2


@torch.no_grad()
def patch_check(model, family, x, device):
    """Largest |logit| difference between transformers' forward and the training fast path (float32)."""
    classes = fastpaths.mixer_classes_for(family)
    if not classes:
        return None
    x = x.to(device)
    ref = model(input_ids=x, use_cache=False).logits.float()
    with fastpaths.patched(classes):
        fast = model(input_ids=x, use_cache=False).logits.float()
    return {"max_abs_diff": (fast - ref).abs().max().item(), "max_abs_logit": ref.abs().max().item(),
            "windows": int(x.shape[0]), "window_bytes": int(x.shape[1]), "scan": fastpaths.SCAN_IMPL["name"]}


@torch.no_grad()
def reference_slice(model, data, device):
    x = torch.tensor(list(data), dtype=torch.long, device=device)[None]
    logits = model(input_ids=x, use_cache=False).logits[0].float()
    logp = torch.log_softmax(logits[:-1], dim=-1)
    nll_bits = (-logp.gather(1, x[0, 1:, None])[:, 0] / common.LN2).cpu()
    return {"bits_per_byte": nll_bits.mean().item(), "nll_bits": nll_bits.tolist(),
            "logits_first": logits[0].cpu().tolist(), "logits_last": logits[-1].cpu().tolist()}


def pick_slices(held, index, n=512):
    zh = next(e for e in index if e["file"].endswith("/tang300"))
    return [
        {"name": "en", "data": bytes(held[:n]), "source": "heldout.txt offset 0 (package fortunes, BSD)"},
        {"name": "zh", "data": bytes(held[zh["offset"]:zh["offset"] + n]),
         "source": f"heldout.txt offset {zh['offset']} (package fortunes-zh, file tang300: Tang poems; GPL-3.0+ packaging)"},
    ]


def calibrate(family, config, train, args, device, n_warm=3, n_time=8):
    torch.manual_seed(args.seed)
    model = models.build(family, config).to(device)
    opt = common.make_optimizer(model, args.lr, args.weight_decay)
    batches = Batches(train, args.batch, args.seq, seed=args.seed + 1)
    torch.cuda.reset_peak_memory_stats()
    with fastpaths.patched(fastpaths.mixer_classes_for(family)):
        model.train()
        for i in range(n_warm + n_time):
            if i == n_warm:
                torch.cuda.synchronize()
                t0 = time.time()
            loss = train_step(model, opt, batches.next().to(device), args.lr * 0.1)
        torch.cuda.synchronize()
    step_s = (time.time() - t0) / n_time
    peak = torch.cuda.max_memory_allocated() / 2**30
    print(f"[calibrate] {family}: {step_s * 1000:.1f} ms/step, peak {peak:.1f} GiB, loss {loss.item():.3f}", flush=True)
    del opt
    try:  # smoke test of save -> load -> unpatched eval, on the untrained model
        tmp = os.path.join("/tmp", f"statescope_smoke_{family}")
        common.save_model(model, tmp)
        ref = models.load_pretrained(family, tmp, device)
        x = torch.from_numpy(train[:2 * 64].astype(np.int64).reshape(2, 64))
        print(f"[smoke] {family}: unpatched bpb {eval_bpb(ref, x, device):.3f}, patch check {patch_check(ref, family, x, device)}",
              flush=True)
        del ref
    except Exception:
        traceback.print_exc()
        print(f"[smoke] {family}: save/load/eval FAILED (training goes on)", flush=True)
    del model
    torch.cuda.empty_cache()
    return step_s


def describe(model):
    kinds = {}
    for _, m in model.named_modules():
        kinds[type(m).__name__] = kinds.get(type(m).__name__, 0) + 1
    return {k: v for k, v in kinds.items() if k.endswith(("Mixer", "Attention", "Block", "Layer", "MLP", "MoeBlock", "Experts"))}


def train_family(family, config, steps, train, quick, args, device):
    """Train one model through the fast paths and save it; returns the training record."""
    name = models.LM_NAMES[family]
    out_dir = os.path.join(args.out_models, name)
    torch.manual_seed(args.seed)
    model = models.build(family, config).to(device)
    counts = models.param_counts(model, family, config)
    print(f"[{name}] params {counts}  modules {describe(model)}", flush=True)
    opt = common.make_optimizer(model, args.lr, args.weight_decay)
    batches = Batches(train, args.batch, args.seq, seed=args.seed)
    tokens_per_step = args.batch * args.seq
    curve, acc, n_acc = [], torch.zeros((), device=device), 0
    t0 = time.time()
    with fastpaths.patched(fastpaths.mixer_classes_for(family)):
        for step in range(steps):
            model.train()
            acc += train_step(model, opt, batches.next().to(device, non_blocking=True),
                              common.lr_at(step, steps, args.lr, args.warmup))
            n_acc += 1
            if (step + 1) % args.log_every == 0 or step + 1 == steps:
                point = {"step": step + 1, "tokens": (step + 1) * tokens_per_step,
                         "train_bpb": acc.item() / n_acc / common.LN2, "seconds": time.time() - t0}
                acc.zero_()
                n_acc = 0
                if (step + 1) % args.eval_every == 0 or step + 1 == steps:
                    point["heldout_bpb"] = eval_bpb(model, quick, device, autocast=True)
                curve.append(point)
                print(f"[{name}] step {point['step']:5d} tok {point['tokens'] / 1e6:7.1f}M "
                      f"train {point['train_bpb']:.3f} bpb"
                      + (f" heldout(quick) {point['heldout_bpb']:.3f}" if "heldout_bpb" in point else "")
                      + f" {point['seconds']:.0f}s", flush=True)
        torch.cuda.synchronize()
        train_seconds = time.time() - t0
    del opt
    common.save_model(model, out_dir)
    del model
    torch.cuda.empty_cache()
    return {"name": name, "family": family, "params": counts, "steps": steps, "tokens": steps * tokens_per_step,
            "batch": args.batch, "seq": args.seq, "lr": args.lr, "train_seconds": train_seconds,
            "ms_per_step": 1000 * train_seconds / steps, "final_train_bpb": curve[-1]["train_bpb"], "curve": curve}


def evaluate_saved(family, out_dir, windows, slices, device, info, eval_batch):
    """Everything reported: transformers' unpatched code, bf16-stored weights upcast to float32."""
    name = models.LM_NAMES.get(family, os.path.basename(out_dir))
    ref = models.load_pretrained(family, out_dir, device)
    usage, handles = {}, []
    if family == "jamba":
        k = ref.config.num_experts_per_tok

        def hook(key):
            def fn(module, inputs, output):
                top = output.float().topk(k, dim=-1).indices.reshape(-1)
                usage[key] = usage.get(key, 0) + torch.bincount(top, minlength=output.shape[-1]).cpu()
            return fn
        for mod_name, mod in ref.named_modules():
            if mod_name.endswith("router"):
                handles.append(mod.register_forward_hook(hook(mod_name)))
    t1 = time.time()
    heldout = eval_bpb(ref, windows, device, batch=eval_batch)
    eval_seconds = time.time() - t1
    for h in handles:
        h.remove()
    check = patch_check(ref, family, windows[:4], device)
    ref_json = {
        "format": "statescope-reference-heldout", "version": 1, "model": name,
        "regenerate": "python3 tools/train/train_lm.py (see docs/models.md)",
        "computed_with": {"transformers": info["transformers"], "torch": info["torch"],
                          "weights": "model.safetensors (bfloat16) upcast to float32", "compute_dtype": "float32",
                          "attn_implementation": "eager" if family in ("llama", "jamba") else None,
                          "tf32": False, "code": "transformers' own forward, not patched"},
        "definition": "one forward pass over the whole slice from an empty state/cache; "
                      "nll_bits[i] = -log2 softmax(logits[i])[byte[i+1]] for i = 0..n-2; "
                      "bits_per_byte = mean(nll_bits); logits_first/last = logits at positions 0 and n-1",
        "slices": [],
    }
    for s in slices:
        fname = f"reference_heldout_{s['name']}.bin"
        with open(os.path.join(out_dir, fname), "wb") as f:
            f.write(s["data"])
        entry = {"name": s["name"], "file": fname, "n_bytes": len(s["data"]),
                 "sha256": hashlib.sha256(s["data"]).hexdigest(), "source": s["source"]}
        entry.update(reference_slice(ref, s["data"], device))
        ref_json["slices"].append(entry)
    common.write_json(os.path.join(out_dir, "reference_heldout.json"), ref_json)
    result = {
        "class": type(ref).__name__,
        "config": json.load(open(os.path.join(out_dir, "config.json"))),
        "memory": models.memory_bytes(family, ref.config),
        "heldout_bpb": heldout, "heldout_windows": int(len(windows)), "eval_seconds_unpatched": eval_seconds,
        "patch_check": check, "slices_bpb": {e["name"]: e["bits_per_byte"] for e in ref_json["slices"]},
        "files": {n: os.path.getsize(os.path.join(out_dir, n)) for n in sorted(os.listdir(out_dir))},
        "safetensors": common.safetensors_listing(os.path.join(out_dir, "model.safetensors")),
    }
    if usage:
        result["expert_usage_heldout_top_k"] = {key: v.tolist() for key, v in usage.items()}
    print(f"[{name}] held-out {heldout:.4f} bpb (unpatched fp32 from bf16); slices {result['slices_bpb']}; "
          f"patch check {check}; unpatched eval {eval_seconds:.0f}s", flush=True)
    del ref
    torch.cuda.empty_cache()
    return result


def plot_curves(results, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(8, 5))
    for i, (family, r) in enumerate(results.items()):
        if "curve" not in r:
            continue
        color = f"C{i}"
        tok = [p["tokens"] / 1e6 for p in r["curve"]]
        ax.plot(tok, [p["train_bpb"] for p in r["curve"]], color=color, lw=1.2,
                label=f"{r['name']} ({r['params']['total'] / 1e6:.2f} M) train")
        held = [(p["tokens"] / 1e6, p["heldout_bpb"]) for p in r["curve"] if "heldout_bpb" in p]
        if held:
            ax.plot(*zip(*held), "o--", color=color, ms=3, lw=0.8, label=f"{r['name']} held-out")
    ax.set_xlabel("bytes seen (millions)")
    ax.set_ylabel("bits per byte")
    ax.set_ylim(1.0, 4.0)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, ncol=2)
    ax.set_title("Byte-level LMs on the Debian corpus (same data, same steps)")
    fig.tight_layout()
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main():
    args = parse_args()
    info = common.setup_environment(args.seed)
    print("[env]", json.dumps(info), flush=True)
    device = torch.device("cuda")
    if args.dump_src:
        common.dump_transformers_sources(args.dump_src)
    scan = fastpaths.select_scan(device)
    print(f"[env] Mamba-1 training scan: {scan}", flush=True)

    train = np.fromfile(os.path.join(args.corpus, "train.txt"), dtype=np.uint8)
    held = np.fromfile(os.path.join(args.corpus, "heldout.txt"), dtype=np.uint8)
    index = json.load(open(os.path.join(args.corpus, "heldout_index.json")))
    n_win = len(held) // args.seq
    windows = torch.from_numpy(held[:n_win * args.seq].astype(np.int64).reshape(n_win, args.seq))
    quick = windows[::max(1, n_win // 64)][:64]
    slices = pick_slices(held, index)
    print(f"[data] train {len(train)} bytes, held-out {len(held)} bytes ({n_win} windows of {args.seq})", flush=True)

    families = args.models.split(",")
    configs = {}
    for f in families:
        configs[f] = models.make_config(f, **models.LM_SIZES[f])
        print(f"[config] {f}: {configs[f].to_json_string(use_diff=True)}", flush=True)

    step_times, failed = {}, {}
    for f in families if not args.eval_only else []:
        try:
            step_times[f] = calibrate(f, configs[f], train, args, device)
        except Exception as exc:
            traceback.print_exc()
            failed[f] = f"calibration: {type(exc).__name__}: {exc}"
    if args.eval_only:
        steps = None
    elif args.steps == "auto":
        slowest = max(step_times.values())
        steps = max(100, min(args.max_steps, int(args.time_budget / slowest) // 50 * 50))
        print(f"[steps] auto: slowest {slowest * 1000:.1f} ms/step -> {steps} steps "
              f"({steps * args.batch * args.seq / 1e6:.1f} M bytes per model)", flush=True)
    else:
        steps = int(args.steps)

    results = {"env": info, "args": vars(args), "steps": steps, "scan": scan,
               "calibration_ms_per_step": {k: 1000 * v for k, v in step_times.items()}, "models": {}}
    if args.eval_only and os.path.exists(args.out_results):
        results = json.load(open(args.out_results))
        results["eval_env"] = info
    for f in families:
        if f in failed:
            results["models"][f] = {"name": models.LM_NAMES[f], "error": failed[f]}
            continue
        record = results["models"].get(f, {}) if args.eval_only else {}
        try:
            if not args.eval_only:
                record = train_family(f, configs[f], steps, train, quick, args, device)
            record.pop("error", None)
            record.update(evaluate_saved(f, os.path.join(args.out_models, models.LM_NAMES[f]), windows, slices,
                                         device, info, args.eval_batch))
        except Exception as exc:
            traceback.print_exc()
            record["error"] = f"{type(exc).__name__}: {exc}"
            record.setdefault("name", models.LM_NAMES[f])
        results["models"][f] = record
        common.write_json(args.out_results, results)
        plot_curves(results["models"], os.path.join(args.out_img, "lm_curves.png"))

    print("\n| model | params | steps | bytes seen | held-out bpb (bf16 weights, fp32, unpatched) | patch max abs diff |")
    for f, r in results["models"].items():
        if "error" in r:
            print(f"| {r['name']} | ERROR {r['error']} |")
            continue
        pc = r["patch_check"]["max_abs_diff"] if r.get("patch_check") else float("nan")
        print(f"| {r['name']} | {r['params']['total']} | {r['steps']} | {r['tokens']} | {r['heldout_bpb']:.4f} "
              f"| {pc:.2e} |")


if __name__ == "__main__":
    main()
