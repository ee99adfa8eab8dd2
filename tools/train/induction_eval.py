#!/usr/bin/env python3
"""In-context copying (induction) of the four shipped language models on repeated random strings.

    python3 tools/train/induction_eval.py            # GPU machine; writes tools/train/results/induction.json
                                                     # and docs/img/induction.png

Input: tasks.induction_example(L): L random letters/digits (62 symbols, so log2 62 = 5.95 bits per
byte is the loss of a model that knows the alphabet but cannot copy), the same L again, a newline.
Per model: mean loss (bits) on the first copy (positions 1..L-1) and on the second copy (positions
L+1..2L-1, the scored answers of induction_example), 64 examples per L, L = 32, 128, 512 (1025
bytes: inside every model's 2048-byte training length). Computed by transformers' own code (float32
from the shipped bf16 weights, eager attention, not patched). For the attention layers (Llama, Jamba's
attention layer) also the induction score of every head: the mean attention weight that a byte of
the second copy puts on the byte right after its earlier occurrence (position t - L + 1), at L = 128;
a perfect induction head scores 1, uniform attention about 1/t.
"""
import json
import os
import random
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
import models  # noqa: E402
import tasks  # noqa: E402

LENGTHS = (32, 128, 512)
N_EXAMPLES = 64
LM = {"mamba1": "mamba1-bytes", "mamba2": "mamba2-bytes", "llama": "llama-bytes", "jamba": "jamba-bytes"}


def examples(length, n, seed):
    rng = random.Random(seed)
    return [tasks.induction_example(length, rng)[0] for _ in range(n)]


@torch.no_grad()
def per_byte_bits(model, rows, device, chunk=32):
    out = []
    for i in range(0, len(rows), chunk):
        x = torch.tensor([list(r) for r in rows[i:i + chunk]], device=device)
        logp = torch.log_softmax(model(input_ids=x, use_cache=False).logits.float(), -1)
        out.append((-logp[:, :-1].gather(2, x[:, 1:, None])[..., 0] / common.LN2).cpu())
    return torch.cat(out)          # (n, T-1): bits for predicting byte t+1 from bytes 0..t


@torch.no_grad()
def induction_scores(model, family, rows, length, device):
    """Per attention layer and head: mean attention from t in the second copy to t - length + 1."""
    x = torch.tensor([list(r) for r in rows[:16]], device=device)
    outs = model(input_ids=x, use_cache=False, output_attentions=True)
    kinds = models.layer_kinds(family, model.config)
    att = [a for a in outs.attentions if a is not None]
    res = {}
    idx = [i for i, k in enumerate(kinds) if k == "attention"]
    t = torch.arange(length, 2 * length - 1, device=device)           # predicting t+1 (second copy)
    for li, a in zip(idx, att):
        # a: (b, heads, T, T); the byte after the earlier occurrence of x[t] is at t - length + 1
        w = a[:, :, t, t - length + 1].float().mean(dim=(0, 2))
        res[f"layer {li}"] = [round(v, 4) for v in w.tolist()]
    return res


def main():
    info = common.setup_environment(0)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    results = {"what": __doc__.strip().split("\n\n")[1], "env": info, "lengths": list(LENGTHS),
               "examples_per_length": N_EXAMPLES, "uniform_bits": float(np.log2(len(tasks.INDUCTION_ALPHABET))),
               "models": {}}
    curves = {}
    for family, folder in LM.items():
        path = os.path.join("assets/models", folder)
        model = models.load_pretrained(family, path, device)
        r = {"folder": folder, "by_length": {}}
        for length in LENGTHS:
            rows = examples(length, N_EXAMPLES, seed=1000 + length)
            bits = per_byte_bits(model, rows, device)                   # (n, 2L)
            first = bits[:, 0:length - 1].mean().item()                  # predicting bytes 1..L-1
            second = bits[:, length:2 * length - 1].mean().item()        # predicting bytes L+1..2L-1
            r["by_length"][str(length)] = {"first_copy_bits": round(first, 4), "second_copy_bits": round(second, 4),
                                           "reduction_bits": round(first - second, 4)}
            if length == 128:
                curves[family] = bits.mean(0)[:2 * length].tolist()
                if family in ("llama", "jamba"):
                    try:
                        r["induction_head_scores_L128"] = induction_scores(model, family, rows, length, device)
                    except Exception as exc:           # the loss numbers stand without the head scores
                        r["induction_head_scores_error"] = f"{type(exc).__name__}: {exc}"
            print(f"[induction] {folder} L={length}: first copy {first:.3f} bits/byte, second copy {second:.3f}",
                  flush=True)
        results["models"][family] = r
        os.makedirs("tools/train/results", exist_ok=True)
        common.write_json("tools/train/results/induction.json", results)
        del model
        torch.cuda.empty_cache()
    os.makedirs("tools/train/results", exist_ok=True)
    common.write_json("tools/train/results/induction.json", results)
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(9, 4))
    for i, (family, c) in enumerate(curves.items()):
        k = 8   # moving average over 8 bytes
        sm = np.convolve(np.array(c), np.ones(k) / k, mode="valid")
        ax.plot(np.arange(len(sm)) + k, sm, color=f"C{i}", label=LM[family])
    ax.axvline(128, color="k", lw=0.8, ls="--")
    ax.axhline(results["uniform_bits"], color="gray", lw=0.8, ls=":", label="uniform over the 62 symbols")
    ax.set_xlabel("position (a random 128-byte string, then the same string again)")
    ax.set_ylabel("bits per byte (mean of 64, 8-byte moving average)")
    ax.set_title("In-context copying: loss on the second copy vs the first")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    os.makedirs("docs/img", exist_ok=True)
    fig.savefig("docs/img/induction.png", dpi=120)


if __name__ == "__main__":
    main()
