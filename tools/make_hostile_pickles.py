#!/usr/bin/env python3
"""Hostile and broken torch.save-style files for the restricted unpickler's tests (issue 12).

    python3 tools/make_hostile_pickles.py --out tests/fixtures/hostile_pickles

Python's standard library only (pickle, zipfile, struct); no torch: the files are never unpickled
here, only written. Each is a ZIP laid out as torch.save lays it out (archive/data.pkl,
archive/data/<key>) unless its name says otherwise; tests/tst_torch_checkpoint.cpp lists what each
must be refused with. The valid base is tests/fixtures/torch_tensors/tensors.pt (made by torch).
The bare pickles also go to tests/fuzz/corpus/torch_pickle/ (the unpickler's fuzz corpus) and a
few of the ZIPs to tests/fuzz/corpus/zip_archive/.
"""

import argparse
import collections
import io
import os
import pickle
import struct
import zipfile

MARKER = "/tmp/statescope-pwned"  # what the payloads would create; the tests check it never appears


class Call:
    """Pickles as a call of `fn(*args)` (what an attacker writes with __reduce__)."""

    def __init__(self, fn, *args):
        self.fn, self.args = fn, args

    def __reduce__(self):
        return (self.fn, self.args)


def torch_zip(path, pkl, storages=None, compression=zipfile.ZIP_STORED):
    with zipfile.ZipFile(path, "w", compression=compression) as z:
        z.writestr("archive/data.pkl", pkl)
        z.writestr("archive/byteorder", "little")
        for key, data in (storages or {}).items():
            z.writestr("archive/data/" + key, data)
        z.writestr("archive/version", "3\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--corpus", default=os.path.join(os.path.dirname(__file__), "..", "tests", "fuzz", "corpus"))
    ap.add_argument("--base", default=os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "torch_tensors", "tensors.pt"))
    out = ap.parse_args().out
    base_path = ap.parse_args().base
    corpus = ap.parse_args().corpus
    for sub in ("torch_pickle", "zip_archive"):
        os.makedirs(os.path.join(corpus, sub), exist_ok=True)
    os.makedirs(out, exist_ok=True)
    with zipfile.ZipFile(base_path) as z:
        prefix = z.namelist()[0].split("/")[0]
        good = z.read(prefix + "/data.pkl")
        storages = {n.split("/")[-1]: z.read(n) for n in z.namelist() if n.startswith(prefix + "/data/")}

    pickles = {
        # the classic: a pickle that runs a shell command when loaded (GLOBAL posix system + REDUCE)
        "os_system": pickle.dumps(Call(os.system, "touch " + MARKER), protocol=2),
        "builtins_eval": pickle.dumps(Call(eval, "__import__('os').system('touch %s')" % MARKER), protocol=2),
        # protocol 4 names the callable with STACK_GLOBAL instead of GLOBAL
        "stack_global_system": pickle.dumps(Call(os.system, "touch " + MARKER), protocol=4),
        # a state dict whose second value runs code
        "system_inside_state_dict": pickle.dumps(collections.OrderedDict([("w", 1), ("b", Call(os.system, "touch " + MARKER))]), protocol=2),
        # protocol 0: INST imports and calls in one opcode
        "inst_opcode": b"(X" + struct.pack("<I", len("touch " + MARKER)) + ("touch " + MARKER).encode() + b"ios\nsystem\n.",
        # REDUCE on something that is not a global, and on an allowed global that is not a function
        "reduce_on_tuple": b"\x80\x02))R.",
        "reduce_on_storage": b"\x80\x02ctorch\nFloatStorage\n)R.",
        # LONG4 claiming 2^31-1 bytes; LONG1 of 255 bytes
        "huge_long4": b"\x80\x02\x8b\xff\xff\xff\x7f" + b"\x00" * 16,
        "huge_long1": b"\x80\x02\x8a\xff" + b"\x01" * 255 + b".",
        "truncated": good[: len(good) // 2],
        "memo_out_of_range": b"\x80\x02h\x07.",
        "long_memo_out_of_range": b"\x80\x02j\xff\xff\xff\xff.",
        "stack_underflow": b"\x80\x02R.",
        "not_a_dict": b"\x80\x02]q\x00.",
        "cyclic_list": b"\x80\x02]q\x00h\x00a.",  # a list holding itself; refused as not a state dict, no leak
        "nested_checkpoint": b"\x80\x02}q\x00X\x05\x00\x00\x00model}q\x01s.",
        "string_past_end": b"\x80\x02X\xff\xff\xff\x00abc",
        "unknown_opcode": b"\x80\x02\xff.",
    }
    # a tensor whose storage offset (200) is past its 24-element storage: patch the first offset byte
    at = good.index(b"QK\x00")
    pickles["storage_offset_beyond"] = good[: at + 2] + b"\xc8" + good[at + 3 :]
    # a view reaching past the storage: the first size (4, 6) becomes (5, 6)
    at = good.index(b"K\x04K\x06\x86")
    pickles["view_past_storage"] = good[:at] + b"K\x05" + good[at + 2 :]
    for name, pkl in pickles.items():
        torch_zip(os.path.join(out, name + ".pt"), pkl, storages)
        with open(os.path.join(corpus, "torch_pickle", name + ".pkl"), "wb") as f:
            f.write(pkl)
    with open(os.path.join(corpus, "torch_pickle", "valid_tensors.pkl"), "wb") as f:
        f.write(good)

    # ZIP-level problems around a valid pickle
    torch_zip(os.path.join(out, "deflated.pt"), good, storages, compression=zipfile.ZIP_DEFLATED)
    short = dict(storages)
    short["0"] = storages["0"][:10]
    torch_zip(os.path.join(out, "storage_too_small.pt"), good, short)
    missing = {k: v for k, v in storages.items() if k != "0"}
    torch_zip(os.path.join(out, "storage_missing.pt"), good, missing)
    # encrypted: set bit 0 of the general purpose flags of every central directory record
    b = bytearray(open(os.path.join(out, "deflated.pt"), "rb").read())
    torch_zip(os.path.join(out, "encrypted.pt"), good, storages)
    b = bytearray(open(os.path.join(out, "encrypted.pt"), "rb").read())
    i = b.find(b"PK\x01\x02")
    while i >= 0:
        b[i + 8] |= 1
        i = b.find(b"PK\x01\x02", i + 4)
    open(os.path.join(out, "encrypted.pt"), "wb").write(bytes(b))
    # a ZIP cut in the middle (no end of central directory)
    full = open(base_path, "rb").read()
    open(os.path.join(out, "truncated_zip.pt"), "wb").write(full[: len(full) // 2])
    # a central directory offset pointing past the end of the file
    b = bytearray(full)
    e = b.rfind(b"PK\x05\x06")
    b[e + 16 : e + 20] = struct.pack("<I", 0x7FFFFFF0)
    z64 = b.rfind(b"PK\x06\x06")
    if z64 >= 0:
        b[z64 + 48 : z64 + 56] = struct.pack("<Q", 1 << 40)
    open(os.path.join(out, "directory_past_end.pt"), "wb").write(bytes(b))
    import shutil
    for name in ("deflated", "encrypted", "truncated_zip", "directory_past_end", "storage_too_small"):
        shutil.copy(os.path.join(out, name + ".pt"), os.path.join(corpus, "zip_archive", name + ".pt"))
    shutil.copy(base_path, os.path.join(corpus, "zip_archive", "valid_tensors.pt"))
    print(len(os.listdir(out)), "files in", out)


if __name__ == "__main__":
    main()
