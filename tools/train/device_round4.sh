#!/usr/bin/env bash
# Round 4 of the teaching-task models (issue 11), one GPU call of at most 600 s: the Mamba-2 state-size
# sweep on MQAR with ONE recipe (N = 8, 16, 32, 64, 128; three seeds each; the same learning rate,
# batch, curriculum and wall-clock budget, all trained at the same time on one H200, so every run sees
# the same contention), and noise padding for Llama and Jamba with three quarters of the rows padded
# (the recipe with which the SSMs' gap shrank in round 3). Run from the repo root; noise padding needs
# .corpus/ (tools/corpus/build_corpus.sh: the English fortunes of train.txt and the held-out files).
# Writes $OUT/round4.tgz: the variant results (tools/train/results/*@*.json), their model folders
# (assets/models/*@*) and the logs. The per-seed table and the variant choice (--select) are made
# afterwards on the workstation (numpy + matplotlib, no torch).
set -o pipefail
export PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 USE_HUB_KERNELS=0 OMP_NUM_THREADS=1
OUT="${OUT:-/tmp/statescope_out}"
L=logs_round4; mkdir -p "$L"
T="${T:-400}"
LIMIT="${LIMIT:-520}"
rm -f tools/train/results/*@*.json
run() { local tag=$1; shift; timeout -s INT "$LIMIT" python3 tools/train/train_tasks.py --train-seconds "$T" "$@" \
          > "$L/task_$tag.log" 2>&1; }
for n in 8 16 32 64 128; do
  for s in 1 2 3; do
    run m2n${n}_s$s --task mqar --only mamba2-n$n --batch 256 --lr 3e-3 --stages 16,32,48,64,79 \
      --first-share 0.35 --seed $s --tag r4s$s &
  done
done
if [ -f .corpus/train.txt ]; then
  run noise_llama --task noise --only llama --lr 3e-3 --padded-frac 0.75 --batch 128 --seed 1 --tag r4 &
  run noise_jamba --task noise --only jamba --lr 3e-3 --padded-frac 0.75 --batch 128 --seed 1 --tag r4 &
fi
wait
grep -h -E "accuracy|books|noise/|Error|error|Traceback" "$L"/*.log | cut -c1-400
tar czf "$OUT/round4.tgz" tools/train/results/*@*.json assets/models/*@* "$L"
ls -la "$OUT"
