#!/usr/bin/env bash
# Train and evaluate the four byte-level LMs on a CUDA machine (repo root; corpus in .corpus/).
# Everything that must come back is packed into $OUT (default /tmp/statescope_out):
#   lm_log.txt, hf_src.tgz (the installed transformers' model sources, for reading),
#   <model>.tgz for each of the four models, lm_results.tgz (results JSON + curves PNG).
# Extra arguments go to train_lm.py (e.g. --steps 2000).
set -o pipefail
export PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 USE_HUB_KERNELS=0
OUT="${OUT:-/tmp/statescope_out}"
mkdir -p "$OUT"
START=$(date +%s)
nvidia-smi --query-gpu=name,memory.used,memory.total,clocks.sm --format=csv 2>&1 | tee "$OUT/lm_log.txt"
timeout -s INT "${LM_TIMEOUT:-500}" python3 tools/train/train_lm.py --dump-src "$OUT/hf_src" "$@" 2>&1 | tee -a "$OUT/lm_log.txt"
rc=$?
if [ $(( $(date +%s) - START )) -lt "${TASK_CALIBRATE_BEFORE:-470}" ]; then
  timeout -s INT 60 python3 tools/train/train_tasks.py --calibrate 2>&1 | tee -a "$OUT/lm_log.txt"
fi
[ -d "$OUT/hf_src" ] && tar czf "$OUT/hf_src.tgz" -C "$OUT" hf_src && rm -rf "$OUT/hf_src"
for m in mamba1-bytes mamba2-bytes llama-bytes jamba-bytes; do
  [ -d "assets/models/$m" ] && tar czf "$OUT/$m.tgz" "assets/models/$m"
done
tar czf "$OUT/lm_results.tgz" docs/img tools/train/results 2>/dev/null
ls -la "$OUT"
exit $rc
