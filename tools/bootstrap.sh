#!/usr/bin/env bash
# One entry point for a fresh Debian machine: installs what is missing, builds, then either opens the
# explorer on its built-in models (`run`) or runs every test (`test`).
#   tools/bootstrap.sh run     # build + open the app
#   tools/bootstrap.sh test    # build + run the whole test suite through CTest
# Environment: BUILD_DIR (default build), CUDA_ARCHS (default 75; "all-major" for a release build),
# JOBS (default: number of cores).
set -euo pipefail
mode=${1:-run}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${BUILD_DIR:-$root/build}
jobs=${JOBS:-$(nproc)}

packages=(cmake ninja-build g++ pkg-config libeigen3-dev nlohmann-json3-dev
          qt6-base-dev qt6-charts-dev libqt6opengl6-dev qt6-svg-dev libgl-dev xvfb xauth fonts-dejavu-core fonts-wqy-microhei
          libpcre2-dev libicu-dev qt6-tools-dev qt6-tools-dev-tools qt6-l10n-tools qt6-translations-l10n)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "bootstrap: installing ${missing[*]}"
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

cuda_args=()
if command -v nvcc >/dev/null 2>&1 || [ -x /usr/local/cuda/bin/nvcc ]; then
  cuda_args=(-DCMAKE_CUDA_COMPILER="$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)" -DCMAKE_CUDA_ARCHITECTURES="${CUDA_ARCHS:-75}")
fi
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release "${cuda_args[@]}"
cmake --build "$build" -j "$jobs"

case "$mode" in
  test)
    cd "$build"
    rc=0
    ctest --output-on-failure -j "$jobs" || rc=$?
    # Say why the skipped suites (the GPU ones on a machine without a GPU) did not run.
    grep -h "^SKIP  " Testing/Temporary/LastTest.log 2>/dev/null | sort -u || true
    exit $rc
    ;;
  run)
    app="$build/app/statescope"
    [ -x "$app" ] || app="$build/app/statescope-cli"
    if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ] && [ "$(basename "$app")" = statescope ]; then
      echo "bootstrap: no display found; starting the explorer under Xvfb (set DISPLAY to use yours)"
      exec xvfb-run -a -s "-screen 0 1920x1080x24" "$app"
    fi
    exec "$app" "${@:2}"
    ;;
  *) echo "usage: tools/bootstrap.sh run|test" >&2; exit 2 ;;
esac
