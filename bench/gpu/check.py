"""Checks and times libgatun_cuda.so on a GPU, against its reference kernels and PyTorch.

Correctness: every fast kernel and its reference twin run on the same fresh random inputs,
with the output poisoned with NaN first (so an unwritten element fails), and are compared
with a float64 PyTorch computation by relative norm error |out - want| / |want|. A fast
kernel passes when its error is under the dtype's tolerance and at most twice the
reference kernel's (plus 1e-6, so that two exact answers pass).

Speed: one table, per kernel and size, of TFLOP/s or GB/s (counted work over the median
of timed runs) and the ratio to PyTorch on the same GPU doing the same work.

Run through bench/gpu/check.sh on a machine with a GPU, python3, PyTorch and nvcc; or
    python3 bench/gpu/check.py --lib build-gpu/libgatun_cuda.so [--seed N] [--skip-bench]
    python3 bench/gpu/check.py --lib ... --host-only   # no GPU: argument checks only
"""

import argparse
import ctypes
import json
import math
import os
import statistics
import sys
import time
from ctypes import POINTER, c_char_p, c_float, c_int, c_int32, c_int64, c_void_p

F32, F16, BF16 = 0, 1, 2
ACT_NONE, ACT_GELU_ERF, ACT_GELU_TANH, ACT_SILU = 0, 1, 2, 3
BINARY_ADD, BINARY_MUL = 0, 1
OK, ERR_INVALID, ERR_UNSUPPORTED, ERR_CUDA = 0, 1, 2, 3

P, I32, I64, F, S = c_void_p, c_int32, c_int64, c_float, POINTER(c_int64)

# Argument types of each op; the _reference twin has the same.
SIGNATURES = {
    "gatun_cuda_matmul": [I32, I64, I64, I64, I64, P, S, P, S, P, I32, P, S, P, S, P],
    "gatun_cuda_layer_norm": [I32, I64, I64, P, I64, P, I64, P, P, F, P, I64, P, I64, P],
    "gatun_cuda_rms_norm": [I32, I64, I64, P, I64, P, I64, P, F, P, I64, P, I64, P],
    "gatun_cuda_softmax": [I32, I64, I64, P, I64, F, P, I64, P, I64, P],
    "gatun_cuda_attention": [I32, I64, I64, I64, I64, I64, I64, P, S, P, S, P, S, F, I32,
                             P, S, P, P, S, P],
    "gatun_cuda_rope": [I32, I64, I64, I64, I64, P, S, P, F, I32, P, S, P],
    "gatun_cuda_binary": [I32, I32, I64, P, P, I64, P, P],
    "gatun_cuda_unary": [I32, I32, I64, P, P, P],
    "gatun_cuda_convert": [I32, I32, I64, P, P, P],
    "gatun_cuda_embedding": [I32, I64, I64, P, I64, I64, P, P, I64, P],
}


class GatunCuda:
    """ctypes view of gatun_cuda.h; op(name, ..., reference=bool) returns the status."""

    def __init__(self, path):
        self.lib = ctypes.CDLL(path)
        for name, args in SIGNATURES.items():
            for fn_name in (name, name + "_reference"):
                fn = getattr(self.lib, fn_name)
                fn.argtypes = args
                fn.restype = c_int
        self.lib.gatun_cuda_abi_version.restype = c_int32
        self.lib.gatun_cuda_last_error.restype = c_char_p
        self.lib.gatun_cuda_device_count.argtypes = [POINTER(c_int32)]
        self.lib.gatun_cuda_has_wgmma.argtypes = [POINTER(c_int32)]
        self.stream = None

    def op(self, name, *args, reference=False):
        fn = getattr(self.lib, "gatun_cuda_" + name + ("_reference" if reference else ""))
        return fn(*args, self.stream)

    def last_error(self):
        return self.lib.gatun_cuda_last_error().decode()

    def checked(self, name, *args, reference=False):
        status = self.op(name, *args, reference=reference)
        if status != OK:
            raise RuntimeError(f"{name}{'_reference' if reference else ''}: status "
                               f"{status}: {self.last_error()}")


def strides(values):
    return (c_int64 * len(values))(*values)


# --- no GPU: the host-side checks -------------------------------------------------------

def host_only(g):
    """Runs where there is no GPU: the ABI answers, bad arguments are refused with a
    message naming the values, and a valid call fails cleanly with a CUDA status."""
    failures = []

    def expect(what, status, want, needle):
        msg = g.last_error()
        good = status == want and needle in msg
        print(f"{'ok  ' if good else 'FAIL'} {what}: status {status}, '{msg}'")
        if not good:
            failures.append(what)

    count = c_int32(-1)
    st = g.lib.gatun_cuda_device_count(ctypes.byref(count))
    print(f"abi {g.lib.gatun_cuda_abi_version()}, devices {count.value}, status {st}: "
          f"'{g.last_error()}'")
    if st != OK or count.value < 0:
        failures.append("device_count")
    s4 = strides([1, 1, 1, 1])
    s3 = strides([1, 1, 1])
    expect("matmul bad dtype", g.op("matmul", 7, 1, 2, 2, 2, None, s3, None, s3, None, 0,
                                    None, None, None, s3), ERR_INVALID, "dtype")
    expect("matmul negative M", g.op("matmul", BF16, 1, -1, 2, 2, None, s3, None, s3, None,
                                     0, None, None, None, s3), ERR_INVALID, "M=-1")
    expect("attention H not a multiple of Hkv",
           g.op("attention", BF16, 1, 3, 2, 4, 4, 64, None, s4, None, s4, None, s4, 0.125,
                1, None, None, None, None, s4), ERR_INVALID, "Hkv")
    expect("attention D > 256",
           g.op("attention", BF16, 1, 2, 2, 4, 4, 300, None, s4, None, s4, None, s4, 0.1, 1,
                None, None, None, None, s4), ERR_UNSUPPORTED, "D=300")
    expect("attention D stride",
           g.op("attention", BF16, 1, 2, 2, 4, 4, 64, None, strides([1, 1, 1, 2]), None, s4,
                None, s4, 0.1, 1, None, None, None, None, s4), ERR_UNSUPPORTED, "q_strides")
    expect("layer_norm ld < C",
           g.op("layer_norm", F32, 2, 8, None, 4, None, 8, None, None, 1e-5, None, 8, None,
                8), ERR_INVALID, "src_ld=4")
    expect("softmax cols 0", g.op("softmax", F32, 1, 0, None, 1, 1.0, None, 0, None, 1),
           ERR_INVALID, "cols=0")
    expect("rope odd D", g.op("rope", F32, 1, 1, 1, 7, None, s4, None, 1e4, 1, None, s4),
           ERR_INVALID, "D]=[1, 1, 1, 7]")
    expect("binary b_len", g.op("binary", BINARY_ADD, F32, 10, None, None, 3, None),
           ERR_INVALID, "b_len=3")
    expect("unary activation", g.op("unary", 9, F32, 4, None, None), ERR_INVALID,
           "activation 9")
    expect("convert dtype", g.op("convert", F32, 5, 4, None, None), ERR_INVALID, "dst_dtype")
    expect("embedding V", g.op("embedding", F32, 0, 4, None, 4, 1, None, None, 4),
           ERR_INVALID, "V=0")
    # a valid call reaches the CUDA runtime, which has no device here
    buf = (ctypes.c_float * 64)()
    status = g.op("unary", ACT_SILU, F32, 16, ctypes.addressof(buf), ctypes.addressof(buf))
    msg = g.last_error()
    good = status in (OK, ERR_CUDA) and (status == OK or ".cu:" in msg)
    print(f"{'ok  ' if good else 'FAIL'} valid call without a GPU: status {status}, '{msg}'")
    if not good:
        failures.append("valid call")
    return failures


# --- GPU checks --------------------------------------------------------------------------

def main_gpu(g, args):
    import torch
    import torch.nn.functional as tf

    dev = torch.device("cuda")
    g.stream = c_void_p(torch.cuda.current_stream().cuda_stream)
    gen = torch.Generator(device="cuda").manual_seed(args.seed)
    dtypes = {torch.float32: F32, torch.float16: F16, torch.bfloat16: BF16}
    tols = {torch.float32: 1e-5, torch.float16: 2e-3, torch.bfloat16: 1e-2}
    results = []  # (check, fast error, reference error, tolerance, ok, note)

    def ptr(t):
        return None if t is None else c_void_p(t.data_ptr())

    def randn(*shape, dtype=torch.bfloat16, scale=1.0):
        return (torch.randn(*shape, generator=gen, device=dev) * scale).to(dtype)

    def rel(out, want):
        out, want = out.double(), want.double()
        norm = want.norm().item()
        diff = (out - want).norm().item()
        if norm == 0.0:
            return 0.0 if diff == 0.0 else math.inf
        return diff / norm

    def check(name, dtype, want, out, run, tol=None, ratio=True, note=""):
        """run(out, reference) queues the op writing out; out is poisoned with NaN first."""
        tol = tols[dtype] if tol is None else tol
        errs = []
        for reference in (False, True):
            out.fill_(float("nan"))
            run(out, reference)
            torch.cuda.synchronize()
            unwritten = torch.isnan(out).sum().item()
            errs.append(math.inf if unwritten else rel(out, want))
            if unwritten:
                note += f" {'ref' if reference else 'fast'}: {unwritten} elements unwritten"
        ok = errs[0] <= tol and (not ratio or errs[0] <= 2 * errs[1] + 1e-6)
        results.append((f"{name} {str(dtype)[6:]}", errs[0], errs[1], tol, ok, note.strip()))
        mark = "ok  " if ok else "FAIL"
        print(f"{mark} {name} {str(dtype)[6:]}: fast {errs[0]:.2e}, reference {errs[1]:.2e}, "
              f"tol {tol:.0e} {note}", flush=True)

    act_fns = {
        ACT_NONE: lambda x: x,
        ACT_GELU_ERF: lambda x: tf.gelu(x),
        ACT_GELU_TANH: lambda x: tf.gelu(x, approximate="tanh"),
        ACT_SILU: lambda x: tf.silu(x),
    }

    # --- matmul: layouts, edges, epilogue, batches, shared weights ---
    mm_cases = [
        # batch, M, N, K, w k-major, a transposed, bias, act, residual, shared w  -> path
        (1, 1, 4096, 1024, True, False, True, ACT_NONE, False, False),        # wgmma, M=1
        (1, 97, 257, 1025, False, False, True, ACT_GELU_ERF, True, False),    # mma, K odd
        (1, 257, 1000, 1024, True, False, True, ACT_SILU, False, False),      # wgmma, edges
        (3, 129, 96, 512, False, False, False, ACT_GELU_TANH, True, True),    # wgmma, w n-major
        (2, 64, 136, 200, True, True, True, ACT_NONE, True, False),           # mma, a^T
        (1, 1025, 1025, 1032, False, False, False, ACT_NONE, False, False),   # wgmma
        (1, 300, 520, 4096, True, False, True, ACT_GELU_TANH, True, False),   # wgmma, long K
    ]
    for dtype in (torch.bfloat16, torch.float16, torch.float32):
        for case in mm_cases:
            bt, m, n, k, wk, at, use_bias, act, use_res, shared = case
            if dtype == torch.float32 and m * n * k > 2 ** 28:
                continue
            a = randn(bt, k, m, dtype=dtype).transpose(1, 2) if at else randn(bt, m, k,
                                                                               dtype=dtype)
            ws = 1.0 / math.sqrt(k)
            if shared:
                w2 = (randn(n, k, dtype=dtype, scale=ws).t() if wk
                      else randn(k, n, dtype=dtype, scale=ws))
                w = w2.unsqueeze(0).expand(bt, k, n)
            elif wk:
                w = randn(bt, n, k, dtype=dtype, scale=ws).transpose(1, 2)
            else:
                w = randn(bt, k, n, dtype=dtype, scale=ws)
            bias = randn(n, dtype=dtype) if use_bias else None
            res = randn(bt, m, n, dtype=dtype) if use_res else None
            want = a.double() @ w.double()
            if bias is not None:
                want = want + bias.double()
            want = act_fns[act](want)
            if res is not None:
                want = want + res.double()
            out = torch.empty(bt, m, n, device=dev, dtype=dtype)

            def run(o, reference, a=a, w=w, bias=bias, res=res, bt=bt, m=m, n=n, k=k,
                    act=act, dtype=dtype):
                g.checked("matmul", dtypes[dtype], bt, m, n, k, ptr(a), strides(a.stride()),
                          ptr(w), strides(w.stride()), ptr(bias), act, ptr(res),
                          strides(res.stride()) if res is not None else None, ptr(o),
                          strides(o.stride()), reference=reference)

            layout = f"w {'[N,K]' if wk else '[K,N]'}{' a^T' if at else ''}" \
                     f"{' shared' if shared else ''}"
            name = f"matmul b={bt} M={m} N={n} K={k} {layout} act={act}"
            if dtype == torch.float32:
                # fast F32 is TF32: about 1e-3 relative, not twice plain fp32
                check(name, dtype, want, out, run, tol=5e-3, ratio=False, note="(tf32)")
            else:
                check(name, dtype, want, out, run)

    # --- attention: head dims, Tq != Tk, causal, GQA, key lengths, masks, strides ---
    attn_cases = [
        # B, H, Hkv, Tq, Tk, D, causal, key lengths, mask, BTHD strides   -> path (bf16/f16)
        (2, 4, 4, 97, 97, 32, True, False, False, False),      # flash D=32
        (2, 4, 2, 257, 257, 64, True, True, False, False),     # flash D=64, GQA
        (1, 8, 2, 1025, 1025, 128, True, False, False, False), # flash D=128
        (2, 4, 4, 97, 257, 128, True, True, False, False),     # flash, Tq < Tk
        (2, 4, 4, 257, 97, 64, True, False, False, False),     # flash, early rows see none
        (2, 4, 1, 1, 1025, 128, False, True, False, False),    # rows, split keys, GQA 4
        (1, 8, 2, 1, 8192, 128, True, False, False, False),    # rows, 32 splits
        (2, 4, 4, 97, 97, 8, True, False, False, False),       # rows D=8
        (2, 4, 2, 257, 257, 80, True, True, False, False),     # rows D=80
        (1, 4, 4, 1025, 1025, 32, False, False, True, False),  # flash with a mask
        (2, 2, 2, 1, 97, 80, False, False, True, False),       # rows with a mask
        (3, 4, 2, 17, 33, 256, True, True, False, False),      # rows D=256
        (2, 4, 4, 257, 257, 128, False, False, False, True),   # flash, strided views
        (1, 2, 2, 1, 1, 64, True, False, False, False),        # rows, one key
    ]
    for dtype in (torch.bfloat16, torch.float16, torch.float32):
        for case in attn_cases:
            b, h, hkv, tq, tk, d, causal, use_len, use_mask, bthd = case
            if dtype != torch.bfloat16 and (tq * tk > 300000 or d == 8):
                continue
            if bthd:
                q = randn(b, tq, h, d, dtype=dtype).transpose(1, 2)
                k = randn(b, tk, hkv, d, dtype=dtype).transpose(1, 2)
                v = randn(b, tk, hkv, d, dtype=dtype).transpose(1, 2)
            else:
                q, k, v = (randn(b, h, tq, d, dtype=dtype), randn(b, hkv, tk, d, dtype=dtype),
                           randn(b, hkv, tk, d, dtype=dtype))
            scale = 1.0 / math.sqrt(d)
            lengths = None
            if use_len:
                lengths = torch.randint(0, tk + 1, (b,), generator=gen, device=dev,
                                        dtype=torch.int32)
                lengths[0] = 0 if b > 1 else lengths[0]  # a batch with no keys: zeros
            mask = None
            if use_mask:
                mask = torch.randn(b, 1, tq, tk, generator=gen, device=dev)
                mask = mask.masked_fill(torch.rand(b, 1, tq, tk, generator=gen, device=dev)
                                        < 0.2, float("-inf"))
                mask = mask.expand(b, h, tq, tk)
            want = attention_ref(torch, q, k, v, scale, causal, mask, lengths)
            out = torch.empty(b, h, tq, d, device=dev, dtype=dtype)

            def run(o, reference, q=q, k=k, v=v, scale=scale, causal=causal, mask=mask,
                    lengths=lengths, dtype=dtype, b=b, h=h, hkv=hkv, tq=tq, tk=tk, d=d):
                g.checked("attention", dtypes[dtype], b, h, hkv, tq, tk, d, ptr(q),
                          strides(q.stride()), ptr(k), strides(k.stride()), ptr(v),
                          strides(v.stride()), scale, int(causal), ptr(mask),
                          strides(mask.stride()) if mask is not None else None, ptr(lengths),
                          ptr(o), strides(o.stride()), reference=reference)

            flags = "".join([" causal" if causal else "", " lengths" if use_len else "",
                             " mask" if use_mask else "", " BTHD" if bthd else ""])
            check(f"attention B={b} H={h} Hkv={hkv} Tq={tq} Tk={tk} D={d}{flags}", dtype,
                  want, out, run)

    # --- norms: fused residual, sum output, unaligned C, in-place ---
    for dtype in (torch.bfloat16, torch.float16, torch.float32):
        for rows, c, use_res, use_sum in [(1, 384, False, False), (97, 1001, True, True),
                                          (257, 4096, True, True), (1025, 384, True, False),
                                          (64, 8192, False, True), (3, 20000, True, True)]:
            src = randn(rows, c, dtype=dtype)
            res = randn(rows, c, dtype=dtype) if use_res else None
            gamma = torch.randn(c, generator=gen, device=dev)
            beta = torch.randn(c, generator=gen, device=dev)
            x = src.double() if res is None else (src.float() + res.float()).to(dtype).double()
            for rms in (False, True):
                if rms:
                    want = x / torch.sqrt((x * x).mean(-1, keepdim=True) + 1e-6) * gamma.double()
                else:
                    mu = x.mean(-1, keepdim=True)
                    var = ((x - mu) ** 2).mean(-1, keepdim=True)
                    want = (x - mu) / torch.sqrt(var + 1e-6) * gamma.double() + beta.double()
                out = torch.empty(rows, c, device=dev, dtype=dtype)
                sum_out = torch.empty(rows, c, device=dev, dtype=dtype) if use_sum else None

                def run(o, reference, src=src, res=res, gamma=gamma, beta=beta, rms=rms,
                        sum_out=sum_out, rows=rows, c=c, dtype=dtype):
                    common = (dtypes[dtype], rows, c, ptr(src), c, ptr(res), c, ptr(gamma))
                    tail = (1e-6, ptr(o), c, ptr(sum_out), c)
                    if rms:
                        g.checked("rms_norm", *common, *tail, reference=reference)
                    else:
                        g.checked("layer_norm", *common, ptr(beta), *tail, reference=reference)

                name = f"{'rms' if rms else 'layer'}_norm rows={rows} C={c}" \
                       f"{' +residual' if use_res else ''}{' +sum' if use_sum else ''}"
                check(name, dtype, want, out, run)
                if use_sum:
                    check(name + " (sum output)", dtype, x, sum_out,
                          lambda o, reference, run=run: run(out, reference))
    # in place: dst = src, sum_dst = residual
    src = randn(97, 1024)
    res = randn(97, 1024)
    x = (src.float() + res.float()).to(torch.bfloat16).double()
    want = x / torch.sqrt((x * x).mean(-1, keepdim=True) + 1e-6)
    for reference in (False, True):
        s2, r2 = src.clone(), res.clone()
        g.checked("rms_norm", BF16, 97, 1024, ptr(s2), 1024, ptr(r2), 1024, None, 1e-6,
                  ptr(s2), 1024, ptr(r2), 1024, reference=reference)
        torch.cuda.synchronize()
        e1, e2 = rel(s2, want), rel(r2, x)
        ok = e1 <= 1e-2 and e2 == 0.0
        results.append((f"rms_norm in place ({'reference' if reference else 'fast'})", e1,
                        e2, 1e-2, ok, "second error: sum output"))
        print(f"{'ok  ' if ok else 'FAIL'} rms_norm in place: {e1:.2e}, sum {e2:.2e}")

    # --- softmax: scale, additive mask with fully masked rows, unaligned cols ---
    for dtype in (torch.bfloat16, torch.float32):
        for rows, cols, use_mask in [(97, 257, True), (1025, 1024, True), (3, 32768, False),
                                     (257, 1000, False)]:
            src = randn(rows, cols, dtype=dtype, scale=3.0)
            mask = None
            want_in = src.double() * 0.5
            if use_mask:
                mask = torch.randn(rows, cols, generator=gen, device=dev)
                mask[::7] = float("-inf")
                want_in = want_in + mask.double()
            want = torch.nan_to_num(torch.softmax(want_in, -1), nan=0.0)
            out = torch.empty(rows, cols, device=dev, dtype=dtype)

            def run(o, reference, src=src, mask=mask, rows=rows, cols=cols, dtype=dtype):
                g.checked("softmax", dtypes[dtype], rows, cols, ptr(src), cols, 0.5, ptr(mask),
                          cols if mask is not None else 0, ptr(o), cols, reference=reference)

            check(f"softmax rows={rows} cols={cols}{' mask' if use_mask else ''}", dtype,
                  want, out, run)

    # --- rope: both pairings, strided source ---
    for dtype in (torch.bfloat16, torch.float32):
        for b, h, t, d, interleaved in [(2, 4, 97, 64, True), (1, 8, 257, 128, False),
                                        (2, 2, 1025, 80, False), (1, 3, 1, 8, True)]:
            x = randn(b, t, h, d, dtype=dtype).transpose(1, 2)
            pos = torch.randint(0, 4096, (t,), generator=gen, device=dev, dtype=torch.int32)
            i = torch.arange(d // 2, device=dev, dtype=torch.float64)
            ang = pos.double()[:, None] * 10000.0 ** (-2.0 * i / d)[None, :]
            cs, sn = torch.cos(ang), torch.sin(ang)
            xd = x.double()
            if interleaved:
                x0, x1 = xd[..., 0::2], xd[..., 1::2]
            else:
                x0, x1 = xd[..., : d // 2], xd[..., d // 2:]
            y0, y1 = x0 * cs - x1 * sn, x0 * sn + x1 * cs
            want = torch.empty_like(xd)
            if interleaved:
                want[..., 0::2], want[..., 1::2] = y0, y1
            else:
                want[..., : d // 2], want[..., d // 2:] = y0, y1
            out = torch.empty(b, h, t, d, device=dev, dtype=dtype)

            def run(o, reference, x=x, pos=pos, interleaved=interleaved, b=b, h=h, t=t, d=d,
                    dtype=dtype):
                g.checked("rope", dtypes[dtype], b, h, t, d, ptr(x), strides(x.stride()),
                          ptr(pos), 10000.0, int(interleaved), ptr(o), strides(o.stride()),
                          reference=reference)

            # the angle pos * theta^(-2i/D) is fp32 in both kernels: about 1e-7 * pos radians
            check(f"rope B={b} H={h} T={t} D={d} {'interleaved' if interleaved else 'half'}",
                  dtype, want, out, run, tol=max(tols[dtype], 1e-3))

    # --- elementwise and embedding ---
    for dtype in (torch.bfloat16, torch.float16, torch.float32):
        for n, b_len in [(1025 * 384, 384), (97 * 1001, 1001), (4096, 1)]:
            a = randn(n, dtype=dtype)
            bb = randn(b_len, dtype=dtype)
            for op in (BINARY_ADD, BINARY_MUL):
                rep = bb.double().repeat(n // b_len)
                want = a.double() + rep if op == BINARY_ADD else a.double() * rep
                out = torch.empty(n, device=dev, dtype=dtype)

                def run(o, reference, a=a, bb=bb, op=op, n=n, b_len=b_len, dtype=dtype):
                    g.checked("binary", op, dtypes[dtype], n, ptr(a), ptr(bb), b_len, ptr(o),
                              reference=reference)

                check(f"binary {'add' if op == BINARY_ADD else 'mul'} n={n} b_len={b_len}",
                      dtype, want, out, run)
        for n in (1, 97 * 1001, 1 << 20):
            src = randn(n, dtype=dtype, scale=3.0)
            for act in (ACT_GELU_ERF, ACT_GELU_TANH, ACT_SILU):
                want = act_fns[act](src.double())
                out = torch.empty(n, device=dev, dtype=dtype)

                def run(o, reference, src=src, act=act, n=n, dtype=dtype):
                    g.checked("unary", act, dtypes[dtype], n, ptr(src), ptr(o),
                              reference=reference)

                check(f"unary act={act} n={n}", dtype, want, out, run)
        for dst_dtype in (torch.bfloat16, torch.float16, torch.float32):
            n = 97 * 1001
            src = randn(n, dtype=dtype)
            want = src.to(dst_dtype).double()  # torch rounds to nearest even as well
            out = torch.empty(n, device=dev, dtype=dst_dtype)

            def run(o, reference, src=src, n=n, dtype=dtype, dst_dtype=dst_dtype):
                g.checked("convert", dtypes[dtype], dtypes[dst_dtype], n, ptr(src), ptr(o),
                          reference=reference)

            check(f"convert to {str(dst_dtype)[6:]} n={n}", dtype, want, out, run, tol=0.0)
        for v, c, n in [(30522, 384, 97), (1000, 1001, 257), (32000, 4096, 1)]:
            table = randn(v, c, dtype=dtype)
            ids = torch.randint(0, v, (n,), generator=gen, device=dev, dtype=torch.int32)
            want = table[ids.long()].double()
            out = torch.empty(n, c, device=dev, dtype=dtype)

            def run(o, reference, table=table, ids=ids, v=v, c=c, n=n, dtype=dtype):
                g.checked("embedding", dtypes[dtype], v, c, ptr(table), c, n, ptr(ids), ptr(o),
                          c, reference=reference)

            check(f"embedding V={v} C={c} n={n}", dtype, want, out, run, tol=0.0)
    # an id out of range fails before any write
    table = randn(100, 64)
    ids = torch.tensor([3, 100, 7], device=dev, dtype=torch.int32)
    out = torch.full((3, 64), float("nan"), device=dev, dtype=torch.bfloat16)
    status = g.op("embedding", BF16, 100, 64, ptr(table), 64, 3, ptr(ids), ptr(out), 64)
    msg = g.last_error()
    ok = status == ERR_INVALID and "ids[1] = 100" in msg and torch.isnan(out).all().item()
    results.append(("embedding id out of range", 0.0, 0.0, 0.0, ok, msg))
    print(f"{'ok  ' if ok else 'FAIL'} embedding id out of range: status {status}, '{msg}'")

    bench_rows = [] if args.skip_bench else bench(g, torch, tf, ptr, dev)
    return results, bench_rows


def attention_ref(torch, q, k, v, scale, causal, mask, lengths):
    """float64 softmax(scale q k^T + mask) v with the library's masking rules."""
    b, h, tq, _ = q.shape
    hkv, tk = k.shape[1], k.shape[2]
    group = h // hkv
    qd = q.double()
    kd = k.double().repeat_interleave(group, 1)
    vd = v.double().repeat_interleave(group, 1)
    s = qd @ kd.transpose(-1, -2) * scale
    if mask is not None:
        s = s + mask.double()
    i = torch.arange(tq, device=q.device)[:, None]
    j = torch.arange(tk, device=q.device)[None, :]
    visible = torch.ones(b, 1, tq, tk, dtype=torch.bool, device=q.device)
    if causal:
        visible = visible & (j <= i + (tk - tq))
    if lengths is not None:
        visible = visible & (j[None, None] < lengths.long()[:, None, None, None])
    s = s.masked_fill(~visible, float("-inf"))
    p = torch.nan_to_num(torch.softmax(s, -1), nan=0.0)
    return p @ vd


# --- speed -------------------------------------------------------------------------------

def time_ms(torch, fn, reps=20, warmup=3):
    """Median milliseconds of fn over reps runs, each timed with CUDA events."""
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(reps):
        start = torch.cuda.Event(enable_timing=True)
        end = torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end))
    return statistics.median(times)


def bench(g, torch, tf, ptr, dev):
    rows = []  # (kernel, size, unit, gatun, torch, ratio)

    def add(kernel, size, unit, work, ms_gatun, ms_torch):
        scale = 1e12 if unit == "TFLOP/s" else 1e9
        rate_g = work / (ms_gatun * 1e-3) / scale
        rate_t = work / (ms_torch * 1e-3) / scale if ms_torch else float("nan")
        rows.append((kernel, size, unit, rate_g, rate_t, rate_g / rate_t if ms_torch else
                     float("nan")))
        print(f"bench {kernel} {size}: {rate_g:.1f} {unit} (PyTorch {rate_t:.1f})", flush=True)

    def randn(*shape, dtype=torch.bfloat16):
        return torch.randn(*shape, device=dev).to(dtype)

    # copy bandwidth: the memory ceiling (bytes read + written)
    n = 1 << 29  # 1 GiB of bf16
    src = randn(n)
    dst = torch.empty_like(src)
    ms_g = time_ms(torch, lambda: g.checked("convert", BF16, BF16, n, ptr(src), ptr(dst)))
    ms_t = time_ms(torch, lambda: dst.copy_(src))
    add("copy (convert bf16->bf16)", "1 GiB", "GB/s", 4 * n, ms_g, ms_t)

    # matmul: the compute ceiling
    for m, n_, k, wk in [(8192, 8192, 8192, False), (8192, 8192, 8192, True),
                         (4096, 4096, 4096, True), (16, 4096, 4096, True)]:
        a = randn(m, k)
        w = randn(n_, k).t() if wk else randn(k, n_)
        out = torch.empty(m, n_, device=dev, dtype=torch.bfloat16)
        sa, sw, so = (strides([0, *a.stride()]), strides([0, *w.stride()]),
                      strides([0, *out.stride()]))
        ms_g = time_ms(torch, lambda: g.checked("matmul", BF16, 1, m, n_, k, ptr(a), sa, ptr(w),
                                                sw, None, ACT_NONE, None, None, ptr(out), so))
        ms_t = time_ms(torch, lambda: torch.matmul(a, w, out=out))
        add("matmul bf16", f"{m}x{n_}x{k} w{'[N,K]' if wk else '[K,N]'}", "TFLOP/s",
            2.0 * m * n_ * k, ms_g, ms_t)

    # attention prefill, as PyTorch's scaled_dot_product_attention
    for b, h, t, d, causal in [(2, 16, 4096, 128, False), (2, 16, 4096, 128, True),
                               (8, 12, 512, 64, False)]:
        q, k, v = randn(b, h, t, d), randn(b, h, t, d), randn(b, h, t, d)
        out = torch.empty_like(q)
        st = strides(q.stride())
        scale = 1.0 / math.sqrt(d)
        ms_g = time_ms(torch, lambda: g.checked("attention", BF16, b, h, h, t, t, d, ptr(q), st,
                                                ptr(k), st, ptr(v), st, scale, int(causal), None,
                                                None, None, ptr(out), st), reps=10)
        ms_t = time_ms(torch, lambda: tf.scaled_dot_product_attention(q, k, v,
                                                                      is_causal=causal),
                       reps=10)
        flops = 4.0 * b * h * t * t * d / (2 if causal else 1)
        add("attention bf16", f"B={b} H={h} T={t} D={d}{' causal' if causal else ''}",
            "TFLOP/s", flops, ms_g, ms_t)

    # attention decode: one query over a long cache, GQA; bytes of K and V read once
    b, h, hkv, tk, d = 4, 32, 8, 16384, 128
    q, k, v = randn(b, h, 1, d), randn(b, hkv, tk, d), randn(b, hkv, tk, d)
    out = torch.empty_like(q)
    ms_g = time_ms(torch, lambda: g.checked("attention", BF16, b, h, hkv, 1, tk, d, ptr(q),
                                            strides(q.stride()), ptr(k), strides(k.stride()),
                                            ptr(v), strides(v.stride()), 1.0 / math.sqrt(d), 1,
                                            None, None, None, ptr(out), strides(out.stride())))
    ms_t = time_ms(torch, lambda: tf.scaled_dot_product_attention(q, k, v, enable_gqa=True))
    add("attention decode bf16", f"B={b} H={h} Hkv={hkv} Tk={tk} D={d}", "GB/s",
        2.0 * k.numel() * 2, ms_g, ms_t)

    # norms with the residual add: read x and r, write y and the sum (PyTorch: add, norm)
    rows_, c = 16384, 4096
    x, r = randn(rows_, c), randn(rows_, c)
    y, s = torch.empty_like(x), torch.empty_like(x)
    gamma = torch.ones(c, device=dev)
    beta = torch.zeros(c, device=dev)
    gamma_b, beta_b = gamma.to(x.dtype), beta.to(x.dtype)
    work = 4.0 * rows_ * c * 2
    ms_g = time_ms(torch, lambda: g.checked("layer_norm", BF16, rows_, c, ptr(x), c, ptr(r), c,
                                            ptr(gamma), ptr(beta), 1e-5, ptr(y), c, ptr(s), c))
    ms_t = time_ms(torch, lambda: tf.layer_norm(torch.add(x, r, out=s), (c,), gamma_b, beta_b,
                                                1e-5))
    add("layer_norm + residual bf16", f"{rows_}x{c}", "GB/s", work, ms_g, ms_t)
    ms_g = time_ms(torch, lambda: g.checked("rms_norm", BF16, rows_, c, ptr(x), c, ptr(r), c,
                                            ptr(gamma), 1e-5, ptr(y), c, ptr(s), c))
    ms_t = time_ms(torch, lambda: tf.rms_norm(torch.add(x, r, out=s), (c,), gamma_b, 1e-5))
    add("rms_norm + residual bf16", f"{rows_}x{c}", "GB/s", work, ms_g, ms_t)

    ms_g = time_ms(torch, lambda: g.checked("softmax", BF16, rows_, c, ptr(x), c, 1.0, None, 0,
                                            ptr(y), c))
    ms_t = time_ms(torch, lambda: torch.softmax(x, -1))
    add("softmax bf16", f"{rows_}x{c}", "GB/s", 2.0 * rows_ * c * 2, ms_g, ms_t)

    ms_g = time_ms(torch, lambda: g.checked("unary", ACT_GELU_ERF, BF16, rows_ * c, ptr(x),
                                            ptr(y)))
    ms_t = time_ms(torch, lambda: tf.gelu(x))
    add("gelu bf16", f"{rows_ * c}", "GB/s", 2.0 * rows_ * c * 2, ms_g, ms_t)
    return rows


def print_table(bench_rows):
    print("\n| kernel | size | unit | Gatun | PyTorch | Gatun / PyTorch |")
    print("|---|---|---|---|---|---|")
    for kernel, size, unit, rg, rt, ratio in bench_rows:
        print(f"| {kernel} | {size} | {unit} | {rg:.1f} | {rt:.1f} | {ratio:.2f} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lib", required=True, help="path of libgatun_cuda.so")
    parser.add_argument("--seed", type=int, default=int(time.time()) % 1000003)
    parser.add_argument("--skip-bench", action="store_true")
    parser.add_argument("--host-only", action="store_true",
                        help="no GPU: check the ABI and the argument checks only")
    args = parser.parse_args()
    g = GatunCuda(args.lib)
    if args.host_only:
        failures = host_only(g)
        print(f"host-only: {len(failures)} failures")
        return 1 if failures else 0

    import torch
    wgmma = c_int32(0)
    if g.lib.gatun_cuda_has_wgmma(ctypes.byref(wgmma)) != OK:
        print(f"gatun_cuda_has_wgmma failed: {g.last_error()}")
        return 1
    print(f"seed {args.seed}; {torch.cuda.get_device_name()}; torch {torch.__version__}; "
          f"wgmma path: {'yes' if wgmma.value else 'no'}", flush=True)
    t0 = time.time()
    results, bench_rows = main_gpu(g, args)
    failed = [r for r in results if not r[4]]
    print(f"\nseed {args.seed}: {len(results) - len(failed)} of {len(results)} checks passed "
          f"in {time.time() - t0:.0f} s; wgmma path: {'yes' if wgmma.value else 'no'}")
    for name, ef, er, tol, _, note in failed:
        print(f"FAILED {name}: fast {ef:.2e}, reference {er:.2e}, tol {tol:.0e} {note}")
    out_dir = os.environ.get("OUT")
    if out_dir:
        with open(os.path.join(out_dir, "check.json"), "w") as f:
            json.dump({"seed": args.seed, "checks": results, "bench": bench_rows}, f, indent=1)
    if bench_rows:
        print_table(bench_rows)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
