#!/usr/bin/env python3
"""Assemble the English + Chinese byte-level corpus from extracted Debian packages (called by build_corpus.sh).

Input: ROOT/<package>/ holds each package's files (`dpkg-deb -x`), ROOT/<package>.version its version.
Every source below names the files it takes (glob patterns inside the package), their kind and their
language; a file is one document:
  * fortune  one document per cookie ('%' lines separate them);
  * html     text of the page (html.parser): script/style/head and DocBook/Sphinx navigation dropped,
             block elements end a line, whitespace inside a line collapsed (not inside <pre>);
  * man      roff source with the macros removed (section titles kept as lines, font escapes dropped,
             \\- \\(em ... turned into their characters); `.so` links and symlinks skipped;
  * text     the file as it is (Python's reStructuredText sources, plain-text manuals).
Cleaning (every kind): UTF-8 decode (a file that does not decode is skipped and counted), ANSI colour
escapes removed, backspace overstrike resolved, control characters except newline and tab removed,
trailing blanks stripped, runs of more than two blank lines squeezed.
Deduplication, in the order of SOURCES: a paragraph (text between blank lines) of at least 40 bytes that
was seen before is dropped; a short line that occurs in 20 or more documents (navigation, "Prev",
"Next", headers) is dropped; an exact duplicate document is dropped; a document with fewer than 64 bytes
left is dropped. Because paragraphs are deduplicated across the whole corpus before the split, no
paragraph of the held-out part appears verbatim in the training part.
Language: the source's, except that a document of a Chinese source with fewer than 15% CJK characters
(an untranslated page) counts as English.
Split: a document is held out when int(sha1(document bytes)) % 20 == 0 (independent of file order).
Outputs: train.txt, heldout_en.txt, heldout_zh.txt (documents followed by SEPARATOR), heldout_index.json,
manifest.json; SOURCES.md (the table of packages, versions, licences and sizes).
"""
import argparse
import collections
import glob
import gzip
import hashlib
import html.parser
import json
import os
import re
import sys

HELDOUT_MOD = 20
SEPARATOR = "\n%\n"
MIN_DOC_BYTES = 64
DEDUP_PARAGRAPH_BYTES = 40
BOILERPLATE_DOCS = 20

# package -> (licence summary read from usr/share/doc/<pkg>/copyright, [(glob, kind, language)]).
# Only licences that allow redistributing modified or derived works are used.
U = "usr/share/"
SOURCES = {
    "fortunes": ("BSD-4-clause (fortune-mod, (c) 1991 The Regents of the University of California); data files distributed with it",
                 [(U + "games/fortunes/*", "fortune", "en")]),
    "fortunes-min": ("BSD (same copyright file as fortunes)", [(U + "games/fortunes/*", "fortune", "en")]),
    "fortunes-bofh-excuses": ("public domain (placed there by the author)", [(U + "games/fortunes/*", "fortune", "en")]),
    "manpages": ("mixed per page: Linux-man-pages-copyleft, GPL-1+/2/2+, BSD-2/3/4-clause, Expat (all allow modified copies)",
                 [(U + "man/man*/*", "man", "en")]),
    "manpages-dev": ("as manpages (same source package)", [(U + "man/man*/*", "man", "en")]),
    "debian-faq": ("SPI permission notice: verbatim and modified copies may be distributed (GPL-style)",
                   [(U + "doc/debian/FAQ/*.html", "html", "en")]),
    "maint-guide": ("GPL-2+ or MIT", [(U + "doc/maint-guide/html/*.en.html", "html", "en")]),
    "debian-reference-en": ("GPL-2+", [(U + "debian-reference/*.en.html", "html", "en")]),
    "developers-reference": ("GPL-2", [(U + "developers-reference/_sources/*.rst.txt", "text", "en")]),
    "debian-policy": ("GPL-2+ (policy), BSD-3-clause, FHS licence (modified copies allowed with notice)",
                      [(U + "doc/debian-policy/policy.html/*.html", "html", "en"),
                       (U + "doc/debian-policy/perl-policy.html/*.html", "html", "en"),
                       (U + "doc/debian-policy/menu-policy.html/*.html", "html", "en"),
                       (U + "doc/debian-policy/debconf_specification.html", "html", "en"),
                       (U + "doc/debian-policy/fhs/fhs-3.0.html", "html", "en")]),
    "debian-history": ("GPL-2+", [(U + "doc/debian-history/docs/*.en.html", "html", "en")]),
    "debian-handbook": ("GPL-2+ or CC-BY-SA-3.0",
                        [(U + "doc/debian-handbook/html/en-US/*.html", "html", "en"),
                         (U + "doc/debian-handbook/html/zh-CN/*.html", "html", "zh"),
                         (U + "doc/debian-handbook/html/zh-TW/*.html", "html", "zh")]),
    "installation-guide-amd64": ("GPL-2",
                                 [(U + "doc/installation-guide-amd64/en/*.html", "html", "en"),
                                  (U + "doc/installation-guide-amd64/zh_CN/*.html", "html", "zh")]),
    "gnu-standards": ("GFDL-1.3+ without invariant sections (modified versions allowed)",
                      [(U + "doc/gnu-standards/*.html", "html", "en")]),
    "python3.11-doc": ("PSF-2.0 (Python documentation licence; derivative works allowed)",
                       [(U + "doc/python3.11/html/_sources/**/*.txt", "text", "en")]),
    "libreoffice-help-en-us": ("MPL-2.0", [(U + "libreoffice/help/en-US/text/**/*.html", "html", "en")]),
    "fortunes-zh": ("GPL-3.0+", [(U + "games/fortunes/*", "fortune", "zh")]),
    "manpages-zh": ("GFDL-1.2+ (translations), GPL-2+/BSD-2-clause/CC0/public domain for parts",
                    [(U + "man/zh_CN/man*/*", "man", "zh"), (U + "man/zh_TW/man*/*", "man", "zh")]),
    "debian-faq-zh-cn": ("SPI permission notice: verbatim and modified copies may be distributed (GPL-style)",
                         [(U + "doc/debian/FAQ/zh-cn/*.html", "html", "zh")]),
    "maint-guide-zh-cn": ("GPL-2+ or MIT", [(U + "doc/maint-guide-zh-cn/html/*.html", "html", "zh")]),
    "maint-guide-zh-tw": ("GPL-2+ or MIT", [(U + "doc/maint-guide-zh-tw/html/*.html", "html", "zh")]),
    "debian-reference-zh-cn": ("GPL-2+", [(U + "debian-reference/*.zh-cn.html", "html", "zh")]),
    "debian-reference-zh-tw": ("GPL-2+", [(U + "debian-reference/*.zh-tw.html", "html", "zh")]),
    "libreoffice-help-zh-cn": ("MPL-2.0", [(U + "libreoffice/help/zh-CN/text/**/*.html", "html", "zh")]),
    "libreoffice-help-zh-tw": ("MPL-2.0", [(U + "libreoffice/help/zh-TW/text/**/*.html", "html", "zh")]),
    "lilypond-doc-html-zh": ("GFDL-1.3+ (documentation)",
                             [(U + "doc/lilypond/html/Documentation/*/*.zh.html", "html", "zh")]),
}
EXCLUDED_BASENAMES = {"ascii-art", "asciiart", "translate-me"}

ANSI_RE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
OVERSTRIKE_RE = re.compile(r"[^\x08\n]\x08")
CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def clean(text):
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x0c", "\n")
    text = ANSI_RE.sub("", text)
    while True:  # "_\bX" and "X\bX" overstrike: keep the last character
        new = OVERSTRIKE_RE.sub("", text)
        if new == text:
            break
        text = new
    text = CONTROL_RE.sub("", text)
    text = "\n".join(line.rstrip() for line in text.split("\n")).strip("\n")
    return re.sub(r"\n{4,}", "\n\n\n", text)


# ------------------------------------------------------------------------------------------ html
BLOCK_TAGS = {"p", "div", "br", "li", "ul", "ol", "dl", "dt", "dd", "tr", "table", "pre", "h1", "h2", "h3",
              "h4", "h5", "h6", "title", "section", "blockquote", "hr", "article", "header", "footer", "td", "th"}
SKIP_TAGS = {"script", "style", "head", "nav", "noscript", "svg"}
SKIP_CLASSES = ("navheader", "navfooter", "related", "sphinxsidebar", "breadcrumb", "footer", "toc", "navigation",
                "nav-links", "headerlink")


class _TextExtractor(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out, self.skip, self.pre = [], [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("br", "hr", "img", "meta", "link", "input"):
            if tag in ("br", "hr") and not self.skip:
                self.out.append("\n")
            return
        cls = dict(attrs).get("class") or ""
        if self.skip:
            if tag == self.skip[-1][0]:
                self.skip[-1][1] += 1
            return
        if tag in SKIP_TAGS or any(c in cls.split() for c in SKIP_CLASSES):
            self.skip.append([tag, 1])
            return
        if tag == "pre":
            self.pre += 1
        if tag in BLOCK_TAGS:
            self.out.append("\n\n" if tag in ("p", "pre", "h1", "h2", "h3", "h4", "table", "blockquote", "dl")
                            else "\n")

    def handle_endtag(self, tag):
        if self.skip:
            if tag == self.skip[-1][0]:
                self.skip[-1][1] -= 1
                if self.skip[-1][1] == 0:
                    self.skip.pop()
            return
        if tag == "pre":
            self.pre = max(0, self.pre - 1)
        if tag in BLOCK_TAGS:
            self.out.append("\n")

    def handle_data(self, data):
        if self.skip:
            return
        self.out.append(data if self.pre else re.sub(r"[ \t\n]+", " ", data))


def html_text(raw):
    p = _TextExtractor()
    p.feed(raw)
    p.close()
    lines = [line.strip() if not line.startswith("  ") else line.rstrip() for line in "".join(p.out).split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


# ------------------------------------------------------------------------------------------ man (roff)
ROFF_CHARS = {"em": "\u2014", "en": "\u2013", "aq": "'", "dq": '"', "bu": "\u2022", "co": "\u00a9", "rg": "\u00ae",
              "lq": "\u201c", "rq": "\u201d", "oq": "\u2018", "cq": "\u2019", "hy": "-", "mi": "-", "pl": "+",
              "mu": "\u00d7", "di": "\u00f7", "<=": "\u2264", ">=": "\u2265", "->": "\u2192", "<-": "\u2190",
              "ti": "~", "ha": "^", "rs": "\\", "sl": "/", "at": "@", "sh": "#", "Do": "$", "ba": "|",
              "de": "\u00b0", "tm": "\u2122", "lB": "[", "rB": "]", "lC": "{", "rC": "}", "fo": "\u00ab",
              "fc": "\u00bb", "Fo": "\u00ab", "Fc": "\u00bb", "ga": "`", "aa": "\u00b4", "ss": "\u00df"}
ESCAPE_RE = re.compile(r"\\(\((..)|\[([^\]]*)\]|f(\(..|\[[^\]]*\]|.)|s[-+]?\d+|\*(\(..|\[[^\]]*\]|.)|n(\(..|\[[^\]]*\]|.)"
                       r"|[kmgYVw]\S?|.)")
FONT_ALTERNATING = {"BR", "RB", "IR", "RI", "BI", "IB"}
DROP_MACROS = {"TH", "nf", "fi", "RS", "RE", "in", "sp", "br", "ft", "ad", "na", "hy", "nh", "ne", "ta", "ds", "nr",
               "so", "ll", "ti", "ce", "ps", "vs", "ie", "el", "if", "tr", "cc", "ec", "eo", "UC", "PD", "EX", "EE",
               "ME", "UE", "ns", "rs", "bp", "pl", "rm", "rr", "mk", "rt", "fam", "cs", "lf", "ev", "HP", "hw",
               "TS", "TE", "T&", "Dd", "Os", "Dt", "pc", "nx", "ig", "als", "char", "mso", "hla", "ss", "wh", "ch"}
BREAK_MACROS = {"PP", "LP", "P", "TP", "TQ", "SH", "SS", "IP", "HP", "sp", "Sh", "Ss", "Pp"}


def _roff_escape(m):
    full = m.group(1)
    if m.group(2) is not None or m.group(3) is not None:
        name = m.group(2) if m.group(2) is not None else m.group(3)
        if name.startswith("u") and len(name) > 1 and re.fullmatch(r"u[0-9A-Fa-f]{4,6}", name):
            return chr(int(name[1:], 16))
        return ROFF_CHARS.get(name, "")
    c = full[0]
    return {"-": "-", "e": "\\", "\\": "\\", " ": " ", "~": " ", "0": " ", "t": "\t", ".": ".", "'": "'",
            "`": "`", "_": "_"}.get(c, "") if len(full) == 1 else ""


def _macro_args(rest):
    args, cur, quoted = [], "", False
    for ch in rest:
        if ch == '"':
            quoted = not quoted
        elif ch in " \t" and not quoted:
            if cur:
                args.append(cur)
            cur = ""
        else:
            cur += ch
    if cur:
        args.append(cur)
    return args


def man_text(raw):
    if re.match(r"\s*\.so\s", raw):
        return ""                                  # a link to another page
    out, skip_def, in_table = [], False, False
    for line in raw.split("\n"):
        if skip_def:
            if line.startswith(".."):
                skip_def = False
            continue
        line = re.sub(r'\\".*$', "", line)        # comments
        if line.startswith((".", "'")):
            parts = line[1:].strip().split(None, 1)
            if not parts:
                continue
            name, rest = parts[0], (parts[1] if len(parts) > 1 else "")
            if name in ("de", "de1", "am", "ig"):
                skip_def = True
                continue
            if name == "TS":
                in_table = True
                out.append("")
                continue
            if name == "TE":
                in_table = False
                out.append("")
                continue
            if name in BREAK_MACROS:
                out.append("")
                if name in ("SH", "SS", "Sh", "Ss", "IP", "TP") and rest:
                    out.append(" ".join(_macro_args(rest)) if name != "IP" else _macro_args(rest)[0])
                continue
            if name in FONT_ALTERNATING:
                out.append("".join(_macro_args(rest)))
                continue
            if name in ("B", "I", "SM", "SB", "Nm", "Ar", "Fl", "Cm", "Pa", "Ql", "Dq", "Sq", "Em", "Nd", "Xr",
                        "UR", "MT", "OP"):
                if rest:
                    out.append(" ".join(_macro_args(rest)))
                continue
            continue                                 # every other request or macro: dropped
        if in_table and re.fullmatch(r"[lcrnsaLCRNSA0-9|.\s,;()ebitwfBI]+\.", line.strip()):
            continue                                 # tbl format line
        out.append(line)
    text = ESCAPE_RE.sub(_roff_escape, "\n".join(out))
    return re.sub(r"\n{3,}", "\n\n", text).strip()


CJK_RE = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")
ZH_MIN_CJK = 0.15


def cjk_fraction(text):
    """Share of CJK characters (ideographs and CJK punctuation) among the non-blank characters."""
    n = len(re.sub(r"\s", "", text))
    return len(CJK_RE.findall(text)) / n if n else 0.0


# ------------------------------------------------------------------------------------------ sources
def read_bytes(path):
    with open(path, "rb") as f:
        raw = f.read()
    return gzip.decompress(raw) if path.endswith(".gz") else raw


def fortune_documents(text):
    return [d for d in (clean(c) for c in re.split(r"^%[ \t]*$", text, flags=re.M)) if d.strip()]


def documents_from(path, kind):
    text = read_bytes(path).decode("utf-8")  # UnicodeDecodeError: the caller skips and counts the file
    if kind == "fortune":
        return fortune_documents(text)
    if kind == "html":
        return [clean(html_text(text))]
    if kind == "man":
        return [clean(man_text(text))]
    return [clean(text)]


def files_for(root, pkg, pattern):
    base = os.path.join(root, pkg)
    out = []
    for path in sorted(glob.glob(os.path.join(base, pattern), recursive=True)):
        if os.path.islink(path) or not os.path.isfile(path):
            continue
        name = os.path.basename(path)
        if name.endswith((".dat", ".u8")) or name in EXCLUDED_BASENAMES:
            continue
        out.append(path)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True, help="folder with <package>/ (extracted) and <package>.version")
    ap.add_argument("--out", required=True)
    ap.add_argument("--sources-md", required=True)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)

    # Pass 1: raw documents in SOURCES order, and how many documents each short line occurs in.
    raw_docs, stats = [], {}
    line_docs = collections.Counter()
    for pkg, (licence, patterns) in SOURCES.items():
        with open(os.path.join(args.root, pkg + ".version")) as f:
            version = f.read().strip()
        st = stats[pkg] = {"version": version, "licence": licence, "files": 0, "skipped_not_utf8": 0, "docs": 0,
                           "languages": sorted({p[2] for p in patterns}), "train_bytes": 0, "heldout_bytes": 0,
                           "relabelled_en_docs": 0,
                           "dropped_docs": 0}
        for pattern, kind, lang in patterns:
            for path in files_for(args.root, pkg, pattern):
                try:
                    docs = documents_from(path, kind)
                except UnicodeDecodeError:
                    st["skipped_not_utf8"] += 1
                    continue
                st["files"] += 1
                rel = os.path.relpath(path, os.path.join(args.root, pkg))
                for doc in docs:
                    raw_docs.append((pkg, lang, "/" + rel, doc))
                    line_docs.update({ln.strip() for ln in doc.split("\n") if 0 < len(ln.strip()) < 80})
    boiler = {ln for ln, n in line_docs.items() if n >= BOILERPLATE_DOCS}

    # Pass 2: drop boilerplate lines and repeated paragraphs, then duplicate and tiny documents; split.
    seen_par, seen_doc = set(), set()
    train_parts, held = {"en": [], "zh": []}, {"en": [], "zh": []}
    held_index, held_off = [], {"en": 0, "zh": 0}
    lang_bytes = {"en": {"train": 0, "heldout": 0}, "zh": {"train": 0, "heldout": 0}}
    for pkg, lang, rel, doc in raw_docs:
        st = stats[pkg]
        pars = []
        for par in re.split(r"\n[ \t]*\n", doc):
            lines = [ln for ln in par.split("\n") if ln.strip() not in boiler]
            par = "\n".join(lines).strip("\n")
            if not par.strip():
                continue
            if len(par.encode()) >= DEDUP_PARAGRAPH_BYTES:
                key = hashlib.sha1(par.strip().encode()).digest()
                if key in seen_par:
                    continue
                seen_par.add(key)
            pars.append(par)
        doc = "\n\n".join(pars)
        if lang == "zh" and cjk_fraction(doc) < ZH_MIN_CJK:
            lang = "en"                              # an untranslated page of a Chinese package
            st["relabelled_en_docs"] += 1
        data = (doc + SEPARATOR).encode("utf-8")
        key = hashlib.sha1(doc.encode("utf-8")).digest()
        if len(data) < MIN_DOC_BYTES or key in seen_doc:
            st["dropped_docs"] += 1
            continue
        seen_doc.add(key)
        st["docs"] += 1
        if int.from_bytes(key, "big") % HELDOUT_MOD == 0:
            held_index.append({"package": pkg, "language": lang, "file": rel, "offset": held_off[lang],
                               "length": len(data)})
            held[lang].append(data)
            held_off[lang] += len(data)
            st["heldout_bytes"] += len(data)
            lang_bytes[lang]["heldout"] += len(data)
        else:
            train_parts[lang].append(data)
            st["train_bytes"] += len(data)
            lang_bytes[lang]["train"] += len(data)

    train = b"".join(train_parts["en"] + train_parts["zh"])
    outputs = {"train.txt": train, "heldout_en.txt": b"".join(held["en"]), "heldout_zh.txt": b"".join(held["zh"])}
    for name, data in outputs.items():
        with open(os.path.join(args.out, name), "wb") as f:
            f.write(data)
    with open(os.path.join(args.out, "heldout_index.json"), "w") as f:
        json.dump(held_index, f, indent=0)
    manifest = {
        "files": {name: {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()} for name, data in outputs.items()},
        "train_layout": "English documents first, then Chinese",
        "languages": lang_bytes,
        "heldout_rule": f"int(sha1(document)) % {HELDOUT_MOD} == 0",
        "dedup": {"boilerplate_lines": len(boiler), "paragraphs_kept": len(seen_par)},
        "packages": stats,
    }
    with open(os.path.join(args.out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    write_sources_md(args.sources_md, manifest)
    print(json.dumps({k: v for k, v in manifest.items() if k != "packages"}, indent=1))
    for pkg, st in stats.items():
        print(f"  {pkg:26s} {st['version']:24s} files={st['files']:5d} docs={st['docs']:6d} "
              f"train={st['train_bytes']:10d} heldout={st['heldout_bytes']:9d} dropped={st['dropped_docs']} "
              f"not-utf8={st['skipped_not_utf8']}")


def write_sources_md(path, manifest):
    mb = lambda n: f"{n / 1e6:.1f} MB"  # noqa: E731
    lines = [
        "# Corpus sources",
        "",
        "Generated by `tools/corpus/build_corpus.sh` (do not edit by hand: rerun it). Every text below comes",
        "from a Debian 12 (bookworm) main package, fetched with `apt-get download` and unpacked with",
        "`dpkg-deb -x` (nothing is installed), then cleaned, deduplicated and split by",
        "`tools/corpus/assemble_corpus.py`. The corpus is not committed (it lives in the ignored folder",
        "`.corpus/`); rebuild it with the script. Only English and Chinese text is used.",
        "",
    ]
    for name, f in manifest["files"].items():
        lines.append(f"- {name}: {f['bytes']} bytes, sha256 `{f['sha256']}`")
    lg = manifest["languages"]
    lines += [
        f"- English: {mb(lg['en']['train'])} train, {mb(lg['en']['heldout'])} held out; "
        f"Chinese: {mb(lg['zh']['train'])} train, {mb(lg['zh']['heldout'])} held out",
        f"- held-out rule: a document is held out when {manifest['heldout_rule']}",
        f"- deduplication: {manifest['dedup']['boilerplate_lines']} boilerplate lines removed (short lines in "
        f"{BOILERPLATE_DOCS}+ documents), repeated paragraphs of {DEDUP_PARAGRAPH_BYTES}+ bytes kept once, "
        "duplicate documents dropped",
        "",
        "| package | version | language | licence (from usr/share/doc/<pkg>/copyright) | files | documents | train bytes | held-out bytes |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for pkg, st in manifest["packages"].items():
        lines.append(f"| {pkg} | {st['version']} | {', '.join(st['languages'])} | {st['licence']} "
                     f"| {st['files']} | {st['docs']} | {st['train_bytes']} | {st['heldout_bytes']} |")
    lines += [
        "",
        "Notes:",
        "- Left out on purpose: licence texts themselves (base-files' common-licenses allow verbatim copies",
        "  only), the fortune collections in other languages, images, PDFs and search indexes.",
        "- The shipped models are statistical summaries of the whole corpus; the only corpus text shipped in",
        "  this repository is the 512-byte held-out slices beside each language model (`reference_heldout_*.bin`),",
        "  whose source package and licence are named in that folder's `reference_heldout.json`.",
        "",
    ]
    with open(path, "w") as f:
        f.write("\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())
