#!/usr/bin/env bash
# The GPU verification run: build the CUDA targets, run every GPU suite, then compute-sanitizer
# (memcheck with leak check, racecheck) over each suite in quick mode, then the transformers check
# on the CUDA backend, then (optional) the GPU benchmark. Needs nvcc, cmake, ninja, Eigen and
# nlohmann-json (CMAKE_PREFIX_PATH), PyTorch + transformers for the check; no Qt.
#
#   tools/gpu_check.sh [--bench SECTIONS] [--arch 90] [--budget SECONDS]
#                      [--suites "tst_a tst_b"] [--sanitize "memcheck racecheck"] [--sanitize-limit SECONDS] [--no-check]
#
# Logs go to $OUT (or build-gpu/logs); the summary lines are printed.
set -u
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
arch=90
bench=""
budget=560
suites=""
sanitize="memcheck racecheck"
sanitize_limit=90
check=1
while [ $# -gt 0 ]; do
  case "$1" in
    --bench) bench=$2; shift 2 ;;
    --arch) arch=$2; shift 2 ;;
    --budget) budget=$2; shift 2 ;;
    --suites) suites=$2; shift 2 ;;
    --sanitize) sanitize=$2; shift 2 ;;
    --sanitize-limit) sanitize_limit=$2; shift 2 ;;
    --no-check) check=0; shift ;;
    *) echo "usage: tools/gpu_check.sh [--bench SECTIONS] [--arch N] [--budget SECONDS] [--suites LIST] [--sanitize TOOLS] [--sanitize-limit S] [--no-check]" >&2; exit 2 ;;
  esac
done
build=${BUILD_DIR:-/tmp/statescope-gpu}
logs=${OUT:-$root/build-gpu/logs}
mkdir -p "$logs"
left() { local want=$1 r=$((budget - SECONDS)); [ "$r" -lt "$want" ] && want=$r; [ "$want" -lt 1 ] && want=1; echo "$want"; }

nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | head -1
cmake -S "$root" -B "$build" -G Ninja -DSTATESCOPE_GUI=OFF -DSTATESCOPE_NATIVE=OFF -DSTATESCOPE_CUDA_ARCHS="$arch" \
  -DCMAKE_CUDA_COMPILER="${CUDACXX:-/usr/local/cuda/bin/nvcc}" ${CMAKE_PREFIX_PATH:+-DCMAKE_PREFIX_PATH=$CMAKE_PREFIX_PATH} \
  > "$logs/build.log" 2>&1 || { tail -30 "$logs/build.log"; exit 1; }
[ -z "$suites" ] && suites=$(cd "$root/tests/gpu" && ls tst_*.cpp | sed 's/\.cpp$//')
# shellcheck disable=SC2086
ninja -C "$build" -j"$(nproc)" $suites statescope-cli statescope-bench-cuda >> "$logs/build.log" 2>&1 ||
  { grep -A12 -E "error|FAILED" "$logs/build.log" | head -80; exit 1; }
echo "built at ${SECONDS}s"

status=0
for t in $suites; do
  timeout "$(left 150)" "$build/tests/gpu/$t" > "$logs/$t.log" 2>&1
  rc=$?
  [ $rc -ne 0 ] && status=1
  echo "$t rc=$rc: $(grep -hE "^Totals|passed, .* failed" "$logs/$t.log" | tail -1)"
  grep -hE "^FAIL" "$logs/$t.log" | head -5
done
for tool in $sanitize; do
  for t in $suites; do
    extra=""
    [ $tool = memcheck ] && extra="--leak-check full"
    # shellcheck disable=SC2086
    STATESCOPE_GPU_TEST_QUICK=1 timeout "$(left "$sanitize_limit")" compute-sanitizer --tool $tool $extra "$build/tests/gpu/$t" \
      > "$logs/$tool-$t.log" 2>&1
    echo "$tool $t rc=$?: $(grep -hE "ERROR SUMMARY|RACECHECK SUMMARY|LEAK SUMMARY" "$logs/$tool-$t.log" | tr '\n' ' ')"
  done
done
if [ $check = 1 ] && python3 -c "import torch, transformers" 2>/dev/null; then
  timeout "$(left 120)" python3 "$root/tools/check_transformers.py" --cli "$build/app/statescope-cli" --n 4 --seed 11 \
    > "$logs/check_transformers.log" 2>&1
  echo "check_transformers (--device auto: cuda here) rc=$?: $(tail -1 "$logs/check_transformers.log")"
fi
if [ -n "$bench" ]; then
  timeout "$(left 300)" "$build/tools/bench/statescope-bench-cuda" --sections "$bench" --shipped "$root/assets/models" > "$logs/bench.md" 2>&1
  echo "bench rc=$? at ${SECONDS}s"
fi
echo "done at ${SECONDS}s"
exit $status
