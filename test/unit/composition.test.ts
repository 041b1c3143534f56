/**
 * Q-, K- and V-composition scores against TransformerLens's `all_composition_scores` (gpt2, llama
 * with grouped-query heads, pythia; test/fixtures/circuits/generate.py), against a brute-force
 * computation through full d_model × d_model matrices on a random grouped-query model, and the
 * random-matrix baseline against direct sampling of Gaussian matrices; the engine service's
 * composition, skipTrigrams and circuits requests.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { randomAnalysisModel } from '../../src/engine/analysis/analysisModel';
import { BASELINE_SAMPLES, compositionBaseline, compositionScores } from '../../src/engine/analysis/composition';
import { SeededRandom } from '../../src/engine/analysis/linalg';
import { processedHead } from '../../src/engine/analysis/processedWeights';
import { initBackend } from '../../src/engine/backend';
import type { EngineError } from '../../src/engine/errors';
import type { LoadProgress } from '../../src/engine/model/load';
import { gpt2SmallSpec } from '../../src/engine/model/random';
import type { ModelSpec } from '../../src/engine/model/spec';
import { TransformerModel } from '../../src/engine/model/model';
import { EngineService } from '../../src/engine/service';
import type { CircuitsResult, CompositionScores, SkipTrigrams } from '../../src/protocol/engine';
import { GOLDEN_MODELS, readCircuitGolden } from './helpers/circuitGolden';
import { modelDir } from './helpers/fixtures';

const TOLERANCE = 1e-4;
const KINDS = ['q', 'k', 'v'] as const;

for (const name of GOLDEN_MODELS) {
  describe(`composition scores on ${name} vs TransformerLens`, () => {
    let model: TransformerModel;
    const golden = readCircuitGolden(name);
    before(async () => {
      await initBackend('wasm');
      model = await TransformerModel.load(modelDir(name));
    });
    after(() => model.dispose());

    it(`Q, K and V composition of every pair within ${TOLERANCE}; zero where layer1 ≥ layer2`, async (t) => {
      const before = tf.memory().numTensors;
      const result = await compositionScores(model, { baseline: false });
      assert.equal(tf.memory().numTensors, before, 'no tensors left behind');
      const { nLayers, nHeads } = model.spec;
      assert.equal(result.layers, nLayers);
      assert.equal(result.heads, nHeads);
      assert.equal(result.baseline, undefined);
      assert.match(result.processing, /W_U centered/);
      let worst = 0;
      for (const kind of KINDS) {
        const expected = golden.composition[kind].flat(3);
        assert.equal(result[kind].length, expected.length);
        expected.forEach((value, i) => {
          worst = Math.max(worst, Math.abs(result[kind][i]! - value));
          const layer1 = Math.floor(i / (nHeads * nLayers * nHeads));
          const layer2 = Math.floor(i / nHeads) % nLayers;
          if (layer1 >= layer2) assert.equal(result[kind][i], 0);
          else assert.ok(result[kind][i]! > 0 && result[kind][i]! < 1);
        });
      }
      t.diagnostic(`${name}: largest difference from TransformerLens ${worst.toExponential(2)}`);
      assert.ok(worst <= TOLERANCE, `composition scores differ from TransformerLens by ${worst}`);
    });

    it('baseline: one mean random score for all three kinds, subtracted where layer1 < layer2', async () => {
      const plain = await compositionScores(model, { baseline: false });
      const shifted = await compositionScores(model, { baseline: true, seed: 7 });
      const expected = compositionBaseline(model.spec.dModel, model.spec.dHead, BASELINE_SAMPLES, 7);
      assert.deepEqual(shifted.baseline, { q: expected, k: expected, v: expected });
      assert.match(shifted.processing, /baseline .*300 .*seed 7/);
      for (const kind of KINDS) {
        plain[kind].forEach((value, i) => {
          const want = value === 0 ? 0 : Math.fround(value - expected);
          assert.ok(Math.abs(shifted[kind][i]! - want) <= 1e-7, `${kind}[${i}]`);
        });
      }
      const again = await compositionScores(model, { baseline: true, seed: 7 });
      assert.deepEqual(again.baseline, shifted.baseline, 'the same seed gives the same baseline');
    });

    it('reports progress, cancels, and rejects bad seeds', async () => {
      const fractions: number[] = [];
      await compositionScores(model, { baseline: false, onProgress: (p) => fractions.push(p.fraction) });
      assert.ok(fractions.every((f, i) => f >= (fractions[i - 1] ?? 0) && f <= 1));
      assert.equal(fractions[fractions.length - 1], 1);
      const before = tf.memory().numTensors;
      const controller = new AbortController();
      controller.abort();
      await assert.rejects(compositionScores(model, { baseline: false, signal: controller.signal }), (e: EngineError) => e.code === 'CANCELLED');
      assert.equal(tf.memory().numTensors, before, 'a cancelled run frees its factors');
      for (const seed of [-1, 1.5, 2 ** 32]) {
        await assert.rejects(compositionScores(model, { baseline: true, seed }), (e: EngineError) => e.code === 'BAD_ARGUMENT' && /seed/.test(e.message));
      }
      await assert.rejects(compositionScores(model, { baseline: true, baselineSamples: 0 }), (e: EngineError) => e.code === 'BAD_ARGUMENT');
    });
  });
}

/** A small random grouped-query model in the GPT-2 layout (LayerNorm, learned positions). */
function smallSpec(): ModelSpec {
  const nLayers = 3;
  return {
    ...gpt2SmallSpec(),
    nLayers,
    nHeads: 4,
    nKvHeads: 2,
    dModel: 24,
    dHead: 5,
    dMlp: 32,
    dVocab: 40,
    nCtx: 8,
    attnScale: new Array<number>(nLayers).fill(1 / Math.sqrt(5)),
    attnWindow: new Array<number | null>(nLayers).fill(null),
  };
}

describe('composition scores vs full d_model × d_model products', () => {
  before(() => initBackend('wasm'));

  it('a random 3-layer grouped-query model: ‖L R‖_F / (‖L‖_F ‖R‖_F) with L, R built in full', async () => {
    const model = randomAnalysisModel(smallSpec(), 3);
    try {
      const spec = model.spec;
      const result = await compositionScores(model, { baseline: false });
      // Brute force: W_OV = W_V W_O, W_QK = W_Q W_Kᵀ as d_model × d_model matrices.
      const full = await Promise.all(
        Array.from({ length: spec.nLayers * spec.nHeads }, async (_, i) => {
          const h = processedHead(spec, model.weights, Math.floor(i / spec.nHeads), i % spec.nHeads);
          const matrices = tf.tidy(() => [tf.matMul(h.wV, h.wO), tf.matMul(h.wQ, h.wK, false, true)]);
          Object.values(h).forEach((t: tf.Tensor) => t.dispose());
          const [ov, qk] = await Promise.all(matrices.map((m) => m.array() as Promise<number[][]>));
          matrices.forEach((m) => m.dispose());
          return { ov: ov!, qk: qk! };
        }),
      );
      const transpose = (m: number[][]) => m[0]!.map((_, j) => m.map((row) => row[j]!));
      const times = (a: number[][], b: number[][]) => a.map((row) => b[0]!.map((_, j) => row.reduce((s, v, k) => s + v * b[k]![j]!, 0)));
      const norm = (m: number[][]) => Math.sqrt(m.flat().reduce((s, v) => s + v * v, 0));
      const score = (l: number[][], r: number[][]) => norm(times(l, r)) / (norm(l) * norm(r));
      let worst = 0;
      const { nLayers, nHeads } = spec;
      for (let i = 0; i < nLayers * nHeads; i++) {
        for (let j = 0; j < nLayers * nHeads; j++) {
          const index = i * nLayers * nHeads + j;
          if (Math.floor(i / nHeads) >= Math.floor(j / nHeads)) {
            KINDS.forEach((kind) => assert.equal(result[kind][index], 0));
            continue;
          }
          const left = full[i]!.ov;
          const expected = { q: score(left, full[j]!.qk), k: score(left, transpose(full[j]!.qk)), v: score(left, full[j]!.ov) };
          for (const kind of KINDS) worst = Math.max(worst, Math.abs(result[kind][index]! - expected[kind]));
        }
      }
      assert.ok(worst <= 1e-5, `scores differ from the brute-force ones by ${worst}`);
    } finally {
      model.dispose();
    }
  });
});

describe('the random-matrix baseline', () => {
  /** Mean score of `samples` draws of four d × h Gaussian matrices, multiplied out in full. */
  function bruteForceBaseline(d: number, h: number, samples: number, seed: number): { mean: number; sd: number } {
    const random = new SeededRandom(seed);
    const gaussian = () => Array.from({ length: d }, () => Array.from({ length: h }, () => random.normal()));
    const outer = (a: number[][], b: number[][]) => a.map((ra) => b.map((rb) => ra.reduce((s, v, k) => s + v * rb[k]!, 0))); // A Bᵀ
    const times = (a: number[][], b: number[][]) => a.map((row) => b[0]!.map((_, j) => row.reduce((s, v, k) => s + v * b[k]![j]!, 0)));
    const norm = (m: number[][]) => Math.sqrt(m.flat().reduce((s, v) => s + v * v, 0));
    const scores = Array.from({ length: samples }, () => {
      const left = outer(gaussian(), gaussian());
      const right = outer(gaussian(), gaussian());
      return norm(times(left, right)) / (norm(left) * norm(right));
    });
    const mean = scores.reduce((a, b) => a + b, 0) / samples;
    return { mean, sd: Math.sqrt(scores.reduce((a, b) => a + (b - mean) ** 2, 0) / samples) };
  }

  // d ≥ 2h (full-rank Wishart factors) and d < 2h (the joint factor is rank-deficient).
  for (const [d, h] of [[12, 3], [5, 4]] as const) {
    it(`the Bartlett sampler has the mean of direct sampling (d_model ${d}, d_head ${h})`, () => {
      const samples = 3000;
      const direct = bruteForceBaseline(d, h, samples, 11);
      const bartlett = compositionBaseline(d, h, samples, 12);
      const standardError = direct.sd * Math.sqrt(2 / samples);
      assert.ok(Math.abs(bartlett - direct.mean) <= 4 * standardError, `${bartlett} vs ${direct.mean} ± ${standardError}`);
    });
  }

  it('GPT-2-small shapes: ≈ 0.0361 (ARENA\'s recipe, kaiming-uniform factors through TL, gives 0.03607); seeded', () => {
    const value = compositionBaseline(768, 64, 100, 0);
    assert.ok(Math.abs(value - 0.0361) < 5e-4, String(value));
    assert.equal(compositionBaseline(768, 64, 100, 0), value);
    assert.notEqual(compositionBaseline(768, 64, 100, 1), value);
  });
});

describe('the engine service answers composition, skipTrigrams and circuits with a spectrum', () => {
  const service = new EngineService();
  let id = 1;
  const signal = new AbortController().signal;
  const progress: LoadProgress[] = [];
  const ask = <T>(request: Record<string, unknown>) => service.handle({ ...request, id: id++ } as never, signal, (p) => progress.push(p)) as Promise<T>;
  before(async () => {
    await ask({ type: 'init', backend: 'wasm' });
    await ask({ type: 'load', path: modelDir('pythia') });
  });
  after(() => service.dispose());

  it('composition, with and without the baseline, reporting progress', async () => {
    const golden = readCircuitGolden('pythia');
    progress.length = 0;
    const plain = await ask<CompositionScores>({ type: 'composition', baseline: false });
    assert.ok(progress.length > 0 && progress[progress.length - 1]!.fraction === 1);
    assert.ok(Math.max(...golden.composition.k.flat(3).map((v, i) => Math.abs(plain.k[i]! - v))) <= TOLERANCE);
    const shifted = await ask<CompositionScores>({ type: 'composition', baseline: true });
    assert.equal(shifted.baseline!.q, compositionBaseline(32, 8, BASELINE_SAMPLES, 0));
  });

  it('skipTrigrams and circuits', async () => {
    const golden = readCircuitGolden('pythia').skip_trigrams;
    const tables = await ask<SkipTrigrams>({ type: 'skipTrigrams', layer: golden.layer, head: golden.head, token: golden.token, k: golden.k });
    assert.deepEqual(Array.from(tables.boosts.ids), golden.boosts.ids);
    assert.deepEqual(Array.from(tables.attendsTo.ids), golden.attends_to.ids);
    const defaults = await ask<SkipTrigrams>({ type: 'skipTrigrams', layer: 0, head: 0, token: 3 });
    assert.equal(defaults.suppresses.ids.length, 10);
    await assert.rejects(ask({ type: 'skipTrigrams', layer: 0, head: 9, token: 3 }), (e: EngineError) => e.code === 'BAD_ARGUMENT');
    const circuits = await ask<CircuitsResult>({ type: 'circuits', layer: 1, head: 2, tokens: [3, 4, 3] });
    assert.equal(circuits.spectrum!.ovEigenvalues.length, 16);
  });
});
