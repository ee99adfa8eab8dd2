#!/bin/bash
# The explorer's screenshots in docs/img/: the whole window at 1280x720 and 1920x1080, light and dark,
# the Chinese UI at 1280x720, and each view as an exported figure, all with the headless exporter on the
# four shipped models.
#   tools/screenshots.sh [BUILD_DIR] [OUT_DIR]      (defaults: build, docs/img)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
out=${2:-docs/img}
mkdir -p "$out"
models=()
for m in mamba1-bytes mamba2-bytes llama-bytes jamba-bytes; do models+=(--model "assets/models/$m"); done
common=(--input README.md --token 40 --window 0:120)
for size in 1280x720 1920x1080; do
  for dark in "" --dark; do
    "$build/app/statescope" export "${models[@]}" "${common[@]}" --panel window --size "$size" --dpi 96 $dark \
      --out "$out/explorer-$size${dark:+-dark}.png"
  done
done
# The Simplified Chinese UI (fonts-wqy-microhei renders the CJK text).
"$build/app/statescope" export "${models[@]}" "${common[@]}" --panel window --size 1280x720 --dpi 96 --language zh \
  --out "$out/explorer-1280x720-zh.png"
for panel in state delta matrix prediction memory cost; do
  "$build/app/statescope" export "${models[@]}" "${common[@]}" --panel "$panel" --size 1280x640 --dpi 96 \
    --out "$out/panel-$panel.png"
done
