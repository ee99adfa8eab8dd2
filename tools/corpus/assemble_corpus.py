#!/usr/bin/env python3
"""Assemble the byte-level corpus from installed Debian packages (called by build_corpus.sh).

Documents:
  * fortune files (/usr/share/games/fortunes/...): one document per cookie (the '%' lines separate them);
  * licence texts (/usr/share/common-licenses, package base-files): consecutive paragraphs grouped into
    documents of at least 1000 bytes.
Cleaning: UTF-8 decode (every file used decodes as UTF-8; anything else aborts), ANSI colour escapes
removed (fortunes-zh uses them), backspace overstrike resolved, other control characters except
newline and tab removed, trailing blanks stripped. Exact duplicate documents are kept once.
Split: a document is held out when int(sha1(document bytes)) % 20 == 0, so the split does not depend
on file order. Each document is written followed by "\n%\n" (the fortune separator).
"""
import argparse
import hashlib
import json
import os
import re
import subprocess
import sys

FORTUNE_DIR = "/usr/share/games/fortunes/"
LICENSE_DIR = "/usr/share/common-licenses/"
HELDOUT_MOD = 20
SEPARATOR = "\n%\n"
EXCLUDED_BASENAMES = {"ascii-art", "asciiart", "translate-me"}  # pictures and a to-do list, not prose

# Summaries written after reading each package's /usr/share/doc/<pkg>/copyright (Debian 12).
LICENSES = {
    "fortunes": "BSD (fortune-mod, (c) 1991 The Regents of the University of California); "
                "data files distributed with it",
    "fortunes-min": "BSD (same copyright file as fortunes)",
    "fortunes-bofh-excuses": "Public domain (placed there by the author)",
    "fortunes-debian-hints": "BSD-3-clause",
    "fortunes-zh": "GPL-3.0+",
    "fortunes-de": "GPL-2+",
    "fortunes-es": "GPL-2+ for the packaging; the copyright file states the fortunes themselves "
                   "are presumed to be in the public domain",
    "fortunes-ru": "GPL-2 (data), GPL-2+ (packaging)",
    "base-files": "licence texts; each permits verbatim copying (e.g. GPL: 'Everyone is permitted to "
                  "copy and distribute verbatim copies of this license document')",
}
LANGUAGE = {
    "fortunes": "en", "fortunes-min": "en", "fortunes-bofh-excuses": "en",
    "fortunes-debian-hints": "multi", "fortunes-zh": "zh", "fortunes-de": "de",
    "fortunes-es": "es", "fortunes-ru": "ru", "base-files": "en",
}

ANSI_RE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
OVERSTRIKE_RE = re.compile(r"[^\x08\n]\x08")
CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def dpkg_version(pkg):
    return subprocess.run(["dpkg-query", "-W", "-f=${Version}", pkg], check=True,
                          capture_output=True, text=True).stdout.strip()


def package_files(pkg):
    out = subprocess.run(["dpkg-query", "-L", pkg], check=True, capture_output=True, text=True).stdout
    return sorted(line for line in out.splitlines() if line)


def clean(text):
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = ANSI_RE.sub("", text)
    while True:  # "_\bX" and "X\bX" overstrike: keep the last character
        new = OVERSTRIKE_RE.sub("", text)
        if new == text:
            break
        text = new
    text = CONTROL_RE.sub("", text)
    return "\n".join(line.rstrip() for line in text.split("\n")).strip("\n")


def fortune_documents(path):
    with open(path, "rb") as f:
        raw = f.read()
    text = raw.decode("utf-8")  # raises on anything that is not UTF-8
    docs = []
    for chunk in re.split(r"^%[ \t]*$", text, flags=re.M):
        doc = clean(chunk)
        if doc.strip():
            docs.append(doc)
    return docs


def license_documents(path, min_bytes=1000):
    with open(path, "rb") as f:
        text = clean(f.read().decode("utf-8"))
    paragraphs = [p for p in re.split(r"\n[ \t]*\n", text) if p.strip()]
    docs, cur = [], []
    for p in paragraphs:
        cur.append(p)
        if len("\n\n".join(cur).encode()) >= min_bytes:
            docs.append("\n\n".join(cur))
            cur = []
    if cur:
        docs.append("\n\n".join(cur))
    return docs


def sources_for(pkg):
    """(path, kind) pairs that this package contributes."""
    result = []
    for path in package_files(pkg):
        if os.path.islink(path) or not os.path.isfile(path):
            continue
        if path.startswith(FORTUNE_DIR):
            rel = path[len(FORTUNE_DIR):]
            base = os.path.basename(rel)
            if path.endswith(".dat") or path.endswith(".u8") or "/off/" in path or base in EXCLUDED_BASENAMES:
                continue
            result.append((path, "fortune"))
        elif path.startswith(LICENSE_DIR):
            result.append((path, "license"))
    return result


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--sources-md", required=True)
    ap.add_argument("packages", nargs="+")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)

    seen = set()
    train_parts, held_parts, held_index = [], [], []
    train_bytes = held_bytes = 0
    stats = {}
    for pkg in args.packages:
        st = stats.setdefault(pkg, {"version": dpkg_version(pkg), "files": 0, "docs": 0,
                                    "train_bytes": 0, "heldout_bytes": 0, "duplicates": 0})
        for path, kind in sources_for(pkg):
            docs = fortune_documents(path) if kind == "fortune" else license_documents(path)
            st["files"] += 1
            for doc in docs:
                data = (doc + SEPARATOR).encode("utf-8")
                key = hashlib.sha1(doc.encode("utf-8")).digest()
                if key in seen:
                    st["duplicates"] += 1
                    continue
                seen.add(key)
                st["docs"] += 1
                if int.from_bytes(key, "big") % HELDOUT_MOD == 0:
                    held_index.append({"package": pkg, "file": path, "offset": held_bytes, "length": len(data)})
                    held_parts.append(data)
                    held_bytes += len(data)
                    st["heldout_bytes"] += len(data)
                else:
                    train_parts.append(data)
                    train_bytes += len(data)
                    st["train_bytes"] += len(data)

    train = b"".join(train_parts)
    held = b"".join(held_parts)
    with open(os.path.join(args.out, "train.txt"), "wb") as f:
        f.write(train)
    with open(os.path.join(args.out, "heldout.txt"), "wb") as f:
        f.write(held)
    with open(os.path.join(args.out, "heldout_index.json"), "w") as f:
        json.dump(held_index, f, indent=0)
    manifest = {
        "train_bytes": len(train), "heldout_bytes": len(held),
        "train_sha256": hashlib.sha256(train).hexdigest(),
        "heldout_sha256": hashlib.sha256(held).hexdigest(),
        "heldout_rule": f"int(sha1(document)) % {HELDOUT_MOD} == 0",
        "packages": stats,
    }
    with open(os.path.join(args.out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    write_sources_md(args.sources_md, manifest)
    print(f"train.txt {len(train)} bytes, heldout.txt {len(held)} bytes -> {args.out}")
    for pkg, st in stats.items():
        print(f"  {pkg:24s} {st['version']:16s} files={st['files']:3d} docs={st['docs']:6d} "
              f"train={st['train_bytes']:9d} heldout={st['heldout_bytes']:8d} dup={st['duplicates']}")


def write_sources_md(path, manifest):
    lines = [
        "# Corpus sources",
        "",
        "Generated by `tools/corpus/build_corpus.sh` (do not edit by hand: rerun it). The corpus is every",
        "text named below, installed from Debian 12 (bookworm) with apt-get, cleaned and split by",
        "`tools/corpus/assemble_corpus.py`. The corpus itself is not committed (it lives in the ignored",
        "folder `.corpus/`); rebuild it with the script.",
        "",
        f"- train.txt: {manifest['train_bytes']} bytes, sha256 `{manifest['train_sha256']}`",
        f"- heldout.txt: {manifest['heldout_bytes']} bytes, sha256 `{manifest['heldout_sha256']}`",
        f"- held-out rule: a document is held out when {manifest['heldout_rule']}",
        "- excluded: `.dat`/`.u8` index files and links, the Spanish `off/` (offensive) section,",
        "  ASCII-art files (`ascii-art`, `de/asciiart`) and `translate-me`",
        "",
        "| package | version | language | licence (from /usr/share/doc/<pkg>/copyright) | files | documents | train bytes | held-out bytes |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for pkg, st in manifest["packages"].items():
        lines.append(f"| {pkg} | {st['version']} | {LANGUAGE.get(pkg, '?')} | {LICENSES.get(pkg, 'see copyright file')} "
                     f"| {st['files']} | {st['docs']} | {st['train_bytes']} | {st['heldout_bytes']} |")
    lines += [
        "",
        "Notes:",
        "- base-files contributes only `/usr/share/common-licenses` (the licence texts themselves).",
        "- The GPL-licensed fortune collections (zh, de, ru) are used as training text; the shipped",
        "  models are statistical summaries of the whole corpus, and the only corpus text shipped in this",
        "  repository is the 512-byte held-out slices next to each model (`reference_heldout_*.bin`),",
        "  taken from `fortunes` (BSD) and `fortunes-zh` (GPL-3.0+); the latter is attributed here.",
        "- Licence texts overlap a lot with each other (GPL-2/GPL-3/LGPL), so held-out licence paragraphs",
        "  are easier than held-out fortunes.",
        "",
    ]
    with open(path, "w") as f:
        f.write("\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())
