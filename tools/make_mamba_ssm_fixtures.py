#!/usr/bin/env python3
"""mamba_ssm-format fixtures (issue 12, item 4): the layout of the state-spaces/mamba-* and
mamba2-* repositories (mamba_ssm's own config.json + pytorch_model.bin written by torch.save),
with the logits transformers computes for the same weights.

    python3 tools/make_mamba_ssm_fixtures.py --out tests/fixtures     # needs torch, transformers, numpy

Per fixture (tests/fixtures/<name>/):
  config.json          mamba_ssm's MambaConfig fields (d_model, n_layer, vocab_size, ssm_cfg, ...);
  pytorch_model.bin    torch.save of the state dict under mamba_ssm's tensor names
                       (backbone.embedding.weight, backbone.layers.N.mixer.*, backbone.norm_f.weight,
                       lm_head.weight; a tied lm_head shares the embedding's storage as in mamba_ssm);
  reference/input.bin, reference/logits.npy (float64 [T, V]), reference/meta.json.
The weights are made by transformers' MambaForCausalLM / Mamba2ForCausalLM (hf_families: build,
perturb, save in the stored dtype), the reference is transformers' float64 forward of the saved
checkpoint (hf_families.compute_reference), and the state dict is the saved checkpoint with the
embedding renamed. Also writes tests/fixtures/torch_tensors/ (dtypes, views, strides; expected values
in expected.json) for the reader's unit tests.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hf_families as hf  # noqa: E402

FIXTURE_VERSION = 1
SEED = 20261130
REGENERATE = "python3 tools/make_mamba_ssm_fixtures.py --out tests/fixtures (on the GPU machine)"

FIXTURES = [
    dict(
        name="mamba_ssm_m1_tied_f32",
        family="mamba1",
        dtype="float32",
        parameters=False,
        input="state-spaces/mamba: 选择性状态空间 ok".encode() + b"\x00\xff",
        hf=dict(hidden_size=32, num_hidden_layers=2, state_size=8, conv_kernel=4, expand=2,
                time_step_rank="auto", tie_word_embeddings=True, use_bias=False, use_conv_bias=True),
        mamba_ssm=dict(d_model=32, n_layer=2, vocab_size=253, ssm_cfg={"d_state": 8}, rms_norm=True,
                       residual_in_fp32=True, fused_add_norm=True, pad_vocab_size_multiple=8),
    ),
    dict(
        name="mamba_ssm_m2_bf16",
        family="mamba2",
        dtype="bfloat16",
        parameters=True,  # values pickled as nn.Parameter (torch._utils._rebuild_parameter)
        input="mamba2 SSD chunks: 分块 x=y? ".encode() + b"\x80\x01",
        hf=dict(hidden_size=32, expand=2, num_heads=4, head_dim=16, n_groups=1, state_size=16,
                conv_kernel=4, chunk_size=8, num_hidden_layers=2, tie_word_embeddings=False),
        mamba_ssm=dict(d_model=32, d_intermediate=0, n_layer=2, vocab_size=250,
                       ssm_cfg={"layer": "Mamba2", "d_state": 16, "d_conv": 4, "expand": 2, "headdim": 16,
                                "ngroups": 1, "chunk_size": 8},
                       attn_layer_idx=[], attn_cfg={}, rms_norm=True, residual_in_fp32=True,
                       fused_add_norm=True, pad_vocab_size_multiple=16, tie_embeddings=False),
    ),
]


def make_fixture(spec, out_root):
    import numpy as np
    import torch
    import transformers
    from safetensors.torch import load_file

    d = os.path.join(out_root, spec["name"])
    if os.path.isdir(d):
        shutil.rmtree(d)
    os.makedirs(os.path.join(d, "reference"))
    cfg, _ = hf.build_config(spec["family"], spec["hf"])
    model = hf.build_model(spec["family"], cfg, SEED)
    rules = hf.perturb_weights(model, spec["family"], cfg, SEED + 1)
    with tempfile.TemporaryDirectory() as tmp:
        hf.save_model(model, tmp, spec["dtype"])
        arrays, info, _ = hf.compute_reference(spec["family"], tmp, spec["input"], extras=True, probes=True)
        stored = load_file(os.path.join(tmp, "model.safetensors"))

    sd = collections.OrderedDict()
    for k in sorted(stored):
        name = "backbone.embedding.weight" if k == "backbone.embeddings.weight" else k
        t = stored[k]
        sd[name] = torch.nn.Parameter(t, requires_grad=False) if spec["parameters"] else t
    if "lm_head.weight" not in sd:  # tied: mamba_ssm's state dict holds both names on one storage
        sd["lm_head.weight"] = sd["backbone.embedding.weight"]
    # what nn.Module.state_dict() attaches (pickled through BUILD)
    sd._metadata = collections.OrderedDict([("", {"version": 1}), ("backbone", {"version": 1})])
    torch.save(sd, os.path.join(d, "pytorch_model.bin"))
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(spec["mamba_ssm"], f, indent=2)
    with open(os.path.join(d, "reference", "input.bin"), "wb") as f:
        f.write(spec["input"])
    np.save(os.path.join(d, "reference", "logits.npy"), np.ascontiguousarray(arrays["logits"], dtype=np.float64))
    meta = dict(
        fixture_version=FIXTURE_VERSION, regenerate=REGENERATE, seed=SEED, name=spec["name"],
        transformers=transformers.__version__, torch=torch.__version__, family=spec["family"],
        transformers_config=spec["hf"], dtype_stored=spec["dtype"], T=len(spec["input"]),
        logits=list(arrays["logits"].shape),
        notes="weights from transformers (hf_families.perturb_weights), saved in the stored dtype; "
        "logits = transformers' float64 forward of that saved checkpoint; the state dict is the same "
        "tensors under mamba_ssm's names, written by torch.save",
        tensors={k: [str(v.dtype), list(v.shape)] for k, v in sd.items()},
        weight_init=rules, checks={k: v for k, v in info.items() if isinstance(v, (int, float, bool, str))},
    )
    with open(os.path.join(d, "reference", "meta.json"), "w") as f:
        json.dump(meta, f, indent=1, default=str)
    print(spec["name"], "T", len(spec["input"]), "bytes", os.path.getsize(os.path.join(d, "pytorch_model.bin")))


def make_tensor_fixture(out_root):
    """Dtypes, views and strides the reader must get right; expected values as float lists."""
    import torch

    d = os.path.join(out_root, "torch_tensors")
    if os.path.isdir(d):
        shutil.rmtree(d)
    os.makedirs(d)
    base = torch.arange(24, dtype=torch.float32).reshape(4, 6) / 8 - 1
    sd = collections.OrderedDict()
    sd["f32"] = base
    sd["f16"] = (base * 1.5).half()
    sd["bf16"] = (base - 0.25).bfloat16()
    sd["transposed"] = base.t()          # shares f32's storage, stride (1, 6)
    sd["offset_view"] = base[1:3, 2:5]   # storage offset 8, stride (6, 1)
    sd["scalar"] = torch.tensor(2.5)     # shape []
    sd["empty"] = torch.zeros(0, 3)
    sd["param"] = torch.nn.Parameter(torch.linspace(-2, 2, 5), requires_grad=True)
    torch.save(sd, os.path.join(d, "tensors.pt"))
    expected = {k: {"shape": list(v.shape), "values": v.detach().float().flatten().tolist()} for k, v in sd.items()}
    with open(os.path.join(d, "expected.json"), "w") as f:
        json.dump(dict(fixture_version=FIXTURE_VERSION, regenerate=REGENERATE, torch=torch.__version__,
                       tensors=expected), f, indent=1)
    # a state dict that holds an int64 tensor (LongStorage): refused by our reader, by name
    torch.save(collections.OrderedDict(w=torch.ones(2), steps=torch.tensor([3])), os.path.join(d, "int64.pt"))
    # the pre-1.6 format (not a zip): refused with a message saying so
    torch.save(collections.OrderedDict(w=torch.ones(2)), os.path.join(d, "legacy.pt"), _use_new_zipfile_serialization=False)
    print("torch_tensors", sorted(os.listdir(d)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    make_tensor_fixture(a.out)
    for spec in FIXTURES:
        make_fixture(spec, a.out)


if __name__ == "__main__":
    main()
