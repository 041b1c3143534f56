/**
 * Head detectors against TransformerLens's detect_head (test/fixtures/circuits/
 * generate_detectors.py runs it on the very token batch our seeded generator makes), the
 * detection patterns themselves, the engine service's `heads` request and the `heads` CLI.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { duplicateTokenPattern, headScores, inductionPattern, previousTokenPattern } from '../../src/engine/analysis/detectors';
import { defaultRandomRepeats, mulberry32, randomRepeatedTokens } from '../../src/engine/analysis/randomRepeats';
import { allHeadSpectra, headSpectrum } from '../../src/engine/analysis/spectrum';
import { initBackend } from '../../src/engine/backend';
import type { EngineError } from '../../src/engine/errors';
import { TransformerModel } from '../../src/engine/model/model';
import { EngineService } from '../../src/engine/service';
import type { HeadScores } from '../../src/protocol/engine';
import { FIXTURES_DIR, modelDir } from './helpers/fixtures';
import { SKIP_WITHOUT_CLI, cli } from './helpers/cli';

type Table = number[][];
interface GoldenScores {
  readonly previous_token: Table;
  readonly duplicate_token: Table;
  readonly induction: Table;
  readonly sink: Table;
}
interface Golden {
  readonly random: { length: number; batch: number; seed: number; bos: number | null; specials: number[]; tokens: number[][] };
  readonly detectors: { random: GoldenScores; prompt: GoldenScores & { tokens: number[] } };
}

function readGolden(name: string): Golden {
  return JSON.parse(readFileSync(path.join(FIXTURES_DIR, 'circuits', `${name}-detectors.json`), 'utf8')) as Golden;
}

function maxError(actual: ArrayLike<number>, expected: Table): number {
  const flat = expected.flat();
  assert.equal(actual.length, flat.length, 'size');
  let worst = 0;
  for (let i = 0; i < flat.length; i++) {
    const error = Math.abs(actual[i]! - flat[i]!);
    if (!(error <= worst)) worst = Number.isNaN(error) ? Infinity : error;
  }
  return worst;
}

function assertScores(scores: HeadScores, expected: GoldenScores): void {
  const errors = {
    previousToken: maxError(scores.previousToken, expected.previous_token),
    duplicateToken: maxError(scores.duplicateToken, expected.duplicate_token),
    induction: maxError(scores.induction, expected.induction),
    sink: maxError(scores.sink, expected.sink),
  };
  for (const [what, error] of Object.entries(errors)) assert.ok(error <= TOLERANCE, `${what} differs from TransformerLens by ${error}`);
}

const TOLERANCE = 1e-4;

describe('detection patterns, as TransformerLens builds them', () => {
  const square = (p: Float32Array, n: number) => Array.from({ length: n }, (_, i) => Array.from(p.subarray(i * n, i * n + n)));

  it('previous token: the first sub-diagonal', () => {
    assert.deepEqual(square(previousTokenPattern(3), 3), [[0, 0, 0], [1, 0, 0], [0, 1, 0]]);
  });

  it('duplicate token: earlier equal tokens, never the token itself', () => {
    assert.deepEqual(square(duplicateTokenPattern([7, 8, 7, 7]), 4), [[0, 0, 0, 0], [0, 0, 0, 0], [1, 0, 0, 0], [1, 0, 1, 0]]);
  });

  it('induction: the key after each earlier occurrence (including the current position after a repeat)', () => {
    // tokens a b a a: query 2 (a) → key 1 (after a@0); query 3 (a) → keys 1 and 3 (after a@0, a@2).
    assert.deepEqual(square(inductionPattern([7, 8, 7, 7]), 4), [[0, 0, 0, 0], [0, 0, 0, 0], [0, 1, 0, 0], [0, 1, 0, 1]]);
  });
});

describe('repeated random tokens', () => {
  before(() => initBackend('wasm'));

  it('mulberry32 gives the reference sequence', () => {
    const next = mulberry32(0);
    // mulberry32(0) as the widely used JS one-liner gives it (value · 2³²).
    assert.deepEqual([next(), next(), next()], [1144304738, 1416247, 958946056]);
  });

  for (const name of ['gpt2', 'llama'] as const) {
    it(`${name}: reproduces the batch the golden script ported, [BOS] + r + r without specials`, async () => {
      const model = await TransformerModel.load(modelDir(name));
      try {
        const golden = readGolden(name).random;
        const tokens = randomRepeatedTokens(model.spec, golden);
        assert.deepEqual(tokens, golden.tokens);
        assert.equal(model.spec.bosTokenId, golden.bos);
        for (const sequence of tokens) {
          assert.equal(sequence.length, 2 * golden.length + 1);
          assert.equal(sequence[0], golden.bos);
          const half = sequence.slice(1, 1 + golden.length);
          assert.deepEqual(sequence.slice(1 + golden.length), half);
          assert.ok(half.every((id) => !golden.specials.includes(id) && id >= 0 && id < model.spec.dVocab));
        }
        assert.notDeepEqual(randomRepeatedTokens(model.spec, { ...golden, seed: 1 }), tokens, 'the seed matters');
        // Defaults fit the 64-token context: [BOS] + 2 · 31.
        assert.deepEqual(defaultRandomRepeats(model.spec), { length: 31, batch: 4, seed: 0 });
      } finally {
        await model.dispose();
      }
    });
  }
});

for (const name of ['gpt2', 'llama'] as const) {
  describe(`head scores on ${name} vs TransformerLens detect_head`, () => {
    let model: TransformerModel;
    const golden = readGolden(name);
    before(async () => {
      await initBackend('wasm');
      model = await TransformerModel.load(modelDir(name));
    });
    after(() => model.dispose());

    it(`repeated random tokens (batch ${golden.random.batch}): previous-token, duplicate-token, induction and sink within ${TOLERANCE}`, async () => {
      const before = tf.memory().numTensors;
      const { length, batch, seed } = golden.random;
      const scores = await headScores(model, { random: { length, batch, seed } });
      assert.equal(tf.memory().numTensors, before, 'no tensors left behind');
      assert.equal(scores.source, 'random');
      assert.equal(scores.layers, model.spec.nLayers);
      assert.equal(scores.heads, model.spec.nHeads);
      assertScores(scores, golden.detectors.random);
      assert.match(scores.processing, /repeated random/);
    });

    it(`a prompt with repeated tokens: the same scores within ${TOLERANCE}`, async () => {
      const scores = await headScores(model, { tokens: golden.detectors.prompt.tokens });
      assert.equal(scores.source, 'prompt');
      assertScores(scores, golden.detectors.prompt);
    });

    it('a batch scores as the mean of its sequences scored one by one (also across sub-batches)', async () => {
      // 40 sequences of 63 tokens run as two forward passes (32 + 8 sequences of ≤ 2048 tokens).
      const setting = { length: 31, batch: 40, seed: 7 };
      const together = await headScores(model, { random: setting });
      const sequences = randomRepeatedTokens(model.spec, setting);
      const alone: HeadScores[] = [];
      for (const tokens of sequences) alone.push(await headScores(model, { tokens }));
      for (const key of ['previousToken', 'duplicateToken', 'induction', 'sink'] as const) {
        const mean = together[key].map((_, i) => alone.reduce((s, a) => s + a[key][i]!, 0) / alone.length);
        assert.ok(maxError(together[key], [Array.from(mean)]) < 1e-6, key);
      }
    });

    it('copying scores are the spectrum of each head', async () => {
      const scores = await headScores(model, { tokens: golden.detectors.prompt.tokens });
      const spectra = await allHeadSpectra(model);
      assert.deepEqual(scores.copyingOV, Float32Array.from(spectra, (s) => s.copyingOV));
      assert.deepEqual(scores.copyingQK, Float32Array.from(spectra, (s) => s.copyingQK));
      for (let layer = 0; layer < scores.layers; layer++) {
        for (let head = 0; head < scores.heads; head++) {
          const spectrum = await headSpectrum(model, layer, head);
          assert.ok(Math.abs(scores.copyingOV[layer * scores.heads + head]! - spectrum.copyingOV) < 1e-4);
          assert.ok(Math.abs(scores.copyingQK[layer * scores.heads + head]! - spectrum.copyingQK) < 1e-4);
        }
      }
      assert.match(scores.processing, /copying scores: .*TransformerLens from_pretrained defaults/);
    });
  });
}

describe('head scores: bad input, cancellation, the engine service', () => {
  const service = new EngineService();
  let id = 1;
  const ask = <T>(request: Record<string, unknown>, signal = new AbortController().signal) =>
    service.handle({ ...request, id: id++ } as never, signal, () => undefined) as Promise<T>;
  before(async () => {
    await ask({ type: 'init', backend: 'wasm' });
    await ask({ type: 'load', path: modelDir('gpt2') });
  });
  after(() => service.dispose());

  it('defaults to repeated random tokens; takes tokens or a setting', async () => {
    const byDefault = await ask<HeadScores>({ type: 'heads' });
    assert.equal(byDefault.source, 'random');
    assert.equal(byDefault.previousToken.length, 2 * 4);
    assert.match(byDefault.processing, /4 repeated random sequences of 63 tokens/);
    const explicit = await ask<HeadScores>({ type: 'heads', random: { length: 31, batch: 4, seed: 0 } });
    assert.deepEqual(explicit.induction, byDefault.induction);
    const golden = readGolden('gpt2');
    assertScores(await ask<HeadScores>({ type: 'heads', tokens: golden.detectors.prompt.tokens }), golden.detectors.prompt);
  });

  it('rejects unusable settings and prompts', async () => {
    const bad = (request: Record<string, unknown>, code: string, mention: RegExp) =>
      assert.rejects(ask({ type: 'heads', ...request }), (e: EngineError) => e.code === code && mention.test(e.message));
    await bad({ random: { length: 32, batch: 1, seed: 0 } }, 'BAD_ARGUMENT', /context is 64.*at most 31/);
    await bad({ random: { length: 0, batch: 1, seed: 0 } }, 'BAD_ARGUMENT', /length/);
    await bad({ random: { length: 5, batch: 0, seed: 0 } }, 'BAD_ARGUMENT', /batch/);
    await bad({ random: { length: 5, batch: 1, seed: -1 } }, 'BAD_ARGUMENT', /seed/);
    await bad({ random: { length: 5, batch: 1, seed: 2 ** 32 } }, 'BAD_ARGUMENT', /seed/);
    await bad({ tokens: [1, 2], random: { length: 5, batch: 1, seed: 0 } }, 'BAD_ARGUMENT', /not both/);
    await bad({ tokens: [5] }, 'BAD_PROMPT', /at least 2 tokens/);
    await bad({ tokens: [] }, 'BAD_PROMPT', /no tokens/);
    await bad({ tokens: [1, 300] }, 'BAD_PROMPT', /vocabulary/);
  });

  it('stops when cancelled and leaks nothing', async () => {
    const controller = new AbortController();
    controller.abort();
    const before = tf.memory().numTensors;
    await assert.rejects(ask({ type: 'heads' }, controller.signal), (e: EngineError) => e.code === 'CANCELLED');
    assert.equal(tf.memory().numTensors, before);
  });
});

describe('circuit-inspector heads', { skip: SKIP_WITHOUT_CLI }, () => {
  const KEYS = ['layer', 'head', 'previousToken', 'duplicateToken', 'induction', 'sink', 'copyingOV', 'copyingQK'];

  it('scores every head on repeated random tokens, matching TransformerLens', async () => {
    const golden = readGolden('llama');
    const { length, batch, seed } = golden.random;
    const result = await cli('heads', modelDir('llama'), '--random-length', `${length}`, '--batch', `${batch}`, '--seed', `${seed}`, '--backend', 'wasm');
    assert.equal(result.code, 0, result.stderr);
    const out = JSON.parse(result.stdout);
    assert.equal(out.source, 'random');
    assert.equal(out.heads.length, 2 * 4);
    out.heads.forEach((row: Record<string, number>, i: number) => {
      assert.deepEqual(Object.keys(row), KEYS);
      assert.equal(row.layer, Math.floor(i / 4));
      assert.equal(row.head, i % 4);
      for (const key of KEYS) assert.equal(typeof row[key], 'number');
    });
    const induction = out.heads.map((row: { induction: number }) => row.induction);
    assert.ok(maxError(induction, golden.detectors.random.induction) <= TOLERANCE);
  });

  it('scores on a prompt (text or ids) when one is given', async () => {
    const text = await cli('heads', modelDir('gpt2'), '--prompt', 'def add(a, b): return a + b');
    assert.equal(text.code, 0, text.stderr);
    assert.equal(JSON.parse(text.stdout).source, 'prompt');
    const golden = readGolden('gpt2').detectors.prompt;
    const ids = await cli('heads', modelDir('gpt2'), '--tokens', golden.tokens.join(','));
    assert.equal(ids.code, 0, ids.stderr);
    const out = JSON.parse(ids.stdout);
    assert.ok(maxError(out.heads.map((r: { previousToken: number }) => r.previousToken), golden.previous_token) <= TOLERANCE);
  });

  for (const [label, args, mention] of [
    ['both --prompt and --tokens', ['--prompt', 'a', '--tokens', '1,2'], /at most one of --prompt/],
    ['random options with a prompt', ['--tokens', '1,2', '--seed', '3'], /--seed .*cannot be combined/],
    ['a bad --random-length', ['--random-length', 'x'], /--random-length must be a positive integer/],
    ['a random length over the context', ['--random-length', '40'], /context is 64/],
    ['a negative seed', ['--seed=-1'], /--seed must be an integer from 0/],
    ['a bad --batch', ['--batch', '0'], /--batch must be a positive integer/],
    ['a one-token prompt', ['--tokens', '5'], /at least 2 tokens/],
    ['an unknown option', ['--layers', '2'], /layers/],
  ] as const) {
    it(`exits 1 with one line for ${label}`, async () => {
      const result = await cli('heads', modelDir('gpt2'), ...args);
      assert.equal(result.code, 1, result.stderr);
      const lines = result.stderr.trim().split('\n');
      assert.equal(lines.length, 1, result.stderr);
      assert.match(lines[0]!, mention);
      assert.equal(result.stdout, '');
    });
  }

  it('exits 1 without a model', async () => {
    const result = await cli('heads');
    assert.equal(result.code, 1);
    assert.match(result.stderr, /expected one model path/);
  });
});
