#!/usr/bin/env python3
"""Reference fixtures for StateScope's tokenizer (core/tokenizer.h), made by HuggingFace's
`tokenizers` library itself.

    python3 tools/make_tokenizer_fixtures.py --out tests/fixtures/tokenizers [--qwen3 PATH/tokenizer.json]

Needs `tokenizers` (0.23.2 was used, with transformers 5.17.0) and, for the optional transformers column, `transformers`.
We ran it on the GPU device machine, where both are installed (no network there: every
tokenizer is trained here from text found on that machine). Seeded; the trainers are
deterministic for the same version and corpus.

Tokenizers made (tests/fixtures/tokenizers/<name>/tokenizer.json [+ tokenizer_config.json]):
  bytelevel_gpt2_32k   GPT-2 style: ByteLevel pre-tokenizer (GPT-2 regex), BPE, 32000 tokens (real-world size)
  bytelevel_llama3_4k  Llama-3 style: Split(regex, Isolated) + ByteLevel(use_regex=false), ignore_merges,
                       TemplateProcessing prepending <|begin_of_text|>
  bytelevel_prefix_1k  RoBERTa-like: ByteLevel(add_prefix_space=true), added tokens with lstrip / rstrip
  sp_bpe_32k           Llama-2 / Mistral style: normalizer Prepend("▁") + Replace(" ", "▁"), BPE with
                       byte_fallback and <0xXX> tokens, unk <unk> fused, TemplateProcessing <s> (32000 tokens)
  bytelevel_nfc_4k     Qwen2/3 style: NFC normaliser, Split(Qwen regex) + ByteLevel(use_regex=false)
  sp_metaspace_2k      the newer conversion: Metaspace(prepend_scheme=first, split=false), no normalizer,
                       tokenizer_config.json add_bos_token=false (BOS then off), a small alphabet
                       (much byte fallback)
  refuse_wordpiece, refuse_unigram: tiny tokenizers of kinds StateScope refuses
  qwen3 (reference.json only, with --qwen3): the real Qwen3 tokenizer.json (NFC normaliser)

Check sets the repository does not hold (fresh seed, real lines of the training text, long random
strings), for any tokenizer folders, compared here with build/tools/testkit/statescope-tokenizer-check:

    python3 tools/make_tokenizer_fixtures.py --check-out DIR --check-seed S --check-n N \
        --check-dirs name=PATH,name=PATH [--qwen3 PATH]      # writes DIR/<name>.json

reference.json per tokenizer: the tokenizers version, this command, and per case the input bytes
(base64), `ids` (encode(text) with the post-processor), `ids_no_special` (add_special_tokens=False),
`offsets` (character offsets of `ids` into the text) and, where transformers loads the folder,
`transformers_ids` (AutoTokenizer(text)["input_ids"]). Text = input bytes decoded as UTF-8 with
errors="replace" (each maximal invalid subsequence becomes U+FFFD), which is what StateScope does
with an input file.
"""

from __future__ import annotations

import argparse
import base64
import glob
import json
import os
import random
import sys
import sysconfig
import time

import tokenizers
from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

FORMAT_VERSION = 1
COMMAND = "python3 tools/make_tokenizer_fixtures.py --out tests/fixtures/tokenizers --qwen3 PATH/qwen3/tokenizer.json"
QWEN_PAT = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
            r"|\s*[\r\n]+|\s+(?!\S)|\s+")
LLAMA3_PAT = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
              r"|\s*[\r\n]+|\s+(?!\S)|\s+")
BYTE_TOKENS = [f"<0x{b:02X}>" for b in range(256)]


def fixed_cases() -> list[tuple[str, bytes]]:
    u = lambda s: s.encode("utf-8")  # noqa: E731
    return [
        ("english", u("The quick brown fox jumps over the lazy dog. It's 3.14159, isn't it? "
                      "We'LL see: don't, won't, I'm, you're, they've, she'd.\nHello World!! $100 (approx.) "
                      "e-mail: a.b@example.com #hashtag @user 1234567890 12,345.67")),
        ("code", u("def f(x):\n    return x ** 2  # square\n\nif __name__ == \"__main__\":\n\tprint(f(3))\n"
                   "int main() { return a[i]->b != c && d <= 0x1F; }\n")),
        ("chinese", u("自然语言处理是人工智能的一个重要分支。我们今天去北京吧！GPT模型在2024年发布了新版本，"
                      "「你好」，《红楼梦》……")),
        ("emoji", u("👩‍👩‍👧‍👦 family 🇯🇵 flag 👍🏽 thumbs ❤️ heart 🙂🙃 x😀y 🧑🏿‍🚀!!")),
        ("invalid_utf8", b"abc\xff\xfe def \xc3 x \xe2\x82 y \xed\xa0\x80 z \xf0\x9f\x98 w \xc0\xaf "
                         b"\x80\x80 q\xf4\x90\x80\x80 \xe0\x80\xaf end\xe2"),
        ("whitespace", u("   lead  a  b   c\t\td\n\n\ne \r\n f\u00a0g\u3000h   \n  \n\t x    \u2028y\x0bz\x0c"
                         "\u0085w \u200b  \u2003 trailing   ")),
        ("specials", u("<s>hello</s> <|endoftext|>world<|begin_of_text|> <mask> x <unk> <|user|>hi "
                       "<0x41> <|im_start|>user\n")),
        ("scripts", u("Привет, мир! مرحبا بالعالم नमस्ते दुनिया 안녕하세요 こんにちは世界 Γειά σου "
                      "café cafe\u0301 ﬁne ſ Kelvin İstanbul ß straße Å Å")),
        ("numbers", u("12345678901 3,000,000 ½ ١٢٣ ⅷ 0.5e-10 v1.2.3 2024-11-30")),
        ("long_runs", u("a" * 300 + " " * 100 + "!!!!" * 50 + "\n" * 20 + "ab" * 100 + "\t" * 9 + "x")),
        ("apostrophes", u("I'M you'RE 's 'S ſ's ''' ' s 'll 'LL 'd 'Ve")),
        ("single", u("a")),
        ("space", u(" ")),
    ]


def random_cases(seed: int, n_text: int, n_bytes: int) -> list[tuple[str, bytes]]:
    rng = random.Random(seed)
    blocks = [(0x20, 0x7E, 8), (0x09, 0x0D, 2), (0xA0, 0x17F, 2), (0x300, 0x36F, 1), (0x370, 0x3FF, 1),
              (0x400, 0x4FF, 2), (0x590, 0x6FF, 1), (0x900, 0x97F, 1), (0x1100, 0x11FF, 1), (0x2000, 0x206F, 1),
              (0x3000, 0x303F, 1), (0x3040, 0x30FF, 1), (0x4E00, 0x9FFF, 4), (0xAC00, 0xD7A3, 1),
              (0xF900, 0xFAFF, 1), (0xFF00, 0xFFEF, 1), (0x1F300, 0x1FAFF, 2), (0x20000, 0x2A6DF, 1),
              (0x1D400, 0x1D7FF, 1)]
    weights = [b[2] for b in blocks]
    out = []
    for i in range(n_text):
        n = rng.randint(1, 120)
        chars = []
        for _ in range(n):
            lo, hi, _ = rng.choices(blocks, weights)[0]
            chars.append(chr(rng.randint(lo, hi)))
        out.append((f"random_text_{i}", "".join(chars).encode("utf-8", "surrogatepass")))
    for i in range(n_bytes):
        out.append((f"random_bytes_{i}", bytes(rng.randrange(256) for _ in range(rng.randint(1, 100)))))
    return out


def training_text(max_bytes: int, qwen3: str | None) -> list[str]:
    """Python sources and docs found on this machine, plus (with --qwen3) the non-ASCII tokens of a
    real multilingual vocabulary decoded to text, so the merges cover Chinese, Cyrillic, ..."""
    roots = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["stdlib"]}
    files = []
    for r in sorted(roots):
        for ext in ("py", "md", "txt", "rst"):
            files += glob.glob(os.path.join(r, "**", "*." + ext), recursive=True)
    files.sort()
    random.Random(0).shuffle(files)
    lines, total = [], 0
    for f in files:
        try:
            with open(f, encoding="utf-8") as fh:
                t = fh.read()
        except (UnicodeDecodeError, OSError):
            continue
        lines.extend(t.splitlines(keepends=True))
        total += len(t)
        if total > max_bytes:
            break
    if qwen3:
        b2u = bytes_to_unicode()
        u2b = {v: k for k, v in b2u.items()}
        vocab = json.load(open(qwen3, encoding="utf-8"))["model"]["vocab"]
        words = []
        for tok in vocab:
            try:
                s = bytes(u2b[c] for c in tok).decode("utf-8")
            except (KeyError, UnicodeDecodeError):
                continue
            if any(ord(c) > 127 for c in s):
                words.append(s)
        rng = random.Random(1)
        for _ in range(3):
            rng.shuffle(words)
            for i in range(0, len(words), 12):
                lines.append("".join(words[i:i + 12]) + "\n")
    print(f"training text: {len(lines)} lines, {sum(map(len, lines)) / 1e6:.1f} M chars", flush=True)
    return lines


def bytes_to_unicode() -> dict[int, str]:
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


def make_bytelevel_gpt2(text, vocab):
    tk = Tokenizer(models.BPE())
    tk.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tk.decoder = decoders.ByteLevel()
    tk.post_processor = processors.ByteLevel(trim_offsets=False)
    tk.train_from_iterator(text, trainers.BpeTrainer(vocab_size=vocab, min_frequency=2, special_tokens=["<|endoftext|>"],
                                                     initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                                     show_progress=False))
    return tk, None


def make_bytelevel_llama3(text, vocab):
    tk = Tokenizer(models.BPE(ignore_merges=True))
    tk.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(LLAMA3_PAT), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=False)])
    tk.decoder = decoders.ByteLevel()
    specials = ["<|begin_of_text|>", "<|end_of_text|>", "<|reserved_special_token_0|>", "<|user|>"]
    tk.train_from_iterator(text, trainers.BpeTrainer(vocab_size=vocab, min_frequency=2, special_tokens=specials,
                                                     initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                                     show_progress=False))
    bos = tk.token_to_id("<|begin_of_text|>")
    tk.post_processor = processors.Sequence([
        processors.ByteLevel(trim_offsets=False),
        processors.TemplateProcessing(single="<|begin_of_text|> $A", pair="<|begin_of_text|> $A <|begin_of_text|> $B:1",
                                      special_tokens=[("<|begin_of_text|>", bos)])])
    return tk, None


def make_bytelevel_nfc(text, vocab):
    tk = Tokenizer(models.BPE())
    tk.normalizer = normalizers.NFC()
    tk.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(QWEN_PAT), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False)])
    tk.decoder = decoders.ByteLevel()
    tk.post_processor = processors.ByteLevel(trim_offsets=False)
    tk.train_from_iterator(text, trainers.BpeTrainer(vocab_size=vocab, min_frequency=2,
                                                     special_tokens=["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
                                                     initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                                     show_progress=False))
    return tk, None


def make_bytelevel_prefix(text, vocab):
    tk = Tokenizer(models.BPE())
    tk.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=True, use_regex=True)
    tk.decoder = decoders.ByteLevel()
    tk.train_from_iterator(text, trainers.BpeTrainer(vocab_size=vocab, min_frequency=2,
                                                     special_tokens=["<s>", "<pad>", "</s>", "<unk>"],
                                                     initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                                     show_progress=False))
    tk.add_special_tokens([tokenizers.AddedToken("<mask>", lstrip=True, rstrip=False, special=True, normalized=False)])
    tk.add_tokens([tokenizers.AddedToken("<|user|>", lstrip=False, rstrip=True, special=False, normalized=False),
                   tokenizers.AddedToken(" hello world", special=False, normalized=False)])
    tk.post_processor = processors.RobertaProcessing(("</s>", tk.token_to_id("</s>")), ("<s>", tk.token_to_id("<s>")),
                                                     trim_offsets=True, add_prefix_space=True)
    return tk, None


def sp_train(text, vocab, limit_alphabet):
    """A SentencePiece-style BPE: trained on ▁-prefixed words (Metaspace with split), then given
    the inference pipeline by the caller; <0xXX> byte tokens are ordinary vocabulary entries."""
    tk = Tokenizer(models.BPE(unk_token="<unk>", byte_fallback=True, fuse_unk=True))
    tk.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    tk.train_from_iterator(text, trainers.BpeTrainer(vocab_size=vocab, min_frequency=2, limit_alphabet=limit_alphabet,
                                                     special_tokens=["<unk>", "<s>", "</s>"] + BYTE_TOKENS,
                                                     show_progress=False))
    j = json.loads(tk.to_str())
    j["added_tokens"] = [t for t in j["added_tokens"] if t["content"] not in BYTE_TOKENS]  # as in Llama-2
    j["model"]["byte_fallback"] = True
    j["model"]["fuse_unk"] = True
    return j


def make_sp_bpe(text, vocab):
    j = sp_train(text, vocab, 1000)
    j["normalizer"] = {"type": "Sequence", "normalizers": [{"type": "Prepend", "prepend": "▁"},
                                                            {"type": "Replace", "pattern": {"String": " "}, "content": "▁"}]}
    j["pre_tokenizer"] = None
    j["decoder"] = {"type": "Sequence", "decoders": [
        {"type": "Replace", "pattern": {"String": "▁"}, "content": " "}, {"type": "ByteFallback"}, {"type": "Fuse"},
        {"type": "Strip", "content": " ", "start": 1, "stop": 0}]}
    j["post_processor"] = {"type": "TemplateProcessing",
                           "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
                           "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                                    {"SpecialToken": {"id": "<s>", "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
                           "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}}}
    return Tokenizer.from_str(json.dumps(j, ensure_ascii=False)), None


def make_sp_metaspace(text, vocab):
    j = sp_train(text, vocab, 150)
    j["normalizer"] = None
    j["pre_tokenizer"] = {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": False}
    j["decoder"] = {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": False}
    j["post_processor"] = {"type": "TemplateProcessing",
                           "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                                      {"SpecialToken": {"id": "</s>", "type_id": 0}}],
                           "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}}],
                           "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]},
                                              "</s>": {"id": "</s>", "ids": [2], "tokens": ["</s>"]}}}
    tk = Tokenizer.from_str(json.dumps(j, ensure_ascii=False))
    tk.add_tokens([tokenizers.AddedToken("<|user|>", special=False, normalized=False)])
    config = {"tokenizer_class": "PreTrainedTokenizerFast", "add_bos_token": False, "add_eos_token": True,
              "bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>"}
    return tk, config


def make_refused(text, kind):
    if kind == "wordpiece":
        tk = Tokenizer(models.WordPiece(unk_token="[UNK]"))
        tk.normalizer = normalizers.BertNormalizer()
        tk.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
        tk.train_from_iterator(text[:2000], trainers.WordPieceTrainer(vocab_size=300, special_tokens=["[UNK]"], show_progress=False))
    else:
        tk = Tokenizer(models.Unigram())
        tk.pre_tokenizer = pre_tokenizers.Metaspace()
        tk.train_from_iterator(text[:2000], trainers.UnigramTrainer(vocab_size=300, special_tokens=["<unk>"], unk_token="<unk>",
                                                                    show_progress=False))
    return tk, None


def check_cases(text: list[str], seed: int, n: int) -> list[tuple[str, bytes]]:
    """Inputs for a check set: the fixed cases, n random strings (1-120 characters), n/10 random byte
    strings, n/2 concatenations of 5-40 of those, and n runs of 1-30 consecutive lines of the
    training text."""
    rng = random.Random(seed)
    base = fixed_cases() + random_cases(seed=seed, n_text=n, n_bytes=max(1, n // 10))
    out = list(base)
    for i in range(n // 2):  # long ones, concatenations of the base cases
        a = rng.randrange(len(base))
        out.append((f"long_{i}", b"".join(base[(a + k) % len(base)][1] for k in range(rng.randint(5, 40)))))
    for i in range(n):
        a = rng.randrange(len(text))
        out.append((f"lines_{i}", "".join(text[a:a + rng.randint(1, 30)]).encode("utf-8", "surrogatepass")))
    return out


def references(tk: Tokenizer, folder: str | None, cases, with_offsets: bool = True) -> list[dict]:
    hf = None
    if folder:
        try:
            import transformers
            hf = transformers.AutoTokenizer.from_pretrained(folder)
        except Exception as e:  # noqa: BLE001 - recorded, not fatal
            print(f"  transformers could not load {folder}: {e}", flush=True)
    out = []
    for name, raw in cases:
        text = raw.decode("utf-8", errors="replace")
        enc = tk.encode(text)
        plain = tk.encode(text, add_special_tokens=False)
        case = {"name": name, "input_b64": base64.b64encode(raw).decode(), "ids": enc.ids, "ids_no_special": plain.ids}
        if with_offsets:
            case["offsets"] = [list(o) for o in enc.offsets]
        if hf is not None:
            case["transformers_ids"] = hf(text)["input_ids"]
        out.append(case)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", help="fixture folder (all modes but --check-out)")
    ap.add_argument("--qwen3", help="the real Qwen3 tokenizer.json (references only; also used as training text)")
    ap.add_argument("--corpus-mb", type=float, default=24)
    ap.add_argument("--big-vocab", type=int, default=32000)
    ap.add_argument("--only", help="comma-separated fixture names to (re)make")
    ap.add_argument("--check-out")
    ap.add_argument("--check-seed", type=int, default=1)
    ap.add_argument("--check-n", type=int, default=300)
    ap.add_argument("--check-dirs", default="")
    args = ap.parse_args()
    if not args.out and not args.check_out:
        ap.error("--out or --check-out is required")
    t0 = time.time()
    versions = {"tokenizers": tokenizers.__version__}
    try:
        import transformers
        versions["transformers"] = transformers.__version__
    except ImportError:
        pass
    text = training_text(int(args.corpus_mb * 1e6), args.qwen3)
    if args.check_out:
        cases = check_cases(text, args.check_seed, args.check_n)
        os.makedirs(args.check_out, exist_ok=True)
        dirs = [d.split("=", 1) for d in args.check_dirs.split(",") if d]
        if args.qwen3:
            dirs.append(("qwen3", args.qwen3))
        for name, path in dirs:
            t = time.time()
            tk = Tokenizer.from_file(path if path.endswith(".json") else os.path.join(path, "tokenizer.json"))
            ref = {"format_version": FORMAT_VERSION, "versions": versions, "command": " ".join(sys.argv),
                   "vocab_size": tk.get_vocab_size(), "cases": references(tk, None, cases, with_offsets=False)}
            with open(os.path.join(args.check_out, name + ".json"), "w") as f:
                json.dump(ref, f, ensure_ascii=False, separators=(",", ":"))
            print(f"check {name}: {len(cases)} cases, {time.time() - t:.1f} s", flush=True)
        return 0
    cases = fixed_cases() + random_cases(seed=12, n_text=24, n_bytes=6)
    makers = [("bytelevel_gpt2_32k", lambda: make_bytelevel_gpt2(text, args.big_vocab)),
              ("bytelevel_llama3_4k", lambda: make_bytelevel_llama3(text, 4000)),
              ("bytelevel_prefix_1k", lambda: make_bytelevel_prefix(text, 1000)),
              ("bytelevel_nfc_4k", lambda: make_bytelevel_nfc(text, 4000)),
              ("sp_bpe_32k", lambda: make_sp_bpe(text, args.big_vocab)),
              ("sp_metaspace_2k", lambda: make_sp_metaspace(text, 2000)),
              ("refuse_wordpiece", lambda: make_refused(text, "wordpiece")),
              ("refuse_unigram", lambda: make_refused(text, "unigram"))]
    for name, make in makers:
        if args.only and name not in args.only.split(","):
            continue
        t = time.time()
        tk, config = make()
        d = os.path.join(args.out, name)
        os.makedirs(d, exist_ok=True)
        tk.save(os.path.join(d, "tokenizer.json"))
        if config:
            with open(os.path.join(d, "tokenizer_config.json"), "w") as f:
                json.dump(config, f, indent=1)
        if not name.startswith("refuse_"):
            ref = {"format_version": FORMAT_VERSION, "versions": versions, "command": COMMAND,
                   "vocab_size": tk.get_vocab_size(), "cases": references(tk, d, cases)}
            with open(os.path.join(d, "reference.json"), "w") as f:
                json.dump(ref, f, ensure_ascii=False, separators=(",", ":"))
        print(f"{name}: vocab {tk.get_vocab_size()}, {time.time() - t:.1f} s", flush=True)
    if args.qwen3 and not args.only:
        tk = Tokenizer.from_file(args.qwen3)
        d = os.path.join(args.out, "qwen3")
        os.makedirs(d, exist_ok=True)
        more = cases + [("nfc", "cafe\u0301 Å A\u030a \uf900 \u1100\u1161\u11a8 e\u0301\u0301 \u0958".encode())]
        ref = {"format_version": FORMAT_VERSION, "versions": versions, "command": COMMAND,
               "vocab_size": tk.get_vocab_size(), "cases": references(tk, None, more)}
        with open(os.path.join(d, "reference.json"), "w") as f:
            json.dump(ref, f, ensure_ascii=False, separators=(",", ":"))
        print(f"qwen3: vocab {tk.get_vocab_size()}", flush=True)
    print(f"done in {time.time() - t0:.1f} s; versions {versions}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
