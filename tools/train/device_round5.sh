#!/usr/bin/env bash
# Round 5 of the teaching-task models (issue 11), one GPU call of at most 600 s: round 4's MQAR recipe
# exactly (device_round4.sh: lr 3e-3, batch 256, books from 16 pairs, the same wall-clock budget, 17
# processes at once on one H200 so that every run sees the same contention), for the small states that
# round 4 did not cover (Mamba-2 N = 1, 2, 4: 256 to 1024 state floats per layer, three seeds each) and
# more seeds for the sizes whose three seeds disagreed (N = 8, 16, 32, 64, 128). Writes $OUT/round5.tgz
# like round 4.
set -o pipefail
export PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 USE_HUB_KERNELS=0 OMP_NUM_THREADS=1
OUT="${OUT:-/tmp/statescope_out}"
L=logs_round5; mkdir -p "$L"
T="${T:-380}"
LIMIT="${LIMIT:-500}"
rm -f tools/train/results/*@*.json
run() { local tag=$1; shift; timeout -s INT "$LIMIT" python3 tools/train/train_tasks.py --train-seconds "$T" "$@" \
          > "$L/task_$tag.log" 2>&1; }
mqar() { run m2n$1_s$2 --task mqar --only mamba2-n$1 --batch 256 --lr 3e-3 --stages 16,32,48,64,79 \
           --first-share 0.35 --seed $2 --tag r4s$2 & }
for n in 1 2 4; do for s in 1 2 3; do mqar $n $s; done; done
for s in 4 5; do mqar 16 $s; mqar 32 $s; mqar 64 $s; done
mqar 8 4; mqar 128 4
wait
grep -h -E "accuracy|Error|error|Traceback" "$L"/*.log | cut -c1-400
tar czf "$OUT/round5.tgz" tools/train/results/*@*.json assets/models/*@* "$L"
ls -la "$OUT"
