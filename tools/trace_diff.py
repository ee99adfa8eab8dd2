#!/usr/bin/env python3
"""Where two `statescope-cli trace` runs of one model part: every traced tensor of run B against run A
(relative L2 and max abs), in layer order, so the first tensor that drifts shows where a backend or a
precision goes wrong.

    statescope-cli trace --model M --input IN --out A --device cpu
    statescope-cli trace --model M --input IN --out B --device cuda --precision bf16
    python3 tools/trace_diff.py A B            # numpy"""
import os
import re
import sys

import numpy as np


def main(a, b):
    names = sorted(f for f in os.listdir(a) if f.endswith(".npy") and os.path.exists(os.path.join(b, f)))
    def key(f):
        m = re.search(r"_L(\d+)\.npy$", f)
        return (int(m.group(1)) if m else 10**6, f)
    for f in sorted(names, key=key):
        x, y = np.load(os.path.join(a, f)).astype(np.float64), np.load(os.path.join(b, f)).astype(np.float64)
        if x.shape != y.shape:
            print(f"{f:32s} shape {x.shape} vs {y.shape}")
            continue
        if x.size == 0:
            continue
        d = np.linalg.norm(y - x) / max(np.linalg.norm(x), 1e-30)
        print(f"{f:32s} rel {d:9.2e}   max abs {np.abs(y - x).max():9.2e}   {list(x.shape)}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
