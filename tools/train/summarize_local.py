#!/usr/bin/env python3
"""Run train_tasks.py's --select / --summarize on a machine without torch (they only read the JSON
records and draw with matplotlib): torch is replaced by an empty stand-in module.

    python3 tools/train/summarize_local.py --summarize
    python3 tools/train/summarize_local.py --select
"""
import os
import sys
import types

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
try:
    import torch  # noqa: F401
except ImportError:
    class _Meta(type):
        def __getattr__(cls, name):
            return _Any

    class _Any(metaclass=_Meta):
        """Stands for any torch name at import time (classes to derive from, decorators, constants)."""
        def __init__(self, *a, **k):
            pass

        def __call__(self, *a, **k):
            return a[0] if len(a) == 1 and callable(a[0]) else _Any()

        def __getattr__(self, name):
            return _Any

    class _Stub(types.ModuleType):
        def __getattr__(self, name):
            return _Any

    for name in ("torch", "torch.nn", "torch.nn.functional", "torch.autograd", "triton", "triton.language"):
        sys.modules[name] = _Stub(name)
    sys.modules["torch"].nn = sys.modules["torch.nn"]
    sys.modules["torch.nn"].functional = sys.modules["torch.nn.functional"]
    sys.modules["torch"].no_grad = lambda *a, **k: (lambda f: f)
import train_tasks  # noqa: E402

if __name__ == "__main__":
    if not any(a in sys.argv for a in ("--select", "--summarize")):
        sys.exit("usage: summarize_local.py --select | --summarize")
    train_tasks.main()
