#!/usr/bin/env python3
"""PyTorch on the same GPU, beside statescope-bench-cuda (issue 3): the sequential reference selective
scan (as mamba_ssm's selective_scan_ref), torch's scaled_dot_product_attention (causal), and the
pure-PyTorch chunked SSD (ssd_minimal_discrete from the Mamba-2 repository). Prints markdown tables.

    python3 tools/bench/bench_torch_ref.py [--quick] [--attention] [--ssd-only]

--attention: the attention rows only (FP32 and BF16 SDPA, and BF16 with the FlashAttention-2 backend
forced), at statescope-bench-cuda's attention shapes (BF16 also at L 64K).
--ssd-only: only the chunked SSD, in FP32 and in BF16 (inputs and every product in BF16, as a model
run under autocast would), at H 24 and 80, L 16K, 64K and 256K.
"""
import argparse
import sys

import torch
import torch.nn.functional as F


def median_ms(fn, reps=5):
    fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(reps):
        a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        a.record()
        fn()
        b.record()
        torch.cuda.synchronize()
        times.append(a.elapsed_time(b))
    return sorted(times)[len(times) // 2]


def scan_ref(u, delta, A, B, C, D, z):
    # u, delta, z: [Di, L]; A: [Di, N]; B, C: [N, L] (batch 1) -- mamba_ssm's selective_scan_ref loop.
    dA = torch.exp(torch.einsum("dl,dn->dln", delta, A))
    dBu = torch.einsum("dl,nl,dl->dln", delta, B, u)
    x = torch.zeros_like(A)
    ys = []
    for i in range(u.shape[1]):
        x = dA[:, i] * x + dBu[:, i]
        ys.append(torch.einsum("dn,n->d", x, C[:, i]))
    y = torch.stack(ys, dim=1) + u * D[:, None]
    return y * F.silu(z)


def segsum(x):
    T = x.size(-1)
    x = x[..., None].expand(*x.shape, T)
    mask = torch.tril(torch.ones(T, T, device=x.device, dtype=torch.bool), diagonal=-1)
    x = x.masked_fill(~mask, 0)
    s = torch.cumsum(x, dim=-2)
    mask = torch.tril(torch.ones(T, T, device=x.device, dtype=torch.bool), diagonal=0)
    return s.masked_fill(~mask, -torch.inf)


def ssd_minimal(X, A, B, C, block_len):
    # X [b, l, h, p], A [b, l, h] (= Δ A), B, C [b, l, h, n]
    b, l, h, p = X.shape
    c = l // block_len
    X, A, B, C = (t.reshape(b, c, block_len, *t.shape[2:]) for t in (X, A, B, C))
    A = A.permute(0, 3, 1, 2)  # b h c l
    A_cumsum = torch.cumsum(A, dim=-1)
    L = torch.exp(segsum(A))
    Y_diag = torch.einsum("bclhn,bcshn,bhcls,bcshp->bclhp", C, B, L, X)
    decay_states = torch.exp(A_cumsum[:, :, :, -1:] - A_cumsum)
    states = torch.einsum("bclhn,bhcl,bclhp->bchpn", B, decay_states, X)
    states = torch.cat([torch.zeros_like(states[:, :1]), states], dim=1)
    decay_chunk = torch.exp(segsum(F.pad(A_cumsum[:, :, :, -1], (1, 0))))
    new_states = torch.einsum("bhzc,bchpn->bzhpn", decay_chunk, states)
    states = new_states[:, :-1]
    Y_off = torch.einsum("bclhn,bchpn,bhcl->bclhp", C, states, torch.exp(A_cumsum))
    return (Y_diag + Y_off).reshape(b, l, h, p)


def ssd_rows(dev, g, shapes, dtype):
    name = "FP32" if dtype == torch.float32 else "BF16"
    for H, L in shapes:
        P, Nn = 64, 128
        X = torch.randn(1, L, H, P, device=dev, generator=g)
        dt = F.softplus(torch.randn(1, L, H, device=dev, generator=g) - 2.0)
        Ah = -(1.0 + 15.0 * torch.arange(H, device=dev) / H)
        Bm = torch.randn(1, L, 1, Nn, device=dev, generator=g).to(dtype).expand(1, L, H, Nn)
        Cm = torch.randn(1, L, 1, Nn, device=dev, generator=g).to(dtype).expand(1, L, H, Nn)
        Xd, Ad = (X * dt[..., None]).to(dtype), (dt * Ah).to(dtype)
        del X
        try:
            ms = median_ms(lambda: ssd_minimal(Xd, Ad, Bm, Cm, 64), reps=3)
            print(f"| chunked SSD (ssd_minimal_discrete), {name} | H {H}, head_dim {P}, N {Nn}, L {L} | {ms:.2f} | {L / ms * 1e3 / 1e6:.2f} M tokens/s |")
        except torch.OutOfMemoryError:
            print(f"| chunked SSD (ssd_minimal_discrete), {name} | H {H}, L {L} | out of memory | |")
        del Xd, Ad, dt, Bm, Cm
        torch.cuda.empty_cache()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--attention", action="store_true", help="attention rows only")
    ap.add_argument("--ssd-only", action="store_true")
    args = ap.parse_args()
    dev = torch.device("cuda")
    torch.backends.cuda.matmul.allow_tf32 = False
    print(f"## PyTorch {torch.__version__} on {torch.cuda.get_device_name()} (same run)\n")

    print("| reference | shape | time ms | throughput |\n| --- | --- | --- | --- |")
    g = torch.Generator(device=dev).manual_seed(0)
    if args.attention:
        attention_rows(args, dev, g)
        print()
        return
    if args.ssd_only:
        shapes = [(H, L) for H in (24, 80) for L in ((16384, 65536, 262144) if not args.quick else (16384,))]
        for dtype in (torch.float32, torch.bfloat16):
            ssd_rows(dev, g, shapes, dtype)
        print()
        return 0
    Di, N, L = 1536, 16, 2048
    u, z = (torch.randn(Di, L, device=dev, generator=g) for _ in range(2))
    delta = F.softplus(torch.randn(Di, L, device=dev, generator=g) - 2.5)
    A = -torch.exp(torch.rand(Di, N, device=dev, generator=g) * 2.77)
    B, C = (torch.randn(N, L, device=dev, generator=g) for _ in range(2))
    D = torch.randn(Di, device=dev, generator=g)
    ms = median_ms(lambda: scan_ref(u, delta, A, B, C, D, z), reps=3)
    print(f"| sequential selective scan (selective_scan_ref), FP32 | d_inner {Di}, N {N}, L {L} | {ms:.1f} | {L / ms * 1e3 / 1e3:.1f} K tokens/s |")

    ssd_rows(dev, g, ((24, 16384), (24, 65536)) if not args.quick else ((24, 16384),), torch.float32)

    attention_rows(args, dev, g)
    print()


def attention_rows(args, dev, g):
    from torch.nn.attention import SDPBackend, sdpa_kernel

    for dtype, forced in ((torch.float32, None), (torch.bfloat16, None), (torch.bfloat16, SDPBackend.FLASH_ATTENTION)):
        for hd in (64, 128):
            Ls = (1024, 4096, 16384) if not args.quick else (4096,)
            if dtype == torch.bfloat16 and args.attention:
                Ls = Ls + (65536,)
            for L in Ls:
                H = 2048 // hd
                q, k, v = (torch.randn(1, H, L, hd, device=dev, dtype=dtype, generator=g) for _ in range(3))
                name = "FP32" if dtype == torch.float32 else "BF16"
                if forced is not None:
                    name += ", FlashAttention-2 backend forced"
                try:
                    if forced is None:
                        ms = median_ms(lambda: F.scaled_dot_product_attention(q, k, v, is_causal=True))
                    else:
                        with sdpa_kernel(forced):
                            ms = median_ms(lambda: F.scaled_dot_product_attention(q, k, v, is_causal=True))
                except RuntimeError as e:
                    print(f"| scaled_dot_product_attention causal, {name} | L {L}, hd {hd}, H {H} | failed: {str(e)[:60]} | |")
                    continue
                tflops = 4.0 * L * L / 2 * hd * H / (ms * 1e-3) / 1e12
                print(f"| scaled_dot_product_attention causal, {name} | L {L}, hd {hd}, H {H} | {ms:.3f} | {tflops:.1f} TFLOP/s |")
                del q, k, v


if __name__ == "__main__":
    sys.exit(main())
