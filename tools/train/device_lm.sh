#!/usr/bin/env bash
# Train and evaluate the four byte-level LMs on one CUDA GPU, in four parallel processes (repo root;
# corpus in .corpus/). Each process trains for LM_SECONDS (default 320) of wall-clock time, then
# evaluates (held-out bits/byte per language and by position, reference logits for the C++ tests).
# Logs go to $OUT/lm_<family>.log; results to tools/train/results/lm_results.json; plots to docs/img.
set -o pipefail
export PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 USE_HUB_KERNELS=0 OMP_NUM_THREADS=2
OUT="${OUT:-/tmp/statescope_out}"
mkdir -p "$OUT" tools/train/results docs/img
for f in mamba1 mamba2 llama jamba; do
  timeout -s INT "${LM_TIMEOUT:-540}" python3 tools/train/train_lm.py --family $f \
    --train-seconds "${LM_SECONDS:-320}" "$@" > "$OUT/lm_$f.log" 2>&1 &
done
wait
python3 tools/train/train_lm.py --merge >> "$OUT/lm_merge.log" 2>&1
grep -h -E "smoke|held-out|trained|slices|Error|error|Traceback" "$OUT"/lm_*.log | cut -c1-600
