#!/usr/bin/env python3
"""Train a tiny two-layer attention-only transformer that contains the textbook induction circuit.

The model is a standard Hugging Face GPT-2 checkpoint (``GPT2LMHeadModel``): 2 layers, 4 heads,
learned positions, LayerNorm, tied unembedding. Its MLP weights and biases are zero and frozen, so
every MLP outputs exactly 0 (gelu(0) = 0) and the model is attention-only.

Data: random tokens (id 0 is a BOS token at position 0) in which a random-length segment of the
sequence is repeated later at a random offset. Position alone cannot find the copy source, so the
only way to predict the repeat is an induction circuit. The loss is taken only at positions whose
next token is predictable from the earlier occurrence (the 2nd..last tokens of the repeated copy).

Optimiser: AdamW, lr 1e-3, GPT-2 initialisation (std 0.02). Left alone, AdamW grows the circuit in
every head at once (measured: all four layer-1 heads at 0.8 induction attention, each ablation
costing little). So from step 1000, after the phase change, a head penalty
``0.3 * sum_h ||head_h||_F ** 0.5`` (over each head's W_Q, W_K, W_V columns and W_O rows; a power
below 1 rewards concentrating a function in few heads) prunes the redundant heads: the circuit
ends in one layer-0 head and one layer-1 head, and the other heads' weights shrink to ~1e-3.

Measured during and after training, on held-out repeated random tokens ``BOS r r`` (|r| = n),
with TransformerLens's conventions:
- previous-token score per head: mean attention from i to i-1 (i >= 1);
- induction score per head: mean attention from i in the second copy to i-(n-1), the token after
  the previous occurrence of token i;
- K-composition ``||W_OV^{0,h} (W_QK^{1,h'})^T||_F / (||W_OV^{0,h}||_F ||W_QK^{1,h'}||_F)``
  between every layer-0 head h and layer-1 head h' (``all_composition_scores('K')``), on weights
  processed as ``HookedTransformer.from_pretrained`` does (fold_ln + center_writing_weights);
- loss on the first and second half of the repeated sequence, and the second-half loss with each
  head's z zeroed (ablation).

The model is written to the output folder only if it has the circuit: one layer-0 head with
previous-token score > 0.5, one layer-1 head with induction score > 0.5, and the K-composition
between exactly those two heads is the strongest of all layer-0 -> layer-1 pairs; and the model
uses it: ablating that induction head raises the second-half loss by > 0.5 nats and by more than
ABLATION_RATIO times what ablating any other layer-1 head does.

    python3 scripts/train_induction/train.py            # writes test/fixtures/models/induction/
    python3 scripts/train_induction/train.py --check    # re-measures the committed fixture only
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
import transformers
from transformers import GPT2Config, GPT2LMHeadModel

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DEFAULT_OUT = os.path.join(REPO, "test", "fixtures", "models", "induction")
BOS = 0
SIZE_LIMIT_BYTES = 500 * 1024
ABLATION_RATIO = 3.0
DEFAULT_SEED = 0


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seed", type=int, default=DEFAULT_SEED)
    p.add_argument("--steps", type=int, default=5000)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--weight-decay", type=float, default=0.01)
    p.add_argument("--warmup", type=int, default=100)
    p.add_argument("--vocab", type=int, default=256, help="vocabulary size, including BOS = 0")
    p.add_argument("--d-model", type=int, default=64)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--n-ctx", type=int, default=64)
    p.add_argument("--d-mlp", type=int, default=4, help="n_inner of the (zero, frozen) MLP; tiny to keep the file small")
    p.add_argument("--min-len", type=int, default=3, help="shortest repeated segment")
    p.add_argument("--max-len", type=int, default=31, help="longest repeated segment")
    p.add_argument("--eval-len", type=int, default=31, help="n of the held-out BOS r r sequences (1 + 2n <= n_ctx)")
    p.add_argument("--eval-batch", type=int, default=128)
    p.add_argument("--eval-every", type=int, default=500)
    p.add_argument("--threads", type=int, default=1, help="torch threads (1: bit-reproducible, and fastest on a busy 2-core machine)")
    p.add_argument("--loss-on", choices=["repeats", "all"], default="repeats")
    p.add_argument("--optimizer", choices=["adamw", "sgd"], default="adamw")
    p.add_argument("--head-penalty", type=float, default=0.3, help="coefficient of the sum over all heads of (head norm) ** power, see --penalty-on; 0 disables")
    p.add_argument("--head-penalty-power", type=float, default=0.5, help="1: group lasso; < 1 favours fewer, stronger heads")
    p.add_argument("--penalty-on", choices=["o", "head"], default="head",
                   help="o: each head's W_O; head: all of a head's weights (its W_Q, W_K, W_V columns and W_O rows)")
    p.add_argument("--penalty-start", type=int, default=1000, help="first step with the head penalty")
    p.add_argument("--out", default=DEFAULT_OUT)
    p.add_argument("--force", action="store_true", help="write the model even if it lacks the circuit")
    p.add_argument("--check", action="store_true", help="only measure the model already in --out")
    return p.parse_args()


# ----------------------------------------------------------------------------------------- data

def training_batch(gen: torch.Generator, args) -> tuple[torch.Tensor, torch.Tensor]:
    """Random tokens with one segment [a, a+L) copied to [b, b+L), b >= a + L, both random.

    Returns tokens [B, T] and a mask [B, T-1] of the positions whose next token is predictable by
    induction (the copy's 2nd..L-th tokens)."""
    B, T = args.batch, args.n_ctx
    tokens = torch.randint(1, args.vocab, (B, T), generator=gen)
    tokens[:, 0] = BOS
    L = torch.randint(args.min_len, args.max_len + 1, (B,), generator=gen)
    # a in [1, T - 2L], b in [a + L, T - L]
    a = 1 + (torch.rand(B, generator=gen) * (T - 2 * L)).long()
    b = a + L + (torch.rand(B, generator=gen) * (T - L - (a + L) + 1)).long()
    idx = torch.arange(T).expand(B, T)
    in_copy = (idx >= b[:, None]) & (idx < (b + L)[:, None])
    src = torch.where(in_copy, idx - b[:, None] + a[:, None], idx)
    tokens = tokens.gather(1, src)
    # predicting target t+1 from position t is possible when t+1 is in the copy and t+1 > b
    target_pos = idx[:, 1:]
    mask = (target_pos > b[:, None]) & (target_pos < (b + L)[:, None])
    return tokens, mask


def repeated_tokens(n: int, batch: int, vocab: int, seed: int) -> torch.Tensor:
    """BOS + r + r with r uniform random tokens of length n (TransformerLens's rep tokens)."""
    g = torch.Generator().manual_seed(seed)
    r = torch.randint(1, vocab, (batch, n), generator=g)
    return torch.cat([torch.full((batch, 1), BOS), r, r], dim=1)


# ---------------------------------------------------------------------------------------- model

def build_model(args) -> GPT2LMHeadModel:
    config = GPT2Config(
        vocab_size=args.vocab,
        n_positions=args.n_ctx,
        n_embd=args.d_model,
        n_layer=2,
        n_head=args.heads,
        n_inner=args.d_mlp,
        activation_function="gelu_new",
        resid_pdrop=0.0,
        embd_pdrop=0.0,
        attn_pdrop=0.0,
        initializer_range=0.02,
        bos_token_id=BOS,
        eos_token_id=BOS,
        tie_word_embeddings=True,
    )
    config._attn_implementation = "eager"  # attention probabilities are measured during training
    model = GPT2LMHeadModel(config)
    attention_only(model)
    return model


def attention_only(model: GPT2LMHeadModel) -> None:
    """Zero the MLPs (weights and biases) and freeze them and the norms that only feed them."""
    with torch.no_grad():
        for block in model.transformer.h:
            for p in block.mlp.parameters():
                p.zero_()
                p.requires_grad_(False)
            block.ln_2.weight.fill_(1.0)
            block.ln_2.bias.zero_()
            block.ln_2.weight.requires_grad_(False)
            block.ln_2.bias.requires_grad_(False)


def fast_logits(model: GPT2LMHeadModel, tokens: torch.Tensor) -> torch.Tensor:
    """The same function as ``model(tokens).logits`` for this attention-only GPT-2 (MLPs are zero),
    reading the same parameters, without the MLP, the attention-probability bookkeeping and the
    module overhead: several times faster on a CPU. ``check_fast_logits`` compares the two."""
    t = model.transformer
    cfg = model.config
    B, T = tokens.shape
    H = cfg.n_head
    dh = cfg.n_embd // H
    eps = cfg.layer_norm_epsilon
    x = F.embedding(tokens, t.wte.weight) + t.wpe.weight[:T]
    for block in t.h:
        h = F.layer_norm(x, (cfg.n_embd,), block.ln_1.weight, block.ln_1.bias, eps)
        qkv = torch.addmm(block.attn.c_attn.bias, h.reshape(B * T, -1), block.attn.c_attn.weight)
        q, k, v = qkv.view(B, T, 3, H, dh).permute(2, 0, 3, 1, 4)
        scores = (q @ k.transpose(-1, -2)) * (dh ** -0.5)
        scores = scores.masked_fill(~torch.ones(T, T, dtype=torch.bool).tril(), float("-inf"))
        z = scores.softmax(-1) @ v
        z = z.transpose(1, 2).reshape(B * T, cfg.n_embd)
        x = x + torch.addmm(block.attn.c_proj.bias, z, block.attn.c_proj.weight).view(B, T, -1)
    x = F.layer_norm(x, (cfg.n_embd,), t.ln_f.weight, t.ln_f.bias, eps)
    return x @ t.wte.weight.T


@torch.no_grad()
def check_fast_logits(model: GPT2LMHeadModel, tokens: torch.Tensor) -> float:
    was_training = model.training
    model.eval()
    diff = float((fast_logits(model, tokens) - model(tokens).logits).abs().max())
    model.train(was_training)
    assert diff < 1e-4, f"fast forward differs from transformers by {diff}"
    return diff


def load_model(folder: str) -> GPT2LMHeadModel:
    model = GPT2LMHeadModel.from_pretrained(folder, dtype=torch.float32, attn_implementation="eager")
    model.eval()
    return model


# -------------------------------------------------------------------------------------- metrics

def processed_heads(model: GPT2LMHeadModel) -> list[dict[str, list[torch.Tensor]]]:
    """Per layer, per head W_Q, W_K, W_V [d_model, d_head] and W_O [d_head, d_model], processed as
    HookedTransformer.from_pretrained does (fold_ln then center_writing_weights; biases unused)."""
    cfg = model.config
    d, H = cfg.n_embd, cfg.n_head
    dh = d // H
    layers = []
    for block in model.transformer.h:
        w = block.attn.c_attn.weight.detach().double()  # [d, 3d], Conv1D: x @ W
        ln_w = block.ln_1.weight.detach().double()
        wq, wk, wv = w[:, :d], w[:, d:2 * d], w[:, 2 * d:]

        def fold(m):  # scale rows by the LayerNorm weight, center over d_model
            m = m * ln_w[:, None]
            return m - m.mean(0, keepdim=True)

        wq, wk, wv = fold(wq), fold(wk), fold(wv)
        wo = block.attn.c_proj.weight.detach().double()  # [d (heads*dh), d]
        wo = wo - wo.mean(-1, keepdim=True)
        layers.append({
            "q": [wq[:, h * dh:(h + 1) * dh] for h in range(H)],
            "k": [wk[:, h * dh:(h + 1) * dh] for h in range(H)],
            "v": [wv[:, h * dh:(h + 1) * dh] for h in range(H)],
            "o": [wo[h * dh:(h + 1) * dh, :] for h in range(H)],
        })
    return layers


def composition_scores(model: GPT2LMHeadModel) -> dict[str, list[list[float]]]:
    """[layer-0 head][layer-1 head] Q, K and V composition (TransformerLens's composition_scores)."""
    L = processed_heads(model)
    H = model.config.n_head
    out = {"q": [], "k": [], "v": []}
    for h0 in range(H):
        ov0 = L[0]["v"][h0] @ L[0]["o"][h0]  # [d, d]
        rows = {"q": [], "k": [], "v": []}
        for h1 in range(H):
            qk1 = L[1]["q"][h1] @ L[1]["k"][h1].T  # [d, d]
            ov1 = L[1]["v"][h1] @ L[1]["o"][h1]
            for mode, right in (("q", qk1), ("k", qk1.T), ("v", ov1)):
                score = torch.linalg.norm(ov0 @ right) / (torch.linalg.norm(ov0) * torch.linalg.norm(right))
                rows[mode].append(float(score))
        for mode in out:
            out[mode].append(rows[mode])
    return out


def random_composition_baseline(model: GPT2LMHeadModel, samples: int = 200, seed: int = 0) -> float:
    """Mean K-composition score of Gaussian matrices with the same factored shapes (the paper's baseline)."""
    d, dh = model.config.n_embd, model.config.n_embd // model.config.n_head
    g = torch.Generator().manual_seed(seed)
    scores = []
    for _ in range(samples):
        a = torch.randn(d, dh, generator=g, dtype=torch.float64) @ torch.randn(dh, d, generator=g, dtype=torch.float64)
        b = torch.randn(d, dh, generator=g, dtype=torch.float64) @ torch.randn(dh, d, generator=g, dtype=torch.float64)
        scores.append(float(torch.linalg.norm(a @ b) / (torch.linalg.norm(a) * torch.linalg.norm(b))))
    return float(np.mean(scores))


def zero_head_hook(layer: int, head: int, d_head: int):
    def hook(module, inputs):
        (x,) = inputs
        x = x.clone()
        x[..., head * d_head:(head + 1) * d_head] = 0
        return (x,)
    return hook


@torch.no_grad()
def measure(model: GPT2LMHeadModel, n: int, batch: int, seed: int, ablations: bool = True) -> dict:
    model.eval()
    cfg = model.config
    H, dh = cfg.n_head, cfg.n_embd // cfg.n_head
    tokens = repeated_tokens(n, batch, cfg.vocab_size, seed)
    out = model(tokens, output_attentions=True)
    att = torch.stack(out.attentions, dim=1)  # [B, layer, head, q, k]
    T = tokens.shape[1]
    i = torch.arange(1, T)
    prev = att[..., i, i - 1].mean(dim=(0, -1))  # [layer, head]
    j = torch.arange(n + 1, 2 * n + 1)  # second copy
    induction = att[..., j, j - n + 1].mean(dim=(0, -1))
    duplicate = att[..., j, j - n].mean(dim=(0, -1))
    first_half = torch.arange(1, n + 1)
    bos = att[..., first_half, 0].mean(dim=(0, -1))

    def half_losses(logits):
        lp = F.log_softmax(logits.float(), -1)
        nll = -lp[:, :-1].gather(-1, tokens[:, 1:, None])[..., 0]  # [B, T-1], predicts t+1
        # first half: targets r[1..n-1] (positions 2..n); second half: targets positions n+2..2n
        return float(nll[:, 1:n].mean()), float(nll[:, n + 1:2 * n].mean())

    loss_first, loss_second = half_losses(out.logits)
    result = {
        "previous_token": prev.tolist(),
        "induction": induction.tolist(),
        "duplicate_token": duplicate.tolist(),
        "bos_first_half": bos.tolist(),
        "loss_first_half": loss_first,
        "loss_second_half": loss_second,
    }
    if ablations:
        ablated = []
        for layer in range(cfg.n_layer):
            row = []
            for head in range(H):
                handle = model.transformer.h[layer].attn.c_proj.register_forward_pre_hook(zero_head_hook(layer, head, dh))
                try:
                    row.append(half_losses(model(tokens).logits)[1])
                finally:
                    handle.remove()
            ablated.append(row)
        result["loss_second_half_ablated"] = ablated
    return result


def circuit_of(m: dict, comp: dict) -> dict:
    prev = np.array(m["previous_token"])
    ind = np.array(m["induction"])
    k = np.array(comp["k"])
    p0 = int(prev[0].argmax())
    i1 = int(ind[1].argmax())
    best = np.unravel_index(int(k.argmax()), k.shape)
    return {
        "previous_token_head": [0, p0],
        "induction_head": [1, i1],
        "previous_token_score": float(prev[0, p0]),
        "induction_score": float(ind[1, i1]),
        "k_composition": float(k[p0, i1]),
        "strongest_k_pair": [[0, int(best[0])], [1, int(best[1])]],
        "strongest_k_composition": float(k.max()),
        "found": bool(prev[0, p0] > 0.5 and ind[1, i1] > 0.5 and (int(best[0]), int(best[1])) == (p0, i1)),
    }


def summary_line(step: int, train_loss: float, m: dict, comp: dict) -> str:
    c = circuit_of(m, comp)
    return (
        f"step {step:6d}  train {train_loss:.3f}  rep loss 1st {m['loss_first_half']:.3f} 2nd {m['loss_second_half']:.3f}  "
        f"prev L0 {fmt(m['previous_token'][0])}  ind L1 {fmt(m['induction'][1])}  "
        f"K L0.{c['previous_token_head'][1]}->L1.{c['induction_head'][1]} {c['k_composition']:.3f} "
        f"(max {c['strongest_k_composition']:.3f} at L0.{c['strongest_k_pair'][0][1]}->L1.{c['strongest_k_pair'][1][1]})"
    )


def fmt(xs) -> str:
    return "[" + " ".join(f"{x:.2f}" for x in xs) + "]"


def report(model: GPT2LMHeadModel, args) -> dict:
    m = measure(model, args.eval_len, args.eval_batch, seed=10_000 + args.seed)
    comp = composition_scores(model)
    c = circuit_of(m, comp)
    base = m["loss_second_half"]
    abl = np.array(m["loss_second_half_ablated"])
    others = [abl[1, h] - base for h in range(model.config.n_head) if h != c["induction_head"][1]]
    # a few sequences with transformers' numbers on them, for parity tests of other implementations
    parity_n = args.eval_len
    parity = measure(model, parity_n, 4, seed=30_000 + args.seed)
    parity_tokens = repeated_tokens(parity_n, 4, model.config.vocab_size, 30_000 + args.seed)
    parity = {"n": parity_n, "tokens": parity_tokens.tolist(), **{k: parity[k] for k in (
        "previous_token", "induction", "loss_first_half", "loss_second_half", "loss_second_half_ablated")}}
    ablation = {
        "loss_second_half": base,
        "induction_head_ablated": float(abl[1, c["induction_head"][1]]),
        "induction_head_increase": float(abl[1, c["induction_head"][1]] - base),
        "largest_other_layer1_increase": float(max(others)),
        "previous_token_head_ablated": float(abl[0, c["previous_token_head"][1]]),
        "previous_token_head_increase": float(abl[0, c["previous_token_head"][1]] - base),
    }
    # the circuit must also be what the model uses: ablating the induction head costs > 0.5 nats and
    # more than ABLATION_RATIO times what ablating any other layer-1 head costs
    c["used"] = bool(ablation["induction_head_increase"] > 0.5
                     and ablation["induction_head_increase"] > ABLATION_RATIO * max(ablation["largest_other_layer1_increase"], 0.01))
    c["accepted"] = bool(c["found"] and c["used"])
    return {"metrics": m, "composition": comp, "circuit": c, "parity": parity, "ablation": ablation,
            "k_composition_random_baseline": random_composition_baseline(model)}


# ------------------------------------------------------------------------------------- training

def head_norms(block, H: int, dh: int, which: str) -> torch.Tensor:
    """[head] Frobenius norm of each head's W_O, or of all its weights (W_Q, W_K, W_V, W_O)."""
    sq = block.attn.c_proj.weight.view(H, dh, -1).pow(2).sum((1, 2))
    if which == "head":
        w = block.attn.c_attn.weight  # [d, 3d] = [Q | K | V], head h at columns h*dh:(h+1)*dh of each
        sq = sq + w.view(w.shape[0], 3, H, dh).pow(2).sum((0, 1, 3))
    return sq.add(1e-12).sqrt()


def train(args) -> tuple[GPT2LMHeadModel, list[dict], float]:
    torch.manual_seed(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    model = build_model(args)
    params = [p for p in model.parameters() if p.requires_grad]
    decay = [p for p in params if p.dim() >= 2]
    no_decay = [p for p in params if p.dim() < 2]
    groups = [{"params": decay, "weight_decay": args.weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    if args.optimizer == "adamw":
        opt = torch.optim.AdamW(groups, lr=args.lr, betas=(0.9, 0.98))
    else:
        opt = torch.optim.SGD(groups, lr=args.lr, momentum=0.9)
    H, dh = model.config.n_head, model.config.n_embd // model.config.n_head
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / args.warmup))
    history = []
    check_fast_logits(model, training_batch(torch.Generator().manual_seed(1), args)[0])
    start = time.time()
    running = None
    for step in range(1, args.steps + 1):
        model.train()
        tokens, mask = training_batch(gen, args)
        logits = fast_logits(model, tokens)[:, :-1]
        nll = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), tokens[:, 1:].reshape(-1), reduction="none")
        if args.loss_on == "repeats":
            loss = (nll * mask.reshape(-1)).sum() / mask.sum()
        else:
            loss = nll.mean()
        total = loss
        if args.head_penalty > 0 and step >= args.penalty_start:
            total = total + args.head_penalty * sum(
                head_norms(block, H, dh, args.penalty_on).pow(args.head_penalty_power).sum() for block in model.transformer.h)
        opt.zero_grad(set_to_none=True)
        total.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        sched.step()
        value = loss.item()
        running = value if running is None else 0.98 * running + 0.02 * value
        if step % args.eval_every == 0 or step == args.steps:
            m = measure(model, args.eval_len, 32, seed=20_000 + args.seed, ablations=False)
            comp = composition_scores(model)
            c = circuit_of(m, comp)
            history.append({"step": step, "train_loss": running, "seconds": round(time.time() - start, 1),
                            "loss_first_half": m["loss_first_half"], "loss_second_half": m["loss_second_half"],
                            "previous_token_layer0": m["previous_token"][0], "induction_layer1": m["induction"][1],
                            "k_composition": c["k_composition"], "found": c["found"]})
            print(summary_line(step, running, m, comp), f"{time.time() - start:.0f}s", flush=True)
    check_fast_logits(model, training_batch(torch.Generator().manual_seed(2), args)[0])
    # the MLPs must still be exactly zero
    for block in model.transformer.h:
        assert all(float(p.abs().max()) == 0.0 for p in block.mlp.parameters())
    return model, history, time.time() - start


def save(model: GPT2LMHeadModel, folder: str, record: dict) -> None:
    os.makedirs(folder, exist_ok=True)
    model.config.use_cache = False
    model.save_pretrained(folder, safe_serialization=True)
    for extra in ("generation_config.json",):
        p = os.path.join(folder, extra)
        if os.path.exists(p):
            os.remove(p)
    with open(os.path.join(folder, "circuit.json"), "w", encoding="utf-8") as f:
        json.dump(record, f, indent=1, allow_nan=False)
        f.write("\n")
    for fn in os.listdir(folder):
        os.chmod(os.path.join(folder, fn), 0o644)
    size = sum(os.path.getsize(os.path.join(folder, fn)) for fn in os.listdir(folder))
    print(f"wrote {folder} ({size / 1024:.1f} KiB)")
    if size > SIZE_LIMIT_BYTES:
        sys.exit(f"ERROR: {folder} is {size} bytes, over the {SIZE_LIMIT_BYTES}-byte budget")


def rounded(x, digits=6):
    if isinstance(x, float):
        return float(f"{x:.{digits}g}")
    if isinstance(x, list):
        return [rounded(v, digits) for v in x]
    if isinstance(x, dict):
        return {k: rounded(v, digits) for k, v in x.items()}
    return x


def print_report(r: dict) -> None:
    m, c, a = r["metrics"], r["circuit"], r["ablation"]
    for name in ("previous_token", "induction", "duplicate_token"):
        for layer, row in enumerate(m[name]):
            print(f"  {name:15s} L{layer}: {fmt(row)}")
    print("  K-composition [L0 head][L1 head] (random baseline %.3f):" % r["k_composition_random_baseline"])
    for h0, row in enumerate(r["composition"]["k"]):
        print(f"    L0.{h0}: {fmt(row)}")
    print(f"  rep loss: first half {m['loss_first_half']:.3f}, second half {m['loss_second_half']:.3f}")
    for layer, row in enumerate(m["loss_second_half_ablated"]):
        print(f"  2nd-half loss with head ablated, L{layer}: {fmt(row)}")
    print(f"  circuit: {json.dumps(c)}")
    print(f"  ablation: {json.dumps(a)}")


def main() -> None:
    args = parse_args()
    torch.set_num_threads(args.threads)
    if args.check:
        model = load_model(args.out)
        with open(os.path.join(args.out, "circuit.json"), encoding="utf-8") as f:
            recorded = json.load(f)
        args.eval_len = recorded["evaluation"]["n"]
        args.eval_batch = recorded["evaluation"]["batch"]
        args.seed = recorded["training"]["seed"]
        r = report(model, args)
        print_report(r)
        sys.exit(0 if r["circuit"]["accepted"] else 1)

    model, history, seconds = train(args)
    r = report(model, args)
    print(f"trained {args.steps} steps in {seconds:.0f}s")
    print_report(r)
    # what transformers loads back must be the same model
    record = {
        "description": "Two-layer attention-only GPT-2 (MLP weights and biases all zero) trained by "
                       "scripts/train_induction/train.py on random tokens with a repeated segment at a random "
                       "offset. Scores measured in Python with transformers on held-out repeated random tokens.",
        "training": {
            "command": "python3 scripts/train_induction/train.py" + ("" if args.seed == DEFAULT_SEED else f" --seed {args.seed}"),
            "seed": args.seed, "steps": args.steps, "arguments": {k: v for k, v in vars(args).items() if k not in ("out", "force", "check")},
            "optimizer": "AdamW(betas=(0.9, 0.98)), linear warmup, grad-norm clip 1.0; weight decay on matrices only",
            "head_penalty": "from step penalty_start: head_penalty * sum over all heads of ||head||_F ** head_penalty_power, "
                            "||head|| over the head's W_Q, W_K, W_V columns and W_O rows (penalty_on = head); "
                            "a power < 1 favours few strong heads, so the circuit ends up in one head per layer",
            "data": {"vocab": args.vocab, "bos": BOS, "n_ctx": args.n_ctx, "segment_length": [args.min_len, args.max_len],
                     "loss": "cross-entropy only where the next token is the 2nd..last token of the repeated copy"},
            "wall_seconds": round(seconds, 1), "threads": args.threads,
            "torch": torch.__version__, "transformers": transformers.__version__, "python": platform.python_version(),
            "machine": platform.machine(),
            "history": history,
        },
        "evaluation": {
            "n": args.eval_len, "batch": args.eval_batch, "tokens_seed": 10_000 + args.seed,
            "tokens": "BOS(0) + r + r, r uniform in [1, vocab) of length n, torch.Generator().manual_seed(tokens_seed), torch.randint(1, vocab, (batch, n))",
            "previous_token": "[layer][head] mean over i >= 1 of attention[i, i-1]",
            "induction": "[layer][head] mean over i in [n+1, 2n] of attention[i, i-n+1]",
            "duplicate_token": "[layer][head] mean over i in [n+1, 2n] of attention[i, i-n]",
            "bos_first_half": "[layer][head] mean over i in [1, n] of attention[i, 0]",
            "loss_first_half": "mean NLL of targets at positions 2..n",
            "loss_second_half": "mean NLL of targets at positions n+2..2n",
            "loss_second_half_ablated": "[layer][head] loss_second_half with that head's z zeroed (pre-hook on attn.c_proj)",
            "composition": "[layer-0 head][layer-1 head] ||L R||_F / (||L||_F ||R||_F), L = W_OV of the layer-0 head, "
                           "R = W_QK^T (k), W_QK (q) or W_OV (v) of the layer-1 head, on weights processed like "
                           "HookedTransformer.from_pretrained (fold_ln, center_writing_weights)",
        },
        **rounded({k: v for k, v in r.items()}),
    }
    if not r["circuit"]["accepted"] and not args.force:
        sys.exit("ERROR: the trained model does not have the circuit; nothing written (use --force to write anyway)")
    save(model, args.out, record)
    reloaded = load_model(args.out)
    r2 = report(reloaded, args)
    drift = abs(r2["circuit"]["induction_score"] - r["circuit"]["induction_score"])
    print(f"reloaded with transformers: circuit accepted={r2['circuit']['accepted']}, induction score drift {drift:.2e}")
    assert drift < 1e-5 and r2["circuit"]["accepted"] == r["circuit"]["accepted"]


if __name__ == "__main__":
    main()
