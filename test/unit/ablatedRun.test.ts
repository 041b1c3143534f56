/**
 * The engine's 'run' and 'attribution' requests under interventions: a zero-ablated head's hook_z
 * slice is zero, and the run's logits, losses, patterns and predictions (and the attribution) are
 * those of an independent forward pass with a hand-written zeroing hook — the same run the
 * 'ablate' request reports as topAfter.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { ablationHooks } from '../../src/engine/interventions';
import { HOOK, type HookFn } from '../../src/engine/model/hooks';
import { TransformerModel } from '../../src/engine/model/model';
import { EngineService } from '../../src/engine/service';
import type { AblationResult, Attribution, Intervention, RunResult } from '../../src/protocol/engine';
import { maxAbsDiff, modelDir, readReference } from './helpers/fixtures';

const signal = new AbortController().signal;
const noProgress = () => undefined;
const TOL = 1e-5;

describe('runs and attribution under ablations (gpt2 fixture)', () => {
  const service = new EngineService();
  let model: TransformerModel;
  let id = 1;
  const ask = <T>(request: Record<string, unknown>) => service.handle({ ...request, id: id++ } as never, signal, noProgress) as Promise<T>;
  const tokens = readReference('gpt2').cases[0]!.tokens;
  const layer = 0;
  const head = 1;
  const interventions: Intervention[] = [{ kind: 'head', layer, head, method: 'zero' }];

  /** Zeroes `head` of hook_z [batch, pos, head, d_head], written here independently of the engine's hooks. */
  function zeroHead(nHeads: number): HookFn {
    return (z) =>
      tf.tidy(() => {
        const parts = tf.split(z, nHeads, 2);
        return tf.concat(parts.map((p, h) => (h === head ? tf.zerosLike(p) : p)), 2);
      });
  }

  before(async () => {
    await ask({ type: 'init', backend: 'wasm' });
    await ask({ type: 'load', path: modelDir('gpt2') });
    model = await TransformerModel.load(modelDir('gpt2'));
  });
  after(async () => {
    await service.dispose();
    await model.dispose();
  });

  it("the ablation hooks zero the head's hook_z slice and leave the other heads", async () => {
    const { nHeads } = model.spec;
    const ablation = await ablationHooks(model, interventions, { tokens });
    const hooked = await model.run(tokens, { cache: [HOOK.z(layer)], hooks: ablation.hooks, logits: 'none', loss: false });
    const clean = await model.runWithCache(tokens, [HOOK.z(layer)], { logits: 'none', loss: false });
    try {
      const z = (await hooked.cache.get(HOOK.z(layer))!.array()) as number[][][][];
      const c = (await clean.cache.get(HOOK.z(layer))!.array()) as number[][][][];
      for (let p = 0; p < tokens.length; p++) {
        for (let h = 0; h < nHeads; h++) {
          if (h === head) assert.ok(z[0]![p]![h]!.every((v) => v === 0), `position ${p}: head ${layer}.${head} is zero`);
          else assert.deepEqual(z[0]![p]![h], c[0]![p]![h]);
        }
      }
    } finally {
      hooked.dispose();
      clean.dispose();
      ablation.dispose();
    }
  });

  it("a 'run' with the head zero-ablated equals a forward pass with a hand-written zeroing hook, and the 'ablate' request's topAfter", async () => {
    const { nLayers, nHeads } = model.spec;
    const patternNames = Array.from({ length: nLayers }, (_, l) => HOOK.pattern(l));
    const expected = await model.run(tokens, { cache: patternNames, hooks: new Map([[HOOK.z(layer), zeroHead(nHeads)]]), logits: 'all' });
    const logits = (await expected.logits!.array())[0]!;
    const losses = Array.from(await expected.loss!.data());
    const patterns = await Promise.all(patternNames.map(async (n) => Array.from(await expected.cache.get(n)!.data())));
    expected.dispose();

    const run = await ask<RunResult>({ type: 'run', tokens, patterns: true, interventions });
    const plain = await ask<RunResult>({ type: 'run', tokens, patterns: true });
    assert.ok(maxAbsDiff(run.lastLogits, logits[tokens.length - 1]!) <= TOL, `last logits differ by ${maxAbsDiff(run.lastLogits, logits[tokens.length - 1]!)}`);
    assert.ok(maxAbsDiff(run.lastLogits, plain.lastLogits) > 1e-4, 'the ablation changes the logits');
    assert.ok(maxAbsDiff(run.losses, losses) <= TOL, 'losses are those of the ablated run');
    for (let l = 0; l < nLayers; l++) assert.ok(maxAbsDiff(run.patterns![l]!, patterns[l]!) <= TOL, `layer ${l} patterns are the ablated run's`);
    if (nLayers > 1) assert.ok(maxAbsDiff(run.patterns![nLayers - 1]!, plain.patterns![nLayers - 1]!) > 1e-6, 'later patterns change');

    // The 'ablate' request's ablated run: same top predictions at the last position.
    const ablated = await ask<AblationResult>({ type: 'ablate', tokens, interventions, metric: { kind: 'loss' } });
    const k = run.predictions.k;
    const last = tokens.length - 1;
    const runTop = Array.from(run.predictions.ids.slice(last * k, last * k + k));
    const n = Math.min(k, ablated.topAfter.ids.length);
    assert.deepEqual(runTop.slice(0, n), Array.from(ablated.topAfter.ids.slice(0, n)));
    assert.ok(maxAbsDiff(run.predictions.probs.slice(last * k, last * k + n), ablated.topAfter.values.slice(0, n)) <= TOL);
    assert.ok(Math.abs(run.loss! - ablated.lossAfter!) <= TOL, 'loss equals the ablate request\'s lossAfter');
  });

  it("an 'attribution' under the ablation attributes the ablated run's logit", async () => {
    const { nHeads } = model.spec;
    const position = tokens.length - 1;
    const expected = await model.runWithHooks(tokens, new Map([[HOOK.z(layer), zeroHead(nHeads)]]), { logits: 'all' });
    const row = (await expected.logits!.array())[0]![position]!;
    expected.dispose();
    const target = row.indexOf(Math.max(...row));
    const mean = row.reduce((a, b) => a + b, 0) / row.length;
    const attr = await ask<Attribution>({ type: 'attribution', tokens, position, target, interventions });
    const plainAttr = await ask<Attribution>({ type: 'attribution', tokens, position, target });
    assert.ok(Math.abs(attr.logit! - (row[target]! - mean)) <= 1e-4, `attributed logit ${attr.logit} vs ${row[target]! - mean}`);
    assert.ok(Math.abs(attr.logit! - plainAttr.logit!) > 1e-5, 'the ablation changes the attributed logit');
    const sum = attr.embed + attr.attn.reduce((a, b) => a + b, 0) + attr.mlp.reduce((a, b) => a + b, 0) + attr.unembedBias!;
    assert.ok(Math.abs(sum - attr.logit!) <= 1e-4, 'the decomposition still sums to the logit');
  });

  it('an ablated attention layer gets no per-head split: its heads read 0 and the layer sum stays whole', async () => {
    const { nHeads } = model.spec;
    const position = tokens.length - 1;
    const attr = await ask<Attribution>({ type: 'attribution', tokens, position, interventions: [{ kind: 'attn', layer: 0, method: 'mean' }] });
    assert.ok(Array.from(attr.heads.slice(0, nHeads)).every((v) => v === 0), 'layer 0 heads read 0');
    assert.ok(Math.abs(attr.attnBias![0]! - attr.attn[0]!) <= 1e-6, 'layer 0 is reported whole');
    const layer1 = Array.from(attr.heads.slice(nHeads, 2 * nHeads)).reduce((a, b) => a + b, 0) + attr.attnBias![1]!;
    assert.ok(Math.abs(layer1 - attr.attn[1]!) <= 1e-4, 'layer 1 still splits into its heads');
  });
});
