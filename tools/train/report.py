#!/usr/bin/env python3
"""Print the markdown tables of docs/models.md from the stored results (no GPU, no transformers).

    python3 tools/train/report.py            # LM tables; the task tables are in results/tasks_summary.md
"""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def kib(n):
    return f"{n / 1024:.1f} KiB" if n else "0"


def main():
    r = json.load(open(os.path.join(HERE, "results", "lm_results.json")))
    models = r["models"]
    env = next(iter(models.values()))["env"]
    print(f"transformers {env['transformers']}, torch {env['torch']}, {env['cuda_device']}\n")
    print("| model | class | layers | params (total / non-embedding) | bytes seen | steps | held-out en | held-out zh "
          "| max abs logit diff, fast path vs transformers |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for m in models.values():
        if "error" in m:
            print(f"| {m['name']} | error: {m['error']} |")
            continue
        p = m["params"]
        params = f"{p['total']:,} / {p['non_embedding']:,}"
        if p["active"] != p["total"]:
            params += f" ({p['active']:,} active per byte)"
        layers = ", ".join(m["memory"]["layers"]) if len(set(m["memory"]["layers"])) > 1 else \
            f"{len(m['memory']['layers'])} x {m['memory']['layers'][0]}"
        pc = m["patch_check"]
        diff = f"{pc['max_abs_diff']:.1e} (logits up to {pc['max_abs_logit']:.0f})"
        print(f"| {m['name']} | {m['class']} | {layers} | {params} | {m['tokens'] / 1e6:.1f} M | {m['steps']} | "
              f"**{m['heldout_bpb']['en']:.3f}** | **{m['heldout_bpb']['zh']:.3f}** | {diff} |")
    buckets = ["1-511", "512-2047", "2048-8191", "8192-32767"]
    for lang, title in (("en", "English"), ("zh", "Chinese")):
        print(f"\n{title}: bits per byte by position (8 windows of 32768 bytes from document starts)\n")
        print("| model | " + " | ".join(buckets) + " |")
        print("| --- |" + " --- |" * len(buckets))
        for m in models.values():
            if "position_bpb" in m:
                print(f"| {m['name']} | " + " | ".join(f"{m['position_bpb'][lang][b]:.3f}" for b in buckets) + " |")
    print("\n| model | SSM state per SSM layer (fp32) | conv state per SSM layer (fp32) | SSM layers | fixed state, whole model "
          "| KV cache per byte of context, whole model (fp32) | KV cache at 512 bytes | KV cache at 128 Ki bytes |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for m in models.values():
        if "error" in m:
            continue
        mem = m["memory"]
        shape = "x".join(str(s) for s in mem.get("ssm_state_shape", []))
        ssm = f"{kib(mem['ssm_state_bytes_per_layer'])} ({shape})" if shape else "-"
        conv = kib(mem.get("conv_state_bytes_per_layer", 0)) if shape else "-"
        kv = mem["kv_bytes_per_token"]
        print(f"| {m['name']} | {ssm} | {conv} | {mem['ssm_layers']} | {kib(mem['fixed_state_bytes'])} | "
              f"{kv:,} B | {kib(kv * 512)} | {kv * 131072 / 2**20:.0f} MiB |")
    print("\n| model | files in assets/models/<name> |")
    print("| --- | --- |")
    for m in models.values():
        if "files" in m:
            print(f"| {m['name']} | " + ", ".join(f"{k} ({v / 1e6:.2f} MB)" if v > 1e5 else f"{k}"
                                                  for k, v in m["files"].items()) + " |")
    jam = models.get("jamba", {})
    if "expert_usage_slices_top_k" in jam:
        print("\nJamba expert choices on the three reference slices (top-2 per byte):")
        for k, v in jam["expert_usage_slices_top_k"].items():
            tot = sum(v)
            print(f"- {k}: " + ", ".join(f"expert {i}: {100 * x / tot:.1f}%" for i, x in enumerate(v)))


if __name__ == "__main__":
    main()
