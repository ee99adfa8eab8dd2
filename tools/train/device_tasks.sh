#!/usr/bin/env bash
# Train and evaluate the teaching-task models on one CUDA GPU, one process per configuration (tiny
# models leave the GPU mostly idle, so they share it well; repo root, corpus in .corpus/).
# TASKS (default "mqar selcopy noise") picks the tasks; *_SECONDS the training time of each.
# Logs go to $OUT/task_<name>.log; results to tools/train/results/; models to assets/models/.
set -o pipefail
export PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 USE_HUB_KERNELS=0 OMP_NUM_THREADS=1
OUT="${OUT:-/tmp/statescope_out}"
mkdir -p "$OUT" tools/train/results docs/img
LIMIT="${TASK_TIMEOUT:-540}"
run() { local tag=$1; shift; timeout -s INT "$LIMIT" python3 tools/train/train_tasks.py "$@" > "$OUT/task_$tag.log" 2>&1; }
TASKS="${TASKS:-mqar selcopy noise}"
if [[ " $TASKS " == *" mqar "* ]]; then
  for c in llama jamba mamba1-n16 mamba2-n8 mamba2-n16 mamba2-n32 mamba2-n64 mamba2-n128; do
    run "mqar_$c" --task mqar --only "$c" --train-seconds "${MQAR_SECONDS:-330}" &
  done
fi
if [[ " $TASKS " == *" selcopy "* ]]; then
  for c in mamba1 mamba1-lti mamba2 mamba2-lti; do
    run "selcopy_$c" --task selcopy --only "$c" --train-seconds "${SELCOPY_SECONDS:-300}" &
  done
fi
if [[ " $TASKS " == *" noise "* ]]; then
  run noise_a --task noise --only llama,mamba1 --train-seconds "${NOISE_SECONDS:-120}" &
  run noise_b --task noise --only mamba2,jamba --train-seconds "${NOISE_SECONDS:-120}" &
fi
wait
python3 tools/train/train_tasks.py --summarize > "$OUT/task_summary.log" 2>&1
grep -h -E "accuracy|selcopy/|noise/|Error|error|Traceback" "$OUT"/task_*.log | cut -c1-400
cat tools/train/results/tasks_summary.md
