#!/usr/bin/env bash
# One GPU-machine run for issue 12's families (run from the root of a checkout that has the existing
# fixtures and assets; SRC = this worktree's copy): make the new fixtures with transformers (CPU,
# float64), build the CUDA targets meanwhile, run the CUDA suites against them, then the transformers
# check of the new families on CPU and CUDA. Everything goes under $OUT; results.tgz holds the new
# fixture folders and the fixtures README.
set -u
SRC=${1:?usage: families_device_run.sh SRC}
OUT=${OUT:-/tmp/out}
mkdir -p "$OUT"
NEW=${NEW:-falcon_mamba_f32,bamba_gqa_f32,nemotron_h_f32,granite_hybrid_f32}
FAMILIES=${FAMILIES:-falcon_mamba,bamba,nemotron_h,granite_hybrid}
T0=$SECONDS
(cd "$SRC" && timeout 200 python3 tools/make_fixtures.py --out tests/fixtures --only $NEW > "$OUT/fixtures.log" 2>&1
 echo "fixtures rc=$? at $((SECONDS - T0))s" >> "$OUT/fixtures.log") &
FP=$!
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | head -1
cmake -S "$SRC" -B /tmp/b -G Ninja -DSTATESCOPE_GUI=OFF -DSTATESCOPE_NATIVE=OFF -DSTATESCOPE_CUDA_ARCHS=90 \
  -DCMAKE_CUDA_COMPILER=/usr/local/cuda/bin/nvcc -DCMAKE_PREFIX_PATH="$CMAKE_PREFIX_PATH" > "$OUT/build.log" 2>&1
timeout 200 ninja -C /tmp/b -j"$(nproc)" tst_cuda_models tst_cuda_ops statescope-cli >> "$OUT/build.log" 2>&1
echo "build rc=$? at $((SECONDS - T0))s"
grep -B2 -A12 -E "error|FAILED" "$OUT/build.log" | head -60
wait $FP
tail -2 "$OUT/fixtures.log"
tar czf "$OUT/results.tgz" -C "$SRC" tests/fixtures/README.md $(for n in ${NEW//,/ }; do [ -d "$SRC/tests/fixtures/$n" ] && echo tests/fixtures/$n; done)
timeout 60 /tmp/b/tests/gpu/tst_cuda_ops > "$OUT/tst_cuda_ops.log" 2>&1
echo "tst_cuda_ops rc=$? at $((SECONDS - T0))s: $(grep -hE "passed, .* failed|^Totals" "$OUT/tst_cuda_ops.log" | tail -1)"
grep -E "^FAIL" "$OUT/tst_cuda_ops.log" | head -8
STATESCOPE_GPU_TEST_QUICK=1 timeout 120 /tmp/b/tests/gpu/tst_cuda_models > "$OUT/tst_cuda_models.log" 2>&1
echo "tst_cuda_models rc=$? at $((SECONDS - T0))s: $(grep -hE "passed, .* failed|^Totals" "$OUT/tst_cuda_models.log" | tail -1)"
grep -E "^FAIL|fixture\((${NEW//,/|})" "$OUT/tst_cuda_models.log" | head -30
timeout 150 python3 "$SRC/tools/check_transformers.py" --cli /tmp/b/app/statescope-cli --n "${N:-2}" --seed "${SEED:-12}" \
  --families "$FAMILIES" --devices cpu,cuda > "$OUT/check_transformers.log" 2>&1
echo "check_transformers rc=$? at $((SECONDS - T0))s"
grep -vE "Writing|Loading|falling back|^\s*$" "$OUT/check_transformers.log" | tail -30
