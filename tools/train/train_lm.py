#!/usr/bin/env python3
"""Train StateScope's four byte-level language models on the Debian corpus, with transformers' classes.

    tools/corpus/build_corpus.sh                                   # .corpus/ (train.txt, heldout_{en,zh}.txt)
    python3 tools/train/train_lm.py --family mamba1 --train-seconds 330     # one process per family
    python3 tools/train/train_lm.py --merge                        # results/lm_results.json + plots
    (tools/train/device_lm.sh runs the four families in parallel on one GPU and merges.)

Every family sees the same seeded sequence of random 2048-byte windows of train.txt and trains for the
same wall-clock budget (--train-seconds) on the same GPU at the same time, so "same budget" means the
same GPU time share; the bytes each one saw are reported. Learning rate: linear warm-up over --warmup
steps, then cosine decay to 10% over the time budget. Mamba-1, Jamba and Mamba-2 train through the exact
fast paths of fastpaths.py. Before training, each process runs its whole evaluation pipeline on the
untrained model (a smoke test, so a bug costs seconds, not the run).

After training the model is saved (bfloat16, save_pretrained) and evaluated from the saved weights
upcast to float32, TF32 off:
  * held-out bits per byte per language: every non-overlapping 2048-byte window of heldout_en.txt and
    heldout_zh.txt (the first byte of each window is not scored);
  * bits per byte by position: windows of 32768 bytes of each language's held-out text read in one pass
    from an empty state; mean loss over positions 1-511, 512-2047, 2048-8191, 8192-32767 and a curve;
  * these two use the fast paths (Llama and Jamba attention: SDPA); the largest logit difference between
    the fast path and transformers' own unpatched code (eager attention) is measured on held-out windows
    and stored beside the numbers;
  * assets/models/<name>/reference_heldout.json: transformers' own unpatched forward on three held-out
    slices stored beside it (en 512 bytes, zh 512 bytes, en 4096 bytes), every per-byte loss and the
    logits at the first and last position, for tests/tst_shipped_models.cpp;
  * assets/models/<name>/model.json: what the model expects, how it was trained, what it measured.
"""
import argparse
import glob
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

LANGS = ("en", "zh")
POSITION_BUCKETS = [(1, 512), (512, 2048), (2048, 8192), (8192, 32768)]


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--family", choices=models.FAMILIES)
    ap.add_argument("--merge", action="store_true", help="combine results/lm_*.json, write plots and tables")
    ap.add_argument("--corpus", default=".corpus")
    ap.add_argument("--train-seconds", type=float, default=330.0)
    ap.add_argument("--max-steps", type=int, default=100000)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--seq", type=int, default=2048)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--weight-decay", type=float, default=0.1)
    ap.add_argument("--warmup", type=int, default=150)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--log-every", type=int, default=50)
    ap.add_argument("--eval-every-seconds", type=float, default=45.0)
    ap.add_argument("--long-window", type=int, default=32768)
    ap.add_argument("--long-windows", type=int, default=8, help="32K windows per language for the position table")
    ap.add_argument("--out-models", default="assets/models")
    ap.add_argument("--out-img", default="docs/img")
    ap.add_argument("--results-dir", default="tools/train/results")
    ap.add_argument("--no-smoke", action="store_true")
    ap.add_argument("--eval-only", action="store_true",
                    help="re-evaluate the saved assets/models/<name> (training record kept from results/lm_results.json)")
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


def lr_at_time(step, frac, peak, warmup):
    """Linear warm-up over `warmup` steps, then cosine decay to 10% of the peak over the time budget."""
    if step < warmup:
        return peak * (step + 1) / warmup
    return peak * (0.1 + 0.9 * 0.5 * (1.0 + np.cos(np.pi * min(1.0, frac))))


def windows_of(data, length, limit=None):
    n = len(data) // length
    if limit is not None:
        n = min(n, limit)
    return torch.from_numpy(data[:n * length].astype(np.int64).reshape(n, length))


def document_windows(held, index, lang, length, count):
    """Windows of `length` bytes that start where a held-out document starts: the longest documents first,
    skipping a document that starts inside a window already taken; a window runs on into the documents
    that follow when its own document is shorter. Returns (count, length) int64."""
    docs = sorted((e for e in index if e["language"] == lang), key=lambda e: (-e["length"], e["offset"]))
    taken = []
    for e in docs:
        if len(taken) == count:
            break
        if e["offset"] + length > len(held) or any(a <= e["offset"] < a + length for a in taken):
            continue
        taken.append(e["offset"])
    return torch.from_numpy(np.stack([held[a:a + length] for a in sorted(taken)]).astype(np.int64))


@torch.no_grad()
def nll_positions(model, windows, device, batch, autocast=False):
    """Per-position loss in bits, summed over windows: (sum (L-1,), count). Position i predicts byte i+1."""
    model.eval()
    total = torch.zeros(windows.shape[1] - 1, dtype=torch.float64, device=device)
    for i in range(0, len(windows), batch):
        x = windows[i:i + batch].to(device)
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=autocast):
            logits = model(input_ids=x, use_cache=False).logits
        nll = F.cross_entropy(logits[:, :-1].float().transpose(1, 2), x[:, 1:], reduction="none")  # (b, L-1)
        total += nll.double().sum(0)
    return (total / common.LN2).cpu().numpy(), len(windows)


def bpb(model, windows, device, batch, autocast=False):
    s, n = nll_positions(model, windows, device, batch, autocast)
    return float(s.sum() / (n * len(s))) if n else float("nan")


def position_table(sums, n):
    """Mean bits per byte in POSITION_BUCKETS (position p = predicting byte p from bytes 0..p-1)."""
    per_pos = sums / n                                      # index i predicts byte i+1: position i+1
    out = {}
    for lo, hi in POSITION_BUCKETS:
        seg = per_pos[lo - 1:hi - 1]
        if len(seg):
            out[f"{lo}-{hi - 1}"] = float(seg.mean())
    edges = [1] + [2 ** k for k in range(4, 16) if 2 ** k < len(per_pos) + 1] + [len(per_pos) + 1]
    curve = [{"from": a, "to": b - 1, "bpb": float(per_pos[a - 1:b - 1].mean())} for a, b in zip(edges, edges[1:])]
    return out, curve


def set_attention(model, impl):
    """Switch transformers' attention implementation; returns the one in effect afterwards."""
    try:
        model.set_attn_implementation(impl)
    except Exception as exc:
        print(f"[attention] set_attn_implementation({impl}) failed ({type(exc).__name__}: {exc}); "
              "setting config._attn_implementation", flush=True)
        try:
            model.config._attn_implementation = impl
        except Exception:
            pass
    return getattr(model.config, "_attn_implementation", None)


@torch.no_grad()
def patch_check(model, family, x, device):
    """Largest |logit| difference: transformers' own forward (eager) vs the fast path (float32)."""
    x = x.to(device)
    ref = model(input_ids=x, use_cache=False).logits.float()
    classes = fastpaths.mixer_classes_for(family)
    fast_attn = set_attention(model, "sdpa") if family in ("llama", "jamba") else None
    try:
        with fastpaths.patched(classes):
            fast = model(input_ids=x, use_cache=False).logits.float()
    finally:
        if family in ("llama", "jamba"):
            set_attention(model, "eager")
    return {"max_abs_diff": (fast - ref).abs().max().item(), "max_abs_logit": ref.abs().max().item(),
            "windows": int(x.shape[0]), "window_bytes": int(x.shape[1]), "scan": fastpaths.SCAN_IMPL["name"],
            "fast_attention": fast_attn}


@torch.no_grad()
def reference_slice(model, data, device):
    x = torch.tensor(list(data), dtype=torch.long, device=device)[None]
    logits = model(input_ids=x, use_cache=False).logits[0].float()
    logp = torch.log_softmax(logits[:-1], dim=-1)
    nll_bits = (-logp.gather(1, x[0, 1:, None])[:, 0] / common.LN2).cpu()
    return {"bits_per_byte": nll_bits.mean().item(), "nll_bits": [round(v, 6) for v in nll_bits.tolist()],
            "logits_first": logits[0].cpu().tolist(), "logits_last": logits[-1].cpu().tolist()}


PERMISSIVE = {"python3.11-doc": "PSF-2.0", "fortunes": "BSD", "libreoffice-help-en-us": "MPL-2.0",
              "manpages-zh": "GFDL-1.2+", "fortunes-zh": "GPL-3.0+", "libreoffice-help-zh-cn": "MPL-2.0",
              "debian-handbook": "GPL-2+ or CC-BY-SA-3.0"}


def pick_slices(held, index):
    """Three held-out slices for the C++ reference test, from the start of a held-out document."""
    def doc(lang, min_len, prefer):
        cands = [e for e in index if e["language"] == lang and e["length"] >= min_len]
        for pkg in prefer:
            for e in cands:
                if e["package"] == pkg:
                    return e
        return cands[0]
    out = []
    for name, lang, n, prefer in (("en", "en", 512, ("libreoffice-help-en-us", "python3.11-doc")),
                                  ("zh", "zh", 512, ("manpages-zh", "libreoffice-help-zh-cn", "fortunes-zh")),
                                  ("en4k", "en", 4096, ("python3.11-doc", "libreoffice-help-en-us"))):
        e = doc(lang, n, prefer)
        data = bytes(held[lang][e["offset"]:e["offset"] + n])
        out.append({"name": name, "data": data,
                    "source": f"heldout_{lang}.txt offset {e['offset']}: {e['file']} of package {e['package']} "
                              f"({PERMISSIVE.get(e['package'], 'see tools/corpus/SOURCES.md')})"})
    return out


def describe(model):
    kinds = {}
    for _, m in model.named_modules():
        kinds[type(m).__name__] = kinds.get(type(m).__name__, 0) + 1
    return {k: v for k, v in kinds.items() if k.endswith(("Mixer", "Attention", "Block", "Layer", "MLP", "MoeBlock", "Experts"))}


def evaluate(family, out_dir, data, device, args, info, small=False):
    """Everything reported, from the saved bfloat16 weights upcast to float32. small: the smoke test."""
    name = models.LM_NAMES[family]
    ref = models.load_pretrained(family, out_dir, device)          # eager attention, float32, eval
    res = {"class": type(ref).__name__, "config": json.load(open(os.path.join(out_dir, "config.json"))),
           "memory": models.memory_bytes(family, ref.config)}
    t0 = time.time()
    check_windows = data["win"]["en"][:2, :512 if small else 2048]
    res["patch_check"] = patch_check(ref, family, check_windows, device)
    print(f"[{name}] patch check {res['patch_check']}", flush=True)
    # fast path for the bulk numbers
    long_windows = {lang: data["long"][lang] for lang in LANGS}
    if family in ("llama", "jamba") and set_attention(ref, "sdpa") != "sdpa":
        long_windows = {lang: w.reshape(-1, 8192)[:8] for lang, w in long_windows.items()}  # eager: 8K at most
        print(f"[{name}] no SDPA: position table only up to 8K", flush=True)
    heldout, positions, curves = {}, {}, {}
    with fastpaths.patched(fastpaths.mixer_classes_for(family)):
        for lang in LANGS:
            w = data["win"][lang][:4] if small else data["win"][lang]
            heldout[lang] = bpb(ref, w, device, batch=16)
            lw = long_windows[lang][:1, :4096] if small else long_windows[lang]
            sums, n = nll_positions(ref, lw, device, batch=1)
            positions[lang], curves[lang] = position_table(sums, n)
            positions[lang]["windows"] = int(n)
            positions[lang]["window_bytes"] = int(lw.shape[1])
    res.update({"heldout_bpb": heldout, "heldout_windows": {k: int(len(v)) for k, v in data["win"].items()},
                "position_bpb": positions, "position_curve": curves, "eval_seconds_fast": time.time() - t0})
    print(f"[{name}] held-out {heldout} by position {positions}", flush=True)
    if family in ("llama", "jamba"):
        set_attention(ref, "eager")
    # transformers' own code on the reference slices
    usage, handles = {}, []
    if family == "jamba":
        k = ref.config.num_experts_per_tok

        def hook(key):
            def fn(module, inputs, output):
                logits = output[0] if isinstance(output, tuple) else output
                top = logits.float().topk(k, dim=-1).indices.reshape(-1)
                usage[key] = usage.get(key, 0) + torch.bincount(top, minlength=logits.shape[-1]).cpu()
            return fn
        for mod_name, mod in ref.named_modules():
            if mod_name.endswith("router"):
                handles.append(mod.register_forward_hook(hook(mod_name)))
    ref_json = {
        "format": "statescope-reference-heldout", "version": 1, "model": name,
        "regenerate": "bash tools/train/device_lm.sh (see docs/models.md)",
        "computed_with": {"transformers": info["transformers"], "torch": info["torch"],
                          "weights": "model.safetensors (bfloat16) upcast to float32", "compute_dtype": "float32",
                          "attn_implementation": "eager" if family in ("llama", "jamba") else None,
                          "tf32": False, "code": "transformers' own forward, not patched"},
        "definition": "one forward pass over the whole slice from an empty state/cache; "
                      "nll_bits[i] = -log2 softmax(logits[i])[byte[i+1]] for i = 0..n-2; "
                      "bits_per_byte = mean(nll_bits); logits_first/last = logits at positions 0 and n-1",
        "slices": [],
    }
    for s in data["slices"]:
        blob = s["data"][:256] if small else s["data"]
        fname = f"reference_heldout_{s['name']}.bin"
        with open(os.path.join(out_dir, fname), "wb") as f:
            f.write(blob)
        entry = {"name": s["name"], "file": fname, "n_bytes": len(blob),
                 "sha256": hashlib.sha256(blob).hexdigest(), "source": s["source"]}
        entry.update(reference_slice(ref, blob, device))
        ref_json["slices"].append(entry)
    for h in handles:
        h.remove()
    common.write_json(os.path.join(out_dir, "reference_heldout.json"), ref_json)
    res["slices_bpb"] = {e["name"]: e["bits_per_byte"] for e in ref_json["slices"]}
    if usage:
        res["expert_usage_slices_top_k"] = {key: v.tolist() for key, v in usage.items()}
    res["files"] = {n: os.path.getsize(os.path.join(out_dir, n)) for n in sorted(os.listdir(out_dir))}
    res["safetensors"] = common.safetensors_listing(os.path.join(out_dir, "model.safetensors"))
    res["eval_seconds"] = time.time() - t0
    print(f"[{name}] slices (transformers, unpatched) {res['slices_bpb']} eval {res['eval_seconds']:.0f}s", flush=True)
    del ref
    torch.cuda.empty_cache()
    return res


def write_model_json(out_dir, family, rec, args):
    desc = {
        "kind": "language-model", "family": family, "input": "raw UTF-8 bytes: one token per byte (vocabulary 256), "
        "no special tokens; English and Chinese prose, manuals and man pages",
        "training_context_bytes": rec.get("seq", args.seq),
        "trained_on": "tools/corpus/SOURCES.md (Debian 12 packages; English and Chinese)",
        "training": {k: rec[k] for k in ("steps", "tokens", "batch", "seq", "lr", "train_seconds") if k in rec},
        "params": rec.get("params"),
        "results": {"heldout_bits_per_byte": rec.get("heldout_bpb"),
                    "bits_per_byte_by_position": rec.get("position_bpb"),
                    "definition": "held-out documents (sha1 % 20 == 0), float32 from the shipped bfloat16 weights; "
                                  "by position: 32768-byte windows that start at the start of a held-out document "
                                  "(the longest ones; a window runs on into the next documents), read in one pass "
                                  "from an empty state"},
        "regenerate": "bash tools/train/device_lm.sh (docs/models.md)",
    }
    common.write_json(os.path.join(out_dir, "model.json"), desc)


def load_data(args):
    c = args.corpus
    train = np.fromfile(os.path.join(c, "train.txt"), dtype=np.uint8)
    held = {lang: np.fromfile(os.path.join(c, f"heldout_{lang}.txt"), dtype=np.uint8) for lang in LANGS}
    index = json.load(open(os.path.join(c, "heldout_index.json")))
    data = {"train": train, "held": held,
            "win": {lang: windows_of(held[lang], args.seq) for lang in LANGS},
            "long": {lang: document_windows(held[lang], index, lang, args.long_window, args.long_windows)
                     for lang in LANGS},
            "slices": pick_slices(held, index)}
    data["quick"] = torch.cat([data["win"][lang][::max(1, len(data["win"][lang]) // 16)][:16] for lang in LANGS])
    print(f"[data] train {len(train)} bytes; held-out " + ", ".join(f"{k} {len(v)} bytes" for k, v in held.items())
          + f"; {', '.join(f'{k}: {len(v)} x {args.long_window}' for k, v in data['long'].items())}", flush=True)
    return data


def run_family(args):
    family = args.family
    info = common.setup_environment(args.seed)
    print("[env]", json.dumps(info), flush=True)
    device = torch.device("cuda")
    torch.set_num_threads(2)
    print(f"[env] Mamba-1 training scan: {fastpaths.select_scan(device)}", flush=True)
    data = load_data(args)
    name = models.LM_NAMES[family]
    out_dir = os.path.join(args.out_models, name)
    if args.eval_only:
        rec = json.load(open(os.path.join(args.results_dir, "lm_results.json")))["models"][family]
        rec.pop("error", None)
        rec["eval_env"] = info
        rec.update(evaluate(family, out_dir, data, device, args, info))
        write_model_json(out_dir, family, rec, args)
        common.write_json(os.path.join(args.results_dir, f"lm_{family}.json"), rec)
        return
    config = models.make_config(family, **models.LM_SIZES[family], max_positions=args.seq)
    print(f"[config] {family}: {config.to_json_string(use_diff=True)}", flush=True)

    torch.manual_seed(args.seed)
    model = models.build(family, config).to(device)
    counts = models.param_counts(model, family, config)
    print(f"[{name}] params {counts} modules {describe(model)}", flush=True)
    opt = common.make_optimizer(model, args.lr, args.weight_decay)
    batches = Batches(data["train"], args.batch, args.seq, seed=args.seed)
    classes = fastpaths.mixer_classes_for(family)

    if not args.no_smoke:  # the whole pipeline on the untrained model, small
        t0 = time.time()
        smoke_dir = f"/tmp/statescope_smoke_{family}"
        with fastpaths.patched(classes):
            model.train()
            train_step(model, opt, Batches(data["train"], 2, 256, 0).next().to(device), 0.0)
        common.save_model(model, smoke_dir)
        del model, opt
        evaluate(family, smoke_dir, data, device, args, info, small=True)
        print(f"[{name}] smoke test passed in {time.time() - t0:.0f}s", flush=True)
        torch.manual_seed(args.seed)                                   # start again from the same init
        model = models.build(family, config).to(device)
        opt = common.make_optimizer(model, args.lr, args.weight_decay)

    tokens_per_step = args.batch * args.seq
    curve, acc, n_acc = [], torch.zeros((), device=device), 0
    t0 = time.time()
    next_eval = args.eval_every_seconds
    step = 0
    with fastpaths.patched(classes):
        while step < args.max_steps:
            elapsed = time.time() - t0
            if elapsed >= args.train_seconds:
                break
            model.train()
            acc += train_step(model, opt, batches.next().to(device, non_blocking=True),
                              lr_at_time(step, elapsed / args.train_seconds, args.lr, args.warmup))
            n_acc += 1
            step += 1
            if step % args.log_every == 0:
                point = {"step": step, "tokens": step * tokens_per_step, "train_bpb": acc.item() / n_acc / common.LN2,
                         "seconds": time.time() - t0}
                acc.zero_()
                n_acc = 0
                if point["seconds"] >= next_eval:
                    point["heldout_bpb"] = bpb(model, data["quick"], device, batch=16, autocast=True)
                    next_eval += args.eval_every_seconds
                curve.append(point)
                print(f"[{name}] step {step:5d} tok {point['tokens'] / 1e6:7.1f}M train {point['train_bpb']:.3f} bpb"
                      + (f" heldout(quick) {point['heldout_bpb']:.3f}" if "heldout_bpb" in point else "")
                      + f" {point['seconds']:.0f}s", flush=True)
        torch.cuda.synchronize()
    train_seconds = time.time() - t0
    del opt
    common.save_model(model, out_dir)
    del model
    torch.cuda.empty_cache()
    rec = {"name": name, "family": family, "params": counts, "steps": step, "tokens": step * tokens_per_step,
           "batch": args.batch, "seq": args.seq, "lr": args.lr, "warmup": args.warmup,
           "train_seconds_budget": args.train_seconds, "train_seconds": train_seconds,
           "ms_per_step": 1000 * train_seconds / max(1, step), "curve": curve, "env": info,
           "final_train_bpb": curve[-1]["train_bpb"] if curve else None}
    print(f"[{name}] trained {step} steps, {rec['tokens'] / 1e6:.0f} M bytes in {train_seconds:.0f}s", flush=True)
    common.write_json(os.path.join(args.results_dir, f"lm_{family}.json"), rec)
    try:
        rec.update(evaluate(family, out_dir, data, device, args, info))
    except Exception as exc:
        traceback.print_exc()
        rec["error"] = f"evaluation: {type(exc).__name__}: {exc}"
    write_model_json(out_dir, family, rec, args)
    common.write_json(os.path.join(args.results_dir, f"lm_{family}.json"), rec)


def merge(args):
    old = os.path.join(args.results_dir, "lm_results.json")
    res = json.load(open(old)) if os.path.exists(old) else {"models": {}}
    for f in models.FAMILIES:
        p = os.path.join(args.results_dir, f"lm_{f}.json")
        if os.path.exists(p):
            res["models"][f] = json.load(open(p))
    common.write_json(os.path.join(args.results_dir, "lm_results.json"), res)
    for f in models.FAMILIES:
        p = os.path.join(args.results_dir, f"lm_{f}.json")
        if os.path.exists(p):
            os.remove(p)
    try:
        plot(res["models"], args.out_img)
    except Exception:
        traceback.print_exc()


def plot(recs, out_img):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    os.makedirs(out_img, exist_ok=True)
    fig, ax = plt.subplots(figsize=(8, 5))
    for i, (family, r) in enumerate(recs.items()):
        if "curve" not in r:
            continue
        tok = [p["tokens"] / 1e6 for p in r["curve"]]
        ax.plot(tok, [p["train_bpb"] for p in r["curve"]], color=f"C{i}", lw=1.2,
                label=f"{r['name']} ({r['params']['total'] / 1e6:.2f} M) train")
        held = [(p["tokens"] / 1e6, p["heldout_bpb"]) for p in r["curve"] if "heldout_bpb" in p]
        if held:
            ax.plot(*zip(*held), "o--", color=f"C{i}", ms=3, lw=0.8, label=f"{r['name']} held-out (quick)")
    ax.set_xlabel("bytes seen (millions)")
    ax.set_ylabel("bits per byte")
    ax.set_ylim(1.0, 4.0)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, ncol=2)
    ax.set_title("Byte-level LMs on the Debian corpus (2048-byte windows, same GPU time)")
    fig.tight_layout()
    fig.savefig(os.path.join(out_img, "lm_curves.png"), dpi=120)
    plt.close(fig)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
    for ax, lang in zip(axes, LANGS):
        for i, (family, r) in enumerate(recs.items()):
            c = r.get("position_curve", {}).get(lang)
            if not c:
                continue
            xs = [(p["from"] * p["to"]) ** 0.5 for p in c]
            ax.plot(xs, [p["bpb"] for p in c], "o-", color=f"C{i}", ms=3, label=r["name"])
        ax.axvline(2048, color="gray", ls=":", lw=1)
        ax.text(2100, 0.3, "training length", fontsize=8, color="gray")
        ax.set_xscale("log")
        ax.set_xlabel("position in the text (bytes, log scale)")
        ax.set_title({"en": "English", "zh": "Chinese"}[lang] + " held-out text")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    axes[0].set_ylabel("bits per byte")
    axes[0].set_ylim(0, 6)
    fig.tight_layout()
    fig.savefig(os.path.join(out_img, "lm_by_position.png"), dpi=120)
    plt.close(fig)


def main():
    args = parse_args()
    if args.merge:
        merge(args)
    elif args.family:
        run_family(args)
    else:
        sys.exit("give --family or --merge")


if __name__ == "__main__":
    main()
