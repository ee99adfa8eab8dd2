#!/usr/bin/env bash
# One GPU-machine run for Zamba2 (issue 12, part 3), as tools/families_device_run.sh does for the
# families before it; run from the root of a checkout of branch zamba2 (SRC = that checkout):
#   make the two Zamba2 fixtures with transformers 5.17 (CPU, float64 reference), build the CUDA
#   targets meanwhile, run tst_cuda_ops (gelu_mul, concat_cols) and tst_cuda_models (the zamba2 random
#   model and every fixture, the new ones included) on the GPU, then the transformers check of random
#   Zamba2 models on CPU and CUDA. Everything goes under $OUT; results.tgz holds the new fixture folders
#   and the regenerated fixtures README.
set -u
SRC=${1:?usage: zamba2_device_run.sh SRC}
OUT=${OUT:-/tmp/out}
mkdir -p "$OUT"
NEW=${NEW:-zamba2_a_f32,zamba2_gqa_f32}
T0=$SECONDS
(cd "$SRC" && timeout 200 python3 tools/make_fixtures.py --out tests/fixtures --only $NEW > "$OUT/fixtures.log" 2>&1
 echo "fixtures rc=$? at $((SECONDS - T0))s" >> "$OUT/fixtures.log") &
FP=$!
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | head -1
cmake -S "$SRC" -B /tmp/b -G Ninja -DSTATESCOPE_GUI=OFF -DSTATESCOPE_NATIVE=OFF -DSTATESCOPE_CUDA_ARCHS=90 \
  -DCMAKE_CUDA_COMPILER=/usr/local/cuda/bin/nvcc -DCMAKE_PREFIX_PATH="${CMAKE_PREFIX_PATH:-}" > "$OUT/build.log" 2>&1
timeout 220 ninja -C /tmp/b -j"$(nproc)" tst_cuda_models tst_cuda_ops statescope-cli >> "$OUT/build.log" 2>&1
echo "build rc=$? at $((SECONDS - T0))s"
grep -B2 -A12 -E "error|FAILED" "$OUT/build.log" | head -60
wait $FP
tail -3 "$OUT/fixtures.log"
tar czf "$OUT/results.tgz" -C "$SRC" tests/fixtures/README.md $(for n in ${NEW//,/ }; do [ -d "$SRC/tests/fixtures/$n" ] && echo tests/fixtures/$n; done)
for n in ${NEW//,/ }; do
  [ -f "$SRC/tests/fixtures/$n/reference/logits.npy" ] &&
    timeout 30 /tmp/b/app/statescope-cli logits --device cpu --model "$SRC/tests/fixtures/$n" \
      --input "$SRC/tests/fixtures/$n/reference/input.bin" --out "$OUT/$n.cpu.npy" > /dev/null 2>&1 &&
    python3 -c "import numpy as np,sys; a=np.load(sys.argv[1]).astype('f8'); b=np.load(sys.argv[2]); print(sys.argv[3], 'CPU rel L2 %.3g' % (np.linalg.norm(a-b)/np.linalg.norm(b)), 'top1 same', (a.argmax(-1)==b.argmax(-1)).all())" \
      "$OUT/$n.cpu.npy" "$SRC/tests/fixtures/$n/reference/logits.npy" "$n"
done
timeout 60 /tmp/b/tests/gpu/tst_cuda_ops > "$OUT/tst_cuda_ops.log" 2>&1
echo "tst_cuda_ops rc=$? at $((SECONDS - T0))s: $(grep -hE "passed, .* failed|^Totals" "$OUT/tst_cuda_ops.log" | tail -1)"
grep -E "^FAIL|gelu_mul|concat_cols" "$OUT/tst_cuda_ops.log" | head -8
STATESCOPE_GPU_TEST_QUICK=1 timeout 120 /tmp/b/tests/gpu/tst_cuda_models > "$OUT/tst_cuda_models.log" 2>&1
echo "tst_cuda_models rc=$? at $((SECONDS - T0))s: $(grep -hE "passed, .* failed|^Totals" "$OUT/tst_cuda_models.log" | tail -1)"
grep -E "^FAIL|zamba2" "$OUT/tst_cuda_models.log" | head -20
timeout 120 python3 "$SRC/tools/check_transformers.py" --cli /tmp/b/app/statescope-cli --n 4 --seed 12 \
  --families zamba2 --devices cpu,cuda > "$OUT/check_transformers.log" 2>&1
echo "check_transformers rc=$? at $((SECONDS - T0))s"
grep -vE "Writing|Loading|falling back|^\s*$" "$OUT/check_transformers.log" | tail -20
