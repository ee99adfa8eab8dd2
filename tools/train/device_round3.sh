#!/usr/bin/env bash
# Third round of the teaching-task models (issue 11), one GPU call of at most 600 s: every configuration
# that had not learned, retrained with 4x larger batches (256), a curriculum that starts at books of up
# to 16 pairs (MQAR), higher learning rates and several seeds, all at once on one H200 (one process
# each), plus the induction evaluation of the four language models. Run from the repo root, with this
# tools/train. Writes, under $OUT: logs.tgz, task_models.tgz (the new model folders), results.tgz
# (tools/train/results + docs/img), ckpt.tgz (float32 checkpoints of the chosen variants, to continue).
#   T: training seconds per configuration (default 420); NOISE=1 also trains noise padding
#   (needs .corpus/ with the English fortunes).
set -o pipefail
export PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 USE_HUB_KERNELS=0 OMP_NUM_THREADS=1
OUT="${OUT:-/tmp/statescope_out}"
L="$OUT/logs"; C=/tmp/round3_ckpt; mkdir -p "$L" "$C" docs/img tools/train/results/round2
T="${T:-400}"
LIMIT="${LIMIT:-530}"
# Keep the previous round's records of the configurations retrained here.
for f in mqar_llama mqar_mamba2-n8 mqar_mamba2-n16 mqar_mamba2-n64 selcopy_mamba1 selcopy_mamba1-lti noise_mamba1 noise_mamba2; do
  [ -f tools/train/results/$f.json ] && cp tools/train/results/$f.json tools/train/results/round2/
done
run() { local tag=$1; shift; timeout -s INT "$LIMIT" python3 tools/train/train_tasks.py --ckpt-dir "$C" \
          --train-seconds "$T" --batch 256 "$@" > "$L/task_$tag.log" 2>&1; }
S16="16,32,48,64,79"
run llama_a --task mqar --only llama --lr 3e-3 --stages "$S16" --first-share 0.35 --seed 1 --tag a &
run llama_b --task mqar --only llama --lr 1e-3 --stages "$S16" --first-share 0.35 --seed 2 --tag b &
run llama_c --task mqar --only llama --lr 3e-3 --stages "8,$S16" --first-share 0.3 --weight-decay 0 --seed 3 --tag c &
run llama_d --task mqar --only llama --lr 1e-3 --stages "$S16" --first-share 0.35 --size '{"n_layer": 4}' --seed 4 --tag d &
run llama_e --task mqar --only llama --lr 6e-3 --stages "$S16" --first-share 0.35 --size '{"n_head": 8}' --seed 5 --tag e &
run m2n8_a --task mqar --only mamba2-n8 --lr 3e-3 --stages "$S16" --first-share 0.35 --seed 1 --tag a &
run m2n8_b --task mqar --only mamba2-n8 --lr 1e-3 --stages "$S16" --first-share 0.35 --seed 2 --tag b &
run m2n16_a --task mqar --only mamba2-n16 --lr 1e-3 --stages "$S16" --first-share 0.35 --seed 1 --tag a &
run m2n64_a --task mqar --only mamba2-n64 --lr 1e-3 --stages "$S16" --first-share 0.35 --seed 1 --tag a &
run sc_m1_a --task selcopy --only mamba1 --lr 3e-3 --seed 1 --tag a &
run sc_m1_b --task selcopy --only mamba1 --lr 6e-3 --seed 2 --tag b &
run sc_m1lti --task selcopy --only mamba1-lti --lr 3e-3 --seed 1 --tag a &
if [ "${NOISE:-0}" = 1 ]; then
  run noise_m1 --task noise --only mamba1 --lr 3e-3 --padded-frac 0.75 --batch 128 --seed 1 --tag a &
  run noise_m2 --task noise --only mamba2 --lr 3e-3 --padded-frac 0.75 --batch 128 --seed 1 --tag a &
fi
timeout -s INT 300 python3 tools/train/induction_eval.py > "$L/induction.log" 2>&1 &
wait
python3 tools/train/train_tasks.py --select > "$L/select.log" 2>&1
python3 tools/train/train_tasks.py --summarize > "$L/summary.log" 2>&1
grep -h -E "induction|select|accuracy|selcopy/|noise/|Error|error|Traceback" "$L"/*.log | cut -c1-600
cat tools/train/results/tasks_summary.md
tar czf "$OUT/logs.tgz" -C "$OUT" logs && rm -rf "$L"
tar czf "$OUT/task_models.tgz" assets/models/mqar-llama assets/models/mqar-mamba2 assets/models/mqar-mamba2-n8 \
  assets/models/mqar-mamba2-n16 assets/models/selcopy-mamba1 assets/models/selcopy-mamba1-lti \
  $( [ "${NOISE:-0}" = 1 ] && echo assets/models/noise-mamba1 assets/models/noise-mamba2 ) 2>/dev/null
tar czf "$OUT/results.tgz" docs/img tools/train/results
python3 - "$C" "$OUT/ckpt.tgz" <<'PY'
# The chosen variant's checkpoint of every configuration (at most 15 MB packed: optimizer states dropped past that).
import glob, json, os, sys, tarfile, torch
ckdir, dest = sys.argv[1], sys.argv[2]
keep = []
for path in sorted(glob.glob("tools/train/results/*_*.json")):
    rec = json.load(open(path))
    tag = rec.get("chosen_variant")
    f = os.path.join(ckdir, os.path.basename(path)[:-5] + f"@{tag}.pt")
    if tag and os.path.exists(f):
        keep.append(f)
total = sum(os.path.getsize(f) for f in keep)
for f in sorted(keep, key=os.path.getsize, reverse=True):
    if total <= 15e6:
        break
    ck = torch.load(f, weights_only=False)
    before = os.path.getsize(f)
    ck.pop("opt")
    torch.save(ck, f)
    total -= before - os.path.getsize(f)
with tarfile.open(dest, "w:gz") as t:
    for f in keep:
        t.add(f, arcname=os.path.basename(f))
print("checkpoints:", [os.path.basename(f) for f in keep], f"{total / 1e6:.1f} MB")
PY
ls -la "$OUT" "$C"
