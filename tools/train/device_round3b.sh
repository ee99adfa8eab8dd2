#!/usr/bin/env bash
# Second GPU call of round 3 (issue 11): Llama on MQAR with an induction warm-up (for the first
# IND share of the time every other batch is repeated random strings, tasks.induction_example, whose
# second copy gives a dense copying signal; the mechanism, an induction head, is the one recall needs),
# and Mamba-2 N = 16 / 32 at the learning rate with which N = 8 left the plateau in the first call.
# All at once on one H200, T seconds each. Writes $OUT/round3b.tgz: the variant results
# (tools/train/results/*@*.json), their model folders (assets/models/*@*) and the logs; the variant
# choice (--select) and the tables (--summarize) are made afterwards on the workstation.
set -o pipefail
export PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 USE_HUB_KERNELS=0 OMP_NUM_THREADS=1
OUT="${OUT:-/tmp/statescope_out}"
L=logs_round3b; mkdir -p "$L"
T="${T:-120}"
LIMIT="${LIMIT:-175}"
rm -f tools/train/results/*@*.json
run() { local tag=$1; shift; timeout -s INT "$LIMIT" python3 tools/train/train_tasks.py --train-seconds "$T" \
          --batch 256 --stages 16,32,48,64,79 "$@" > "$L/task_$tag.log" 2>&1; }
run llama_f --task mqar --only llama --lr 1e-3 --induction-share 0.4 --first-share 0.5 --seed 1 --tag f &
run llama_g --task mqar --only llama --lr 3e-3 --induction-share 0.4 --first-share 0.5 --seed 1 --tag g &
run llama_h --task mqar --only llama --lr 3e-3 --induction-share 0.4 --first-share 0.5 --seed 2 --tag h &
run llama_i --task mqar --only llama --lr 1e-3 --induction-share 0.6 --first-share 0.65 --seed 3 --tag i &
run llama_j --task mqar --only llama --lr 2e-3 --induction-share 0.4 --first-share 0.5 --seed 4 --tag j &
run m2n16_c --task mqar --only mamba2-n16 --lr 3e-3 --first-share 0.35 --seed 1 --tag c &
run m2n32_c --task mqar --only mamba2-n32 --lr 3e-3 --first-share 0.35 --seed 1 --tag c &
wait
grep -h -E "accuracy|books|Error|error|Traceback" "$L"/*.log | cut -c1-400
tar czf "$OUT/round3b.tgz" tools/train/results/*@*.json assets/models/*@* "$L"
ls -la "$OUT"
