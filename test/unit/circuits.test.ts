/**
 * Per-head QK/OV circuits against TransformerLens (test/fixtures/circuits/generate.py builds a
 * HookedTransformer from each fixture checkpoint with from_pretrained's default processing and
 * records its circuits), plus the processing itself: the processed model still computes the
 * transformers logits (up to the per-position constant center_unembed removes), and the raw
 * weights the exact forward pass uses are left untouched.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { distinctTokens, headCircuits } from '../../src/engine/analysis/circuits';
import { kvHeadOf, processedHead, processWeights } from '../../src/engine/analysis/processedWeights';
import { initBackend } from '../../src/engine/backend';
import type { EngineError } from '../../src/engine/errors';
import { forward } from '../../src/engine/model/forward';
import { TransformerModel } from '../../src/engine/model/model';
import { allWeights, type DeviceWeights } from '../../src/engine/model/weights';
import { FIXTURE_MODELS, FIXTURES_DIR, maxAbsDiff, modelDir, readReference } from './helpers/fixtures';

interface GoldenHead {
  readonly layer: number;
  readonly head: number;
  /** [query token][key token] */
  readonly qk: number[][];
  /** [source token][output token] */
  readonly ov: number[][];
  /** [query position][key position], learned-position models only */
  readonly positional_qk?: number[][];
}

interface Golden {
  readonly model: string;
  readonly normalization: string;
  readonly positional_embedding_type: string;
  readonly prompt: number[];
  readonly tokens: number[];
  readonly positions: number;
  readonly heads: GoldenHead[];
}

function readGolden(name: string): Golden {
  return JSON.parse(readFileSync(path.join(FIXTURES_DIR, 'circuits', `${name}.json`), 'utf8')) as Golden;
}

/** Largest |actual − expected| / max(1, |expected|): absolute for small values, relative for large. */
function maxScaledError(actual: ArrayLike<number>, expected: number[][]): number {
  const flat = expected.flat();
  assert.equal(actual.length, flat.length, 'size');
  let worst = 0;
  for (let i = 0; i < flat.length; i++) {
    const error = Math.abs(actual[i]! - flat[i]!) / Math.max(1, Math.abs(flat[i]!));
    if (!(error <= worst)) worst = Number.isNaN(error) ? Infinity : error;
  }
  return worst;
}

/** A copy of every raw weight's values, to show nothing wrote to them. */
async function snapshot(weights: DeviceWeights): Promise<Float32Array[]> {
  return Promise.all(allWeights(weights).map(async (t) => (await t.data()) as Float32Array));
}

function rawWeights(model: TransformerModel): DeviceWeights {
  return model.weights;
}

const TOLERANCE = 1e-4;

for (const name of ['gpt2', 'llama', 'pythia'] as const) {
  describe(`circuits on ${name} vs TransformerLens`, () => {
    let model: TransformerModel;
    const golden = readGolden(name);
    const reference = readReference(name);
    before(async () => {
      await initBackend('wasm');
      model = await TransformerModel.load(modelDir(name));
    });
    after(() => model.dispose());

    for (const expected of golden.heads) {
      it(`head ${expected.layer}.${expected.head}: full QK, full OV${expected.positional_qk ? ' and positional QK' : ''} within ${TOLERANCE}`, async () => {
        const result = await headCircuits(model, expected.layer, expected.head, golden.prompt);
        assert.equal(result.layer, expected.layer);
        assert.equal(result.head, expected.head);
        assert.deepEqual(result.tokens, golden.tokens);
        const qkError = maxScaledError(result.qk, expected.qk);
        const ovError = maxScaledError(result.ov, expected.ov);
        assert.ok(qkError <= TOLERANCE, `QK differs from TransformerLens by ${qkError}`);
        assert.ok(ovError <= TOLERANCE, `OV differs from TransformerLens by ${ovError}`);
        if (expected.positional_qk) {
          assert.equal(result.positions, golden.positions);
          const posError = maxScaledError(result.positionalQk!, expected.positional_qk);
          assert.ok(posError <= TOLERANCE, `positional QK differs from TransformerLens by ${posError}`);
        } else {
          assert.equal(result.positionalQk, undefined, 'rotary models have no positional QK');
          assert.equal(result.positions, undefined);
        }
      });
    }

    it('describes the processing: the norm family, centering, biases excluded', async () => {
      const { processing } = await headCircuits(model, 0, 0, golden.prompt);
      assert.match(processing, name === 'llama' ? /RMSNorm.*no centering/ : /LayerNorm folded.*W_E.*centered/);
      assert.match(processing, /W_U centered/);
      assert.match(processing, /biases excluded/);
      if (name === 'gpt2') assert.match(processing, /W_pos/);
      else assert.match(processing, /rotary/);
    });

    it('leaves the raw weights, and so the exact forward pass, untouched; leaks no tensors', async () => {
      const testCase = reference.cases[0]!;
      const weightsBefore = await snapshot(rawWeights(model));
      const logitsBefore = await model.run(testCase.tokens, { loss: false });
      const before = tf.memory().numTensors;
      for (const expected of golden.heads) await headCircuits(model, expected.layer, expected.head, golden.prompt);
      assert.equal(tf.memory().numTensors, before, 'headCircuits frees everything it makes');
      const processed = processWeights(model.spec, rawWeights(model));
      const raw = new Set(allWeights(rawWeights(model)));
      assert.ok(allWeights(processed).every((t) => !raw.has(t)), 'processWeights returns new tensors');
      allWeights(processed).forEach((t) => t.dispose());
      assert.equal(tf.memory().numTensors, before, 'processWeights leaves nothing behind once disposed');

      const weightsAfter = await snapshot(rawWeights(model));
      assert.equal(weightsAfter.length, weightsBefore.length);
      weightsBefore.forEach((values, i) => assert.deepEqual(weightsAfter[i], values, `raw weight ${i} changed`));
      const logitsAfter = await model.run(testCase.tokens, { loss: false });
      try {
        const a = (await logitsBefore.logits!.data()) as Float32Array;
        const b = (await logitsAfter.logits!.data()) as Float32Array;
        assert.deepEqual(b, a, 'forward logits are bit-identical after computing circuits');
        assert.ok(maxAbsDiff((await logitsAfter.logits!.array())[0]!, testCase.logits) <= 1e-4);
      } finally {
        logitsBefore.dispose();
        logitsAfter.dispose();
      }
    });

    it('deduplicates tokens in first-seen order, rows and columns following them', async () => {
      const [a, b, c] = golden.tokens as [number, number, number];
      const repeated = await headCircuits(model, 1, 1, [b, a, b, c, a, a]);
      assert.deepEqual(repeated.tokens, [b, a, c]);
      assert.equal(repeated.qk.length, 9);
      assert.equal(repeated.ov.length, 9);
      if (repeated.positions !== undefined) assert.equal(repeated.positions, 6, 'positions count the prompt, not the distinct tokens');
      // The same circuits on the tokens in another order are a permutation of these.
      const reordered = await headCircuits(model, 1, 1, [c, b, a]);
      assert.deepEqual(reordered.tokens, [c, b, a]);
      const at = (m: Float32Array, order: number[], row: number, col: number) => m[order.indexOf(row) * 3 + order.indexOf(col)]!;
      for (const row of [a, b, c]) {
        for (const col of [a, b, c]) {
          assert.equal(at(repeated.qk, repeated.tokens as number[], row, col), at(reordered.qk, [c, b, a], row, col));
          assert.equal(at(repeated.ov, repeated.tokens as number[], row, col), at(reordered.ov, [c, b, a], row, col));
        }
      }
      assert.deepEqual(distinctTokens([3, 1, 3, 2, 1]), [3, 1, 2]);
    });

    it('rejects heads that do not exist and unusable prompts', async () => {
      const s = model.spec;
      for (const [layer, head] of [[s.nLayers, 0], [0, s.nHeads], [-1, 0], [0, 1.5]] as const) {
        await assert.rejects(headCircuits(model, layer, head, golden.prompt), (e: EngineError) => e.code === 'BAD_ARGUMENT');
      }
      await assert.rejects(headCircuits(model, 0, 0, []), (e: EngineError) => e.code === 'BAD_PROMPT');
      await assert.rejects(headCircuits(model, 0, 0, [0, s.dVocab]), (e: EngineError) => e.code === 'BAD_PROMPT');
    });
  });
}

/** Centered over the vocabulary, as center_unembed makes the processed model's logits. */
function centerRows(rows: number[][]): number[][] {
  return rows.map((row) => {
    const mean = row.reduce((a, b) => a + b, 0) / row.length;
    return row.map((v) => v - mean);
  });
}

describe('processed weights still compute the transformers logits (centered over the vocabulary)', () => {
  before(() => initBackend('wasm'));
  // Every family: LayerNorm and RMSNorm, learned and rotary positions, q/k/v biases (qwen2) folded
  // with grouped kv heads, parallel residuals, F16/BF16 weights, tied embeddings.
  for (const name of FIXTURE_MODELS) {
    it(name, async () => {
      const model = await TransformerModel.load(modelDir(name));
      const before = tf.memory().numTensors;
      const processed = processWeights(model.spec, rawWeights(model));
      try {
        for (const testCase of readReference(name).cases) {
          const result = await forward(model.spec, processed, [testCase.tokens], { loss: false });
          const logits = (await result.logits!.array())[0]!;
          result.dispose();
          const error = maxAbsDiff(logits, centerRows(testCase.logits));
          assert.ok(error <= 1e-4, `processed-weight logits differ by ${error}`);
        }
      } finally {
        allWeights(processed).forEach((t) => t.dispose());
        assert.equal(tf.memory().numTensors, before);
        await model.dispose();
      }
    });
  }
});

describe('circuits: token strings, positional pattern, grouped-query heads', () => {
  before(() => initBackend('wasm'));

  it('gpt2: token strings from the tokenizer; the positional pattern is causal and sums to 1', async () => {
    const model = await TransformerModel.load(modelDir('gpt2'));
    try {
      const prompt = readGolden('gpt2').prompt;
      const result = await headCircuits(model, 0, 0, prompt);
      assert.deepEqual(result.tokenStrings, result.tokens.map((id) => model.tokenizer!.tokenString(id)));
      const n = result.positions!;
      const pattern = result.positionalQk!;
      assert.equal(pattern.length, n * n);
      for (let q = 0; q < n; q++) {
        let sum = 0;
        for (let k = 0; k < n; k++) {
          if (k > q) assert.equal(pattern[q * n + k], 0, 'future positions are masked');
          sum += pattern[q * n + k]!;
        }
        assert.ok(Math.abs(sum - 1) < 1e-5);
      }
    } finally {
      await model.dispose();
    }
  });

  it('llama (4 query heads on 2 kv heads): head h reads kv head floor(h / 2); no tokenizer, no strings', async () => {
    const model = await TransformerModel.load(modelDir('llama'));
    try {
      const spec = model.spec;
      assert.deepEqual([0, 1, 2, 3].map((h) => kvHeadOf(spec, h)), [0, 0, 1, 1]);
      const heads = [0, 1, 2, 3].map((h) => processedHead(spec, model.weights, 1, h));
      try {
        const k = await Promise.all(heads.map((h) => h.wK.data()));
        const q = await Promise.all(heads.map((h) => h.wQ.data()));
        assert.deepEqual(k[0], k[1]);
        assert.deepEqual(k[2], k[3]);
        assert.notDeepEqual(k[1], k[2]);
        assert.notDeepEqual(q[2], q[3]);
      } finally {
        heads.forEach((h) => Object.values(h).forEach((t: tf.Tensor) => t.dispose()));
      }
      const result = await headCircuits(model, 1, 3, [5, 6, 5]);
      assert.equal(result.tokenStrings, undefined);
    } finally {
      await model.dispose();
    }
  });

  it('multi-query (llama-bf16-tied, 1 kv head): every query head reads kv head 0', async () => {
    const model = await TransformerModel.load(modelDir('llama-bf16-tied'));
    try {
      const spec = model.spec;
      assert.equal(spec.nKvHeads, 1);
      assert.ok(Array.from({ length: spec.nHeads }, (_, h) => kvHeadOf(spec, h)).every((kv) => kv === 0));
      const before = tf.memory().numTensors;
      const result = await headCircuits(model, spec.nLayers - 1, spec.nHeads - 1, [3, 4, 3]);
      assert.equal(result.qk.length, 4);
      assert.equal(tf.memory().numTensors, before);
    } finally {
      await model.dispose();
    }
  });
});
