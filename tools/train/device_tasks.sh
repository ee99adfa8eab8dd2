#!/usr/bin/env bash
# Train and evaluate the teaching-task models on a CUDA machine (repo root; corpus in .corpus/).
# One process per configuration (tiny models leave the GPU mostly idle, so they share it well).
# Packs into $OUT: tasks_log.txt, task_models.tgz, task_results.tgz.
set -o pipefail
export PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 USE_HUB_KERNELS=0
OUT="${OUT:-/tmp/statescope_out}"
mkdir -p "$OUT" tools/train/results docs/img
LIMIT="${TASK_TIMEOUT:-470}"
run() { local tag=$1; shift; timeout -s INT "$LIMIT" python3 tools/train/train_tasks.py --train-deadline "${TRAIN_DEADLINE:-380}" "$@" > "$OUT/task_$tag.log" 2>&1; }
TASKS="${TASKS:-mqar noise}"
if [[ " $TASKS " == *" mqar "* ]]; then
  for c in llama jamba mamba1-n4 mamba1-n16 mamba1-n64 mamba2-n16 mamba2-n64; do
    run "mqar_$c" --task mqar --only "$c" &
  done
fi
if [[ " $TASKS " == *" noise "* ]]; then
  run noise_a --task noise --only llama,mamba1 &
  run noise_b --task noise --only mamba2,jamba &
fi
wait
python3 tools/train/train_tasks.py --summarize > "$OUT/task_summary.log" 2>&1
for f in "$OUT"/task_*.log; do echo "==== $f"; cat "$f"; done > "$OUT/tasks_log.txt"
rm -f "$OUT"/task_*.log
tar czf "$OUT/task_models.tgz" assets/models/mqar-* assets/models/noise-* 2>/dev/null
tar czf "$OUT/task_results.tgz" docs/img tools/train/results 2>/dev/null
grep -E "accuracy|noise/|deadline|Error|error|Traceback" "$OUT/tasks_log.txt" | cut -c1-400
cat tools/train/results/tasks_summary.md
ls -la "$OUT"
