#!/usr/bin/env python3
"""Optimized CPU reference for `npm run bench`.

Times one GPT-2-small-shaped forward pass with a full activation cache in
numpy float32 (whatever BLAS numpy was built with), on random weights
(std 0.02) made on the fly, and prints ONE line of JSON to stdout:

    {"reference": "numpy", "numpyVersion": ..., "blas": {...}, "tokens": N,
     "msPerForward": median, "msAll": [...], "gflops": ..., "peakRssMb": ...,
     "loss": ..., "cacheMb": ..., "malloc": {...}}

The forward does the same work as the engine's cached forward: token +
learned position embeddings; per layer LayerNorm -> fused QKV matmul + bias
-> causal attention per head (scaled by 1/sqrt(d_head), softmax, . V) ->
output projection + bias -> residual; LayerNorm -> MLP with gelu_new ->
residual; final LayerNorm; unembedding of ALL positions; mean next-token
cross-entropy. Every intermediate a TransformerLens cache holds is kept in
a dict (hook names as in TransformerLens).

The environment is used exactly as given (see bench/README.md on
OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE): this script never sets or unsets
BLAS variables; it only reports them, together with the kernel/core type
that threadpoolctl (or, without it, OpenBLAS itself) says was picked.

Usage: python3 bench/reference_forward.py --tokens 128 --repeats 5 --warmup 1 --seed 0
"""

import argparse
import contextlib
import ctypes
import ctypes.util
import io
import json
import math
import os
import resource
import sys
import time

import numpy as np

F32 = np.float32

# GPT-2 small.
N_LAYERS = 12
N_HEADS = 12
D_MODEL = 768
D_HEAD = D_MODEL // N_HEADS
D_MLP = 3072
D_VOCAB = 50257
N_CTX = 1024
INIT_STD = 0.02
LN_EPS = F32(1e-5)

# Variables that steer the BLAS; reported (never changed) so a run is
# reproducible from its JSON.
BLAS_ENV_VARS = (
    "OPENBLAS_CORETYPE",
    "OPENBLAS_L2_SIZE",
    "OPENBLAS_NUM_THREADS",
    "OPENBLAS_VERBOSE",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
)


# --------------------------------------------------------------------------
# Weights (not timed)


def make_weights(rng):
    """Random GPT-2-small weights, float32, matmul weights pre-transposed.

    Matrices and biases ~ N(0, 0.02); LayerNorm gains 1, shifts 0.
    """

    def normal(*shape):
        w = rng.standard_normal(shape, dtype=F32)
        w *= F32(INIT_STD)
        return w

    layers = []
    for _ in range(N_LAYERS):
        layers.append(
            {
                "ln1_w": np.ones(D_MODEL, F32),
                "ln1_b": np.zeros(D_MODEL, F32),
                "W_qkv": normal(D_MODEL, 3 * D_MODEL),  # [768, 2304]: q | k | v
                "b_qkv": normal(3 * D_MODEL),
                "W_O": normal(D_MODEL, D_MODEL),  # [n_heads*d_head, d_model]
                "b_O": normal(D_MODEL),
                "ln2_w": np.ones(D_MODEL, F32),
                "ln2_b": np.zeros(D_MODEL, F32),
                "W_in": normal(D_MODEL, D_MLP),
                "b_in": normal(D_MLP),
                "W_out": normal(D_MLP, D_MODEL),
                "b_out": normal(D_MODEL),
            }
        )
    return {
        "W_E": normal(D_VOCAB, D_MODEL),
        "W_pos": normal(N_CTX, D_MODEL),
        "layers": layers,
        "lnf_w": np.ones(D_MODEL, F32),
        "lnf_b": np.zeros(D_MODEL, F32),
        "W_U": normal(D_MODEL, D_VOCAB),  # pre-transposed [768, 50257]
        "b_U": normal(D_VOCAB),
    }


# --------------------------------------------------------------------------
# Forward


def layer_norm(x, w, b, cache, name):
    """LayerNorm over the last axis; caches hook_scale and hook_normalized."""
    xc = x - x.mean(axis=-1, keepdims=True)
    scale = np.sqrt((xc * xc).mean(axis=-1, keepdims=True) + LN_EPS)
    xc /= scale  # xc is ours: normalise in place
    cache[name + ".hook_scale"] = scale
    cache[name + ".hook_normalized"] = xc
    out = xc * w
    out += b
    return out


_GELU_C = F32(math.sqrt(2.0 / math.pi))
_GELU_A = F32(0.044715)


def gelu_new(x):
    """0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), one new array."""
    y = x * x
    y *= x
    y *= _GELU_A
    y += x
    y *= _GELU_C
    np.tanh(y, out=y)
    y += F32(1.0)
    y *= x
    y *= F32(0.5)
    return y


def causal_mask(n):
    """[n, n] float32: 0 on and below the diagonal, -inf above."""
    mask = np.zeros((n, n), F32)
    mask[np.triu_indices(n, 1)] = -np.inf
    return mask


def forward(W, tokens, mask):
    """Returns (loss, logits, cache). tokens: int64 [n]."""
    n = tokens.shape[0]
    cache = {}
    attn_scale = F32(1.0 / math.sqrt(D_HEAD))

    embed = W["W_E"][tokens]  # gather -> new [n, 768]
    pos_embed = W["W_pos"][:n]
    cache["hook_embed"] = embed
    cache["hook_pos_embed"] = pos_embed
    resid = embed + pos_embed

    for l, P in enumerate(W["layers"]):
        pre = f"blocks.{l}."
        cache[pre + "hook_resid_pre"] = resid

        # Attention.
        x = layer_norm(resid, P["ln1_w"], P["ln1_b"], cache, pre + "ln1")
        qkv = x @ P["W_qkv"]  # [n, 2304]
        qkv += P["b_qkv"]
        qkv = qkv.reshape(n, 3, N_HEADS, D_HEAD)
        q, k, v = qkv[:, 0], qkv[:, 1], qkv[:, 2]  # views [pos, head, d_head]
        cache[pre + "attn.hook_q"] = q
        cache[pre + "attn.hook_k"] = k
        cache[pre + "attn.hook_v"] = v

        # [head, q_pos, d_head] @ [head, d_head, k_pos]; strided views go
        # straight to BLAS (one sgemm per head), no copies.
        scores = np.matmul(q.transpose(1, 0, 2), k.transpose(1, 2, 0))
        scores *= attn_scale
        scores += mask  # broadcast over heads
        cache[pre + "attn.hook_attn_scores"] = scores

        pattern = scores - scores.max(axis=-1, keepdims=True)
        np.exp(pattern, out=pattern)
        pattern /= pattern.sum(axis=-1, keepdims=True)
        cache[pre + "attn.hook_pattern"] = pattern

        # z in TransformerLens layout [pos, head, d_head], written by BLAS
        # directly through a [head, pos, d_head] view: no transpose copy.
        z = np.empty((n, N_HEADS, D_HEAD), F32)
        np.matmul(pattern, v.transpose(1, 0, 2), out=z.transpose(1, 0, 2))
        cache[pre + "attn.hook_z"] = z

        attn_out = z.reshape(n, D_MODEL) @ P["W_O"]
        attn_out += P["b_O"]
        cache[pre + "hook_attn_out"] = attn_out
        resid = resid + attn_out
        cache[pre + "hook_resid_mid"] = resid

        # MLP.
        x = layer_norm(resid, P["ln2_w"], P["ln2_b"], cache, pre + "ln2")
        h_pre = x @ P["W_in"]
        h_pre += P["b_in"]
        cache[pre + "mlp.hook_pre"] = h_pre
        h_post = gelu_new(h_pre)
        cache[pre + "mlp.hook_post"] = h_post
        mlp_out = h_post @ P["W_out"]
        mlp_out += P["b_out"]
        cache[pre + "hook_mlp_out"] = mlp_out
        resid = resid + mlp_out
        cache[pre + "hook_resid_post"] = resid

    x = layer_norm(resid, W["lnf_w"], W["lnf_b"], cache, "ln_final")
    logits = x @ W["W_U"]  # [n, 50257], all positions
    logits += W["b_U"]

    # Mean next-token cross-entropy: log_softmax(logits)[i, tokens[i+1]],
    # with the log-sum-exp over the whole vocab at every position.
    m = logits.max(axis=-1, keepdims=True)
    e = logits - m
    np.exp(e, out=e)
    lse = np.log(e.sum(axis=-1)) + m[:, 0]  # [n]
    del e
    target_logits = logits[np.arange(n - 1), tokens[1:]]
    loss = (lse[:-1] - target_logits).mean(dtype=F32)
    return loss, logits, cache


def forward_flops(n):
    """2*m*n*k for every matmul of the forward (full n x n attention)."""
    per_layer = (
        2 * n * D_MODEL * 3 * D_MODEL  # fused QKV
        + 2 * N_HEADS * n * n * D_HEAD  # Q K^T
        + 2 * N_HEADS * n * n * D_HEAD  # pattern V
        + 2 * n * D_MODEL * D_MODEL  # W_O
        + 2 * n * D_MODEL * D_MLP  # W_in
        + 2 * n * D_MLP * D_MODEL  # W_out
    )
    return N_LAYERS * per_layer + 2 * n * D_MODEL * D_VOCAB  # + unembedding


# --------------------------------------------------------------------------
# Allocator


def tune_malloc():
    """Keep freed activation memory in the process (glibc only).

    Every forward allocates a fresh ~130 MB cache (plus logits). With glibc's
    defaults the larger arrays are mmap'd or trimmed back to the kernel when
    the previous cache is freed, so each forward pays ~32k page faults of
    zeroed pages (~60 ms at 128 tokens, ~20% of the run). Raising the mmap
    and trim thresholds lets malloc reuse the memory instead, as a caching
    allocator would. Arrays above 32 MiB (glibc's cap on the mmap
    threshold) are still mmap'd. Returns what was applied, for the JSON.
    """
    if not sys.platform.startswith("linux"):
        return {"tuned": False, "reason": "not linux"}
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.gnu_get_libc_version.restype = ctypes.c_char_p
        version = libc.gnu_get_libc_version().decode()
    except (OSError, AttributeError):
        return {"tuned": False, "reason": "not glibc"}
    M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
    mmap_threshold = 32 * 1024 * 1024  # glibc's maximum on 64-bit
    trim_threshold = 2**31 - 1
    ok = bool(libc.mallopt(M_MMAP_THRESHOLD, mmap_threshold)) and bool(
        libc.mallopt(M_TRIM_THRESHOLD, trim_threshold)
    )
    return {
        "tuned": ok,
        "glibc": version,
        "mmapThreshold": mmap_threshold,
        "trimThreshold": trim_threshold,
    }


# --------------------------------------------------------------------------
# Reporting


def blas_info():
    """Which BLAS numpy uses, its threads and kernel (core type)."""
    info = {"env": {k: os.environ.get(k) for k in BLAS_ENV_VARS}}
    try:
        from threadpoolctl import threadpool_info

        libs = [
            {
                "internalApi": p.get("internal_api"),
                "version": p.get("version"),
                "numThreads": p.get("num_threads"),
                "threadingLayer": p.get("threading_layer"),
                # OpenBLAS: the kernel set (core type) picked at load time.
                "architecture": p.get("architecture"),
                "library": os.path.basename(p.get("filepath") or ""),
            }
            for p in threadpool_info()
            if p.get("user_api") == "blas"
        ]
        info["source"] = "threadpoolctl"
        info["libraries"] = libs
        if libs:
            info["name"] = libs[0]["internalApi"]
            info["numThreads"] = libs[0]["numThreads"]
            info["coreType"] = libs[0]["architecture"]
        return info
    except ImportError:
        pass

    # Fallback: numpy's build config, plus OpenBLAS's own answer about
    # threads and core type when its library is found among those loaded.
    info["source"] = "numpy.show_config"
    info["numThreads"], info["coreType"] = openblas_runtime()
    try:
        cfg = np.show_config(mode="dicts")  # numpy >= 1.26
        blas = cfg.get("Build Dependencies", {}).get("blas", {})
        info["name"] = blas.get("name")
        info["version"] = blas.get("version")
        info["config"] = blas.get("openblas configuration")
    except TypeError:  # older numpy: only prints
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            np.show_config()
        info["config"] = buf.getvalue().strip()
    except Exception as exc:  # never fail the bench over this
        info["error"] = repr(exc)
    return info


def openblas_runtime():
    """(threads, core name) from a loaded OpenBLAS via ctypes, else Nones."""
    try:
        with open("/proc/self/maps") as f:
            paths = {
                line.split()[-1]
                for line in f
                if "openblas" in line.lower() and ".so" in line
            }
    except OSError:
        return None, None
    for path in sorted(paths):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix in ("openblas", "scipy_openblas"):
            for suffix in ("", "64_"):
                try:
                    corename = getattr(lib, f"{prefix}_get_corename{suffix}")
                    nthreads = getattr(lib, f"{prefix}_get_num_threads{suffix}")
                except AttributeError:
                    continue
                corename.restype = ctypes.c_char_p
                return int(nthreads()), corename().decode()
    return None, None


def peak_rss_mb():
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports KiB, macOS bytes.
    return rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024


def cached_bytes(logits, cache, W):
    """Bytes the cache and logits hold, each buffer once, weights excluded.

    (resid_post of layer l is resid_pre of layer l+1; q, k, v are views of
    one qkv buffer; hook_pos_embed is a view of W_pos.)
    """
    weights = {id(W["W_E"]), id(W["W_pos"]), id(W["W_U"])}
    owners = {}
    for a in [logits, *cache.values()]:
        owner = a if a.base is None else a.base
        if id(owner) not in weights:
            owners[id(owner)] = owner.nbytes
    return sum(owners.values())


def check_float32(loss, logits, cache):
    bad = [k for k, a in cache.items() if a.dtype != F32]
    if logits.dtype != F32:
        bad.append("logits")
    if np.asarray(loss).dtype != F32:
        bad.append("loss")
    if bad:
        raise TypeError("not float32: " + ", ".join(bad))


# --------------------------------------------------------------------------


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tokens", type=int, default=128)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--no-malloc-tuning",
        action="store_true",
        help="keep glibc's default mmap/trim thresholds (page-faults the "
        "cache afresh every forward)",
    )
    args = ap.parse_args(argv)
    if not 2 <= args.tokens <= N_CTX:
        ap.error(f"--tokens must be in [2, {N_CTX}]")
    if args.repeats < 1 or args.warmup < 0:
        ap.error("--repeats must be >= 1 and --warmup >= 0")

    malloc = {"tuned": False} if args.no_malloc_tuning else tune_malloc()

    rng = np.random.default_rng(args.seed)
    tokens = rng.integers(0, D_VOCAB, size=args.tokens, dtype=np.int64)
    W = make_weights(rng)
    mask = causal_mask(args.tokens)

    ms_all = []
    result = None
    for i in range(args.warmup + args.repeats):
        result = None  # free the previous cache first, as a caller would
        t0 = time.perf_counter()
        result = forward(W, tokens, mask)
        if i >= args.warmup:
            ms_all.append((time.perf_counter() - t0) * 1e3)

    # Untimed checks on the last run's outputs.
    loss, logits, cache = result
    check_float32(loss, logits, cache)
    cache_bytes = cached_bytes(logits, cache, W)
    del result, logits, cache

    ms = float(np.median(ms_all))
    print(
        json.dumps(
            {
                "reference": "numpy",
                "numpyVersion": np.__version__,
                "blas": blas_info(),
                "tokens": args.tokens,
                "msPerForward": round(ms, 3),
                "msAll": [round(t, 3) for t in ms_all],
                "gflops": round(forward_flops(args.tokens) / (ms * 1e6), 3),
                "peakRssMb": round(peak_rss_mb(), 1),
                "loss": round(float(loss), 6),
                "cacheMb": round(cache_bytes / 2**20, 2),
                "malloc": malloc,
            },
            separators=(",", ":"),
        )
    )


if __name__ == "__main__":
    main()
