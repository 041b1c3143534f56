#!/usr/bin/env python3
"""Train the bundled sample model, samples/code-2l/: a small code model with a real induction circuit.

The model is the setting of Elhage et al. 2021: a two-layer attention-only transformer with several
heads per layer, trained on code. It is stored as a standard Hugging Face GPT-2 checkpoint
(``config.json``, ``model.safetensors``) whose MLP weights and biases are zero and frozen (so every
MLP outputs exactly 0, gelu(0) = 0), with a byte-level BPE tokenizer (``tokenizer.json``) trained on
the same corpus.

Corpus: TypeScript declaration files and tfjs-core's compiled JavaScript from this repository's
``node_modules`` (pinned by package-lock.json; MIT and Apache-2.0 licensed), in sorted path order.
Every 20th file is held out for the held-out loss and the circuit measurements.

Training is a curriculum with a next-token loss throughout (defaults): steps 1-2000 on 64-token
windows of uniform random ids whose end repeats an earlier span, with the targets an induction head
can predict weighted 20x (the circuit forms here); steps 2001-3500 on 64-token windows of code at
random offsets of the context, half of them repeating a span of themselves (and a quarter random
ids), copy targets weighted 4x; steps 3501-4000 the same at the full 256 tokens. From
``--penalty-start`` on, a head-sparsity penalty (as in scripts/train_induction) concentrates the
circuit in few heads. The learned positions start as sinusoids. README.md says why.

Measured on held-out code (all metrics in scripts/train_sample/training-log.json):
- held-out loss: mean next-token NLL over held-out windows (BOS + n_ctx - 1 tokens);
- previous-token score per head: mean attention from i to i - 1 on held-out windows;
- induction score per head: on BOS + c + c (c a held-out code span of n tokens) and on BOS + r + r
  (r uniform random ids), the mean attention from the second copy to the token after the previous
  occurrence (i -> i - n + 1);
- the second-copy loss on BOS + c + c with each head's z zeroed (ablation);
- K-composition between layer-0 and layer-1 heads (TransformerLens's processing).

The model is written only if a layer-0 head has previous-token score > 0.4 on held-out code, a
layer-1 head has induction score > 0.4 on repeated held-out code and on repeated random tokens, and
ablating that head raises the second-copy loss on repeated held-out code by > 1 nat.

    python3 scripts/train_sample/train.py --force   # corpus, tokenizer, training; writes samples/code-2l/
    python3 scripts/train_sample/train.py --check   # re-measures the committed model only
"""
from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
import transformers
from transformers import GPT2Config, GPT2LMHeadModel

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
NODE_MODULES = os.path.join(REPO, "node_modules")
DEFAULT_OUT = os.path.join(REPO, "samples", "code-2l")
REFERENCE = os.path.join(REPO, "test", "fixtures", "sample-reference.json")
TRAINING_LOG = os.path.join(REPO, "scripts", "train_sample", "training-log.json")
EOT = "<|endoftext|>"
BOS = 0  # <|endoftext|>: BOS of every window and the separator between files
SIZE_LIMIT_BYTES = 4 * 1024 * 1024
HELD_OUT_EVERY = 20  # files i with i % 20 == 10 (sorted order) are held out
REFERENCE_PROMPT = "function add(a: number, b: number): number {\n  return a + b;\n}\nconst total = add(total, count);\n"
# Code with a repeated span (demo/add.ts has the same text): the test checks our detectors on it.
REPEATED_CODE = """interface Order {
  price: number;
  quantity: number;
  shipping: number;
}

function add(a: number, b: number): number {
  return a + b;
}

function total(order: Order): number {
  return add(order.price * order.quantity, order.shipping);
}

function totalWithTax(order: Order, tax: number): number {
  return add(order.price * order.quantity, order.shipping) * (1 + tax);
}
"""

# The measurement helpers of scripts/train_induction (same model layout: attention-only GPT2LMHeadModel).
_spec = importlib.util.spec_from_file_location("train_induction", os.path.join(REPO, "scripts", "train_induction", "train.py"))
ti = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ti)


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--vocab", type=int, default=2048)
    p.add_argument("--d-model", type=int, default=128)
    p.add_argument("--heads", type=int, default=8)
    p.add_argument("--n-ctx", type=int, default=256)
    p.add_argument("--d-mlp", type=int, default=4, help="n_inner of the (zero, frozen) MLP; tiny to keep the file small")
    p.add_argument("--steps", type=int, default=4000)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--min-lr", type=float, default=2e-4, help="cosine decay floor")
    p.add_argument("--weight-decay", type=float, default=0.01)
    p.add_argument("--warmup", type=int, default=100)
    p.add_argument("--repeat-share", type=float, default=0.5, help="share of training windows that repeat a span of themselves")
    p.add_argument("--copy-weight", type=float, default=4.0, help="loss weight of the targets an induction head can predict in repeated windows")
    p.add_argument("--random-share", type=float, default=0.25, help="share of training windows of uniform random ids (within the repeated ones)")
    p.add_argument("--random-steps", type=int, default=2000, help="the first steps train on repeated random ids only (a curriculum)")
    p.add_argument("--random-copy-weight", type=float, default=20.0, help="copy-target loss weight in those steps")
    p.add_argument("--min-repeat", type=int, default=8, help="shortest repeated span (tokens)")
    p.add_argument("--sinusoidal-init", type=int, default=1, help="1: initialise the learned positions with sinusoids (see sinusoids())")
    p.add_argument("--short-steps", type=int, default=3500, help="the first steps train on short windows (--short-ctx, --short-batch)")
    p.add_argument("--short-ctx", type=int, default=64)
    p.add_argument("--offset-from", type=int, default=2001, help="from this step on, short windows sit at random positions of the context")
    p.add_argument("--short-batch", type=int, default=32)
    p.add_argument("--head-penalty", type=float, default=0.3, help="coefficient of sum_heads ||head||_F ** power; 0 disables")
    p.add_argument("--head-penalty-power", type=float, default=0.5)
    p.add_argument("--penalty-start", type=int, default=1000)
    p.add_argument("--eval-len", type=int, default=100, help="n of the repeated sequences BOS + c + c and BOS + r + r")
    p.add_argument("--eval-batch", type=int, default=64)
    p.add_argument("--eval-every", type=int, default=250)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--out", default=DEFAULT_OUT)
    p.add_argument("--force", action="store_true", help="write the model even if it lacks the circuit")
    p.add_argument("--check", action="store_true", help="only measure the model already in --out")
    return p.parse_args()


# ------------------------------------------------------------------------------------------ corpus

# Packages the corpus is read from: direct dependencies of this repository (package.json) and the
# @types packages tfjs-core depends on, all pinned by package-lock.json. The optional
# @tensorflow/tfjs-node and its dependencies are left out: they are not always installed.
TYPES_PACKAGES = ("emscripten", "long", "mocha", "node", "offscreencanvas", "seedrandom", "vscode")
TFJS_PACKAGES = ("tfjs-backend-cpu", "tfjs-backend-wasm", "tfjs-core")


def corpus_files() -> list[str]:
    """Paths relative to node_modules, sorted (the corpus rule, also in the README):
    - typescript/lib/lib.*.d.ts and typescript/lib/typescript.d.ts;
    - every .d.ts of @types/{TYPES_PACKAGES};
    - every .d.ts under dist/ of @tensorflow/{TFJS_PACKAGES};
    - every .js under @tensorflow/tfjs-core/dist/ except bundles (tf-core*), *.min.js, *_test.js and dist/miniprogram/."""
    files = []
    roots = ["typescript/lib"] + [f"@types/{p}" for p in TYPES_PACKAGES] + [f"@tensorflow/{p}/dist" for p in TFJS_PACKAGES]
    for top in roots:
        for root, dirs, names in os.walk(os.path.join(NODE_MODULES, top)):
            dirs.sort()
            for name in names:
                rel = os.path.relpath(os.path.join(root, name), NODE_MODULES).replace(os.sep, "/")
                if top == "typescript/lib":
                    if rel.count("/") == 2 and name.endswith(".d.ts") and (name.startswith("lib.") or name == "typescript.d.ts"):
                        files.append(rel)
                elif name.endswith(".d.ts"):
                    files.append(rel)
                elif rel.startswith("@tensorflow/tfjs-core/dist/") and name.endswith(".js") and not name.endswith(".min.js") \
                        and not name.startswith("tf-core") and not name.endswith("_test.js") and "/dist/miniprogram/" not in rel:
                    files.append(rel)
    return sorted(files)


def package_versions() -> dict[str, str]:
    out = {}
    for name in ["typescript"] + [f"@types/{p}" for p in TYPES_PACKAGES] + [f"@tensorflow/{p}" for p in TFJS_PACKAGES]:
        with open(os.path.join(NODE_MODULES, name, "package.json"), encoding="utf-8") as f:
            meta = json.load(f)
        out[name] = f"{meta['version']} ({meta.get('license')})"
    return out


def read_corpus(files: list[str]) -> tuple[list[str], str]:
    """File texts and the corpus hash: sha256 over (path, NUL, bytes, NUL) of every file in order."""
    h = hashlib.sha256()
    texts = []
    for rel in files:
        with open(os.path.join(NODE_MODULES, rel), "rb") as f:
            data = f.read()
        h.update(rel.encode() + b"\0" + data + b"\0")
        texts.append(data.decode("utf-8"))
    return texts, h.hexdigest()


def split(files: list[str]) -> tuple[list[int], list[int]]:
    held = [i for i in range(len(files)) if i % HELD_OUT_EVERY == HELD_OUT_EVERY // 2]
    train = [i for i in range(len(files)) if i % HELD_OUT_EVERY != HELD_OUT_EVERY // 2]
    return train, held


def train_tokenizer(texts: list[str], vocab: int):
    """GPT-2-style byte-level BPE: ByteLevel pre-tokenizer (GPT-2 regex, no prefix space) and decoder,
    and a post-processor that puts <|endoftext|> (BOS) first."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    # Every window the model was trained on starts with <|endoftext|>: the tokenizer adds it, so a
    # prompt tokenized by the extension or by transformers starts with it too.
    tok.post_processor = processors.TemplateProcessing(single=f"{EOT} $A", special_tokens=[(EOT, BOS)])
    trainer = trainers.BpeTrainer(vocab_size=vocab, min_frequency=2, special_tokens=[EOT],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(texts, trainer=trainer, length=len(texts))
    assert tok.token_to_id(EOT) == BOS
    return tok


def token_stream(tok, texts: list[str]) -> torch.Tensor:
    """All files' ids, each file preceded by <|endoftext|>."""
    ids = []
    for enc in tok.encode_batch(texts, add_special_tokens=False):
        ids.append(BOS)
        ids.extend(enc.ids)
    return torch.tensor(ids, dtype=torch.long)


# -------------------------------------------------------------------------------------------- data

def training_batch(stream: torch.Tensor, gen: torch.Generator, args, short: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """[B, T] windows BOS + code (B, T = short_batch, short_ctx when `short`, else batch, n_ctx), and
    [B, T-1] loss weights of the targets. The first round(B * repeat_share) rows repeat a span of
    themselves: BOS + c[0:m] + c[a:a+L] with L = T-1-m in [min_repeat, (T-1)//2] and a in [0, m-L];
    the targets an induction head can predict (the 2nd..L-th token of the copy) weigh copy_weight,
    the others 1."""
    B, T = (args.short_batch, args.short_ctx) if short else (args.batch, args.n_ctx)
    starts = torch.randint(0, len(stream) - T, (B,), generator=gen)
    code = stream[starts[:, None] + torch.arange(T - 1)]  # [B, T-1]
    n_rep = int(round(B * args.repeat_share))
    n_random = int(round(B * args.random_share))
    if n_random:  # the first n_random rows: uniform random ids instead of code (then repeated like the others)
        code[:n_random] = torch.randint(1, args.vocab, (n_random, T - 1), generator=gen)
    idx = torch.arange(T - 1).expand(B, T - 1).clone()
    if n_rep:
        L = torch.randint(args.min_repeat, (T - 1) // 2 + 1, (n_rep,), generator=gen)
        m = T - 1 - L
        a = (torch.rand(n_rep, generator=gen) * (m - L + 1)).long()
        pos = idx[:n_rep]
        in_copy = pos >= m[:, None]
        idx[:n_rep] = torch.where(in_copy, pos - m[:, None] + a[:, None], pos)
    windows = code.gather(1, idx)
    weights = torch.ones(B, T - 1)
    if n_rep:
        # window position of the copy's first token is m + 1; target t + 1 is predictable from t when t + 1 >= m + 2
        target = torch.arange(1, T).expand(n_rep, T - 1)
        weights[:n_rep] = torch.where(target >= (m + 2)[:, None], args.copy_weight, 1.0)
    return torch.cat([torch.full((B, 1), BOS), windows], dim=1), weights


def held_out_windows(stream: torch.Tensor, T: int, limit: int | None = None) -> torch.Tensor:
    """[N, T]: consecutive chunks of T-1 held-out tokens, each after a BOS."""
    n = (len(stream) // (T - 1)) if limit is None else min(limit, len(stream) // (T - 1))
    chunks = stream[: n * (T - 1)].view(n, T - 1)
    return torch.cat([torch.full((n, 1), BOS), chunks], dim=1)


def repeated_code(stream: torch.Tensor, n: int, batch: int, seed: int) -> torch.Tensor:
    """[batch, 1 + 2n]: BOS + c + c, c = n consecutive held-out tokens at a seeded random start."""
    g = torch.Generator().manual_seed(seed)
    starts = torch.randint(0, len(stream) - n, (batch,), generator=g)
    c = stream[starts[:, None] + torch.arange(n)]
    return torch.cat([torch.full((batch, 1), BOS), c, c], dim=1)


def repeated_random(n: int, batch: int, vocab: int, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    r = torch.randint(1, vocab, (batch, n), generator=g)
    return torch.cat([torch.full((batch, 1), BOS), r, r], dim=1)


# ------------------------------------------------------------------------------------------- model

def build_model(args) -> GPT2LMHeadModel:
    config = GPT2Config(
        vocab_size=args.vocab, n_positions=args.n_ctx, n_embd=args.d_model, n_layer=2, n_head=args.heads,
        n_inner=args.d_mlp, activation_function="gelu_new", resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0,
        initializer_range=0.02, bos_token_id=BOS, eos_token_id=BOS, tie_word_embeddings=True,
    )
    config._attn_implementation = "eager"
    model = GPT2LMHeadModel(config)
    ti.attention_only(model)
    if args.sinusoidal_init:
        with torch.no_grad():
            model.transformer.wpe.weight.copy_(sinusoids(args.n_ctx, args.d_model))
    return model


def sinusoids(n: int, d: int) -> torch.Tensor:
    """[n, d] sin/cos positions (Vaswani et al.) with the norm of a GPT-2-initialised token embedding
    (std 0.02 per coordinate). A learned-position initialisation, not a fixed encoding: the point is
    that pos(i - 1) is a fixed rotation of pos(i), so a head can learn to attend to the previous
    token with one linear map instead of first having to learn positions with that structure."""
    pos = torch.arange(n, dtype=torch.float64)[:, None]
    freq = 10000.0 ** (-torch.arange(0, d, 2, dtype=torch.float64) / d)
    out = torch.zeros(n, d, dtype=torch.float64)
    out[:, 0::2] = torch.sin(pos * freq)
    out[:, 1::2] = torch.cos(pos * freq)
    return (out * 0.02 * 2 ** 0.5).float()


def fast_logits(model: GPT2LMHeadModel, tokens: torch.Tensor, offset: int = 0) -> torch.Tensor:
    """``model(tokens).logits`` of this attention-only GPT-2 (MLPs are zero) from the same
    parameters, without the MLP and with PyTorch's fused causal attention: the training forward.
    ``check_fast_logits`` compares it with transformers before and after training. `offset`: the
    position of the first token (training on short windows places them anywhere in the context, so
    that every learned position is trained)."""
    t, cfg = model.transformer, model.config
    B, T = tokens.shape
    H = cfg.n_head
    dh = cfg.n_embd // H
    x = F.embedding(tokens, t.wte.weight) + t.wpe.weight[offset:offset + T]  # [B, T, d]
    for block in t.h:
        h = F.layer_norm(x, (cfg.n_embd,), block.ln_1.weight, block.ln_1.bias, cfg.layer_norm_epsilon)
        qkv = torch.addmm(block.attn.c_attn.bias, h.reshape(B * T, -1), block.attn.c_attn.weight)  # [B*T, 3d]
        q, k, v = qkv.view(B, T, 3, H, dh).permute(2, 0, 3, 1, 4)  # each [B, H, T, dh]
        z = F.scaled_dot_product_attention(q, k, v, is_causal=True)  # [B, H, T, dh]
        z = z.transpose(1, 2).reshape(B * T, cfg.n_embd)
        x = x + torch.addmm(block.attn.c_proj.bias, z, block.attn.c_proj.weight).view(B, T, -1)
    x = F.layer_norm(x, (cfg.n_embd,), t.ln_f.weight, t.ln_f.bias, cfg.layer_norm_epsilon)
    return x @ t.wte.weight.T  # [B, T, vocab]


@torch.no_grad()
def check_fast_logits(model: GPT2LMHeadModel, tokens: torch.Tensor) -> float:
    was_training = model.training
    model.eval()
    diff = float((fast_logits(model, tokens) - model(tokens).logits).abs().max())
    model.train(was_training)
    assert diff < 1e-4, f"fast forward differs from transformers by {diff}"
    return diff


# ----------------------------------------------------------------------------------------- metrics

def nll(logits: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
    """[B, T-1]: loss of predicting token t+1 at position t."""
    lp = F.log_softmax(logits.float(), -1)
    return -lp[:, :-1].gather(-1, tokens[:, 1:, None])[..., 0]


@torch.no_grad()
def held_out_loss(model, windows: torch.Tensor, chunk: int = 32) -> float:
    total, count = 0.0, 0
    for s in range(0, len(windows), chunk):
        w = windows[s:s + chunk]
        loss = nll(fast_logits(model, w), w)
        total += float(loss.sum())
        count += loss.numel()
    return total / count


@torch.no_grad()
def attention(model, tokens: torch.Tensor) -> torch.Tensor:
    out = model(tokens, output_attentions=True)
    return torch.stack(out.attentions, dim=1), out.logits  # [B, layer, head, q, k]


@torch.no_grad()
def repeat_metrics(model, tokens: torch.Tensor, n: int, ablations: bool) -> dict:
    """Induction score per head and copy losses on BOS + x + x (|x| = n)."""
    att, logits = attention(model, tokens)
    j = torch.arange(n + 1, 2 * n + 1)
    loss = nll(logits, tokens)
    out = {
        "induction": att[..., j, j - n + 1].mean(dim=(0, -1)).tolist(),
        "loss_first_half": float(loss[:, 1:n].mean()),
        "loss_second_half": float(loss[:, n + 1:2 * n].mean()),
    }
    if ablations:
        cfg = model.config
        dh = cfg.n_embd // cfg.n_head
        rows = []
        for layer in range(cfg.n_layer):
            row = []
            for head in range(cfg.n_head):
                hook = model.transformer.h[layer].attn.c_proj.register_forward_pre_hook(ti.zero_head_hook(layer, head, dh))
                try:
                    row.append(float(nll(model(tokens).logits, tokens)[:, n + 1:2 * n].mean()))
                finally:
                    hook.remove()
            rows.append(row)
        out["loss_second_half_ablated"] = rows
    return out


@torch.no_grad()
def measure(model, held_stream: torch.Tensor, args, seed: int, batch: int, ablations: bool, short: bool = False) -> dict:
    """On held-out code (and repeated random tokens); `short`: on the short windows of the first steps."""
    model.eval()
    T = args.short_ctx if short else args.n_ctx
    n = min(args.eval_len, (T - 1) // 2)
    windows = held_out_windows(held_stream, T, limit=batch)
    att, _ = attention(model, windows)
    i = torch.arange(1, windows.shape[1])
    prev = att[..., i, i - 1].mean(dim=(0, -1))
    code = repeat_metrics(model, repeated_code(held_stream, n, batch, seed), n, ablations)
    rand = repeat_metrics(model, repeated_random(n, batch, model.config.vocab_size, seed + 1), n, False)
    return {"previous_token": prev.tolist(), "repeated_code": code, "repeated_random": rand}


def circuit_of(m: dict) -> dict:
    prev = np.array(m["previous_token"])
    ind = np.array(m["repeated_code"]["induction"])
    rnd = np.array(m["repeated_random"]["induction"])
    p0, i1 = int(prev[0].argmax()), int(ind[1].argmax())
    c = {
        "previous_token_head": [0, p0], "induction_head": [1, i1],
        "previous_token_score": float(prev[0, p0]), "induction_score_code": float(ind[1, i1]),
        "induction_score_random": float(rnd[1, i1]),
    }
    if "loss_second_half_ablated" in m["repeated_code"]:
        base = m["repeated_code"]["loss_second_half"]
        abl = np.array(m["repeated_code"]["loss_second_half_ablated"])
        c["ablation_increase"] = float(abl[1, i1] - base)
        c["largest_other_layer1_increase"] = float(max(abl[1, h] - base for h in range(len(abl[1])) if h != i1))
        c["accepted"] = bool(c["previous_token_score"] > 0.4 and c["induction_score_code"] > 0.4
                             and c["induction_score_random"] > 0.4 and c["ablation_increase"] > 1.0)
    return c


def induction_heads(m: dict, threshold: float = 0.3) -> list[int]:
    """Layer-1 heads whose induction score on repeated random tokens is above `threshold`, strongest first."""
    scores = m["repeated_random"]["induction"][1]
    return sorted((h for h, v in enumerate(scores) if v > threshold), key=lambda h: -scores[h])


def fmt(xs) -> str:
    return "[" + " ".join(f"{x:.2f}" for x in xs) + "]"


# ---------------------------------------------------------------------------------------- training

def lr_at(step: int, args) -> float:
    if step < args.warmup:
        return args.lr * (step + 1) / args.warmup
    t = (step - args.warmup) / max(1, args.steps - args.warmup)
    return args.min_lr + 0.5 * (args.lr - args.min_lr) * (1 + np.cos(np.pi * t))


def train(args, train_stream: torch.Tensor, held_stream: torch.Tensor) -> tuple[GPT2LMHeadModel, list[dict], float]:
    torch.manual_seed(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    model = build_model(args)
    params = [p for p in model.parameters() if p.requires_grad]
    groups = [{"params": [p for p in params if p.dim() >= 2], "weight_decay": args.weight_decay},
              {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0}]
    opt = torch.optim.AdamW(groups, lr=args.lr, betas=(0.9, 0.98))
    H, dh = args.heads, args.d_model // args.heads
    check_fast_logits(model, training_batch(train_stream, torch.Generator().manual_seed(1), args)[0][:4])
    eval_windows = held_out_windows(held_stream, args.n_ctx, limit=64)
    # the first random_steps: every window is random ids with a repeated span, the loss mostly on the copy
    random_phase = argparse.Namespace(**{**vars(args), "repeat_share": 1.0, "random_share": 1.0, "copy_weight": args.random_copy_weight})
    history, running, start = [], None, time.time()
    for step in range(1, args.steps + 1):
        model.train()
        for g in opt.param_groups:
            g["lr"] = lr_at(step, args)
        tokens, weights = training_batch(train_stream, gen, random_phase if step <= args.random_steps else args,
                                         short=step <= args.short_steps)
        short = step <= args.short_steps
        offset = int(torch.randint(0, args.n_ctx - args.short_ctx + 1, (1,), generator=gen)) \
            if short and step >= args.offset_from else 0
        logits = fast_logits(model, tokens, offset)[:, :-1]
        nll_t = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), tokens[:, 1:].reshape(-1), reduction="none")
        loss = (nll_t * weights.reshape(-1)).sum() / weights.sum()
        total = loss
        if args.head_penalty > 0 and step >= args.penalty_start:
            total = total + args.head_penalty * sum(
                ti.head_norms(b, H, dh, "head").pow(args.head_penalty_power).sum() for b in model.transformer.h)
        opt.zero_grad(set_to_none=True)
        total.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        running = loss.item() if running is None else 0.98 * running + 0.02 * loss.item()
        if step % args.eval_every == 0 or step == args.steps:
            short = step <= args.short_steps
            m = measure(model, held_stream, args, seed=20_000 + args.seed, batch=16, ablations=False, short=short)
            c = circuit_of(m)
            held = held_out_loss(model, eval_windows)
            history.append({"step": step, "short_windows": short, "train_loss": running, "held_out_loss_64": held, "seconds": round(time.time() - start, 1),
                            "previous_token_layer0": m["previous_token"][0],
                            "induction_code_layer1": m["repeated_code"]["induction"][1],
                            "induction_random_layer1": m["repeated_random"]["induction"][1],
                            "code_second_half_loss": m["repeated_code"]["loss_second_half"]})
            print(f"step {step:5d}{' (short)' if short else ''}  train {running:.3f}  held {held:.3f}  rep-code 2nd {m['repeated_code']['loss_second_half']:.3f}  "
                  f"prev L0 {fmt(m['previous_token'][0])}  ind L1 code {fmt(m['repeated_code']['induction'][1])} "
                  f"rand {fmt(m['repeated_random']['induction'][1])}  {time.time() - start:.0f}s", flush=True)
    check_fast_logits(model, training_batch(train_stream, torch.Generator().manual_seed(2), args)[0][:4])
    for block in model.transformer.h:
        assert all(float(p.abs().max()) == 0.0 for p in block.mlp.parameters())
    return model, history, time.time() - start


# ------------------------------------------------------------------------------------------ report

def report(model, held_stream: torch.Tensor, args) -> dict:
    m = measure(model, held_stream, args, seed=10_000 + args.seed, batch=args.eval_batch, ablations=True)
    return {
        "held_out_loss": held_out_loss(model, held_out_windows(held_stream, args.n_ctx)),
        "held_out_windows": len(held_stream) // (args.n_ctx - 1),
        "metrics": m,
        "circuit": circuit_of(m),
        "composition": ti.composition_scores(model),
        "k_composition_random_baseline": ti.random_composition_baseline(model),
    }


def print_report(r: dict) -> None:
    m, c = r["metrics"], r["circuit"]
    print(f"held-out loss {r['held_out_loss']:.4f} nats/token over {r['held_out_windows']} windows")
    for layer in range(2):
        print(f"L{layer} previous-token       {fmt(m['previous_token'][layer])}")
        print(f"L{layer} induction (code)     {fmt(m['repeated_code']['induction'][layer])}")
        print(f"L{layer} induction (random)   {fmt(m['repeated_random']['induction'][layer])}")
        print(f"L{layer} 2nd-copy loss ablated {fmt(m['repeated_code']['loss_second_half_ablated'][layer])}")
    print(f"repeated code: 1st copy {m['repeated_code']['loss_first_half']:.3f}  2nd copy {m['repeated_code']['loss_second_half']:.3f}")
    print(f"repeated random: 1st copy {m['repeated_random']['loss_first_half']:.3f}  2nd copy {m['repeated_random']['loss_second_half']:.3f}")
    k = np.array(r["composition"]["k"])
    p0, i1 = c["previous_token_head"][1], c["induction_head"][1]
    print(f"K-composition L0.{p0} -> L1.{i1}: {k[p0, i1]:.3f} (max {k.max():.3f}, random baseline {r['k_composition_random_baseline']:.3f})")
    print("circuit:", json.dumps(c))


def rounded(x, digits=6):
    return ti.rounded(x, digits)


def write_reference(folder: str, tok, record: dict) -> None:
    """What transformers computes on the written folder, for test/unit/sampleModel.test.ts: the ids
    and logits of a short code prompt, the ids of the repeated-code snippet, and the heads measured
    above, with PyTorch's per-head scores (test/fixtures/sample-reference.json; the full record is
    scripts/train_sample/training-log.json)."""
    model = ti.load_model(folder)
    ids = tok.encode(REFERENCE_PROMPT).ids  # the post-processor puts BOS first
    assert ids[0] == BOS and ids[1:] == tok.encode(REFERENCE_PROMPT, add_special_tokens=False).ids
    with torch.no_grad():
        logits = model(torch.tensor([ids])).logits[0]  # [position, vocab]
    top = logits.topk(5, dim=-1)
    c = record["circuit"]
    ref = {
        "model": "samples/code-2l",
        "generated_by": "scripts/train_sample/train.py",
        "versions": record["versions"],
        "prompt": REFERENCE_PROMPT,
        "ids": ids,
        "tokens": [tok.id_to_token(i) for i in ids],
        "logits_first_ids": [[round(float(v), 6) for v in row[:64]] for row in logits],
        "top5_ids": top.indices.tolist(),
        "top5_logits": [[round(float(v), 6) for v in row] for row in top.values],
        "repeated_code": {"text": REPEATED_CODE, "ids": tok.encode(REPEATED_CODE).ids},
        "circuit": {k: c[k] for k in ("previous_token_head", "induction_head")},
        "held_out_loss": record["held_out_loss"],
        "measured": rounded(record["metrics"], 4),
    }
    path = side_file(folder, REFERENCE)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(ref, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {path} ({os.path.getsize(path) / 1024:.1f} KiB)")


def side_file(folder: str, default: str) -> str:
    """Where a file that goes beside the repository's sample goes: its place in the repository, or
    into the output folder when that is not samples/code-2l (a trial run)."""
    same = os.path.abspath(folder) == os.path.abspath(DEFAULT_OUT)
    return default if same else os.path.join(folder, os.path.basename(default))


def save(model, tok, folder: str, record: dict) -> None:
    os.makedirs(folder, exist_ok=True)
    model.config.use_cache = False
    model.save_pretrained(folder, safe_serialization=True)
    for extra in ("generation_config.json",):
        p = os.path.join(folder, extra)
        if os.path.exists(p):
            os.remove(p)
    tok.save(os.path.join(folder, "tokenizer.json"))
    with open(os.path.join(folder, "README.md"), "w", encoding="utf-8") as f:
        f.write(model_card(record))
    log = side_file(folder, TRAINING_LOG)
    with open(log, "w", encoding="utf-8") as f:
        json.dump(record, f, indent=1, allow_nan=False)
        f.write("\n")
    size = sum(os.path.getsize(os.path.join(folder, fn)) for fn in ("config.json", "model.safetensors", "tokenizer.json", "README.md"))
    print(f"wrote {folder} ({size / 1024:.1f} KiB) and {log}")
    if size > SIZE_LIMIT_BYTES:
        sys.exit(f"ERROR: {folder} is {size} bytes, over the {SIZE_LIMIT_BYTES}-byte budget")


def model_card(r: dict) -> str:
    a, c, m, corpus_info = r["args"], r["circuit"], r["metrics"], r["corpus"]
    p0, i1 = c["previous_token_head"][1], c["induction_head"][1]
    k = np.array(r["composition"]["k"])
    H = a["heads"]
    others = [h for h in induction_heads(m) if h != i1]
    also = f" (and a second one, {', '.join(f'L1.{h}' for h in others)})" if others else ""
    head_row = lambda xs: " | ".join(f"{x:.2f}" for x in xs)
    header = " | ".join(f"{l}.{h}" for l in ("L0", "L1") for h in range(H))
    rows = [
        ("previous-token (held-out code)", m["previous_token"][0] + m["previous_token"][1]),
        ("induction (repeated held-out code)", m["repeated_code"]["induction"][0] + m["repeated_code"]["induction"][1]),
        ("induction (repeated random tokens)", m["repeated_random"]["induction"][0] + m["repeated_random"]["induction"][1]),
        ("2nd-copy loss with the head ablated", m["repeated_code"]["loss_second_half_ablated"][0] + m["repeated_code"]["loss_second_half_ablated"][1]),
    ]
    table = "\n".join([f"| | {header} |", "|---|" + "---|" * (2 * H)] + [f"| {name} | {head_row(v)} |" for name, v in rows])
    packages = ", ".join(f"`{n}` {v}" for n, v in corpus_info["packages"].items())
    return f"""# code-2l: a two-layer attention-only code model

The sample model Circuit Inspector ships: the setting of *A Mathematical Framework for Transformer
Circuits* (Elhage et al. 2021), a two-layer **attention-only** transformer, trained on TypeScript and
JavaScript. It has an induction circuit: the **previous-token head L0.{p0}** in layer 0 and the
**induction head L1.{i1}**{also} in layer 1.

- Hugging Face GPT-2 checkpoint (`GPT2LMHeadModel`): {a['heads']} heads per layer, d_model {a['d_model']}
  (d_head {a['d_model'] // a['heads']}), context {a['n_ctx']}, learned positions, LayerNorm, tied unembedding.
  The MLP weights and biases are all zero (`n_inner` {a['d_mlp']}), so every MLP outputs exactly 0.
- `tokenizer.json`: byte-level BPE (GPT-2 style), {a['vocab']} tokens, trained on the same corpus.
  Id 0 is `<|endoftext|>`; the tokenizer puts it first (BOS), as in training.
- Held-out loss: **{r['held_out_loss']:.3f} nats/token** on {corpus_info['held_out_tokens']} tokens of held-out files.

Trained by `scripts/train_sample/train.py` (seed {a['seed']}, {a['steps']} steps, {r['training_seconds'] / 60:.0f} minutes on one CPU
thread); scripts/train_sample/README.md says how, and how to reproduce it. In short, a curriculum
with a next-token loss throughout:

1. steps 1–{a['random_steps']}: {a['short_ctx']}-token windows of uniform random ids whose end repeats an
   earlier span, the loss weighted {a['random_copy_weight']:g}× on the tokens an induction head can predict
   (this is where the circuit forms);
2. steps {a['random_steps'] + 1}–{a['short_steps']}: {a['short_ctx']}-token windows of code; in {a['repeat_share']:.0%} of them the end
   repeats an earlier span of the same window ({a['random_share']:.0%} of all windows are random ids
   instead of code), those targets weighted {a['copy_weight']:g}×;
3. steps {a['short_steps'] + 1}–{a['steps']}: the same at the full context of {a['n_ctx']} tokens.

From step {a['penalty_start']}, a head-sparsity penalty ({a['head_penalty']:g} · Σ_heads ‖head‖_F^{a['head_penalty_power']:g}) makes few heads
carry the circuit.

## Corpus

{corpus_info['files']} files ({corpus_info['bytes'] / 1e6:.1f} MB) from the repository's `node_modules`, pinned by
package-lock.json: {packages}. MIT and Apache-2.0 licensed. sha256 of the corpus (paths and bytes,
in order): `{corpus_info['sha256']}`. Every {HELD_OUT_EVERY}th file (sorted order) is held out.

## Heads (measured with PyTorch)

Previous-token score: mean attention from each position to the one before, on held-out code.
Induction score: mean attention from the second copy of `BOS x x` (|x| = {a['eval_len']}) to the token
after the earlier occurrence, for x held-out code and x random tokens. Ablation: the second-copy loss
on repeated held-out code with the head's output zeroed (unablated:
{m['repeated_code']['loss_second_half']:.2f}; first copy {m['repeated_code']['loss_first_half']:.2f}).

{table}

K-composition L0.{p0} → L1.{i1}: {k[p0, i1]:.3f} (largest pair {k.max():.3f}; random baseline
{r['k_composition_random_baseline']:.3f}).
"""


def corpus(args):
    files = corpus_files()
    texts, digest = read_corpus(files)
    train_idx, held_idx = split(files)
    t0 = time.time()
    tok = train_tokenizer([texts[i] for i in train_idx], args.vocab)
    train_stream = token_stream(tok, [texts[i] for i in train_idx])
    held_stream = token_stream(tok, [texts[i] for i in held_idx])
    info = {"packages": package_versions(), "files": len(files), "bytes": sum(len(t.encode()) for t in texts), "sha256": digest,
            "held_out_files": [files[i] for i in held_idx], "train_tokens": len(train_stream),
            "held_out_tokens": len(held_stream), "tokenizer_seconds": round(time.time() - t0, 1)}
    print(f"corpus: {info['files']} files, {info['bytes']} bytes, sha256 {digest}; "
          f"{info['train_tokens']} train / {info['held_out_tokens']} held-out tokens ({info['tokenizer_seconds']} s)", flush=True)
    return tok, train_stream, held_stream, info


def main() -> None:
    args = parse_args()
    torch.set_num_threads(args.threads)
    if args.check:
        from tokenizers import Tokenizer
        tok = Tokenizer.from_file(os.path.join(args.out, "tokenizer.json"))
        files = corpus_files()
        texts, _ = read_corpus(files)
        _, held_idx = split(files)
        held_stream = token_stream(tok, [texts[i] for i in held_idx])
        model = ti.load_model(args.out)
        r = report(model, held_stream, args)
        print_report(r)
        sys.exit(0 if r["circuit"]["accepted"] else 1)
    tok, train_stream, held_stream, info = corpus(args)
    model, history, seconds = train(args, train_stream, held_stream)
    r = report(model, held_stream, args)
    print_report(r)
    if not r["circuit"]["accepted"] and not args.force:
        sys.exit("ERROR: the circuit criteria are not met; nothing written (use --force to write anyway)")
    record = rounded({
        "generated_by": "scripts/train_sample/train.py",
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__, "python": sys.version.split()[0]},
        "args": {k: v for k, v in vars(args).items() if k not in ("out", "force", "check")},
        "corpus": {k: v for k, v in info.items() if k != "held_out_files"},
        "training_seconds": round(seconds, 1),
        **r, "history": history,
    })
    save(model, tok, args.out, record)
    # transformers must load the folder and give the numbers measured above
    reloaded = ti.load_model(args.out)
    again = report(reloaded, held_stream, args)
    assert abs(again["held_out_loss"] - r["held_out_loss"]) < 1e-4, (again["held_out_loss"], r["held_out_loss"])
    assert again["circuit"]["previous_token_head"] == r["circuit"]["previous_token_head"]
    assert again["circuit"]["induction_head"] == r["circuit"]["induction_head"]
    write_reference(args.out, tok, record)


if __name__ == "__main__":
    main()
