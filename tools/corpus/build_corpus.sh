#!/usr/bin/env bash
# Build StateScope's byte-level text corpus from text that Debian packages ship.
#
#   tools/corpus/build_corpus.sh [OUT_DIR]        (default OUT_DIR: <repo>/.corpus, git-ignored)
#
# Installs the packages named below with apt-get (skip with SKIP_APT=1 if they are already there),
# then tools/corpus/assemble_corpus.py cleans the texts, splits them into documents, holds out
# every document whose SHA-1 is 0 mod 20, and writes OUT_DIR/train.txt, OUT_DIR/heldout.txt,
# OUT_DIR/heldout_index.json and OUT_DIR/manifest.json. It also rewrites tools/corpus/SOURCES.md
# with the exact package versions found, so a diff of SOURCES.md shows when the inputs changed.
# The output is deterministic for fixed package versions.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
OUT="${1:-$ROOT/.corpus}"

# Order matters: documents are written in this order (English first).
PACKAGES=(
  fortunes              # English fortune cookies (BSD fortune-mod data)
  fortunes-min          # English: fortunes, literature, riddles
  fortunes-bofh-excuses # English: BOFH excuses
  fortunes-debian-hints # Debian hints in ~15 languages
  fortunes-zh           # Chinese: fortunes, Tang poems (tang300), Song ci (song100)
  fortunes-de           # German
  fortunes-es           # Spanish (the off/ section is excluded)
  fortunes-ru           # Russian
  base-files            # /usr/share/common-licenses: licence texts (English)
)

if [ "${SKIP_APT:-0}" != "1" ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${PACKAGES[@]}"
fi

python3 "$HERE/assemble_corpus.py" --out "$OUT" --sources-md "$HERE/SOURCES.md" "${PACKAGES[@]}"
