/**
 * The engine's request handling (what the engine process answers), in-process: tensor table and
 * statistics, runs with predictions and per-token loss, limits, and a failed load that keeps the
 * previous model.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { tensorStats } from '../../src/engine/analysis/tensorStats';
import { EngineService } from '../../src/engine/service';
import type { RunResult, TensorRow, TensorStats } from '../../src/protocol/engine';
import { modelDir, readReference } from './helpers/fixtures';

const signal = new AbortController().signal;
const noProgress = () => undefined;

describe('engine service', () => {
  const service = new EngineService();
  let id = 1;
  const ask = <T>(request: Record<string, unknown>) => service.handle({ ...request, id: id++ } as never, signal, noProgress) as Promise<T>;

  before(async () => {
    await ask({ type: 'init', backend: 'wasm' });
    await ask({ type: 'load', path: modelDir('gpt2') });
  });
  after(() => service.dispose());

  it('lists the checkpoint tensors with their sizes', async () => {
    const rows = await ask<TensorRow[]>({ type: 'tensors' });
    const wte = rows.find((r) => r.name === 'transformer.wte.weight')!;
    assert.deepEqual(wte, { name: 'transformer.wte.weight', shape: [300, 32], dtype: 'F32', bytes: 300 * 32 * 4 });
  });

  it('computes statistics of a stored tensor', async () => {
    const stats = await ask<TensorStats>({ type: 'tensorStats', name: 'transformer.ln_f.weight' });
    assert.equal(stats.count, 32);
    assert.equal(stats.nanCount, 0);
    await assert.rejects(ask({ type: 'tensorStats', name: 'nope' }), /nope/);
  });

  it('runs a prompt: predictions are the softmax top-k of transformers\' logits, losses per token', async () => {
    const reference = readReference('gpt2').cases.find((c) => c.text !== undefined)!;
    const result = await ask<RunResult>({ type: 'run', prompt: reference.text, patterns: true, topK: 3 });
    assert.deepEqual(result.tokens, reference.tokens);
    const n = reference.tokens.length;
    assert.equal(result.patterns!.length, 2);
    assert.equal(result.patterns![0]!.length, 4 * n * n);
    assert.equal(result.losses.length, n - 1);
    for (const position of [0, n - 1]) {
      const logits = reference.logits[position]!;
      const max = Math.max(...logits);
      const z = logits.reduce((sum, l) => sum + Math.exp(l - max), 0);
      const expected = logits.map((l, idx) => ({ idx, p: Math.exp(l - max) / z })).sort((a, b) => b.p - a.p).slice(0, 3);
      const ids = Array.from(result.predictions.ids.slice(position * 3, position * 3 + 3));
      assert.deepEqual(ids, expected.map((e) => e.idx));
      expected.forEach((e, j) => assert.ok(Math.abs(result.predictions.probs[position * 3 + j]! - e.p) < 1e-5));
    }
    // Per-token loss: −log softmax(logits[p])[token p+1], from the reference logits.
    const p = 5;
    const logits = reference.logits[p]!;
    const max = Math.max(...logits);
    const logZ = max + Math.log(logits.reduce((sum, l) => sum + Math.exp(l - max), 0));
    assert.ok(Math.abs(result.losses[p]! - (logZ - logits[reference.tokens[p + 1]!]!)) < 1e-4);
    assert.ok(Math.abs(result.loss! - reference.loss) < 1e-4);
  });

  it('refuses prompts over maxTokens, naming the limit', async () => {
    await assert.rejects(ask({ type: 'run', tokens: [1, 2, 3, 4, 5], patterns: false, maxTokens: 4 }), /5 tokens, over the limit of 4/);
  });

  it('keeps the previous model when a load fails', async () => {
    await assert.rejects(ask({ type: 'load', path: modelDir('gpt2') + '/missing.safetensors' }));
    const info = await ask<{ architecture: string }>({ type: 'info' });
    assert.equal(info.architecture, 'gpt2');
  });
});

describe('tensor statistics', () => {
  it('moments over finite values; NaN and Inf counted apart', () => {
    const stats = tensorStats(Float32Array.from([1, 2, 3, NaN, Infinity, -Infinity]));
    assert.equal(stats.count, 3);
    assert.equal(stats.mean, 2);
    assert.ok(Math.abs(stats.std - Math.sqrt(2 / 3)) < 1e-12);
    assert.deepEqual([stats.min, stats.max, stats.absMax, stats.nanCount, stats.infCount], [1, 3, 3, 1, 2]);
    assert.ok(Number.isNaN(tensorStats(Float32Array.from([NaN])).mean));
  });
});
