#!/usr/bin/env python3
"""Train and evaluate the teaching-task models: multi-query associative recall (MQAR, "phone book")
and noise padding. Task formats: tools/train/tasks.py (pure Python, the reference the app ports).

    python3 tools/train/train_tasks.py --task mqar  --only llama,mamba1-n16      # some configurations
    python3 tools/train/train_tasks.py --task noise                             # all of one task
    python3 tools/train/train_tasks.py --summarize          # tables + plots + task.json (no GPU needed)
    python3 tools/train/train_tasks.py --calibrate                              # ms per step, no training

Batches are drawn by numpy versions of the tasks.py generators (same format, checked against
tasks.mqar_check at start-up). Small models of each family (2 layers; d_model 128 for MQAR, 64 for
noise padding), all at the same steps, batch and learning rate within a task. Models listed in SHIP are saved to assets/models/<task>-<family>
(bfloat16) with a task.json describing the input format; their numbers are re-measured with
transformers' unpatched code from the saved weights.
"""
import argparse
import glob
import json
import os
import random
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
import tasks  # noqa: E402

TINY = dict(d_model=64, n_layer=2)
SMALL = dict(d_model=128, n_layer=2)
CONFIGS = {
    "mqar": {
        "llama": ("llama", dict(SMALL, n_head=4, d_ff=256)),
        "jamba": ("jamba", dict(SMALL, n_head=4, d_ff=256, d_state=16, attn_period=2, attn_offset=1, n_experts=1)),
        "mamba1-n4": ("mamba1", dict(SMALL, d_state=4)),
        "mamba1-n16": ("mamba1", dict(SMALL, d_state=16)),
        "mamba1-n64": ("mamba1", dict(SMALL, d_state=64)),
        "mamba2-n16": ("mamba2", dict(SMALL, d_state=16, head_dim=32, chunk_size=32)),
        "mamba2-n64": ("mamba2", dict(SMALL, d_state=64, head_dim=32, chunk_size=32)),
    },
    "noise": {
        "llama": ("llama", dict(TINY, n_head=2, d_ff=128)),
        "jamba": ("jamba", dict(TINY, n_head=2, d_ff=128, d_state=16, attn_period=2, attn_offset=1, n_experts=1)),
        "mamba1": ("mamba1", dict(TINY, d_state=16)),
        "mamba2": ("mamba2", dict(TINY, d_state=64, head_dim=32, chunk_size=32)),
    },
}
SHIP = {"mqar": {"llama": "mqar-llama", "jamba": "mqar-jamba", "mamba1-n16": "mqar-mamba1", "mamba2-n64": "mqar-mamba2"},
        "noise": {"llama": "noise-llama", "jamba": "noise-jamba", "mamba1": "noise-mamba1", "mamba2": "noise-mamba2"}}
MQAR_TRAIN_PAIRS = [2, 4, 8, 12, 16, 24, 32, 48]
MQAR_EVAL_PAIRS = [2, 4, 8, 16, 24, 32, 40, 48, 52]
NOISE_P, NOISE_MAX_RUN, NOISE_SEQ, NOISE_EVAL_CONTENT = 0.5, 4, 512, 200
KEYS = np.frombuffer(tasks.KEY_LETTERS.encode(), dtype=np.uint8)
JUNK = np.frombuffer(tasks.JUNK_BYTES, dtype=np.uint8)


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--task", choices=["mqar", "noise"])
    ap.add_argument("--only", default=None, help="comma-separated configuration names")
    ap.add_argument("--summarize", action="store_true")
    ap.add_argument("--calibrate", action="store_true")
    ap.add_argument("--corpus", default=".corpus")
    ap.add_argument("--steps", type=int, default=None, help="default: 6000 (mqar), 2500 (noise)")
    ap.add_argument("--train-deadline", type=float, default=None,
                    help="seconds after start after which training stops early (recorded in the results)")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--weight-decay", type=float, default=0.1)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--seed", type=int, default=4321)
    ap.add_argument("--results-dir", default="tools/train/results")
    ap.add_argument("--out-models", default="assets/models")
    ap.add_argument("--out-img", default="docs/img")
    return ap.parse_args()


# ------------------------------------------------------------------------------------------ data
def mqar_batch(batch, n_pairs, rng):
    """(tokens (batch, 6n) int64, answer mask (batch, 6n) bool): the tasks.mqar_example format."""
    keys = np.argsort(rng.random((batch, len(KEYS))), axis=1)[:, :n_pairs]
    keys = KEYS[keys]                                                    # (b, n) distinct letters
    vals = (rng.integers(0, 10, (batch, n_pairs)) + ord("0")).astype(np.uint8)
    order = np.argsort(rng.random((batch, n_pairs)), axis=1)
    out = np.empty((batch, 6 * n_pairs), dtype=np.uint8)
    book = out[:, :3 * n_pairs].reshape(batch, n_pairs, 3)
    book[:, :, 0], book[:, :, 1], book[:, :, 2] = keys, vals, ord(" ")
    book[:, -1, 2] = ord("|")
    q = out[:, 3 * n_pairs:].reshape(batch, n_pairs, 3)
    q[:, :, 0] = np.take_along_axis(keys, order, 1)
    q[:, :, 1] = np.take_along_axis(vals, order, 1)
    q[:, :, 2] = ord(" ")
    q[:, -1, 2] = ord("\n")
    mask = np.zeros(out.shape, dtype=bool)
    mask[:, 3 * n_pairs + 1::3] = True
    return torch.from_numpy(out.astype(np.int64)), torch.from_numpy(mask)


def check_mqar_batch():
    rng = np.random.Generator(np.random.PCG64(0))
    for n in (1, 5, 52):
        x, m = mqar_batch(4, n, rng)
        for row, mrow in zip(x.tolist(), m.tolist()):
            ans = [i for i, v in enumerate(mrow) if v]
            assert tasks.mqar_check(bytes(row), ans), (n, bytes(row))


def pad_row(content, rng, p=NOISE_P, max_run=NOISE_MAX_RUN):
    """numpy version of tasks.pad_with_noise: (padded uint8 array, is_content bool array)."""
    runs = np.where(rng.random(len(content)) < p, rng.integers(1, max_run + 1, len(content)), 0)
    width = 1 + runs
    starts = np.cumsum(width) - width
    out = JUNK[rng.integers(0, len(JUNK), int(width.sum()))]
    is_content = np.zeros(len(out), dtype=bool)
    out[starts] = content
    is_content[starts] = True
    return out, is_content


def english_text(corpus):
    """English fortunes: the first packages of train.txt, and their held-out documents."""
    manifest = json.load(open(os.path.join(corpus, "manifest.json")))
    n = 0
    for pkg in ("fortunes", "fortunes-min", "fortunes-bofh-excuses"):
        n += manifest["packages"][pkg]["train_bytes"]
    train = np.fromfile(os.path.join(corpus, "train.txt"), dtype=np.uint8)[:n]
    held = np.fromfile(os.path.join(corpus, "heldout.txt"), dtype=np.uint8)
    index = json.load(open(os.path.join(corpus, "heldout_index.json")))
    parts = [held[e["offset"]:e["offset"] + e["length"]] for e in index if e["package"] in ("fortunes", "fortunes-min")]
    return train, np.concatenate(parts)


def noise_batch(src, batch, rng, seq=NOISE_SEQ):
    """Half the rows clean, half padded; (tokens, content-target mask) of shape (batch, seq)."""
    x = np.empty((batch, seq), dtype=np.uint8)
    m = np.empty((batch, seq), dtype=bool)
    for i in range(batch):
        start = rng.integers(0, len(src) - seq - 1)
        content = src[start:start + seq]
        if i % 2:
            content, is_content = pad_row(content, rng)
        else:
            is_content = np.ones(seq, dtype=bool)
        x[i], m[i] = content[:seq], is_content[:seq]
    m[:, 0] = False
    return torch.from_numpy(x.astype(np.int64)), torch.from_numpy(m)


def noise_eval_set(held, n=128, content_len=NOISE_EVAL_CONTENT, seed=99):
    """Pairs (clean, padded, is_content) of the same held-out content; padded cut to NOISE_SEQ bytes."""
    rng = np.random.Generator(np.random.PCG64(seed))
    out = []
    for _ in range(n):
        start = rng.integers(0, len(held) - content_len - 1)
        content = held[start:start + content_len]
        padded, is_content = pad_row(content, rng)
        padded, is_content = padded[:NOISE_SEQ], is_content[:NOISE_SEQ]
        out.append((content[:int(is_content.sum())], padded, is_content))
    return out


# ------------------------------------------------------------------------------------------ model
def masked_loss(model, x, mask):
    with torch.autocast("cuda", dtype=torch.bfloat16):
        logits = model(input_ids=x[:, :-1], use_cache=False).logits
    tgt = x[:, 1:]
    m = mask[:, 1:]
    return F.cross_entropy(logits.float()[m], tgt[m])


def train_config(task, cname, family, size, batch_fn, steps, args, device, deadline=None):
    """Train one tiny model; stops early (and says so) if the wall-clock deadline passes."""
    torch.manual_seed(args.seed)
    config = models.make_config(family, **size)
    model = models.build(family, config).to(device)
    opt = common.make_optimizer(model, args.lr, args.weight_decay)
    curve, acc, n_acc, t0 = [], torch.zeros((), device=device), 0, time.time()
    done = 0
    with fastpaths.patched(fastpaths.mixer_classes_for(family)):
        model.train()
        for step in range(steps):
            if deadline is not None and step % 50 == 0 and time.time() > deadline:
                print(f"[{task}/{cname}] deadline reached at step {step} of {steps}", flush=True)
                break
            done = step + 1
            for g in opt.param_groups:
                g["lr"] = common.lr_at(step, steps, args.lr, args.warmup)
            x, m = batch_fn(step)
            loss = masked_loss(model, x.to(device, non_blocking=True), m.to(device, non_blocking=True))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            acc += loss.detach()
            n_acc += 1
            if (step + 1) % 100 == 0 or step + 1 == steps:
                curve.append({"step": step + 1, "loss": acc.item() / n_acc, "seconds": time.time() - t0})
                acc.zero_()
                n_acc = 0
                if (step + 1) % 500 == 0 or step + 1 == steps:
                    print(f"[{task}/{cname}] step {step + 1} loss {curve[-1]['loss']:.3f} {curve[-1]['seconds']:.0f}s",
                          flush=True)
    torch.cuda.synchronize()
    return model, config, {"steps": done, "steps_planned": steps, "stopped_early": done < steps,
                           "train_seconds": time.time() - t0, "curve": curve,
                           "params": models.param_counts(model, family, config),
                           "memory": models.memory_bytes(family, config)}


@torch.no_grad()
def mqar_accuracy(model, family, device, patched, n_seq=512, seed=7):
    model.eval()
    rng = np.random.Generator(np.random.PCG64(seed))
    out = {}
    ctx = fastpaths.patched(fastpaths.mixer_classes_for(family)) if patched else _null()
    with ctx:
        for n in MQAR_EVAL_PAIRS:
            correct = total = 0
            for _ in range(n_seq // 64):
                x, m = mqar_batch(64, n, rng)
                x, m = x.to(device), m.to(device)
                logits = model(input_ids=x[:, :-1], use_cache=False).logits.float()
                pred = logits.argmax(-1)
                mm = m[:, 1:]
                correct += (pred[mm] == x[:, 1:][mm]).sum().item()
                total += mm.sum().item()
            out[n] = correct / total
    return out


class _null:
    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False


def delta_probe(model, family):
    """Hooks that record the mean step size Delta per position for every SSM layer."""
    records, handles = {}, []
    if family in ("mamba1", "jamba"):
        for name, mod in model.named_modules():
            if name.endswith("dt_proj"):
                def fn(module, inputs, output, key=name):
                    records.setdefault(key, []).append(F.softplus(output.float()).mean(-1).cpu())
                handles.append(mod.register_forward_hook(fn))
    elif family == "mamba2":
        for name, mod in model.named_modules():
            if name.endswith("mixer.in_proj"):
                mixer = model.get_submodule(name[:-len(".in_proj")])

                def fn(module, inputs, output, key=name, mixer=mixer):
                    dt = output[..., -mixer.num_heads:].float() + mixer.dt_bias.float()
                    records.setdefault(key, []).append(F.softplus(dt).mean(-1).cpu())
                handles.append(mod.register_forward_hook(fn))
    return records, handles


@torch.no_grad()
def noise_eval(model, family, config, evalset, device, patched):
    """Content bits per byte on clean vs padded text (same predictions), KV vs state bytes, Delta."""
    model.eval()
    ctx = fastpaths.patched(fastpaths.mixer_classes_for(family)) if patched else _null()
    nll = {"clean": 0.0, "padded": 0.0}
    count, len_clean, len_padded = 0, 0, 0
    dsum = {"content": 0.0, "junk": 0.0}
    dcnt = {"content": 0, "junk": 0}
    records, handles = delta_probe(model, family)
    with ctx:
        for clean, padded, is_content in evalset:
            xc = torch.from_numpy(clean.astype(np.int64))[None].to(device)
            lc = torch.log_softmax(model(input_ids=xc, use_cache=False).logits[0, :-1].float(), -1)
            nll["clean"] -= lc.gather(1, xc[0, 1:, None]).sum().item()
            for key in list(records):
                records[key].clear()
            xp = torch.from_numpy(padded.astype(np.int64))[None].to(device)
            lp = torch.log_softmax(model(input_ids=xp, use_cache=False).logits[0, :-1].float(), -1)
            tgt = np.nonzero(is_content)[0]
            tgt = torch.from_numpy(tgt[tgt > 0]).to(device)             # content bytes after the first
            nll["padded"] -= lp[tgt - 1].gather(1, xp[0, tgt][:, None]).sum().item()
            count += len(tgt)
            len_clean += len(clean)
            len_padded += len(padded)
            ic = torch.from_numpy(is_content)
            for key, recs in records.items():
                d = recs[-1][0]                                         # (len,) mean Delta per position
                dsum["content"] += d[ic].sum().item()
                dsum["junk"] += d[~ic].sum().item()
                dcnt["content"] += int(ic.sum())
                dcnt["junk"] += int((~ic).sum())
    for h in handles:
        h.remove()
    mem = models.memory_bytes(family, config)
    n = len(evalset)
    res = {"clean_bpb": nll["clean"] / count / common.LN2, "padded_bpb": nll["padded"] / count / common.LN2,
           "predictions": count, "mean_len_clean": len_clean / n, "mean_len_padded": len_padded / n,
           "kv_bytes_clean": mem["kv_bytes_per_token"] * len_clean / n,
           "kv_bytes_padded": mem["kv_bytes_per_token"] * len_padded / n,
           "state_bytes": mem["fixed_state_bytes"]}
    if dcnt["junk"]:
        res["mean_delta_content"] = dsum["content"] / dcnt["content"]
        res["mean_delta_junk"] = dsum["junk"] / dcnt["junk"]
    return res


# ------------------------------------------------------------------------------------------ runs
def run_task(task, names, args, device, info):
    steps = args.steps or (6000 if task == "mqar" else 2500)
    deadline = time.time() + args.train_deadline if args.train_deadline else None
    if task == "noise":
        src, held = english_text(args.corpus)
        evalset = noise_eval_set(held)
    for cname in names:
        family, size = CONFIGS[task][cname]
        out_path = os.path.join(args.results_dir, f"{task}_{cname}.json")
        try:
            rng = np.random.Generator(np.random.PCG64(args.seed))
            if task == "mqar":
                def batch_fn(step, rng=rng):
                    return mqar_batch(args.batch, int(rng.choice(MQAR_TRAIN_PAIRS)), rng)
            else:
                def batch_fn(step, rng=rng):
                    return noise_batch(src, args.batch, rng)
            model, config, rec = train_config(task, cname, family, size, batch_fn, steps, args, device, deadline)
            rec.update({"task": task, "config_name": cname, "family": family, "size": size, "env": info,
                        "batch": args.batch, "lr": args.lr})
            if task == "mqar":
                rec["accuracy"] = mqar_accuracy(model, family, device, patched=True)
                print(f"[mqar/{cname}] accuracy {rec['accuracy']}", flush=True)
            else:
                rec["noise"] = noise_eval(model, family, config, evalset, device, patched=True)
                print(f"[noise/{cname}] {rec['noise']}", flush=True)
            ship = SHIP[task].get(cname)
            if ship:
                out_dir = os.path.join(args.out_models, ship)
                common.save_model(model, out_dir)
                write_task_json(task, out_dir, cname, rec)
                ref = models.load_pretrained(family, out_dir, device)
                rec["shipped_as"] = ship
                if task == "mqar":
                    rec["shipped_accuracy_unpatched"] = mqar_accuracy(ref, family, device, patched=False)
                    x, _ = mqar_batch(2, 32, np.random.Generator(np.random.PCG64(3)))
                else:
                    rec["shipped_noise_unpatched"] = noise_eval(ref, family, ref.config, evalset[:32], device, patched=False)
                    x = torch.from_numpy(np.stack([evalset[0][1][:256], evalset[1][1][:256]]).astype(np.int64))
                rec["shipped_patch_check"] = patch_check(ref, family, x, device)
                rec["files"] = {n: os.path.getsize(os.path.join(out_dir, n)) for n in sorted(os.listdir(out_dir))}
                del ref
        except Exception as exc:
            traceback.print_exc()
            rec = {"task": task, "config_name": cname, "error": f"{type(exc).__name__}: {exc}"}
        common.write_json(out_path, rec)
        torch.cuda.empty_cache()


@torch.no_grad()
def patch_check(model, family, x, device):
    classes = fastpaths.mixer_classes_for(family)
    if not classes:
        return None
    x = x.to(device)
    ref = model(input_ids=x, use_cache=False).logits.float()
    with fastpaths.patched(classes):
        fast = model(input_ids=x, use_cache=False).logits.float()
    return {"max_abs_diff": (fast - ref).abs().max().item(), "max_abs_logit": ref.abs().max().item()}


def write_task_json(task, out_dir, cname, rec=None):
    if task == "mqar":
        desc = {"task": "mqar", "generator": "tools/train/tasks.py:mqar_example",
                "format": "entries KEY VALUE (a letter A-Z/a-z immediately followed by a digit) separated by "
                          "spaces, '|', then every key again followed by its value, then a newline",
                "example": tasks.mqar_example(4, random.Random(0))[0].decode(),
                "trained_pairs": MQAR_TRAIN_PAIRS, "max_pairs": tasks.MQAR_MAX_PAIRS,
                "scored": "the value digit after each query key"}
    else:
        desc = {"task": "noise", "generator": "tools/train/tasks.py:pad_with_noise",
                "format": "English text; after each byte, with probability p, a run of 1..max_run junk bytes "
                          "(0x01-0x08, 0x0E-0x1F)", "p": NOISE_P, "max_run": NOISE_MAX_RUN,
                "trained_on": f"{NOISE_SEQ}-byte windows, half clean, half padded",
                "scored": "predictions of content bytes only"}
    desc["configuration"] = cname
    if rec is not None and "accuracy" in rec:
        acc = {int(k): v for k, v in rec["accuracy"].items()}
        desc["accuracy_by_pairs"] = acc
        desc["learned_recall"] = acc[max(acc)] > bag_of_values_baseline(max(acc)) + 0.05
    if rec is not None and "noise" in rec:
        desc["results"] = rec["noise"]
    common.write_json(os.path.join(out_dir, "task.json"), desc)


def calibrate(args, device):
    src, _ = english_text(args.corpus)
    for task in ("mqar", "noise"):
        for cname, (family, size) in CONFIGS[task].items():
            rng = np.random.Generator(np.random.PCG64(0))
            fn = (lambda s: mqar_batch(args.batch, 24, rng)) if task == "mqar" else (lambda s: noise_batch(src, args.batch, rng))
            try:
                t0 = time.time()
                _, _, rec = train_config(task, cname, family, size, fn, 30, args, device)
                print(f"[calibrate] {task}/{cname}: {1000 * rec['train_seconds'] / 30:.1f} ms/step "
                      f"(incl. first-step compile), total {time.time() - t0:.1f}s, params {rec['params']['total']}",
                      flush=True)
            except Exception:
                traceback.print_exc()


# ------------------------------------------------------------------------------------------ summary
def bag_of_values_baseline(n_pairs, trials=4000, seed=0):
    """Accuracy of the best guesser that knows which digits the book holds but not which key has
    which: at each query it answers the most common digit not yet used by earlier queries."""
    rng = random.Random(seed)
    correct = 0
    for _ in range(trials):
        values = [rng.randrange(10) for _ in range(n_pairs)]
        remaining = values[:]
        rng.shuffle(values)                       # the order of the queries
        for v in values:
            guess = max(set(remaining), key=remaining.count)
            correct += guess == v
            remaining.remove(v)
    return correct / (trials * n_pairs)


def summarize(args):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    recs = {}
    for path in sorted(glob.glob(os.path.join(args.results_dir, "*_*.json"))):
        name = os.path.basename(path)[:-5]
        if name.startswith(("mqar_", "noise_")):
            recs[name] = json.load(open(path))
    lines = ["## MQAR accuracy (fraction of queries answered), by number of key-value pairs", ""]
    mq = {k[5:]: r for k, r in recs.items() if k.startswith("mqar_") and "accuracy" in r}
    if mq:
        lines.append("| model | params | state floats/layer | " + " | ".join(str(n) for n in MQAR_EVAL_PAIRS) + " |")
        lines.append("| --- | --- | --- |" + " --- |" * len(MQAR_EVAL_PAIRS))
        fig, ax = plt.subplots(1, 2, figsize=(11, 4.2))
        colors = {c: f"C{i}" for i, c in enumerate(sorted(mq))}
        for c, r in sorted(mq.items()):
            acc = {int(k): v for k, v in r["accuracy"].items()}
            mem = r["memory"]
            sfl = mem.get("ssm_state_bytes_per_layer", 0) // 4
            state = {"llama": "KV cache only", "jamba": f"{sfl} + KV cache"}.get(r["family"], str(sfl))
            lines.append(f"| {c} | {r['params']['total']} | {state} | "
                         + " | ".join(f"{acc[n]:.2f}" for n in MQAR_EVAL_PAIRS) + " |")
            ax[0].plot(MQAR_EVAL_PAIRS, [acc[n] for n in MQAR_EVAL_PAIRS], "o-", color=colors[c], label=c, ms=4)
        for c, r in sorted(mq.items()):
            if r["family"] in ("mamba1", "mamba2"):
                acc = {int(k): v for k, v in r["accuracy"].items()}
                sfl = r["memory"]["ssm_state_bytes_per_layer"] // 4
                marker, shift = ("o", 0.93) if r["family"] == "mamba1" else ("s", 1.07)   # side by side
                ax[1].plot([sfl * shift], [acc[48]], marker, ms=9, color=colors[c], label=c, alpha=0.85)
        base = [bag_of_values_baseline(n) for n in MQAR_EVAL_PAIRS]
        lines.append("| no recall (knows the digits in the book, not which key has which) | - | - | "
                     + " | ".join(f"{b:.2f}" for b in base) + " |")
        ax[0].plot(MQAR_EVAL_PAIRS, base, "k--", lw=1, label="no recall (bag of values)")
        ax[0].axhline(0.1, color="gray", ls=":", lw=1)
        ax[0].set_xlabel("key-value pairs in the phone book")
        ax[0].set_ylabel("recall accuracy")
        ax[0].set_ylim(0, 1.02)
        ax[0].legend(fontsize=8)
        ax[0].grid(alpha=0.3)
        ax[1].plot([700, 25000], [bag_of_values_baseline(48)] * 2, "k--", lw=1, label="no recall")
        ax[1].set_xscale("log")
        ax[1].set_xlabel("SSM state size per layer (floats)")
        ax[1].set_ylabel("accuracy at 48 pairs")
        ax[1].set_ylim(0, 1.02)
        ax[1].grid(alpha=0.3)
        ax[1].legend(fontsize=8)
        fig.suptitle("Multi-query associative recall (2 layers, d_model 128, same training)")
        fig.tight_layout()
        fig.savefig(os.path.join(args.out_img, "mqar_accuracy.png"), dpi=120)
        plt.close(fig)
    nz = {k[6:]: r for k, r in recs.items() if k.startswith("noise_") and "noise" in r}
    if nz:
        lines += ["", "## Noise padding: content bits per byte and memory, clean vs padded", "",
                  "| model | params | clean bpb | padded bpb | mean length clean / padded | KV bytes clean / padded "
                  "| fixed state bytes | mean Delta content / junk |", "| --- |" + " --- |" * 7]
        fig, ax = plt.subplots(1, 2, figsize=(11, 4.2))
        names = sorted(nz)
        for i, c in enumerate(names):
            r = nz[c]["noise"]
            delta = (f"{r['mean_delta_content']:.3f} / {r['mean_delta_junk']:.3f}" if "mean_delta_junk" in r else "-")
            lines.append(f"| {c} | {nz[c]['params']['total']} | {r['clean_bpb']:.3f} | {r['padded_bpb']:.3f} | "
                         f"{r['mean_len_clean']:.0f} / {r['mean_len_padded']:.0f} | {r['kv_bytes_clean']:.0f} / "
                         f"{r['kv_bytes_padded']:.0f} | {r['state_bytes']} | {delta} |")
            ax[0].bar([i - 0.2], [r["clean_bpb"]], 0.4, color="C0", label="clean" if i == 0 else None)
            ax[0].bar([i + 0.2], [r["padded_bpb"]], 0.4, color="C1", label="padded" if i == 0 else None)
            ax[1].bar([i - 0.2], [(r["kv_bytes_clean"] + r["state_bytes"]) / 1024], 0.4, color="C0",
                      label="clean" if i == 0 else None)
            ax[1].bar([i + 0.2], [(r["kv_bytes_padded"] + r["state_bytes"]) / 1024], 0.4, color="C1",
                      label="padded" if i == 0 else None)
        for a in ax:
            a.set_xticks(range(len(names)))
            a.set_xticklabels(names)
            a.legend(fontsize=8, loc="upper center", ncol=2)
            a.grid(alpha=0.3, axis="y")
        ax[0].set_ylim(0, 3.4)
        ax[1].set_ylim(0, 1.25 * max(nz[c]["noise"]["kv_bytes_padded"] + nz[c]["noise"]["state_bytes"] for c in names) / 1024)
        ax[0].set_ylabel("content bits per byte")
        ax[1].set_ylabel("KV cache + state at end of sequence (KiB, fp32)")
        fig.suptitle("Noise padding: same content, junk bytes inserted (p=0.5, runs of 1-4)")
        fig.tight_layout()
        fig.savefig(os.path.join(args.out_img, "noise_padding.png"), dpi=120)
        plt.close(fig)
    errors = {k: r["error"] for k, r in recs.items() if "error" in r}
    if errors:
        lines += ["", "Errors: " + json.dumps(errors)]
    text = "\n".join(lines) + "\n"
    with open(os.path.join(args.results_dir, "tasks_summary.md"), "w") as f:
        f.write(text)
    print(text)


def main():
    args = parse_args()
    os.makedirs(args.out_img, exist_ok=True)
    if args.summarize:
        summarize(args)
        for task, ships in SHIP.items():
            for cname, ship in ships.items():
                path = os.path.join(args.results_dir, f"{task}_{cname}.json")
                out_dir = os.path.join(args.out_models, ship)
                if os.path.exists(path) and os.path.isdir(out_dir):
                    write_task_json(task, out_dir, cname, json.load(open(path)))
        return
    info = common.setup_environment(args.seed)
    device = torch.device("cuda")
    check_mqar_batch()
    print(f"[env] {json.dumps(info)} scan {fastpaths.select_scan(device, verbose=False)}", flush=True)
    if args.calibrate:
        calibrate(args, device)
        return
    names = args.only.split(",") if args.only else list(CONFIGS[args.task])
    run_task(args.task, names, args, device, info)


if __name__ == "__main__":
    main()
