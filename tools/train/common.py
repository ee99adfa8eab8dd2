"""Shared helpers for train_lm.py and train_tasks.py: environment, optimizer, schedule, files."""
import json
import math
import os
import shutil
import sys

import torch

LN2 = math.log(2.0)


def setup_environment(seed):
    """Offline, deterministic-ish, full float32 precision for the reference evaluations."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("USE_HUB_KERNELS", "0")
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.set_float32_matmul_precision("highest")
    torch.manual_seed(seed)
    import transformers
    transformers.logging.set_verbosity_error()
    info = {"python": sys.version.split()[0], "torch": torch.__version__, "transformers": transformers.__version__,
            "cuda_device": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None}
    try:
        import triton
        info["triton"] = triton.__version__
    except Exception:
        info["triton"] = None
    return info


def make_optimizer(model, lr, weight_decay):
    """AdamW; no weight decay on vectors, embeddings and A_log (as in the Mamba reference code)."""
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        if p.ndim < 2 or name.endswith("A_log") or "embed" in name:
            no_decay.append(p)
        else:
            decay.append(p)
    groups = [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    fused = torch.cuda.is_available()
    return torch.optim.AdamW(groups, lr=lr, betas=(0.9, 0.95), eps=1e-8, fused=fused)


def lr_at(step, total, peak, warmup):
    """Linear warm-up, then cosine decay to 10% of the peak."""
    if step < warmup:
        return peak * (step + 1) / warmup
    frac = (step - warmup) / max(1, total - warmup)
    return peak * (0.1 + 0.9 * 0.5 * (1.0 + math.cos(math.pi * min(1.0, frac))))


def save_model(model, out_dir):
    """save_pretrained in bfloat16, keeping only config.json and model.safetensors."""
    if os.path.isdir(out_dir):
        shutil.rmtree(out_dir)
    os.makedirs(out_dir)
    model.to(torch.bfloat16).save_pretrained(out_dir)
    for name in os.listdir(out_dir):
        if name not in ("config.json", "model.safetensors"):
            path = os.path.join(out_dir, name)
            (shutil.rmtree if os.path.isdir(path) else os.remove)(path)
    return {name: os.path.getsize(os.path.join(out_dir, name)) for name in sorted(os.listdir(out_dir))}


def safetensors_listing(path):
    from safetensors import safe_open
    out = []
    with safe_open(path, framework="pt") as f:
        for key in sorted(f.keys()):
            t = f.get_slice(key)
            out.append([key, t.get_dtype(), list(t.get_shape())])
    return out


def write_json(path, obj):
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "w") as f:
        json.dump(obj, f, indent=1, default=str)
        f.write("\n")


def dump_transformers_sources(dest):
    """Copy the installed transformers' model files that the C++ core re-implements (for reading)."""
    import transformers
    root = os.path.dirname(transformers.__file__)
    os.makedirs(dest, exist_ok=True)
    picks = ["models/mamba", "models/mamba2", "models/llama", "models/jamba", "models/mixtral",
             "models/falcon_mamba", "models/mistral", "modeling_rope_utils.py", "conversion_mapping.py",
             "integrations/moe.py", "integrations/sdpa_attention.py", "masking_utils.py"]
    for pick in picks:
        src = os.path.join(root, pick)
        if os.path.isdir(src):
            for name in os.listdir(src):
                if name.endswith(".py"):
                    d = os.path.join(dest, pick)
                    os.makedirs(d, exist_ok=True)
                    shutil.copy(os.path.join(src, name), d)
        elif os.path.isfile(src):
            d = os.path.join(dest, os.path.dirname(pick))
            os.makedirs(d, exist_ok=True)
            shutil.copy(src, d)
