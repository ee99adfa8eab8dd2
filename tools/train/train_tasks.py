#!/usr/bin/env python3
"""Train and evaluate the teaching-task models: multi-query associative recall (MQAR, "phone book"),
selective copying (with a time-invariant control) and noise padding. Task formats: tools/train/tasks.py
(pure Python, the reference the app ports).

    python3 tools/train/train_tasks.py --task mqar --only llama,mamba2-n8 --train-seconds 300
    python3 tools/train/train_tasks.py --summarize          # tables + plots + task.json (no GPU needed)

Batches are drawn by numpy versions of the tasks.py generators (same format, checked against
tasks.mqar_check / the selective-copying layout at start-up). Small models of each family (2 layers;
d_model 128 for MQAR, 64 for selective copying and noise padding), trained for the same wall-clock
budget (--train-seconds; all configurations of a call share one GPU at the same time), same batch and
learning rate within a task; steps done are recorded. MQAR uses a curriculum: books of 2..K pairs, K
going up the ladder MQAR_STAGES when the training accuracy on the current batch mix passes 90% (or
when the stage has used its share of the time), so that every model first learns recall on small books.
"-lti" configurations are the time-invariant control for selective copying: the same Mamba with the
input-to-Delta weights set to zero and frozen (Mamba-1: dt_proj.weight; Mamba-2: the dt rows of
in_proj.weight), so Delta = softplus(bias) is a learned constant per channel/head, the same at every
byte. Models listed in SHIP are saved to assets/models/<name> (bfloat16) with a task.json describing
the input, the generator's parameters and the results; their numbers are re-measured with
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
M2 = dict(head_dim=32, chunk_size=32)
CONFIGS = {
    "mqar": {
        "llama": ("llama", dict(SMALL, n_head=4, d_ff=256)),
        "jamba": ("jamba", dict(SMALL, n_head=4, d_ff=256, d_state=16, attn_period=2, attn_offset=1, n_experts=1)),
        "mamba1-n16": ("mamba1", dict(SMALL, d_state=16)),
        "mamba2-n1": ("mamba2", dict(SMALL, d_state=1, **M2)),
        "mamba2-n2": ("mamba2", dict(SMALL, d_state=2, **M2)),
        "mamba2-n4": ("mamba2", dict(SMALL, d_state=4, **M2)),
        "mamba2-n8": ("mamba2", dict(SMALL, d_state=8, **M2)),
        "mamba2-n16": ("mamba2", dict(SMALL, d_state=16, **M2)),
        "mamba2-n32": ("mamba2", dict(SMALL, d_state=32, **M2)),
        "mamba2-n64": ("mamba2", dict(SMALL, d_state=64, **M2)),
        "mamba2-n128": ("mamba2", dict(SMALL, d_state=128, **M2)),
    },
    "selcopy": {
        "mamba1": ("mamba1", dict(TINY, d_state=16)),
        "mamba1-lti": ("mamba1", dict(TINY, d_state=16)),
        "mamba2": ("mamba2", dict(TINY, d_state=16, **M2)),
        "mamba2-lti": ("mamba2", dict(TINY, d_state=16, **M2)),
    },
    "noise": {
        "llama": ("llama", dict(TINY, n_head=2, d_ff=128)),
        "jamba": ("jamba", dict(TINY, n_head=2, d_ff=128, d_state=16, attn_period=2, attn_offset=1, n_experts=1)),
        "mamba1": ("mamba1", dict(TINY, d_state=16)),
        "mamba2": ("mamba2", dict(TINY, d_state=64, **M2)),
    },
    "induction": {
        "llama": ("llama", dict(SMALL, n_head=4, d_ff=256)),
        "jamba": ("jamba", dict(SMALL, n_head=4, d_ff=256, d_state=16, attn_period=2, attn_offset=1, n_experts=1)),
        "mamba1": ("mamba1", dict(SMALL, d_state=16)),
        "mamba2": ("mamba2", dict(SMALL, d_state=16, **M2)),
    },
}
SHIP = {"mqar": {"llama": "mqar-llama", "jamba": "mqar-jamba", "mamba1-n16": "mqar-mamba1", "mamba2-n64": "mqar-mamba2",
                 "mamba2-n8": "mqar-mamba2-n8", "mamba2-n16": "mqar-mamba2-n16", "mamba2-n1": "mqar-mamba2-n1",
                 "mamba2-n2": "mqar-mamba2-n2", "mamba2-n4": "mqar-mamba2-n4"},
        "selcopy": {"mamba1": "selcopy-mamba1", "mamba1-lti": "selcopy-mamba1-lti", "mamba2": "selcopy-mamba2",
                    "mamba2-lti": "selcopy-mamba2-lti"},
        "noise": {"llama": "noise-llama", "jamba": "noise-jamba", "mamba1": "noise-mamba1", "mamba2": "noise-mamba2"},
        "induction": {"llama": "induction-llama", "jamba": "induction-jamba", "mamba1": "induction-mamba1",
                      "mamba2": "induction-mamba2"}}
MQAR_STAGES = [4, 8, 16, 32, 48, 64, 79]          # curriculum: books of 2..stage pairs
MQAR_STAGE_ACC = 0.9                              # advance at 90% training accuracy, or after a time share
MQAR_EVAL_PAIRS = [2, 4, 8, 16, 24, 32, 48, 64, 79]
INDUCTION_TRAIN_LENGTHS = (16, 256)              # a segment of 16..256 random symbols per batch, then again
INDUCTION_EVAL_LENGTHS = [16, 32, 64, 128, 256, 512, 1024]  # past 256: longer than any trained segment
NOISE_P, NOISE_MAX_RUN, NOISE_SEQ, NOISE_EVAL_CONTENT = 0.5, 4, 512, 200
NOISE_EXAMPLE = b"A fool and his money are soon parted."
KEYS = np.frombuffer(tasks.TRAIN_KEYS.encode(), dtype=np.uint8)
JUNK = np.frombuffer(tasks.JUNK_BYTES, dtype=np.uint8)
SEL_LETTERS = np.frombuffer(tasks.SELCOPY_LETTERS.encode(), dtype=np.uint8)


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--task", choices=sorted(CONFIGS))
    ap.add_argument("--only", default=None, help="comma-separated configuration names")
    ap.add_argument("--summarize", action="store_true")
    ap.add_argument("--corpus", default=".corpus")
    ap.add_argument("--train-seconds", type=float, default=300.0, help="wall-clock training budget per configuration")
    ap.add_argument("--max-steps", type=int, default=200000)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=None, help="default: 1e-3 (mqar), 2e-3 (others)")
    ap.add_argument("--weight-decay", type=float, default=0.1)
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--seed", type=int, default=4321)
    ap.add_argument("--tag", default=None, help="variant tag (e.g. the learning rate): results <task>_<config>@<tag>.json, "
                    "models <ship>@<tag>; --select keeps the best variant of each configuration")
    ap.add_argument("--select", action="store_true", help="pick the best variant of every configuration")
    ap.add_argument("--results-dir", default="tools/train/results")
    ap.add_argument("--out-models", default="assets/models")
    ap.add_argument("--out-img", default="docs/img")
    ap.add_argument("--stages", default=None, help="MQAR curriculum: comma-separated maximum book sizes "
                    "(default MQAR_STAGES); books of 2..stage pairs")
    ap.add_argument("--first-share", type=float, default=0.4, help="MQAR: time share of the first stage at most")
    ap.add_argument("--stage-share", type=float, default=0.08, help="MQAR: time share of every later stage at most")
    ap.add_argument("--size", default=None, help="JSON: overrides of the configuration's size (e.g. {\"n_layer\": 4})")
    ap.add_argument("--induction-share", type=float, default=0.0, help="MQAR: for this first share of the time, "
                    "every other batch is repeated random strings (tasks.induction_example; loss on the second copy), "
                    "which have a dense copying signal")
    ap.add_argument("--first-copy-loss", action="store_true", help="induction: train on the first copy too "
                    "(random symbols: teaches the alphabet, so the first copy reads at log2 62 bits, not worse)")
    ap.add_argument("--padded-frac", type=float, default=0.5, help="noise: fraction of training rows that are padded")
    ap.add_argument("--ckpt-dir", default=None, help="save a float32 checkpoint (model, optimizer, curriculum) "
                    "here right after training, before evaluation")
    ap.add_argument("--resume", default=None, help="checkpoint to continue from (no warm-up; cosine over "
                    "--train-seconds from --lr)")
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


INDUCTION_SYMBOLS = np.frombuffer(tasks.INDUCTION_ALPHABET.encode(), dtype=np.uint8)


def induction_batch(batch, length, rng):
    """(tokens (batch, 2 * length + 1), answer mask): tasks.induction_example; answers length+1 .. 2*length-1."""
    seg = INDUCTION_SYMBOLS[rng.integers(0, len(INDUCTION_SYMBOLS), (batch, length))]
    out = np.concatenate([seg, seg, np.full((batch, 1), ord("\n"), dtype=np.uint8)], axis=1)
    mask = np.zeros(out.shape, dtype=bool)
    mask[:, length + 1:2 * length] = True
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


def selcopy_batch(batch, rng, region=tasks.SELCOPY_REGION, num_data=tasks.SELCOPY_DATA):
    """(tokens (batch, region + num_data + 2), answer mask, data-token mask): tasks.selective_copy_example."""
    L = region + num_data + 2
    out = np.full((batch, L), ord(tasks.SELCOPY_NOISE), dtype=np.uint8)
    where = np.sort(np.argsort(rng.random((batch, region)), axis=1)[:, :num_data], axis=1)   # (b, k)
    letters = SEL_LETTERS[rng.integers(0, len(SEL_LETTERS), (batch, num_data))]
    np.put_along_axis(out[:, :region], where, letters, axis=1)
    out[:, region] = ord(tasks.COPY_SEPARATOR)
    out[:, region + 1:region + 1 + num_data] = letters
    out[:, -1] = ord("\n")
    answer = np.zeros(out.shape, dtype=bool)
    answer[:, region + 1:region + 1 + num_data] = True
    is_data = np.zeros(out.shape, dtype=bool)
    np.put_along_axis(is_data[:, :region], where, True, axis=1)
    return torch.from_numpy(out.astype(np.int64)), torch.from_numpy(answer), torch.from_numpy(is_data)


def check_selcopy_batch():
    rng = np.random.Generator(np.random.PCG64(0))
    x, a, d = selcopy_batch(4, rng, region=24, num_data=3)
    for row, arow, drow in zip(x.tolist(), a.tolist(), d.tolist()):
        data = bytes(row)
        body, rest = data.split(b"|")
        assert len(body) == 24 and rest.endswith(b"\n"), data
        assert bytes(c for c in body if c != ord(".")) == rest[:-1], data
        assert [i for i, v in enumerate(arow) if v] == [25, 26, 27], arow
        assert sum(drow) == 3


def english_text(corpus):
    """English fortunes: the first packages of train.txt, and their held-out documents."""
    manifest = json.load(open(os.path.join(corpus, "manifest.json")))
    n = sum(manifest["packages"][pkg]["train_bytes"] for pkg in ("fortunes", "fortunes-min", "fortunes-bofh-excuses"))
    train = np.fromfile(os.path.join(corpus, "train.txt"), dtype=np.uint8)[:n]
    held = np.fromfile(os.path.join(corpus, "heldout_en.txt"), dtype=np.uint8)
    index = json.load(open(os.path.join(corpus, "heldout_index.json")))
    parts = [held[e["offset"]:e["offset"] + e["length"]] for e in index
             if e["language"] == "en" and e["package"] in ("fortunes", "fortunes-min")]
    return train, np.concatenate(parts)


def noise_batch(src, batch, rng, seq=NOISE_SEQ, padded_frac=0.5):
    """A fraction padded_frac of the rows padded, the rest clean; (tokens, content-target mask) (batch, seq)."""
    x = np.empty((batch, seq), dtype=np.uint8)
    m = np.empty((batch, seq), dtype=bool)
    for i in range(batch):
        start = rng.integers(0, len(src) - seq - 1)
        content = src[start:start + seq]
        if i < round(batch * padded_frac):
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
def make_time_invariant(model, family):
    """Zero the input-to-Delta weights and keep them zero: Delta = softplus(bias), the same at every byte."""
    if family == "mamba1":
        for name, mod in model.named_modules():
            if name.endswith("mixer.dt_proj"):
                with torch.no_grad():
                    mod.weight.zero_()
                mod.weight.requires_grad_(False)
    elif family == "mamba2":
        for name, mod in model.named_modules():
            if name.endswith("mixer.in_proj"):
                h = model.get_submodule(name[:-len(".in_proj")]).num_heads
                with torch.no_grad():
                    mod.weight[-h:].zero_()
                    if mod.bias is not None:
                        mod.bias[-h:].zero_()

                def zero_dt_rows(grad, h=h):
                    grad = grad.clone()
                    grad[-h:] = 0
                    return grad
                mod.weight.register_hook(zero_dt_rows)
                if mod.bias is not None:
                    mod.bias.register_hook(zero_dt_rows)
    else:
        raise ValueError(f"no time-invariant control for {family}")


def lti_check(model, family):
    """Largest |input-to-Delta weight|: exactly 0 for a time-invariant control."""
    worst = 0.0
    for name, mod in model.named_modules():
        if family == "mamba1" and name.endswith("mixer.dt_proj"):
            worst = max(worst, mod.weight.abs().max().item())
        if family == "mamba2" and name.endswith("mixer.in_proj"):
            h = model.get_submodule(name[:-len(".in_proj")]).num_heads
            worst = max(worst, mod.weight[-h:].abs().max().item())
    return worst


def train_config(task, cname, family, size, batch_fn, args, device, lti=False, on_step=None):
    """Train one small model for args.train_seconds; batch_fn(step) -> (x, loss mask, ...)."""
    torch.manual_seed(args.seed)
    config = models.make_config(family, **size)
    model = models.build(family, config).to(device)
    if lti:
        make_time_invariant(model, family)
    opt = common.make_optimizer(model, args.lr, args.weight_decay)
    curve, acc, n_acc, t0 = [], torch.zeros((), device=device), 0, time.time()
    step, step0, warmup, prior = 0, 0, args.warmup, None
    if args.resume:
        prior = torch.load(args.resume, map_location=device, weights_only=False)
        model.load_state_dict(prior["model"])
        opt.load_state_dict(prior["opt"])
        step = step0 = prior["steps"]
        curve = prior["curve"]
        warmup = 0
        if on_step is not None and prior.get("curriculum") is not None and hasattr(on_step, "__self__"):
            on_step.__self__.restore(prior["curriculum"])
        print(f"[{task}/{cname}] resumed from {args.resume} at step {step}", flush=True)
    with fastpaths.patched(fastpaths.mixer_classes_for(family)):
        model.train()
        while step < args.max_steps:
            frac = (time.time() - t0) / args.train_seconds
            if frac >= 1.0:
                break
            lr = args.lr * (step + 1) / warmup if step < warmup else \
                args.lr * (0.1 + 0.9 * 0.5 * (1.0 + np.cos(np.pi * frac)))
            for g in opt.param_groups:
                g["lr"] = lr
            batch = batch_fn(step)
            x, m = batch[0].to(device, non_blocking=True), batch[1].to(device, non_blocking=True)
            with torch.autocast("cuda", dtype=torch.bfloat16):
                logits = model(input_ids=x[:, :-1], use_cache=False).logits
            mm = m[:, 1:]
            sel = logits.float()[mm]
            loss = F.cross_entropy(sel, x[:, 1:][mm])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            acc += loss.detach()
            n_acc += 1
            step += 1
            if (on_step is not None or step % 500 == 0) and step % 25 == 0:
                train_acc = (sel.argmax(-1) == x[:, 1:][mm]).float().mean().item()
                if on_step is not None:
                    on_step(step, frac, train_acc)
                if step % 500 == 0:
                    print(f"[{task}/{cname}] step {step} loss {loss.item():.3f} train acc {train_acc:.3f} "
                          f"{time.time() - t0:.0f}s", flush=True)
            if step % 100 == 0:
                curve.append({"step": step, "loss": acc.item() / n_acc, "seconds": time.time() - t0})
                acc.zero_()
                n_acc = 0
                if step % 1000 == 0:
                    print(f"[{task}/{cname}] step {step} loss {curve[-1]['loss']:.3f} {curve[-1]['seconds']:.0f}s",
                          flush=True)
    torch.cuda.synchronize()
    seconds = time.time() - t0 + (prior["train_seconds"] if prior else 0.0)
    if args.ckpt_dir:
        os.makedirs(args.ckpt_dir, exist_ok=True)
        cur = on_step.__self__.state() if on_step is not None and hasattr(on_step, "__self__") else None
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "steps": step, "curve": curve,
                    "train_seconds": seconds, "curriculum": cur, "size": size, "family": family,
                    "lr": args.lr, "seed": args.seed},
                   os.path.join(args.ckpt_dir, f"{task}_{cname}{'@' + args.tag if args.tag else ''}.pt"))
    rec = {"steps": step, "train_seconds": seconds, "curve": curve,
           "params": models.param_counts(model, family, config), "memory": models.memory_bytes(family, config),
           "lr": args.lr, "batch": args.batch, "time_invariant": lti, "warmup": args.warmup,
           "weight_decay": args.weight_decay}
    if prior:
        rec["resumed"] = {"from_steps": step0, "first_lr": prior.get("lr"), "steps_this_call": step - step0}
    if lti:
        rec["lti_max_abs_dt_weight"] = lti_check(model, family)
    return model, config, rec


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



class MqarCurriculum:
    """Books of 2..MQAR_STAGES[k] pairs; k goes up when the training accuracy (mean of the last 8 checks,
    200 steps) passes MQAR_STAGE_ACC, or when the stage has used its share of the time budget: 40% for
    the first stage (so that a model has time to leave the plateau on small books), 8% for the others."""

    def __init__(self, batch, rng, stages=None, first_share=0.4, stage_share=0.08, induction_share=0.0):
        self.batch, self.rng, self.stage, self.recent, self.stage_start = batch, rng, 0, [], 0.0
        self.induction_share, self.frac, self.last_induction = induction_share, 0.0, False
        self.stages = list(stages or MQAR_STAGES)
        self.first_share, self.stage_share = first_share, stage_share
        self.history = [{"step": 0, "max_pairs": self.stages[0]}]

    def state(self):
        return {"stages": self.stages, "stage": self.stage, "history": self.history}

    def restore(self, st):
        """Continue a checkpoint's curriculum: same stage (its time shares start again in this call)."""
        self.stages, self.stage, self.history = st["stages"], st["stage"], st["history"]
        self.history.append({"resumed_at_stage": self.stage})

    def batch_fn(self, step):
        self.last_induction = self.frac < self.induction_share and step % 2 == 0
        if self.last_induction:
            return induction_batch(self.batch, int(self.rng.integers(8, 65)), self.rng)
        n = int(self.rng.integers(2, self.stages[self.stage] + 1))
        return mqar_batch(self.batch, n, self.rng)

    def on_step(self, step, frac, acc):
        self.frac = frac
        if self.last_induction:
            return
        self.recent = (self.recent + [acc])[-8:]
        if self.stage + 1 >= len(self.stages):
            return
        share = self.first_share if self.stage == 0 else self.stage_share
        if (len(self.recent) == 8 and np.mean(self.recent) > MQAR_STAGE_ACC) or frac - self.stage_start > share:
            self.stage += 1
            self.stage_start = frac
            self.recent = []
            self.history.append({"step": step, "max_pairs": self.stages[self.stage], "time_fraction": round(frac, 3)})
            print(f"[mqar] step {step}: books of up to {self.stages[self.stage]} pairs", flush=True)


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
                mm = m[:, 1:]
                correct += (logits.argmax(-1)[mm] == x[:, 1:][mm]).sum().item()
                total += mm.sum().item()
            out[n] = correct / total
    return out


@torch.no_grad()
def selcopy_eval(model, family, device, patched, n_seq=1024, seed=7):
    """Accuracy on the copied letters (per letter and whole sequences) and mean Delta on data vs noise."""
    model.eval()
    rng = np.random.Generator(np.random.PCG64(seed))
    ctx = fastpaths.patched(fastpaths.mixer_classes_for(family)) if patched else _null()
    correct = total = seq_ok = 0
    dsum = {"data": 0.0, "noise": 0.0}
    dcnt = {"data": 0, "noise": 0}
    records, handles = delta_probe(model, family)
    with ctx:
        for _ in range(n_seq // 64):
            x, a, is_data = selcopy_batch(64, rng)
            for key in list(records):
                records[key].clear()
            logits = model(input_ids=x[:, :-1].to(device), use_cache=False).logits.float()
            pred = logits.argmax(-1).cpu()
            am = a[:, 1:]
            hit = (pred == x[:, 1:]) & am
            correct += hit.sum().item()
            total += am.sum().item()
            seq_ok += (hit.sum(1) == am.sum(1)).sum().item()
            region = tasks.SELCOPY_REGION
            dmask = is_data[:, :region]
            for key, recs in records.items():
                d = recs[-1][:, :region]                                # (b, region) mean Delta per byte
                dsum["data"] += d[dmask].sum().item()
                dsum["noise"] += d[~dmask].sum().item()
                dcnt["data"] += int(dmask.sum())
                dcnt["noise"] += int((~dmask).sum())
    for h in handles:
        h.remove()
    res = {"letter_accuracy": correct / total, "sequence_accuracy": seq_ok / (n_seq // 64 * 64),
           "chance": 1.0 / len(tasks.SELCOPY_LETTERS)}
    if dcnt["noise"]:
        res["mean_delta_data"] = dsum["data"] / dcnt["data"]
        res["mean_delta_noise"] = dsum["noise"] / dcnt["noise"]
        res["delta_ratio_data_over_noise"] = res["mean_delta_data"] / res["mean_delta_noise"]
    return res



@torch.no_grad()
def induction_task_eval(model, family, device, patched, n_seq=128, seed=7):
    """Per segment length L: mean bits on the first copy (predicting bytes 1..L-1: random, so at best
    log2 62 = 5.95) and on the second copy (bytes L+1..2L-1: the scored answers), and the share of the
    second copy's bytes predicted exactly (argmax). For attention layers, at L = 128, each head's
    induction score (tools/train/induction_eval.py: the attention weight a byte of the second copy puts
    on the byte after its earlier occurrence; needs eager attention, so only unpatched models)."""
    model.eval()
    rng = np.random.Generator(np.random.PCG64(seed))
    ctx = fastpaths.patched(fastpaths.mixer_classes_for(family)) if patched else _null()
    out = {}
    with ctx:
        for length in INDUCTION_EVAL_LENGTHS:
            first = second = hits = 0.0
            n_first = n_second = 0
            chunk = 32 if length <= 256 else 8
            for _ in range(n_seq // chunk):
                x, m = induction_batch(chunk, length, rng)
                x = x.to(device)
                logits = model(input_ids=x[:, :-1], use_cache=False).logits.float()
                bits = -torch.log_softmax(logits, -1).gather(2, x[:, 1:, None])[..., 0] / common.LN2   # (b, 2L)
                first += bits[:, 0:length - 1].sum().item()
                second += bits[:, length:2 * length - 1].sum().item()
                hits += (logits.argmax(-1)[:, length:2 * length - 1] == x[:, length + 1:2 * length]).sum().item()
                n_first += chunk * (length - 1)
                n_second += chunk * (length - 1)
            out[length] = {"first_copy_bits": first / n_first, "second_copy_bits": second / n_second,
                           "copy_accuracy": hits / n_second}
    res = {"by_length": out, "uniform_bits": float(np.log2(len(INDUCTION_SYMBOLS))),
           "trained_lengths": list(INDUCTION_TRAIN_LENGTHS)}
    if family in ("llama", "jamba") and not patched:
        import induction_eval
        rows = [bytes(r) for r in induction_batch(16, 128, np.random.Generator(np.random.PCG64(seed)))[0].tolist()]
        try:
            res["induction_head_scores_L128"] = induction_eval.induction_scores(model, family, rows, 128, device)
        except Exception as exc:
            res["induction_head_scores_error"] = f"{type(exc).__name__}: {exc}"
    return res


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
    if args.lr is None:
        args.lr = 1e-3 if task == "mqar" else 2e-3
    if task == "noise":
        src, held = english_text(args.corpus)
        evalset = noise_eval_set(held)
    for cname in names:
        family, size = CONFIGS[task][cname]
        if args.size:
            size = dict(size, **json.loads(args.size))
        lti = cname.endswith("-lti")
        suffix = f"@{args.tag}" if args.tag else ""
        out_path = os.path.join(args.results_dir, f"{task}_{cname}{suffix}.json")
        try:
            rng = np.random.Generator(np.random.PCG64(args.seed))
            on_step = None
            if task == "mqar":
                stages = [int(v) for v in args.stages.split(",")] if args.stages else None
                cur = MqarCurriculum(args.batch, rng, stages, args.first_share, args.stage_share, args.induction_share)
                batch_fn, on_step = cur.batch_fn, cur.on_step
            elif task == "selcopy":
                def batch_fn(step, rng=rng):
                    return selcopy_batch(args.batch, rng)
            elif task == "induction":
                def batch_fn(step, rng=rng):
                    lo, hi = INDUCTION_TRAIN_LENGTHS
                    length = int(rng.integers(lo, hi + 1))
                    x, m = induction_batch(args.batch, length, rng)
                    if args.first_copy_loss:
                        m[:, 1:length] = True
                    return x, m
            else:
                def batch_fn(step, rng=rng):
                    return noise_batch(src, args.batch, rng, padded_frac=args.padded_frac)
            model, config, rec = train_config(task, cname, family, size, batch_fn, args, device, lti, on_step)
            rec.update({"task": task, "config_name": cname, "family": family, "size": size, "env": info,
                        "seed": args.seed, "variant": args.tag, "recipe": {k: getattr(args, k) for k in (
                            "stages", "first_share", "stage_share", "induction_share", "padded_frac", "size", "resume",
                            "first_copy_loss")}})
            if task == "mqar":
                rec["curriculum"] = cur.history
                rec["accuracy"] = mqar_accuracy(model, family, device, patched=True)
                print(f"[mqar/{cname}] accuracy {rec['accuracy']}", flush=True)
            elif task == "selcopy":
                rec["selcopy"] = selcopy_eval(model, family, device, patched=True)
                print(f"[selcopy/{cname}] {rec['selcopy']}", flush=True)
            elif task == "induction":
                rec["induction"] = induction_task_eval(model, family, device, patched=True)
                print(f"[induction/{cname}] {rec['induction']}", flush=True)
            else:
                rec["noise"] = noise_eval(model, family, config, evalset, device, patched=True)
                print(f"[noise/{cname}] {rec['noise']}", flush=True)
            ship = SHIP[task].get(cname)
            if ship:
                out_dir = os.path.join(args.out_models, ship + suffix)
                common.save_model(model, out_dir)
                ref = models.load_pretrained(family, out_dir, device)
                rec["shipped_as"] = ship
                if task == "mqar":
                    rec["shipped_accuracy_unpatched"] = mqar_accuracy(ref, family, device, patched=False, n_seq=128)
                    x, _ = mqar_batch(2, 32, np.random.Generator(np.random.PCG64(3)))
                elif task == "selcopy":
                    rec["shipped_selcopy_unpatched"] = selcopy_eval(ref, family, device, patched=False, n_seq=128)
                    x = selcopy_batch(2, np.random.Generator(np.random.PCG64(3)))[0]
                elif task == "induction":
                    rec["shipped_induction_unpatched"] = induction_task_eval(ref, family, device, patched=False, n_seq=32)
                    x = induction_batch(2, 64, np.random.Generator(np.random.PCG64(3)))[0]
                else:
                    rec["shipped_noise_unpatched"] = noise_eval(ref, family, ref.config, evalset[:32], device, patched=False)
                    x = torch.from_numpy(np.stack([evalset[0][1][:256], evalset[1][1][:256]]).astype(np.int64))
                rec["shipped_patch_check"] = patch_check(ref, family, x, device)
                write_reference(out_dir, ref, x[:1], info)
                write_task_json(task, out_dir, cname, rec)
                rec["files"] = {n: os.path.getsize(os.path.join(out_dir, n)) for n in sorted(os.listdir(out_dir))}
                del ref
        except Exception as exc:
            traceback.print_exc()
            rec = {"task": task, "config_name": cname, "error": f"{type(exc).__name__}: {exc}"}
        common.write_json(out_path, rec)
        torch.cuda.empty_cache()


@torch.no_grad()
def write_reference(out_dir, ref, x, info):
    """reference_logits.json: transformers' own logits (float32 from the bf16 weights) on one example."""
    ids = x[0].tolist()
    logits = ref(input_ids=x.to(next(ref.parameters()).device), use_cache=False).logits[0].float()
    logp = torch.log_softmax(logits[:-1], -1)
    nll = (-logp.gather(1, torch.tensor(ids[1:], device=logits.device)[:, None])[:, 0] / common.LN2).cpu()
    common.write_json(os.path.join(out_dir, "reference_logits.json"), {
        "format": "statescope-reference-logits", "version": 1, "input_bytes": ids,
        "computed_with": {"transformers": info["transformers"], "torch": info["torch"], "compute_dtype": "float32",
                          "weights": "model.safetensors (bfloat16) upcast to float32",
                          "code": "transformers' own forward, not patched, eager attention"},
        "nll_bits": [round(v, 6) for v in nll.tolist()],
        "logits_first": logits[0].cpu().tolist(), "logits_last": logits[-1].cpu().tolist()})


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
                "format": "entries KEY VALUE (a key byte immediately followed by a digit) separated by spaces, '|', "
                          "then every key again followed by its value, then a newline",
                "key_bytes": tasks.TRAIN_KEYS, "value_bytes": tasks.VALUE_DIGITS,
                "example": tasks.mqar_example(4, random.Random(0), tasks.TRAIN_KEYS)[0].decode(),
                "curriculum_max_pairs": ([int(v) for v in rec["recipe"]["stages"].split(",")]
                                         if rec and (rec.get("recipe") or {}).get("stages") else MQAR_STAGES),
                "max_pairs": tasks.MQAR_MAX_TRAIN_PAIRS,
                "scored": "the value digit after each query key"}
    elif task == "selcopy":
        desc = {"task": "selective-copying", "generator": "tools/train/tasks.py:selective_copy_example",
                "format": f"{tasks.SELCOPY_REGION} bytes: {tasks.SELCOPY_DATA} data letters from "
                          f"'{tasks.SELCOPY_LETTERS}' at random positions, '{tasks.SELCOPY_NOISE}' elsewhere; then '|', "
                          "the data letters in order, a newline",
                "region": tasks.SELCOPY_REGION, "num_data": tasks.SELCOPY_DATA, "letters": tasks.SELCOPY_LETTERS,
                "noise_byte": tasks.SELCOPY_NOISE,
                "example": tasks.selective_copy_example(tasks.SELCOPY_DATA, tasks.SELCOPY_REGION,
                                                       random.Random(0))[0].decode(),
                "scored": "the copied letters after '|'",
                "time_invariant": cname.endswith("-lti")}
        if desc["time_invariant"]:
            desc["control"] = ("input-to-Delta weights zero (Mamba-1 dt_proj.weight; Mamba-2 the dt rows of "
                               "in_proj.weight): Delta = softplus(bias), the same at every byte")
    elif task == "induction":
        lo, hi = INDUCTION_TRAIN_LENGTHS
        desc = {"task": "induction", "generator": "tools/train/tasks.py:induction_example",
                "format": f"a segment of random bytes from '{tasks.INDUCTION_ALPHABET}', the same segment again, a newline",
                "alphabet": tasks.INDUCTION_ALPHABET, "trained_lengths": [lo, hi], "length": 64,
                "example": tasks.induction_example(16, random.Random(0))[0].decode("ascii"),
                "scored": "the second copy but its first byte"}
    else:
        desc = {"task": "noise", "generator": "tools/train/tasks.py:pad_with_noise",
                "format": "English text; after each byte, with probability p, a run of 1..max_run junk bytes "
                          "(0x01-0x08, 0x0E-0x1F)", "p": NOISE_P, "max_run": NOISE_MAX_RUN,
                "trained_on": f"{NOISE_SEQ}-byte windows of English fortunes, a fraction "
                              f"{((rec or {}).get('recipe') or {}).get('padded_frac', 0.5):g} of them padded, the rest clean",
                "example": tasks.pad_with_noise(NOISE_EXAMPLE, random.Random(0), NOISE_P, NOISE_MAX_RUN)[0].decode("ascii"),
                "example_content": NOISE_EXAMPLE.decode("ascii"),
                "scored": "predictions of content bytes only"}
    desc["configuration"] = cname
    if rec is not None:
        desc["training"] = {k: rec[k] for k in ("steps", "train_seconds", "lr", "batch", "seed", "warmup", "weight_decay",
                                                "recipe", "resumed") if k in rec}
        if "variants" in rec:
            desc["training"]["variants_tried"] = {t: {"lr": v["lr"], "score": v["score"]} for t, v in rec["variants"].items()}
        desc["params"] = rec.get("params", {}).get("total")
    if rec is not None and "accuracy" in rec:
        acc = {int(k): v for k, v in rec["accuracy"].items()}
        desc["accuracy_by_pairs"] = acc
        desc["no_recall_baseline_by_pairs"] = {n: round(bag_of_values_baseline(n, trials=1000), 3) for n in acc}
        desc["learned_recall"] = acc[8] > bag_of_values_baseline(8, trials=1000) + 0.1
    if rec is not None and "selcopy" in rec:
        desc["results"] = rec["selcopy"]
    if rec is not None and "noise" in rec:
        desc["results"] = rec["noise"]
    if rec is not None and "induction" in rec:
        desc["results"] = rec["induction"]
    common.write_json(os.path.join(out_dir, "task.json"), desc)


# ------------------------------------------------------------------------------------------ variants
def variant_score(rec):
    if "accuracy" in rec:
        return float(np.mean(list(rec["accuracy"].values())))
    if "selcopy" in rec:
        return rec["selcopy"]["letter_accuracy"]
    if "noise" in rec:
        return -rec["noise"]["padded_bpb"]
    if "induction" in rec:
        return float(np.mean([v["copy_accuracy"] for v in rec["induction"]["by_length"].values()]))
    return float("-inf")


def select_variants(args):
    """For every <task>_<config>@<tag>.json: keep the best-scoring variant as <task>_<config>.json (with the
    scores of all variants), and its model folder as the shipped one; other variants' folders are removed."""
    groups = {}
    for path in sorted(glob.glob(os.path.join(args.results_dir, "*@*.json"))):
        base, tag = os.path.basename(path)[:-5].split("@", 1)
        groups.setdefault(base, []).append((tag, json.load(open(path)), path))
    for base, variants in groups.items():
        task, cname = base.split("_", 1)
        scored = sorted(variants, key=lambda v: variant_score(v[1]), reverse=True)
        tag, best, _ = scored[0]
        best = dict(best)
        best["variants"] = {t: {"score": variant_score(r), "lr": r.get("lr"), "seed": r.get("seed"),
                                "steps": r.get("steps"), "accuracy": r.get("accuracy"), "selcopy": r.get("selcopy"),
                                "noise": r.get("noise"), "induction": r.get("induction"), "error": r.get("error")} for t, r, _ in variants}
        best["chosen_variant"] = tag
        common.write_json(os.path.join(args.results_dir, f"{base}.json"), best)
        ship = SHIP.get(task, {}).get(cname)
        if ship:
            final = os.path.join(args.out_models, ship)
            for t, r, _ in variants:
                d = os.path.join(args.out_models, f"{ship}@{t}")
                if t == tag and os.path.isdir(d):
                    if os.path.isdir(final):
                        import shutil
                        shutil.rmtree(final)
                    os.rename(d, final)
                    write_task_json(task, final, cname, best)
                elif os.path.isdir(d):
                    import shutil
                    shutil.rmtree(d)
        for _, _, path in variants:
            os.remove(path)
        print(f"[select] {base}: {tag} " + ", ".join(f"{t}={variant_score(r):.3f}" for t, r, _ in variants), flush=True)


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




def training_note(r):
    """'3366 steps x 256, lr 3e-3, 400 s (+ induction warm-up)' for a record."""
    rec = r.get("recipe") or {}
    note = f"{r['steps']} steps x {r.get('batch', 64)}, lr {r.get('lr', 0):g}, {r.get('train_seconds', 0):.0f} s"
    if rec.get("induction_share"):
        note += f", induction warm-up {rec['induction_share']:g}"
    if rec.get("stages"):
        note += f", books from {rec['stages'].split(',')[0]}"
    return note


def summarize(args):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    os.makedirs(args.out_img, exist_ok=True)
    recs = {}
    for path in sorted(glob.glob(os.path.join(args.results_dir, "*_*.json"))):
        name = os.path.basename(path)[:-5]
        if name.startswith(("mqar_", "noise_", "selcopy_", "induction_")) and name != "induction":
            recs[name] = json.load(open(path))
    lines = []
    mq = {k[5:]: r for k, r in recs.items() if k.startswith("mqar_") and "accuracy" in r}
    if mq:
        base = [bag_of_values_baseline(n) for n in MQAR_EVAL_PAIRS]
        lines += ["## MQAR accuracy (fraction of queries answered), by number of key-value pairs", "",
                  "| model | params | state floats/layer | training | " + " | ".join(str(n) for n in MQAR_EVAL_PAIRS) + " |",
                  "| --- | --- | --- | --- |" + " --- |" * len(MQAR_EVAL_PAIRS)]
        fig, ax = plt.subplots(1, 2, figsize=(11, 4.2))
        order = sorted(mq, key=lambda c: (mq[c]["family"] != "llama", mq[c]["family"] != "jamba", mq[c]["family"],
                                          mq[c]["memory"].get("ssm_state_bytes_per_layer", 0)))
        for i, c in enumerate(order):
            r = mq[c]
            acc = {int(k): v for k, v in r["accuracy"].items()}
            sfl = r["memory"].get("ssm_state_bytes_per_layer", 0) // 4
            state = {"llama": "KV cache only", "jamba": f"{sfl} + KV cache"}.get(r["family"], str(sfl))
            lines.append(f"| {c}{' (shipped as ' + r['shipped_as'] + ')' if r.get('shipped_as') else ''} | "
                         f"{r['params']['total']} | {state} | {training_note(r)} | "
                         + " | ".join(f"{acc[n]:.2f}" for n in MQAR_EVAL_PAIRS) + " |")
            style = {"llama": "s--", "jamba": "s-"}.get(r["family"], "o-")      # dashed: visible over jamba
            ax[0].plot(MQAR_EVAL_PAIRS, [acc[n] for n in MQAR_EVAL_PAIRS], style, color=f"C{i}", label=c, ms=4)
        lines.append("| no recall (knows the digits in the book, not which key has which) | - | - | - | "
                     + " | ".join(f"{b:.2f}" for b in base) + " |")
        ax[0].plot(MQAR_EVAL_PAIRS, base, "k--", lw=1, label="no recall (bag of values)")
        ax[0].set_xlabel("key-value pairs in the phone book")
        ax[0].set_ylabel("recall accuracy")
        ax[0].set_ylim(0, 1.02)
        ax[0].legend(fontsize=7)
        ax[0].grid(alpha=0.3)
        m2 = sorted([c for c in mq if mq[c]["family"] == "mamba2"], key=lambda c: mq[c]["memory"]["ssm_state_bytes_per_layer"])
        for n, color in ((16, "C0"), (32, "C1"), (64, "C2"), (79, "C3")):
            xs = [mq[c]["memory"]["ssm_state_bytes_per_layer"] // 4 for c in m2]
            ax[1].plot(xs, [mq[c]["accuracy"].get(str(n), mq[c]["accuracy"].get(n)) for c in m2], "o-", color=color,
                       label=f"Mamba-2, {n} pairs")
            ax[1].axhline(bag_of_values_baseline(n), color=color, ls=":", lw=0.8)
        ax[1].set_xscale("log", base=2)
        ax[1].set_xlabel("SSM state per layer (floats): N = 1 ... 128 (N <= 4: round 6 recipe, N >= 8: rounds 4-5)")
        ax[1].set_ylabel("accuracy (dotted: no recall)")
        ax[1].set_ylim(0, 1.02)
        ax[1].grid(alpha=0.3)
        ax[1].legend(fontsize=7)
        fig.suptitle("Multi-query associative recall (2 layers, d_model 128; each model's training in docs/models.md)")
        fig.tight_layout()
        fig.savefig(os.path.join(args.out_img, "mqar_accuracy.png"), dpi=120)
        plt.close(fig)
    sc = {k[8:]: r for k, r in recs.items() if k.startswith("selcopy_") and "selcopy" in r}
    if sc:
        lines += ["", "## Selective copying: accuracy and mean Delta on data vs noise bytes", "",
                  "| model | params | steps | letter accuracy | whole sequences | mean Delta data / noise | ratio |",
                  "| --- | --- | --- | --- | --- | --- | --- |"]
        fig, ax = plt.subplots(1, 2, figsize=(10, 4))
        names = sorted(sc)
        for i, c in enumerate(names):
            r = sc[c]["selcopy"]
            lines.append(f"| {c} | {sc[c]['params']['total']} | {sc[c]['steps']} | {r['letter_accuracy']:.3f} | "
                         f"{r['sequence_accuracy']:.3f} | {r.get('mean_delta_data', 0):.4f} / {r.get('mean_delta_noise', 0):.4f} "
                         f"| {r.get('delta_ratio_data_over_noise', 0):.2f} |")
            ax[0].bar([i], [r["letter_accuracy"]], color="C0" if not c.endswith("-lti") else "C3")
            ax[1].bar([i - 0.2], [r.get("mean_delta_data", 0)], 0.4, color="C2", label="data" if i == 0 else None)
            ax[1].bar([i + 0.2], [r.get("mean_delta_noise", 0)], 0.4, color="C7", label="noise" if i == 0 else None)
        ax[0].axhline(1.0 / len(tasks.SELCOPY_LETTERS), color="k", ls=":", lw=1)
        for a in ax:
            a.set_xticks(range(len(names)))
            a.set_xticklabels(names, fontsize=8)
            a.grid(alpha=0.3, axis="y")
        ax[0].set_ylabel("copied letters right (dotted: chance)")
        ax[0].set_ylim(0, 1.02)
        ax[1].set_ylabel("mean Delta")
        ax[1].legend(fontsize=8)
        fig.suptitle("Selective copying: selective Mamba vs time-invariant control (-lti)")
        fig.tight_layout()
        fig.savefig(os.path.join(args.out_img, "selective_copying.png"), dpi=120)
        plt.close(fig)
    nz = {k[6:]: r for k, r in recs.items() if k.startswith("noise_") and "noise" in r}
    if nz:
        lines += ["", "## Noise padding: content bits per byte and memory, clean vs padded", "",
                  "| model | params | steps | clean bpb | padded bpb | mean length clean / padded | KV bytes clean / padded "
                  "| fixed state bytes | mean Delta content / junk |", "| --- |" + " --- |" * 8]
        fig, ax = plt.subplots(1, 2, figsize=(11, 4.2))
        names = sorted(nz)
        for i, c in enumerate(names):
            r = nz[c]["noise"]
            delta = (f"{r['mean_delta_content']:.3f} / {r['mean_delta_junk']:.3f}" if "mean_delta_junk" in r else "-")
            lines.append(f"| {c} | {nz[c]['params']['total']} | {nz[c]['steps']} | {r['clean_bpb']:.3f} | {r['padded_bpb']:.3f} | "
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
        ax[0].set_ylabel("content bits per byte")
        ax[1].set_ylabel("KV cache + state at end of sequence (KiB, fp32)")
        fig.suptitle("Noise padding: same content, junk bytes inserted (p=0.5, runs of 1-4)")
        fig.tight_layout()
        fig.savefig(os.path.join(args.out_img, "noise_padding.png"), dpi=120)
        plt.close(fig)
    ind = {}
    for path in sorted(glob.glob(os.path.join(args.results_dir, "round*", "induction_*.json"))):
        r = json.load(open(path))
        if "induction" in r:
            ind[os.path.basename(os.path.dirname(path)) + "/" + os.path.basename(path)[10:-5]] = r
    if ind:
        shipped = {(os.path.basename(p)[10:-5], json.load(open(p)).get("chosen_variant"))
                   for p in glob.glob(os.path.join(args.results_dir, "induction_*.json"))}
        lengths = INDUCTION_EVAL_LENGTHS
        lines += ["", "## Induction: copy accuracy on the second copy (bits on the first / second copy), by segment length",
                  "", "| run | params | training | " + " | ".join(str(n) for n in lengths) + " |",
                  "| --- | --- | --- |" + " --- |" * len(lengths)]
        fig, ax = plt.subplots(figsize=(8, 4.2))
        for i, (name, r) in enumerate(ind.items()):
            bl = {int(k): v for k, v in r["induction"]["by_length"].items()}
            family, tag = r["family"], r.get("variant")
            ship = f" (shipped as {SHIP['induction'][r['config_name']]})" if (r["config_name"], tag) in shipped else ""
            both = " both copies" if (r.get("recipe") or {}).get("first_copy_loss") else " second copy"
            lines.append(f"| {name}{ship} | {r['params']['total']} | {training_note(r)},{both} | "
                         + " | ".join(f"{bl[n]['copy_accuracy']:.2f} ({bl[n]['first_copy_bits']:.1f} / "
                                      f"{bl[n]['second_copy_bits']:.2f})" for n in lengths) + " |")
            if ship:
                ax.plot(lengths, [bl[n]["copy_accuracy"] for n in lengths], "o-", lw=2.5,
                        label=f"{SHIP['induction'][r['config_name']]} (shipped)")
            else:
                ax.plot(lengths, [bl[n]["copy_accuracy"] for n in lengths], ":", color="0.6", lw=1)
        ax.plot([], [], ":", color="0.6", label="other runs (rounds 6-7)")
        ax.axvspan(INDUCTION_TRAIN_LENGTHS[1], lengths[-1], color="0.92", label="longer than any trained segment")
        ax.axhline(1.0 / len(INDUCTION_SYMBOLS), color="k", ls="--", lw=0.8, label="chance (1/62)")
        ax.set_xscale("log", base=2)
        ax.set_xlabel("segment length L (the text is L random symbols, then the same L again)")
        ax.set_ylabel("second copy predicted exactly")
        ax.set_ylim(0, 1.02)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
        ax.set_title("In-context copying: the hybrid's attention copies at every length, the SSM's state fills up")
        fig.tight_layout()
        fig.savefig(os.path.join(args.out_img, "induction_models.png"), dpi=120)
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
    if args.select:
        select_variants(args)
        return
    if args.summarize:
        summarize(args)
        return
    info = common.setup_environment(args.seed)
    torch.set_num_threads(1)
    device = torch.device("cuda")
    check_mqar_batch()
    check_selcopy_batch()
    print(f"[env] {json.dumps(info)} scan {fastpaths.select_scan(device, verbose=False)}", flush=True)
    names = args.only.split(",") if args.only else list(CONFIGS[args.task])
    run_task(args.task, names, args, device, info)


if __name__ == "__main__":
    main()
