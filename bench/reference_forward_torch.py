#!/usr/bin/env python3
"""PyTorch variant of the optimized CPU reference for `npm run bench`.

The same forward as reference_forward.py (GPT-2-small shape, random weights
std 0.02, float32, every TransformerLens cache entry kept, all-position
logits, mean next-token cross-entropy), written with torch CPU ops under
inference_mode, on torch's default intra-op threads (one per core). Prints
ONE line of JSON:

    {"reference": "torch", "torchVersion": ..., "threads": N, "tokens": N,
     "msPerForward": median, "msAll": [...], "gflops": ..., "peakRssMb": ...,
     "loss": ...}

The bench runs both references and divides by the faster one.

Usage: python3 bench/reference_forward_torch.py --tokens 128 --repeats 5 --warmup 1 --seed 0
"""

import argparse
import json
import math
import resource
import statistics
import sys
import time

import torch

N_LAYERS, N_HEADS, D_MODEL, D_MLP, D_VOCAB, N_CTX = 12, 12, 768, 3072, 50257, 1024
D_HEAD = D_MODEL // N_HEADS
INIT_STD = 0.02
LN_EPS = 1e-5


def make_weights(gen):
    """Random GPT-2-small weights, float32, matmul weights as [d_in, d_out]."""

    def normal(*shape):
        return torch.randn(*shape, generator=gen, dtype=torch.float32) * INIT_STD

    layers = [
        {
            "ln1_w": torch.ones(D_MODEL), "ln1_b": torch.zeros(D_MODEL),
            "W_qkv": normal(D_MODEL, 3 * D_MODEL), "b_qkv": normal(3 * D_MODEL),
            "W_O": normal(D_MODEL, D_MODEL), "b_O": normal(D_MODEL),
            "ln2_w": torch.ones(D_MODEL), "ln2_b": torch.zeros(D_MODEL),
            "W_in": normal(D_MODEL, D_MLP), "b_in": normal(D_MLP),
            "W_out": normal(D_MLP, D_MODEL), "b_out": normal(D_MODEL),
        }
        for _ in range(N_LAYERS)
    ]
    return {
        "W_E": normal(D_VOCAB, D_MODEL), "W_pos": normal(N_CTX, D_MODEL), "layers": layers,
        "lnf_w": torch.ones(D_MODEL), "lnf_b": torch.zeros(D_MODEL),
        "W_U": normal(D_MODEL, D_VOCAB), "b_U": normal(D_VOCAB),
    }


def layer_norm(x, w, b, cache, name):
    xc = x - x.mean(-1, keepdim=True)
    scale = (xc.pow(2).mean(-1, keepdim=True) + LN_EPS).sqrt()
    normalized = xc / scale
    cache[name + ".hook_scale"] = scale
    cache[name + ".hook_normalized"] = normalized
    return torch.addcmul(b, normalized, w)


def forward(W, tokens, mask):
    n = tokens.shape[0]
    cache = {}
    embed = W["W_E"][tokens]
    pos_embed = W["W_pos"][:n]
    cache["hook_embed"], cache["hook_pos_embed"] = embed, pos_embed
    resid = embed + pos_embed
    for l, P in enumerate(W["layers"]):
        pre = f"blocks.{l}."
        cache[pre + "hook_resid_pre"] = resid
        x = layer_norm(resid, P["ln1_w"], P["ln1_b"], cache, pre + "ln1")
        qkv = torch.addmm(P["b_qkv"], x, P["W_qkv"]).view(n, 3, N_HEADS, D_HEAD)
        q, k, v = qkv[:, 0], qkv[:, 1], qkv[:, 2]  # [pos, head, d_head]
        cache[pre + "attn.hook_q"], cache[pre + "attn.hook_k"], cache[pre + "attn.hook_v"] = q, k, v
        scores = torch.matmul(q.transpose(0, 1), k.permute(1, 2, 0)) / math.sqrt(D_HEAD) + mask
        cache[pre + "attn.hook_attn_scores"] = scores
        pattern = torch.softmax(scores, -1)
        cache[pre + "attn.hook_pattern"] = pattern
        z = torch.matmul(pattern, v.transpose(0, 1)).transpose(0, 1)  # [pos, head, d_head]
        cache[pre + "attn.hook_z"] = z
        attn_out = torch.addmm(P["b_O"], z.reshape(n, D_MODEL), P["W_O"])
        cache[pre + "hook_attn_out"] = attn_out
        resid = resid + attn_out
        cache[pre + "hook_resid_mid"] = resid
        x = layer_norm(resid, P["ln2_w"], P["ln2_b"], cache, pre + "ln2")
        h = torch.addmm(P["b_in"], x, P["W_in"])
        cache[pre + "mlp.hook_pre"] = h
        h = torch.nn.functional.gelu(h, approximate="tanh")  # gelu_new
        cache[pre + "mlp.hook_post"] = h
        mlp_out = torch.addmm(P["b_out"], h, P["W_out"])
        cache[pre + "hook_mlp_out"] = mlp_out
        resid = resid + mlp_out
        cache[pre + "hook_resid_post"] = resid
    x = layer_norm(resid, W["lnf_w"], W["lnf_b"], cache, "ln_final")
    logits = torch.addmm(W["b_U"], x, W["W_U"])
    loss = torch.nn.functional.cross_entropy(logits[:-1], tokens[1:])
    return loss, logits, cache


def forward_flops(n):
    per_layer = 8 * n * D_MODEL**2 + 4 * n * D_MODEL * D_MLP + 4 * n * n * D_MODEL
    return N_LAYERS * per_layer + 2 * n * D_MODEL * D_VOCAB


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tokens", type=int, default=128)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    if not 2 <= args.tokens <= N_CTX:
        ap.error(f"--tokens must be in [2, {N_CTX}]")

    gen = torch.Generator().manual_seed(args.seed)
    tokens = torch.randint(0, D_VOCAB, (args.tokens,), generator=gen)
    W = make_weights(gen)
    mask = torch.full((args.tokens, args.tokens), float("-inf")).triu(1)

    ms_all, result = [], None
    with torch.inference_mode():
        for i in range(args.warmup + args.repeats):
            result = None  # free the previous cache first
            t0 = time.perf_counter()
            result = forward(W, tokens, mask)
            if i >= args.warmup:
                ms_all.append((time.perf_counter() - t0) * 1e3)
    loss = float(result[0])
    ms = statistics.median(ms_all)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({
        "reference": "torch",
        "torchVersion": torch.__version__,
        "threads": torch.get_num_threads(),
        "tokens": args.tokens,
        "msPerForward": round(ms, 3),
        "msAll": [round(t, 3) for t in ms_all],
        "gflops": round(forward_flops(args.tokens) / (ms * 1e6), 3),
        "peakRssMb": round(rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024, 1),
        "loss": round(loss, 6),
    }, separators=(",", ":")))


if __name__ == "__main__":
    main()
