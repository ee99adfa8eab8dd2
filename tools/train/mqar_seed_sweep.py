#!/usr/bin/env python3
"""The one-recipe Mamba-2 state-size sweep on MQAR (rounds 4 and 5, issue 11): every run of
tools/train/results/round4/ (device_round4.sh, device_round5.sh: lr 3e-3, batch 256, books from 16
pairs, 380 s each, 17 runs at a time on one H200), as a table per state size and seed, and a plot.

    /usr/bin/python3 tools/train/mqar_seed_sweep.py            # prints the markdown table, writes docs/img/mqar_seeds.png

No torch (summarize_local's stand-in); numpy + matplotlib."""
import glob
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import summarize_local  # noqa: E402,F401  (torch stand-in before train_tasks)
import train_tasks  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(HERE))
SIZES = [2, 4, 8, 16, 24, 32, 48, 64, 79]
LEARNED = 0.15  # a run "left the plateau" when its accuracy at 16 pairs beats no recall by this much


def main():
    runs, failed = {}, []
    for path in sorted(glob.glob(os.path.join(HERE, "results", "round4", "mqar_mamba2-n*@*.json"))):
        r = json.load(open(path))
        if "error" in r:  # a run that died (its error is in the record); named below, not counted
            failed.append((os.path.basename(path), r["error"].strip().splitlines()[-1][:90]))
            continue
        n = int(r["config_name"].split("-n")[1])
        runs.setdefault(n, []).append(r)
    base = [train_tasks.bag_of_values_baseline(k) for k in SIZES]
    print("| N | state floats/layer | seed | steps | " + " | ".join(str(k) for k in SIZES) + " | left the plateau |")
    print("| --- | --- | --- | --- | " + " | ".join("---" for _ in SIZES) + " | --- |")
    summary = []
    for n in sorted(runs):
        rs = sorted(runs[n], key=lambda r: r["seed"])
        learned = 0
        for r in rs:
            acc = [float(r["accuracy"][str(k)]) for k in SIZES]
            ok = acc[SIZES.index(16)] - base[SIZES.index(16)] > LEARNED
            learned += ok
            floats = r["memory"]["state_floats_per_layer"] if "state_floats_per_layer" in r.get("memory", {}) else 256 * n
            print(f"| {n} | {floats} | {r['seed']} | {r['steps']} | " + " | ".join(f"{a:.2f}" for a in acc) + f" | {'yes' if ok else 'no'} |")
        summary.append((n, learned, len(rs), max(rs, key=lambda r: float(r["accuracy"]["79"]))))
    print("| no recall | - | - | - | " + " | ".join(f"{b:.2f}" for b in base) + " | - |")
    print()
    for name, err in failed:
        print(f"not counted: {name} died: {err}")
    for n, learned, total, best in summary:
        print(f"N = {n}: {learned} of {total} seeds left the plateau; best seed {best['seed']}: "
              f"{float(best['accuracy']['16']):.2f} at 16 pairs, {float(best['accuracy']['79']):.2f} at 79")

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(12, 4.6))
    cmap = plt.get_cmap("viridis")
    ns = sorted(runs)
    for i, n in enumerate(ns):
        col = cmap(i / max(1, len(ns) - 1))
        for j, r in enumerate(sorted(runs[n], key=lambda r: r["seed"])):
            a1.plot(SIZES, [float(r["accuracy"][str(k)]) for k in SIZES], "-o", ms=3, color=col, alpha=0.85,
                    label=f"N = {n}" if j == 0 else None)
        frac = [s[1] / s[2] for s in summary if s[0] == n][0]
        a2.bar(i, frac, color=col)
        a2.text(i, frac + 0.02, f"{[s for s in summary if s[0] == n][0][1]}/{len(runs[n])}", ha="center", fontsize=11)
    a1.plot(SIZES, base, "k--", lw=2, label="no recall")
    a1.set_xlabel("pairs in the book", fontsize=12)
    a1.set_ylabel("accuracy on the values", fontsize=12)
    a1.set_title("Mamba-2 on MQAR, one recipe, every seed", fontsize=13)
    a1.legend(fontsize=9, ncol=2, loc="center right", framealpha=0.9)
    a1.set_ylim(0, 1.02)
    a2.set_xticks(range(len(ns)), [str(n) for n in ns])
    a2.set_xlabel("state size N (256·N floats per layer)", fontsize=12)
    a2.set_ylabel("share of seeds that left the plateau", fontsize=12)
    a2.set_ylim(0, 1.1)
    a2.set_title("Seeds that left the plateau (16 pairs: > no recall + 0.15)", fontsize=12)
    fig.tight_layout()
    out = os.path.join(ROOT, "docs", "img", "mqar_seeds.png")
    fig.savefig(out, dpi=110)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
