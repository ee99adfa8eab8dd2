#!/usr/bin/env bash
# Round 6 of the teaching-task models (issue 11), one GPU call of at most 600 s, 15 processes at once on
# one H200 (each process trains one model for the same wall-clock budget T):
# - induction (in-context copying): a random segment of 16..256 symbols written twice, loss on the second
#   copy (tasks.induction_example), for the four families at d_model 128, 2 layers (Mamba-1 and
#   Mamba-2 with N = 16); two seeds for Llama and Mamba-2. Evaluated at segment lengths 16..1024
#   (past 256: longer than anything trained).
# - MQAR for the small states that rounds 4-5 left on the plateau (Mamba-2 N = 1, 2, 4, three seeds
#   each), with an easier start than round 4: books of 2..4 pairs first, then the ladder 8..79, and
#   every other batch repeated random strings for the first 20% of the time (the induction warm-up that
#   got Llama off the plateau in round 3). Whether a small state then learns small books tells "cannot
#   hold the book" from "did not learn recall".
# Writes $OUT/round6.tgz: results/*@*.json (variants), assets/models/*@* (shipped candidates), logs.
set -o pipefail
export PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 USE_HUB_KERNELS=0 OMP_NUM_THREADS=1
OUT="${OUT:-/tmp/statescope_out}"
L=logs_round6; mkdir -p "$L"
T="${T:-460}"
LIMIT="${LIMIT:-545}"
rm -f tools/train/results/*@*.json
run() { local tag=$1; shift; timeout -s INT "$LIMIT" python3 tools/train/train_tasks.py --train-seconds "$T" "$@" \
          > "$L/task_$tag.log" 2>&1; }
ind() { run ind_$1_s$2 --task induction --only $1 --seed $2 --tag r6s$2 & }
mqar() { run m2n$1_s$2 --task mqar --only mamba2-n$1 --batch 256 --lr 3e-3 --stages 4,8,16,32,48,64,79 \
           --first-share 0.3 --stage-share 0.1 --induction-share 0.2 --seed $2 --tag r6s$2 & }
ind llama 1; ind llama 2; ind jamba 1; ind mamba1 1; ind mamba2 1; ind mamba2 2
for n in 1 2 4; do for s in 1 2 3; do mqar $n $s; done; done
wait
grep -h -E "accuracy|induction/|Error|error|Traceback" "$L"/*.log | cut -c1-600
tar czf "$OUT/round6.tgz" tools/train/results/*@*.json assets/models/*@* "$L"
ls -la "$OUT"
