import json, sys, numpy as np, torch, transformers
for name in sys.argv[1:]:
    d = f"tests/fixtures/{name}"
    arch = json.load(open(f"{d}/config.json"))["architectures"][0]
    kw = {"attn_implementation": "eager"}
    if "Zamba2" in arch or "Jamba" in arch or "Nemotron" in arch: kw["experts_implementation"] = "eager"
    try:
        m = getattr(transformers, arch).from_pretrained(d, dtype=torch.bfloat16, **kw).eval()
    except TypeError:
        kw.pop("experts_implementation", None); m = getattr(transformers, arch).from_pretrained(d, dtype=torch.bfloat16, **kw).eval()
    ids = torch.tensor([list(open(f"{d}/reference/input.bin", "rb").read())])
    with torch.no_grad():
        l = m(ids, use_cache=False).logits[0].double().numpy()
    ref = np.load(f"{d}/reference/logits.npy")
    print(f"{name}: transformers bf16 (CPU) vs its float64 reference: rel {np.linalg.norm(l-ref)/np.linalg.norm(ref):.2e}", flush=True)
