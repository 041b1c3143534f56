/**
 * Direct logit attribution against TransformerLens (test/fixtures/circuits/generate_detectors.py:
 * stack_head_results / decompose_resid → apply_ln_to_stack → · W_U direction on the processed
 * HookedTransformer), its exact reconstruction of the forward pass's logit (difference) on every
 * family, and the logit lens.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { attribution } from '../../src/engine/analysis/attribution';
import { logitLens } from '../../src/engine/analysis/logitLens';
import { topPredictions } from '../../src/engine/analysis/predictions';
import { initBackend } from '../../src/engine/backend';
import type { EngineError } from '../../src/engine/errors';
import { TransformerModel } from '../../src/engine/model/model';
import { EngineService } from '../../src/engine/service';
import type { Attribution } from '../../src/protocol/engine';
import { FIXTURE_MODELS, FIXTURES_DIR, modelDir, readReference } from './helpers/fixtures';

interface GoldenAttribution {
  readonly tokens: number[];
  readonly position: number;
  readonly target: number;
  readonly contrast: number | null;
  readonly heads: number[][];
  readonly attn: number[];
  readonly mlp: number[];
  readonly embed: number;
  readonly attn_bias: number[];
  readonly unembed_bias: number;
  readonly logit: number;
}

function readGolden(name: string): { attribution: GoldenAttribution[] } {
  return JSON.parse(readFileSync(path.join(FIXTURES_DIR, 'circuits', `${name}-detectors.json`), 'utf8'));
}

function maxError(actual: ArrayLike<number>, expected: readonly number[]): number {
  assert.equal(actual.length, expected.length, 'size');
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const error = Math.abs(actual[i]! - expected[i]!);
    if (!(error <= worst)) worst = Number.isNaN(error) ? Infinity : error;
  }
  return worst;
}

const sum = (values: ArrayLike<number>) => Array.from(values).reduce((a, b) => a + b, 0);

const TOLERANCE = 1e-4;

for (const name of ['gpt2', 'llama'] as const) {
  describe(`direct logit attribution on ${name} vs TransformerLens`, () => {
    let model: TransformerModel;
    const golden = readGolden(name);
    before(async () => {
      await initBackend('wasm');
      model = await TransformerModel.load(modelDir(name));
    });
    after(() => model.dispose());

    for (const expected of golden.attribution) {
      const label = expected.contrast === null ? `logit(${expected.target}) − mean` : `logit(${expected.target}) − logit(${expected.contrast})`;
      it(`position ${expected.position}, ${label}: heads, layers, embeddings and biases within ${TOLERANCE}`, async () => {
        const result = await attribution(model, {
          tokens: expected.tokens,
          position: expected.position,
          target: expected.target,
          ...(expected.contrast === null ? {} : { contrast: expected.contrast }),
        });
        assert.equal(result.position, expected.position);
        assert.equal(result.target, expected.target);
        assert.equal(result.contrast, expected.contrast ?? undefined);
        const errors = {
          heads: maxError(result.heads, expected.heads.flat()),
          attn: maxError(result.attn, expected.attn),
          mlp: maxError(result.mlp, expected.mlp),
          embed: Math.abs(result.embed - expected.embed),
          attnBias: maxError(result.attnBias!, expected.attn_bias),
          unembedBias: Math.abs(result.unembedBias! - expected.unembed_bias),
          logit: Math.abs(result.logit! - expected.logit),
        };
        for (const [what, error] of Object.entries(errors)) assert.ok(error <= TOLERANCE, `${what} differs from TransformerLens by ${error}`);
      });
    }

    it('defaults the target to the top prediction; leaks no tensors', async () => {
      const expected = golden.attribution.find((a) => a.contrast !== null)!;
      const before = tf.memory().numTensors;
      const result = await attribution(model, { tokens: expected.tokens, position: expected.position, contrast: expected.contrast! });
      assert.equal(tf.memory().numTensors, before);
      assert.equal(result.target, expected.target, 'golden target is TL\'s top prediction');
    });
  });
}

describe('attribution reconstructs the forward pass on every family', () => {
  before(() => initBackend('wasm'));
  // LayerNorm and RMSNorm, q/k/v and output biases (gpt2, pythia, qwen2), grouped kv heads,
  // parallel attention/MLP (pythia), local attention (gpt-neo), tied embeddings, F16/BF16.
  for (const name of FIXTURE_MODELS) {
    it(`${name}: embed + Σ attn + Σ mlp + b_U = logit difference; Σ heads + attnBias = attn`, async () => {
      const model = await TransformerModel.load(modelDir(name));
      try {
        const tokens = readReference(name).cases[0]!.tokens;
        const spec = model.spec;
        for (const [position, contrast] of [[tokens.length - 1, 3], [1, undefined]] as const) {
          const result: Attribution = await attribution(model, { tokens, position, contrast });
          const run = await model.run(tokens, { loss: false });
          const logits = (await run.logits!.array())[0]![position]!;
          run.dispose();
          const top = logits.indexOf(Math.max(...logits));
          assert.equal(result.target, top);
          const real = contrast === undefined ? logits[top]! - sum(logits) / logits.length : logits[top]! - logits[contrast]!;
          assert.ok(Math.abs(result.logit! - real) < 1e-4, `logit ${result.logit} vs forward ${real}`);
          const total = result.embed + sum(result.attn) + sum(result.mlp) + result.unembedBias!;
          assert.ok(Math.abs(total - real) < 1e-4, `components sum to ${total}, the forward pass gives ${real}`);
          for (let l = 0; l < spec.nLayers; l++) {
            const heads = sum(result.heads.subarray(l * spec.nHeads, (l + 1) * spec.nHeads));
            assert.ok(Math.abs(heads + result.attnBias![l]! - result.attn[l]!) < 1e-4, `layer ${l}: heads + bias ≠ attn`);
          }
          assert.equal(result.heads.length, spec.nLayers * spec.nHeads);
        }
      } finally {
        await model.dispose();
      }
    });
  }
});

describe('logit lens', () => {
  before(() => initBackend('wasm'));

  for (const name of ['gpt2', 'llama', 'pythia'] as const) {
    it(`${name}: the last layer's predictions are the model's own; shapes [layer + 1, pos, k]; no leaks`, async () => {
      const model = await TransformerModel.load(modelDir(name));
      try {
        const tokens = readReference(name).cases[0]!.tokens;
        const k = 4;
        const before = tf.memory().numTensors;
        const lens = await logitLens(model, tokens, k);
        assert.equal(tf.memory().numTensors, before);
        const layers = model.spec.nLayers;
        const n = tokens.length;
        assert.equal(lens.k, k);
        assert.equal(lens.ids.length, (layers + 1) * n * k);
        assert.equal(lens.probs.length, (layers + 1) * n * k);
        const run = await model.run(tokens, { loss: false });
        const own = await topPredictions(run.logits!, k);
        run.dispose();
        const last = layers * n * k;
        assert.deepEqual(Array.from(lens.ids.subarray(last)), Array.from(own.ids));
        const probError = maxError(lens.probs.subarray(last), Array.from(own.probs));
        assert.ok(probError < 1e-5, `last-layer probabilities differ by ${probError}`);
        for (let row = 0; row < (layers + 1) * n; row++) {
          const p = lens.probs.subarray(row * k, row * k + k);
          for (let j = 1; j < k; j++) assert.ok(p[j - 1]! >= p[j]!, 'sorted by probability');
        }
        assert.equal(lens.strings === undefined, model.tokenizer === undefined);
        if (lens.strings) assert.deepEqual(lens.strings, Array.from(lens.ids, (id) => model.tokenizer!.tokenString(id)));
        // The attribution request carries the same lens.
        const withLens = await attribution(model, { tokens, position: n - 1, topK: k });
        assert.deepEqual(withLens.lens.ids, lens.ids);
      } finally {
        await model.dispose();
      }
    });
  }

  it('entry 0 reads the embeddings: normalized and unembedded by hand', async () => {
    const model = await TransformerModel.load(modelDir('gpt2'));
    try {
      const tokens = [5, 9, 5];
      const lens = await logitLens(model, tokens, 1);
      const { wE, wPos, lnFinal, wU, bU } = model.weights;
      const expected = tf.tidy(() => {
        const x = tf.add(tf.gather(wE, tokens), tf.slice(wPos!, [0, 0], [3, -1])); // [pos, d_model]
        const { mean, variance } = tf.moments(x, -1, true);
        const normed = tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, model.spec.normEps))), lnFinal.w), lnFinal.b!);
        return tf.argMax(tf.add(tf.matMul(normed, wU), bU ?? 0), -1);
      });
      assert.deepEqual(Array.from(lens.ids.subarray(0, 3)), Array.from(await expected.data()));
      expected.dispose();
    } finally {
      await model.dispose();
    }
  });
});

describe('attribution: bad requests and the engine service', () => {
  const service = new EngineService();
  let id = 1;
  const ask = <T>(request: Record<string, unknown>) =>
    service.handle({ ...request, id: id++ } as never, new AbortController().signal, () => undefined) as Promise<T>;
  before(async () => {
    await ask({ type: 'init', backend: 'wasm' });
    await ask({ type: 'load', path: modelDir('llama') });
  });
  after(() => service.dispose());

  it('answers an attribution request with DLA and the lens', async () => {
    const tokens = readReference('llama').cases[0]!.tokens;
    const result = await ask<Attribution>({ type: 'attribution', tokens, position: 2, target: 7, contrast: 9, topK: 3 });
    assert.equal(result.target, 7);
    assert.equal(result.contrast, 9);
    assert.equal(result.heads.length, 2 * 4);
    assert.equal(result.lens.k, 3);
    assert.equal(result.lens.ids.length, 3 * tokens.length * 3);
  });

  it('rejects positions, targets and topK that do not fit, and bad prompts', async () => {
    const tokens = [3, 4, 5];
    const bad = (extra: Record<string, unknown>, code: string) =>
      assert.rejects(ask({ type: 'attribution', tokens, position: 0, ...extra }), (e: EngineError) => e.code === code);
    await bad({ position: 3 }, 'BAD_ARGUMENT');
    await bad({ position: -1 }, 'BAD_ARGUMENT');
    await bad({ position: 0.5 }, 'BAD_ARGUMENT');
    await bad({ target: 128 }, 'BAD_ARGUMENT');
    await bad({ contrast: -2 }, 'BAD_ARGUMENT');
    await bad({ topK: 0 }, 'BAD_ARGUMENT');
    await bad({ tokens: [] }, 'BAD_PROMPT');
    await bad({ tokens: [1, 999] }, 'BAD_PROMPT');
  });
});
