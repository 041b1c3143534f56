/**
 * Activation patching sweeps against what must hold exactly and against a hand-made patch:
 * patching the last layer's resid_pre at the last position restores the clean metric (1), patching
 * the position where the prompts differ at layer 0 restores it too, positions before the first
 * difference restore nothing (0), each batched grid entry equals a single hand-patched run, and
 * bad input gives clear errors. Progress is reported and cancellation stops the sweep.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import type { Metric, PatchComponent } from '../../src/protocol/engine';
import { initBackend } from '../../src/engine/backend';
import { EngineError } from '../../src/engine/errors';
import { metricValues, patchSweep } from '../../src/engine/interventions';
import { HOOK } from '../../src/engine/model/hooks';
import { TransformerModel } from '../../src/engine/model/model';
import { EngineService } from '../../src/engine/service';
import { modelDir, readReference } from './helpers/fixtures';

for (const name of ['gpt2', 'pythia'] as const) {
  describe(`activation patching on ${name}`, () => {
    let model: TransformerModel;
    const clean = readReference(name).cases[0]!.tokens.slice(0, 8);
    const differ = 3; // the one position where corrupted differs
    const corrupted = clean.map((id, p) => (p === differ ? (id + 17) % 100 : id));
    let metric: Metric;
    before(async () => {
      await initBackend('wasm');
      model = await TransformerModel.load(modelDir(name));
      const run = await model.run(clean, { logits: 'last', loss: false });
      const last = (await run.logits!.array())[0]![0]!;
      run.dispose();
      const order = last.map((v, i) => [v, i] as const).sort((a, b) => b[0] - a[0]);
      metric = { kind: 'logitDiff', target: order[0]![1], distractor: order[5]![1] };
    });
    after(() => model.dispose());

    it('patching the full residual stream at the last layer restores the clean metric exactly', async () => {
      const L = model.spec.nLayers;
      const cleanRun = await model.runWithCache(clean, [HOOK.residPre(L - 1)]);
      const source = cleanRun.cache.get(HOOK.residPre(L - 1))!;
      const patched = await model.runWithHooks(corrupted, { [HOOK.residPre(L - 1)]: () => tf.clone(source) }, { logits: 'last', loss: false });
      const cleanMetric = (await metricValues(cleanRun, metric))[0]!;
      const patchedMetric = (await metricValues(patched, metric))[0]!;
      cleanRun.dispose();
      patched.dispose();
      assert.equal(patchedMetric, cleanMetric);
    });

    it('resid: patching the corrupted position at layer 0 restores the clean metric, untouched positions restore nothing', async () => {
      const start = tf.memory().numTensors;
      const result = await patchSweep(model, { clean, corrupted, component: 'resid', metric }, { maxBatch: 5 });
      assert.equal(tf.memory().numTensors, start, 'no leaked tensors');
      const L = model.spec.nLayers;
      const P = clean.length;
      assert.equal(result.rows, L);
      assert.equal(result.cols, P);
      assert.ok(Math.abs(result.cleanMetric - result.corruptedMetric) > 1e-3, 'the corruption changes the metric');
      const at = (l: number, p: number) => result.values[l * P + p]!;
      // Patching the last layer's resid_pre at the last position alone does not restore everything
      // (that layer's attention still reads corrupted keys and values at earlier positions).
      assert.ok(Number.isFinite(at(L - 1, P - 1)));
      assert.ok(Math.abs(at(0, differ) - 1) <= 1e-4, `layer 0 at the corrupted position: ${at(0, differ)}`);
      for (let l = 0; l < L; l++) {
        for (let p = 0; p < differ; p++) assert.ok(Math.abs(at(l, p)) <= 1e-4, `L${l} pos ${p} patches identical activations: ${at(l, p)}`);
      }
      // Layer 0, positions after the corrupted one: the residual there is identical too.
      for (let p = differ + 1; p < P - 1; p++) assert.ok(Math.abs(at(0, p)) <= 1e-4);
      assert.equal(result.labels.rows.length, L);
      assert.equal(result.labels.cols.length, P);
    });

    for (const component of ['attn', 'heads'] as PatchComponent[]) {
      it(`${component}: each grid entry equals one hand-patched run`, async () => {
        const progress: number[] = [];
        const result = await patchSweep(model, { clean, corrupted, component, metric }, { maxBatch: 3, onProgress: (p) => progress.push(p.fraction) });
        assert.equal(progress.at(-1), 1);
        assert.ok(progress.length >= Math.ceil((result.rows * result.cols) / 3));
        const layer = model.spec.nLayers - 1;
        const col = component === 'heads' ? 1 : differ + 1;
        const hook = component === 'heads' ? HOOK.z(layer) : HOOK.attnOut(layer);
        const cleanRun = await model.runWithCache(clean, [hook]);
        const source = (await cleanRun.cache.get(hook)!.array()) as number[][][] | number[][][][];
        cleanRun.dispose();
        const patched = await model.runWithHooks(corrupted, {
          [hook]: (a) => {
            const values = a.arraySync() as unknown[][][];
            if (component === 'heads') {
              values[0]!.forEach((position, p) => ((position as number[][])[col] = (source as number[][][][])[0]![p]![col]!));
            } else {
              values[0]![col] = (source as number[][][])[0]![col]!;
            }
            return tf.tensor(values as number[][][], a.shape);
          },
        }, { logits: 'last', loss: false });
        const expected = (await metricValues(patched, metric))[0]!;
        patched.dispose();
        const actual = result.raw[layer * result.cols + col]!;
        assert.ok(Math.abs(actual - expected) <= 1e-4, `${actual} vs ${expected}`);
        const normalized = (expected - result.corruptedMetric) / (result.cleanMetric - result.corruptedMetric);
        assert.ok(Math.abs(result.values[layer * result.cols + col]! - normalized) <= 1e-4);
      });
    }

    it('the loss metric and patching nothing different: 0 everywhere when clean = corrupted except NaN normalization', async () => {
      const result = await patchSweep(model, { clean, corrupted: clean, component: 'heads', metric: { kind: 'loss' } });
      assert.ok(result.raw.every((m) => Math.abs(m - result.cleanMetric) <= 1e-5));
      assert.ok(result.values.every((v) => Number.isNaN(v)), 'no restoration is defined when the prompts agree');
    });

    it('bad input and cancellation', async () => {
      await assert.rejects(
        patchSweep(model, { clean, corrupted: clean.slice(1), component: 'resid', metric }),
        (e: EngineError) => e.code === 'BAD_PROMPT' && e.message.includes(`${clean.length} tokens`) && e.message.includes(`${clean.length - 1}`),
      );
      await assert.rejects(
        patchSweep(model, { clean, corrupted, component: 'mlp' as PatchComponent, metric }),
        (e: EngineError) => e.code === 'BAD_ARGUMENT' && /resid, attn or heads/.test(e.message),
      );
      const start = tf.memory().numTensors;
      const controller = new AbortController();
      await assert.rejects(
        patchSweep(model, { clean, corrupted, component: 'resid', metric }, { maxBatch: 1, signal: controller.signal, onProgress: (p) => p.fraction > 0.2 && controller.abort() }),
        (e: EngineError) => e.code === 'CANCELLED',
      );
      assert.equal(tf.memory().numTensors, start, 'a cancelled sweep frees everything');
    });
  });
}

describe('engine service: ablate and patch requests', () => {
  it('answers ablate and patch, reports progress and honours cancellation', async () => {
    const service = new EngineService();
    const progress: number[] = [];
    let id = 1;
    const ask = <T>(request: Record<string, unknown>, signal = new AbortController().signal) =>
      service.handle({ ...request, id: id++ } as never, signal, (p) => progress.push(p.fraction)) as Promise<T>;
    try {
      await ask({ type: 'init', backend: 'wasm' });
      await ask({ type: 'load', path: modelDir('gpt2') });
      const tokens = readReference('gpt2').cases[0]!.tokens.slice(0, 6);
      const corrupted = tokens.map((t, p) => (p === 2 ? (t + 1) % 300 : t));
      const ablation = await ask<{ metricBefore: number; metricAfter: number; interventions: unknown[] }>({
        type: 'ablate', tokens, interventions: [{ kind: 'attn', layer: 1, method: 'resample' }], metric: { kind: 'loss' }, corrupted,
      });
      assert.equal(ablation.interventions.length, 1);
      assert.notEqual(ablation.metricAfter, ablation.metricBefore);
      progress.length = 0;
      const grid = await ask<{ rows: number; cols: number; values: Float32Array }>({ type: 'patch', clean: tokens, corrupted, component: 'heads', metric: { kind: 'prob', target: 3 } });
      assert.equal(grid.values.length, grid.rows * grid.cols);
      assert.equal(progress.at(-1), 1);
      const controller = new AbortController();
      controller.abort();
      await assert.rejects(ask({ type: 'patch', clean: tokens, corrupted, component: 'resid', metric: { kind: 'loss' } }, controller.signal), (e: EngineError) => e.code === 'CANCELLED');
    } finally {
      await service.dispose();
    }
  });
});
