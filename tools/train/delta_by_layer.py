#!/usr/bin/env python3
"""Mean Δ per layer on the selective-copying and noise-padding models, read through the explorer.

    python3 tools/train/delta_by_layer.py [--statescope build/app/statescope] [--corpus .corpus]

For each shipped selcopy-* model: 16 examples of tasks.selective_copy_example (seeds 1000-1015), mean Δ
(over channels or heads) on the data letters vs the noise bytes of the 128-byte region, per layer. For
noise-mamba1/-mamba2/-jamba: 16 held-out English fortunes (first 200 bytes, from .corpus) padded by
tasks.pad_with_noise (seeds 0-15), mean Δ on content vs junk bytes, per layer. Δ comes from
`statescope export --panel delta --format csv` (our core, whose logits tests/tst_shipped_models checks
against transformers). Standard library only; prints a markdown table.
"""
import argparse
import csv
import json
import os
import random
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import tasks  # noqa: E402


def deltas(exe, model, data, layer, tmp):
    """Mean Δ per token (over channels/heads) of one layer, for the bytes `data`."""
    inp, out = os.path.join(tmp, "in.txt"), os.path.join(tmp, "delta.csv")
    with open(inp, "wb") as f:
        f.write(data)
    subprocess.run([exe, "export", "--model", model, "--input", inp, "--panel", "delta", "--token", "0",
                    "--format", "csv", "--out", out, "--layer", str(layer)], check=True, capture_output=True)
    rows = [r for r in csv.reader(open(out)) if r and not r[0].startswith("#")][1:]
    return {int(r[0]): sum(float(v) for v in r[1:]) / (len(r) - 1) for r in rows}


def mean_by_mask(per_token, mask):
    s = {True: [0.0, 0], False: [0.0, 0]}
    for t, d in per_token.items():
        if t in mask:
            s[mask[t]][0] += d
            s[mask[t]][1] += 1
    return s


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--statescope", default=os.path.join(ROOT, "build", "app", "statescope"))
    ap.add_argument("--corpus", default=os.path.join(ROOT, ".corpus"))
    ap.add_argument("--models", default=os.path.join(ROOT, "assets", "models"))
    args = ap.parse_args()
    print("| model | layer | mean Δ on data / content | mean Δ on noise / junk | ratio |")
    print("| --- | --- | --- | --- | --- |")
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("selcopy-mamba1", "selcopy-mamba1-lti", "selcopy-mamba2", "selcopy-mamba2-lti"):
            for layer in (0, 1):
                tot = {True: [0.0, 0], False: [0.0, 0]}
                for seed in range(16):
                    data, _ = tasks.selective_copy_example(tasks.SELCOPY_DATA, tasks.SELCOPY_REGION, random.Random(1000 + seed))
                    mask = {t: data[t] != ord(tasks.SELCOPY_NOISE) for t in range(tasks.SELCOPY_REGION)}
                    for k, v in mean_by_mask(deltas(args.statescope, os.path.join(args.models, name), data, layer, tmp),
                                             mask).items():
                        tot[k][0] += v[0]
                        tot[k][1] += v[1]
                a, b = tot[True][0] / tot[True][1], tot[False][0] / tot[False][1]
                print(f"| {name} | {layer} | {a:.5f} | {b:.6f} | data / noise {a / b:.1f} |", flush=True)
        held = open(os.path.join(args.corpus, "heldout_en.txt"), "rb").read()
        index = json.load(open(os.path.join(args.corpus, "heldout_index.json")))
        docs = [e for e in index if e["package"] == "fortunes" and e["length"] >= 200][:16]
        for name, layers in (("noise-mamba1", (0, 1)), ("noise-mamba2", (0, 1)), ("noise-jamba", (0,))):
            for layer in layers:
                tot = {True: [0.0, 0], False: [0.0, 0]}
                for k, e in enumerate(docs):
                    padded, is_content = tasks.pad_with_noise(held[e["offset"]:e["offset"] + 200], random.Random(k))
                    mask = dict(enumerate(is_content))
                    for kk, v in mean_by_mask(deltas(args.statescope, os.path.join(args.models, name), padded, layer,
                                                     tmp), mask).items():
                        tot[kk][0] += v[0]
                        tot[kk][1] += v[1]
                a, b = tot[True][0] / tot[True][1], tot[False][0] / tot[False][1]
                print(f"| {name} | {layer} | {a:.4f} | {b:.4f} | junk / content {b / a:.2f} |", flush=True)


if __name__ == "__main__":
    main()
