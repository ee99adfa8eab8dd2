#!/usr/bin/env bash
# One GPU call: unpack the corpus, train the four LMs and every task model at the same time on one GPU,
# pack what must come back into $OUT (at most 8 files, each under 16 MB):
#   logs.tgz, lm-<name>.tgz (one per language model), task_models.tgz, results.tgz (results JSON + plots).
#   bash tools/train/device_all.sh [CORPUS_TAR_XZ]      (default .corpus/corpus.tar.xz)
set -o pipefail
OUT="${OUT:-/tmp/statescope_out}"; export OUT
START=$(date +%s)
mkdir -p .corpus "$OUT/logs"
[ -f .corpus/train.txt ] || tar -C .corpus -xJf "${1:-.corpus/corpus.tar.xz}"
nvidia-smi --query-gpu=name,memory.used,memory.total --format=csv > "$OUT/logs/gpu.txt" 2>&1
OUT="$OUT/logs" bash tools/train/device_lm.sh > "$OUT/logs/lm_summary.txt" 2>&1 &
OUT="$OUT/logs" bash tools/train/device_tasks.sh > "$OUT/logs/tasks_summary.txt" 2>&1 &
wait
echo "elapsed $(( $(date +%s) - START )) s" >> "$OUT/logs/lm_summary.txt"
nvidia-smi --query-gpu=name,memory.used,memory.total --format=csv >> "$OUT/logs/gpu.txt" 2>&1
tar czf "$OUT/logs.tgz" -C "$OUT" logs && rm -rf "$OUT/logs"
for m in mamba1-bytes mamba2-bytes llama-bytes jamba-bytes; do
  [ -d "assets/models/$m" ] && tar czf "$OUT/lm-$m.tgz" "assets/models/$m"
done
tar czf "$OUT/task_models.tgz" assets/models/mqar-* assets/models/selcopy-* assets/models/noise-* 2>/dev/null
tar czf "$OUT/results.tgz" docs/img tools/train/results 2>/dev/null
cat "$OUT/logs/lm_summary.txt" "$OUT/logs/tasks_summary.txt" | cut -c1-300 | tail -80
ls -la "$OUT"
