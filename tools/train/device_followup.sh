#!/usr/bin/env bash
# Second GPU call (after device_all.sh): re-evaluate the four saved LMs (held-out and by-position
# tables from document starts) and retrain the task models that need it, without the LMs' training
# competing for the GPU. Expects: assets/models/<lm>/ (from the first call), tools/train/results/ (first
# call's results), .corpus/ with heldout_{en,zh}.txt, heldout_index.json, manifest.json and a train.txt
# holding at least the English fortunes (noise padding trains on them).
#   MQAR: every configuration at two learning rates (1e-3, 3e-3; jamba 1e-3 only), the better kept
#   (--select; both recorded). Selective copying: Mamba-1 and its time-invariant control again.
#   Noise padding: all four, one process each.
# Packs into $OUT: logs.tgz, lm_refs.tgz (model.json + reference files of the LMs), task_models.tgz,
# results.tgz.
set -o pipefail
export PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 USE_HUB_KERNELS=0 OMP_NUM_THREADS=1
OUT="${OUT:-/tmp/statescope_out}"
L="$OUT/logs"; mkdir -p "$L" docs/img
LIMIT="${TASK_TIMEOUT:-370}"
T="${TASK_SECONDS:-290}"
run() { local tag=$1; shift; timeout -s INT "$LIMIT" python3 tools/train/train_tasks.py "$@" > "$L/task_$tag.log" 2>&1; }
for f in mamba1 mamba2 llama jamba; do
  timeout -s INT "$LIMIT" python3 tools/train/train_lm.py --family $f --eval-only > "$L/lm_eval_$f.log" 2>&1 &
done
for c in llama mamba1-n16 mamba2-n8 mamba2-n16 mamba2-n32 mamba2-n64 mamba2-n128; do
  run "mqar_${c}_a" --task mqar --only "$c" --train-seconds "$T" --lr 1e-3 --tag lr1e-3 &
  run "mqar_${c}_b" --task mqar --only "$c" --train-seconds "$T" --lr 3e-3 --tag lr3e-3 &
done
run mqar_jamba --task mqar --only jamba --train-seconds "$T" --lr 1e-3 --tag lr1e-3 &
run selcopy_m1 --task selcopy --only mamba1 --train-seconds "$T" &
run selcopy_m1lti --task selcopy --only mamba1-lti --train-seconds "$T" &
for c in llama mamba1 mamba2 jamba; do
  run "noise_$c" --task noise --only "$c" --train-seconds "$T" &
done
wait
python3 tools/train/train_tasks.py --select > "$L/select.log" 2>&1
python3 tools/train/train_tasks.py --summarize > "$L/summary.log" 2>&1
python3 tools/train/train_lm.py --merge > "$L/lm_merge.log" 2>&1
grep -h -E "held-out|select|accuracy|selcopy/|noise/|Error|error|Traceback" "$L"/*.log | cut -c1-500
cat tools/train/results/tasks_summary.md
tar czf "$OUT/logs.tgz" -C "$OUT" logs && rm -rf "$L"
tar czf "$OUT/lm_refs.tgz" --exclude model.safetensors assets/models/*-bytes
tar czf "$OUT/task_models.tgz" assets/models/mqar-* assets/models/selcopy-* assets/models/noise-* 2>/dev/null
tar czf "$OUT/results.tgz" docs/img tools/train/results
ls -la "$OUT"
