/**
 * Ablations against independent computations: zero-ablating a head equals the forward pass with
 * that head's rows of W_O zeroed (weights modified in the test, no hooks); mean ablation equals a
 * hook that writes a mean of hook_z computed here by hand; attention/MLP layer ablations and
 * resampling equal hand-made replacements; bad input gives clear errors.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import type { Intervention } from '../../src/protocol/engine';
import { initBackend } from '../../src/engine/backend';
import { EngineError } from '../../src/engine/errors';
import { ablate, ablationHooks, parseIntervention, singleToken } from '../../src/engine/interventions';
import { forward } from '../../src/engine/model/forward';
import { HOOK } from '../../src/engine/model/hooks';
import { TransformerModel } from '../../src/engine/model/model';
import type { DeviceWeights } from '../../src/engine/model/weights';
import { maxAbsDiff, modelDir, readReference } from './helpers/fixtures';

async function logitsOf(result: { logits?: tf.Tensor3D; dispose(): void }): Promise<number[][]> {
  try {
    return (await result.logits!.array())[0]!;
  } finally {
    result.dispose();
  }
}

for (const name of ['gpt2', 'llama'] as const) {
  describe(`ablations on ${name}`, () => {
    let model: TransformerModel;
    const tokens = readReference(name).cases[0]!.tokens;
    before(async () => {
      await initBackend('wasm');
      model = await TransformerModel.load(modelDir(name));
    });
    after(() => model.dispose());

    it("zero-ablating a head equals running with that head's W_O rows zeroed", async () => {
      const { nLayers, nHeads, dHead } = model.spec;
      for (const [layer, head] of [[0, 1], [nLayers - 1, nHeads - 1]] as const) {
        const w = model.weights;
        const wO = w.blocks[layer]!.attn.wO; // [n_heads·d_head, d_model]
        const rows = (await wO.array()) as number[][];
        const zeroed = tf.tensor2d(rows.map((row, r) => (Math.floor(r / dHead) === head ? row.map(() => 0) : row)));
        const modified: DeviceWeights = {
          ...w,
          blocks: w.blocks.map((b, l) => (l === layer ? { ...b, attn: { ...b.attn, wO: zeroed } } : b)),
        };
        const expected = await logitsOf(await forward(model.spec, modified, [tokens]));
        zeroed.dispose();
        const ablation = await ablationHooks(model, [{ kind: 'head', layer, head, method: 'zero' }], { tokens });
        const actual = await logitsOf(await model.runWithHooks(tokens, ablation.hooks));
        ablation.dispose();
        assert.ok(maxAbsDiff(actual, expected) <= 1e-5, `head ${layer}.${head}: differs by ${maxAbsDiff(actual, expected)}`);
        const plain = await logitsOf(await model.run(tokens));
        assert.ok(maxAbsDiff(actual, plain) > 1e-4, 'the ablation changes the logits');
      }
    });

    it('mean ablation writes the mean of hook_z over the positions, computed by hand', async () => {
      const layer = 1;
      const head = 2;
      const cached = await model.runWithCache(tokens, [HOOK.z(layer)]);
      const z = ((await cached.cache.get(HOOK.z(layer))!.array()) as number[][][][])[0]!; // [pos][head][d_head]
      cached.dispose();
      const dHead = model.spec.dHead;
      const mean = Array.from({ length: dHead }, (_, d) => z.reduce((sum, position) => sum + position[head]![d]!, 0) / z.length);
      const replaced = z.map((position) => position.map((values, h) => (h === head ? mean : values)));
      const constant = tf.tensor4d([replaced]);
      const expected = await logitsOf(await model.runWithHooks(tokens, { [HOOK.z(layer)]: () => tf.clone(constant) }));
      constant.dispose();

      const ablation = await ablationHooks(model, [{ kind: 'head', layer, head, method: 'mean' }], { tokens });
      const actual = await logitsOf(await model.runWithHooks(tokens, ablation.hooks));
      ablation.dispose();
      assert.ok(maxAbsDiff(actual, expected) <= 1e-5, `differs by ${maxAbsDiff(actual, expected)}`);
    });

    it('mean over a reference prompt, MLP and attention layers, and resampling equal hand-made replacements', async () => {
      const reference = tokens.slice(0, 5).map((id) => (id * 3 + 1) % model.spec.dVocab);
      const corrupted = tokens.map((id) => (id * 7 + 3) % model.spec.dVocab);
      const refRun = await model.runWithCache(reference, [HOOK.mlpOut(0)]);
      const refMlp = ((await refRun.cache.get(HOOK.mlpOut(0))!.array()) as number[][][])[0]!; // [pos][d_model]
      refRun.dispose();
      const mlpMean = refMlp[0]!.map((_, d) => refMlp.reduce((s, row) => s + row[d]!, 0) / refMlp.length);
      const corrRun = await model.runWithCache(corrupted, [HOOK.attnOut(1)]);
      const corrAttn = tf.clone(corrRun.cache.get(HOOK.attnOut(1))!);
      corrRun.dispose();
      const mlpConstant = tf.tensor3d([tokens.map(() => mlpMean)]);
      const expected = await logitsOf(
        await model.runWithHooks(tokens, {
          [HOOK.mlpOut(0)]: () => tf.clone(mlpConstant),
          [HOOK.attnOut(1)]: () => tf.clone(corrAttn),
          [HOOK.attnOut(0)]: (a) => tf.zerosLike(a),
        }),
      );
      mlpConstant.dispose();
      corrAttn.dispose();
      const interventions: Intervention[] = [
        { kind: 'mlp', layer: 0, method: 'mean' },
        { kind: 'attn', layer: 1, method: 'resample' },
        { kind: 'attn', layer: 0, method: 'zero' },
      ];
      const ablation = await ablationHooks(model, interventions, { tokens, reference, corrupted });
      const actual = await logitsOf(await model.runWithHooks(tokens, ablation.hooks));
      ablation.dispose();
      assert.ok(maxAbsDiff(actual, expected) <= 1e-5, `differs by ${maxAbsDiff(actual, expected)}`);
    });

    it('ablate() reports metric, loss and top-10 before and after, and leaks nothing', async () => {
      const start = tf.memory().numTensors;
      const target = tokens[tokens.length - 1]!;
      const result = await ablate(model, { tokens, interventions: [{ kind: 'head', layer: 0, head: 0, method: 'zero' }], metric: { kind: 'logit', target } });
      assert.equal(tf.memory().numTensors, start);
      const plain = await logitsOf(await model.run(tokens));
      assert.ok(Math.abs(result.metricBefore - plain[plain.length - 1]![target]!) <= 1e-5);
      assert.notEqual(result.metricAfter, result.metricBefore);
      assert.equal(result.topBefore.ids.length, 10);
      assert.equal(result.topAfter.ids.length, 10);
      const loss = await ablate(model, { tokens, interventions: [{ kind: 'mlp', layer: 0, method: 'zero' }], metric: { kind: 'loss' } });
      assert.equal(loss.metricBefore, loss.lossBefore);
      assert.equal(loss.metricAfter, loss.lossAfter);
      assert.ok(Math.abs(loss.lossBefore! - readReference(name).cases[0]!.loss) <= 1e-4);
    });

    it('bad input: unknown head or layer, resample without or with a differently long corrupted prompt', async () => {
      const metric = { kind: 'loss' } as const;
      const { nLayers, nHeads } = model.spec;
      await assert.rejects(
        ablate(model, { tokens, interventions: [{ kind: 'head', layer: 0, head: nHeads, method: 'zero' }], metric }),
        (e: EngineError) => e.code === 'BAD_ARGUMENT' && e.message.includes(`head 0.${nHeads} does not exist`) && e.message.includes(`${nHeads} heads`),
      );
      await assert.rejects(
        ablate(model, { tokens, interventions: [{ kind: 'mlp', layer: nLayers, method: 'zero' }], metric }),
        (e: EngineError) => e.code === 'BAD_ARGUMENT' && /MLP layer \d+ does not exist/.test(e.message),
      );
      await assert.rejects(
        ablate(model, { tokens, interventions: [{ kind: 'head', layer: 0, head: 0, method: 'resample' }], metric }),
        (e: EngineError) => e.code === 'BAD_ARGUMENT' && /corrupted prompt/.test(e.message),
      );
      await assert.rejects(
        ablate(model, { tokens, corrupted: tokens.slice(1), interventions: [{ kind: 'head', layer: 0, head: 0, method: 'resample' }], metric }),
        (e: EngineError) => e.code === 'BAD_PROMPT' && e.message.includes(`${tokens.length} tokens`) && e.message.includes(`${tokens.length - 1}`),
      );
      await assert.rejects(
        ablate(model, { tokens, interventions: [], metric: { kind: 'logit', target: 100000 } }),
        (e: EngineError) => e.code === 'BAD_ARGUMENT' && /vocabulary/.test(e.message),
      );
    });
  });
}

describe('parsing interventions and single tokens', () => {
  it('reads L.H[:method] and L[:method]', () => {
    assert.deepEqual(parseIntervention('1.3', 'head'), { kind: 'head', layer: 1, head: 3, method: 'zero' });
    assert.deepEqual(parseIntervention('0.2:mean', 'head'), { kind: 'head', layer: 0, head: 2, method: 'mean' });
    assert.deepEqual(parseIntervention('1:resample', 'mlp'), { kind: 'mlp', layer: 1, method: 'resample' });
    assert.throws(() => parseIntervention('1', 'head'), (e: EngineError) => e.code === 'BAD_ARGUMENT' && /L\.H/.test(e.message));
    assert.throws(() => parseIntervention('1.2:median', 'head'), (e: EngineError) => e.code === 'BAD_ARGUMENT' && /median/.test(e.message));
  });

  it('a target the tokenizer splits is an error naming the pieces', async () => {
    await initBackend('wasm');
    const model = await TransformerModel.load(modelDir('gpt2'));
    try {
      const text = 'hello world';
      const pieces = model.tokenizer!.encode(text, { addSpecialTokens: false }).ids;
      assert.ok(pieces.length > 1, 'fixture tokenizer splits the text');
      assert.throws(() => singleToken(model, text), (e: EngineError) => e.code === 'BAD_ARGUMENT' && e.message.includes(`splits it into ${pieces.length}`) && e.message.includes('"hello world"'));
      assert.equal(singleToken(model, 7), 7);
      const one = model.tokenizer!.tokenString(pieces[0]!);
      assert.equal(singleToken(model, model.tokenizer!.decode([pieces[0]!])), pieces[0]);
      assert.ok(one.length > 0);
    } finally {
      await model.dispose();
    }
  });
});
