/**
 * Hooks and caches: TransformerLens-style capture and replacement, checked against transformers
 * (a head ablated through hook_z vs. the same ablation done in PyTorch), plus tensor hygiene:
 * no leaks across runs, after errors, or after cancellation.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/engine/backend';
import { EngineError } from '../../src/engine/errors';
import { HOOK, hookNames } from '../../src/engine/model/hooks';
import { TransformerModel } from '../../src/engine/model/model';
import { maxAbsDiff, modelDir, readReference } from './helpers/fixtures';

/** Zeroes one head's slice of hook_z. [batch, pos, head, d_head] */
function zeroHead(head: number) {
  return (z: tf.Tensor) => {
    const nHeads = z.shape[2]!;
    const keep = tf.tensor4d(Array.from({ length: nHeads }, (_, h) => (h === head ? 0 : 1)), [1, 1, nHeads, 1]);
    return tf.mul(z, keep);
  };
}

for (const name of ['gpt2', 'llama', 'pythia'] as const) {
  describe(`hooks on ${name}`, () => {
    let model: TransformerModel;
    const reference = readReference(name);
    const testCase = reference.cases[0]!;
    before(async () => {
      await initBackend('wasm');
      model = await TransformerModel.load(modelDir(name));
    });
    after(() => model.dispose());

    it('caches exactly the requested activations, with TransformerLens shapes', async () => {
      const s = model.spec;
      const pos = testCase.tokens.length;
      const result = await model.runWithCache(testCase.tokens, [HOOK.pattern(0), HOOK.z(1), HOOK.k(0), HOOK.mlpPost(1), HOOK.residPost(1)]);
      try {
        assert.deepEqual([...result.cache.keys()].sort(), [HOOK.k(0), HOOK.mlpPost(1), HOOK.pattern(0), HOOK.residPost(1), HOOK.z(1)].sort());
        assert.deepEqual(result.cache.get(HOOK.pattern(0))!.shape, [1, s.nHeads, pos, pos]);
        assert.deepEqual(result.cache.get(HOOK.z(1))!.shape, [1, pos, s.nHeads, s.dHead]);
        assert.deepEqual(result.cache.get(HOOK.k(0))!.shape, [1, pos, s.nKvHeads, s.dHead]);
        assert.deepEqual(result.cache.get(HOOK.mlpPost(1))!.shape, [1, pos, s.dMlp]);
        assert.deepEqual(result.cache.get(HOOK.residPost(1))!.shape, [1, pos, s.dModel]);
      } finally {
        result.dispose();
      }
    });

    it('a hook that zeroes one head of hook_z matches the same ablation in transformers', async (t) => {
      const ablation = (testCase as { ablation?: { layer: number; head: number; logits: number[][]; loss: number } }).ablation;
      if (!ablation) return t.skip('fixture has no ablation reference');
      const result = await model.runWithHooks(testCase.tokens, { [HOOK.z(ablation.layer)]: zeroHead(ablation.head) }, { cache: [HOOK.z(ablation.layer)] });
      try {
        const logits = (await result.logits!.array())[0]!;
        assert.ok(maxAbsDiff(logits, ablation.logits) <= 1e-4, `ablated logits differ by ${maxAbsDiff(logits, ablation.logits)}`);
        assert.ok(maxAbsDiff(logits, testCase.logits) > 1e-3, 'ablation should change the logits');
        // The cache sees the replaced activation.
        const z = (await result.cache.get(HOOK.z(ablation.layer))!.array()) as number[][][][];
        assert.ok(z[0]!.every((position) => position[ablation.head]!.every((value) => value === 0)));
        const loss = (await tf.mean(result.loss!).data())[0]!;
        assert.ok(Math.abs(loss - ablation.loss) <= 1e-4);
      } finally {
        result.dispose();
      }
    });

    it('an identity hook on every hook point leaves the logits unchanged', async () => {
      const seen: string[] = [];
      const identity = (x: tf.Tensor, hookName: string) => {
        seen.push(hookName);
        return x;
      };
      const hooks = new Map(hookNames(model.spec).map((hookName) => [hookName, identity] as const));
      const result = await model.runWithHooks(testCase.tokens, hooks);
      try {
        assert.deepEqual(seen, hookNames(model.spec), 'every hook point is visited once, in forward order');
        assert.ok(maxAbsDiff((await result.logits!.array())[0]!, testCase.logits) <= 1e-4);
      } finally {
        result.dispose();
      }
    });

    it('a batch gives the same results as its sequences run one by one', async () => {
      const other = testCase.tokens.map((id) => (id * 7 + 3) % model.spec.dVocab);
      const batch = await model.run([testCase.tokens, other]);
      const single = await model.run(other);
      try {
        const batchLogits = (await batch.logits!.array()) as number[][][];
        assert.ok(maxAbsDiff(batchLogits[0]!, testCase.logits) <= 1e-4);
        assert.ok(maxAbsDiff(batchLogits[1]!, (await single.logits!.array())[0]!) <= 1e-5);
        assert.deepEqual(batch.loss!.shape, [2, testCase.tokens.length - 1]);
      } finally {
        batch.dispose();
        single.dispose();
      }
    });

    it('returns only the last position when asked, without the loss', async () => {
      const result = await model.run(testCase.tokens, { logits: 'last', loss: false });
      try {
        assert.equal(result.loss, undefined);
        assert.deepEqual(result.logits!.shape, [1, 1, model.spec.dVocab]);
        const last = (await result.logits!.array())[0]![0]!;
        assert.ok(maxAbsDiff(last, testCase.logits[testCase.logits.length - 1]!) <= 1e-4);
      } finally {
        result.dispose();
      }
    });

    it('without logits or loss, runs only the blocks up to the last one a hook reads', async () => {
      const kernels = async (layer: number) => {
        let pattern: number[] = [];
        const profile = await tf.profile(async () => {
          const result = await model.runWithCache(testCase.tokens, [HOOK.pattern(layer)], { logits: 'none', loss: false });
          pattern = Array.from(await result.cache.get(HOOK.pattern(layer))!.data());
          result.dispose();
        });
        return { count: profile.kernels.length, pattern };
      };
      const first = await kernels(0);
      const last = await kernels(model.spec.nLayers - 1);
      // Block 0 alone is a fraction of every block plus nothing after them.
      assert.ok(first.count < last.count / 1.5, `${first.count} kernels for layer 0 vs ${last.count} for the last layer`);
      assert.ok(maxAbsDiff(first.pattern, testCase.attentions[0]!.flat(2)) <= 1e-5);
      const full = await model.runWithCache(testCase.tokens, [HOOK.pattern(0)]);
      try {
        assert.deepEqual(first.pattern, Array.from(await full.cache.get(HOOK.pattern(0))!.data()));
      } finally {
        full.dispose();
      }
    });

    it('rejects unknown hook names and hooks that change the shape', async () => {
      await assert.rejects(model.runWithCache(testCase.tokens, ['blocks.0.attn.hook_nonsense']), (e: EngineError) => e.code === 'BAD_ARGUMENT' && /hook_nonsense/.test(e.message));
      await assert.rejects(
        model.runWithHooks(testCase.tokens, { [HOOK.z(0)]: (z) => tf.slice(z, [0, 0, 0, 0], [-1, -1, 1, -1]) }),
        (e: EngineError) => e.code === 'BAD_ARGUMENT' && /returned shape/.test(e.message),
      );
    });

    it('leaks no tensors: across runs, after a failing hook, after cancellation', async () => {
      const before = tf.memory().numTensors;
      const result = await model.runWithCache(testCase.tokens, hookNames(model.spec));
      assert.ok(tf.memory().numTensors > before);
      result.dispose();
      assert.equal(tf.memory().numTensors, before, 'a disposed result frees everything');

      await assert.rejects(
        model.runWithHooks(testCase.tokens, { [HOOK.mlpOut(1)]: () => { throw new Error('hook failed'); } }, { cache: hookNames(model.spec) }),
        /hook failed/,
      );
      assert.equal(tf.memory().numTensors, before, 'a failed run frees everything');

      const controller = new AbortController();
      controller.abort();
      await assert.rejects(model.run(testCase.tokens, { signal: controller.signal, cache: [HOOK.residPre(0)] }), (e: EngineError) => e.code === 'CANCELLED');
      assert.equal(tf.memory().numTensors, before, 'a cancelled run frees everything');
    });
  });
}
