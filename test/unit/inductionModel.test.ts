/**
 * A model that really has the induction circuit: test/fixtures/models/induction is a two-layer
 * attention-only GPT-2 (MLP weights and biases zero) trained by scripts/train_induction/train.py
 * on random tokens with a repeated segment. Its circuit.json records what PyTorch/transformers
 * measured: the previous-token head in layer 0, the induction head in layer 1, every head's scores,
 * the K-composition scores (TransformerLens's processing), and a few sequences with transformers'
 * numbers on them.
 *
 * Here our engine runs the same checkpoint: on the recorded sequences it must give transformers'
 * numbers, and on fresh repeated random tokens ([BOS] + r + r) its own hook_pattern must show the
 * circuit: the previous-token head attends to i − 1, the induction head to the token after the
 * previous occurrence of the current token, ablating the induction head (hook_z) costs far more
 * second-half loss than ablating any other layer-1 head, and the analysis APIs (headScores,
 * compositionScores) name exactly these two heads.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { compositionScores } from '../../src/engine/analysis/composition';
import { headScores } from '../../src/engine/analysis/detectors';
import { initBackend } from '../../src/engine/backend';
import { HOOK } from '../../src/engine/model/hooks';
import { TransformerModel } from '../../src/engine/model/model';
import { mulberry32 as uint32Generator } from '../../src/engine/analysis/randomRepeats';
import { modelDir } from './helpers/fixtures';

type LayerHead = [number, number];

interface CircuitRecord {
  readonly circuit: {
    readonly previous_token_head: LayerHead;
    readonly induction_head: LayerHead;
    readonly previous_token_score: number;
    readonly induction_score: number;
    readonly k_composition: number;
  };
  readonly evaluation: { readonly n: number };
  readonly metrics: {
    /** [layer][head] */
    readonly previous_token: number[][];
    readonly induction: number[][];
  };
  /** [layer-0 head][layer-1 head] */
  readonly composition: { readonly q: number[][]; readonly k: number[][]; readonly v: number[][] };
  /** Transformers' numbers on a few recorded sequences, for parity. */
  readonly parity: {
    readonly n: number;
    readonly tokens: number[][];
    readonly previous_token: number[][];
    readonly induction: number[][];
    readonly loss_first_half: number;
    readonly loss_second_half: number;
    readonly loss_second_half_ablated: number[][];
  };
}

const DIR = modelDir('induction');
const record = JSON.parse(readFileSync(path.join(DIR, 'circuit.json'), 'utf8')) as CircuitRecord;
const [, PREV] = record.circuit.previous_token_head;
const [, IND] = record.circuit.induction_head;

/** A seeded PRNG in [0, 1), so the test's random tokens are the same on every run. */
function mulberry32(seed: number): () => number {
  const next = uint32Generator(seed);
  return () => next() / 2 ** 32;
}

/** `batch` sequences BOS(0) + r + r, r of length n uniform over the ids 1 … vocab − 1. */
function repeatedRandomTokens(n: number, batch: number, vocab: number, seed: number): number[][] {
  const next = mulberry32(seed);
  return Array.from({ length: batch }, () => {
    const r = Array.from({ length: n }, () => 1 + Math.floor(next() * (vocab - 1)));
    return [0, ...r, ...r];
  });
}

interface Measured {
  /** [layer][head]: mean over i ≥ 1 of A[i, i − 1] */
  readonly previousToken: number[][];
  /** [layer][head]: mean over the second copy (i = n + 1 … 2n) of A[i, i − n + 1] */
  readonly induction: number[][];
  readonly lossFirstHalf: number;
  readonly lossSecondHalf: number;
}

/** Our forward pass's patterns and per-position loss on BOS + r + r sequences (optionally with hooks). */
async function measure(model: TransformerModel, tokens: number[][], n: number, hooks: Record<string, (t: tf.Tensor) => tf.Tensor> = {}): Promise<Measured> {
  const { nLayers, nHeads } = model.spec;
  const names = Array.from({ length: nLayers }, (_, l) => HOOK.pattern(l));
  const result = await model.runWithHooks(tokens, hooks, { cache: names, logits: 'none' });
  try {
    const T = tokens[0]!.length;
    const B = tokens.length;
    const previousToken: number[][] = [];
    const induction: number[][] = [];
    for (let layer = 0; layer < nLayers; layer++) {
      const pattern = (await result.cache.get(HOOK.pattern(layer))!.data()) as Float32Array; // [batch, head, q, k]
      const at = (b: number, h: number, q: number, k: number) => pattern[((b * nHeads + h) * T + q) * T + k]!;
      const prevRow: number[] = [];
      const indRow: number[] = [];
      for (let h = 0; h < nHeads; h++) {
        let prev = 0;
        let ind = 0;
        for (let b = 0; b < B; b++) {
          for (let i = 1; i < T; i++) prev += at(b, h, i, i - 1);
          for (let i = n + 1; i <= 2 * n; i++) ind += at(b, h, i, i - n + 1);
        }
        prevRow.push(prev / (B * (T - 1)));
        indRow.push(ind / (B * n));
      }
      previousToken.push(prevRow);
      induction.push(indRow);
    }
    // loss[b][t] is the loss of predicting token t + 1 from position t.
    const loss = (await result.loss!.array()) as number[][];
    const mean = (from: number, to: number) => {
      let sum = 0;
      for (const row of loss) for (let t = from; t < to; t++) sum += row[t]!;
      return sum / (loss.length * (to - from));
    };
    // first half: targets 2 … n (t = 1 … n − 1); second half: targets n + 2 … 2n (t = n + 1 … 2n − 1)
    return { previousToken, induction, lossFirstHalf: mean(1, n), lossSecondHalf: mean(n + 1, 2 * n) };
  } finally {
    result.dispose();
  }
}

/** Zeroes one head's slice of hook_z [batch, pos, head, d_head]. */
function zeroHead(head: number, nHeads: number) {
  return (z: tf.Tensor) => tf.mul(z, tf.tensor4d(Array.from({ length: nHeads }, (_, h) => (h === head ? 0 : 1)), [1, 1, nHeads, 1]));
}

function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}

function maxAbsDiff(a: number[][], b: number[][]): number {
  return Math.max(...a.flatMap((row, i) => row.map((x, j) => Math.abs(x - b[i]![j]!))));
}

describe('induction fixture: a trained two-layer attention-only model with the textbook circuit', () => {
  let model: TransformerModel;
  const n = record.evaluation.n;
  let tokens: number[][];

  before(async () => {
    await initBackend('wasm');
    model = await TransformerModel.load(DIR);
    tokens = repeatedRandomTokens(n, 32, model.spec.dVocab, 1234);
  });
  after(() => model.dispose());

  it('is a GPT-2 checkpoint with two layers of several heads and all-zero MLPs', async () => {
    const s = model.spec;
    assert.equal(s.architecture, 'gpt2');
    assert.equal(s.nLayers, 2);
    assert.ok(s.nHeads >= 2, `${s.nHeads} heads`);
    for (const block of model.weights.blocks) {
      for (const w of [block.mlp.wIn, block.mlp.bIn, block.mlp.wOut, block.mlp.bOut]) {
        assert.ok(w, 'GPT-2 MLPs have weights and biases');
        const values = (await w.data()) as Float32Array;
        assert.ok(values.every((v) => v === 0), 'MLP weights and biases are exactly zero (attention-only)');
      }
    }
    assert.equal(record.circuit.previous_token_head[0], 0);
    assert.equal(record.circuit.induction_head[0], 1);
  });

  it('gives transformers’ attention scores and losses on the recorded sequences', async () => {
    const p = record.parity;
    const ours = await measure(model, p.tokens, p.n);
    assert.ok(maxAbsDiff(ours.previousToken, p.previous_token) <= 1e-4, `previous-token scores differ by ${maxAbsDiff(ours.previousToken, p.previous_token)}`);
    assert.ok(maxAbsDiff(ours.induction, p.induction) <= 1e-4, `induction scores differ by ${maxAbsDiff(ours.induction, p.induction)}`);
    assert.ok(Math.abs(ours.lossFirstHalf - p.loss_first_half) <= 1e-3 * Math.max(1, p.loss_first_half), `first-half loss ${ours.lossFirstHalf} vs ${p.loss_first_half}`);
    assert.ok(Math.abs(ours.lossSecondHalf - p.loss_second_half) <= 1e-4 + 1e-3 * p.loss_second_half, `second-half loss ${ours.lossSecondHalf} vs ${p.loss_second_half}`);
    const ablated = await measure(model, p.tokens, p.n, { [HOOK.z(1)]: zeroHead(IND, model.spec.nHeads) });
    const expected = p.loss_second_half_ablated[1]![IND]!;
    assert.ok(Math.abs(ablated.lossSecondHalf - expected) <= 1e-3 * Math.max(1, expected), `ablated second-half loss ${ablated.lossSecondHalf} vs ${expected}`);
  });

  it('our forward pass on repeated random tokens shows the previous-token head and the induction head', async () => {
    const m = await measure(model, tokens, n);
    const prev = m.previousToken[0]![PREV]!;
    const ind = m.induction[1]![IND]!;
    assert.ok(prev > 0.5, `layer-0 head ${PREV} attends to i − 1 with mean ${prev}`);
    assert.ok(ind > 0.5, `layer-1 head ${IND} attends to the induction stripe with mean ${ind}`);
    // Each is its layer's clear winner, and no layer-0 head does induction (it cannot without composition).
    assert.equal(argmax(m.previousToken[0]!), PREV, `layer-0 previous-token scores ${m.previousToken[0]}`);
    assert.equal(argmax(m.induction[1]!), IND, `layer-1 induction scores ${m.induction[1]}`);
    assert.ok(Math.max(...m.induction[0]!) < 0.2, `layer-0 induction scores ${m.induction[0]}`);
    // The model uses it: the repeat is predicted far better than the random first half.
    assert.ok(m.lossSecondHalf < 0.25 * m.lossFirstHalf, `second half ${m.lossSecondHalf} vs first half ${m.lossFirstHalf}`);
  });

  it('ablating the induction head costs far more second-half loss than ablating any other layer-1 head', async () => {
    const base = (await measure(model, tokens, n)).lossSecondHalf;
    const increase: number[] = [];
    for (let head = 0; head < model.spec.nHeads; head++) {
      const ablated = await measure(model, tokens, n, { [HOOK.z(1)]: zeroHead(head, model.spec.nHeads) });
      increase.push(ablated.lossSecondHalf - base);
    }
    const others = Math.max(...increase.filter((_, h) => h !== IND));
    assert.ok(increase[IND]! > 1, `ablating the induction head raises the second-half loss by ${increase[IND]} nats`);
    assert.ok(increase[IND]! > 5 * Math.max(others, 0.01), `induction head +${increase[IND]} vs other layer-1 heads at most +${others}`);
  });

  it('headScores finds the previous-token head in layer 0 and the induction head in layer 1', async () => {
    const scores = await headScores(model, { random: { length: n, batch: 16, seed: 7 } });
    const H = scores.heads;
    const topPrevious = argmax(scores.previousToken);
    const topInduction = argmax(scores.induction);
    assert.deepEqual([Math.floor(topPrevious / H), topPrevious % H], record.circuit.previous_token_head, `previous-token scores ${scores.previousToken}`);
    assert.deepEqual([Math.floor(topInduction / H), topInduction % H], record.circuit.induction_head, `induction scores ${scores.induction}`);
  });

  it('compositionScores: the K-composition between exactly those two heads is the strongest layer-0 → layer-1 pair', async () => {
    const scores = await compositionScores(model, { baseline: false });
    const { layers: L, heads: H } = scores;
    const k = (h0: number, h1: number) => scores.k[((0 * H + h0) * L + 1) * H + h1]!;
    const pairs = Array.from({ length: H * H }, (_, i) => k(Math.floor(i / H), i % H));
    const best = argmax(pairs);
    assert.deepEqual([Math.floor(best / H), best % H], [PREV, IND], `K-composition [layer-0 head][layer-1 head]: ${pairs}`);
    // Same numbers as the Python measurement (TransformerLens's processing), every pair and kind.
    for (const kind of ['q', 'k', 'v'] as const) {
      for (let h0 = 0; h0 < H; h0++) {
        for (let h1 = 0; h1 < H; h1++) {
          const ours = scores[kind][((0 * H + h0) * L + 1) * H + h1]!;
          const theirs = record.composition[kind][h0]![h1]!;
          assert.ok(Math.abs(ours - theirs) <= 1e-4, `${kind}-composition L0.${h0} → L1.${h1}: ${ours} vs ${theirs}`);
        }
      }
    }
  });
});
