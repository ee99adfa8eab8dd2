#!/usr/bin/env bash
# Build StateScope's English + Chinese byte-level corpus from text that Debian 12 main packages ship.
#
#   tools/corpus/build_corpus.sh [OUT_DIR]        (default OUT_DIR: <repo>/.corpus, git-ignored)
#
# Fetches the packages named in tools/corpus/assemble_corpus.py (SOURCES) with `apt-get download`
# (no root needed, nothing installed; needs the bookworm package lists, `apt-get update` once),
# unpacks each with `dpkg-deb -x` into OUT_DIR/root/<package>/, records its exact version in
# OUT_DIR/root/<package>.version, then assemble_corpus.py cleans, deduplicates and splits the texts
# into OUT_DIR/train.txt, heldout_en.txt, heldout_zh.txt, heldout_index.json and manifest.json, and
# rewrites tools/corpus/SOURCES.md (versions, licences, sizes). Deterministic for fixed versions.
# Finally OUT_DIR/corpus.tar.xz packs the text files (what travels to the GPU machine).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
OUT="$(mkdir -p "${1:-$ROOT/.corpus}" && cd "${1:-$ROOT/.corpus}" && pwd)"
PACKAGES=$(python3 -c "import sys; sys.path.insert(0, '$HERE'); import assemble_corpus as a; print(' '.join(a.SOURCES))")

mkdir -p "$OUT/debs" "$OUT/root"
(cd "$OUT/debs" && apt-get download $PACKAGES)
for pkg in $PACKAGES; do
  deb=$(ls "$OUT/debs/${pkg}"_*.deb | sort | tail -1)
  rm -rf "$OUT/root/$pkg" && mkdir -p "$OUT/root/$pkg"
  dpkg-deb -x "$deb" "$OUT/root/$pkg"
  dpkg-deb -f "$deb" Version > "$OUT/root/$pkg.version"
done
python3 "$HERE/assemble_corpus.py" --root "$OUT/root" --out "$OUT" --sources-md "$HERE/SOURCES.md"
tar -C "$OUT" -cf - train.txt heldout_en.txt heldout_zh.txt heldout_index.json manifest.json | xz -T2 -6 > "$OUT/corpus.tar.xz"
ls -l "$OUT/corpus.tar.xz"
