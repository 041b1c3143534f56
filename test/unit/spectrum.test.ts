/**
 * Eigenvalues of the full OV and QK circuits and the copying scores against TransformerLens
 * (`(W_E @ model.OV @ W_U).eigenvalues`, `(W_E @ model.QK @ W_E.T).eigenvalues` and
 * `eig.sum().real / eig.abs().sum()`, test/fixtures/circuits/generate.py), for every head of the
 * gpt2, llama (grouped-query) and pythia fixtures; both the per-head path and the all-heads Gram
 * path, which agree on every fixture family; no tensors left behind.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { disposeHeadWeights, processedLayerHeads } from '../../src/engine/analysis/analysisModel';
import { headCircuits } from '../../src/engine/analysis/circuits';
import { eigenvalues } from '../../src/engine/analysis/linalg';
import { processedHead } from '../../src/engine/analysis/processedWeights';
import { allHeadSpectra, copyingScore, headSpectrum } from '../../src/engine/analysis/spectrum';
import { initBackend } from '../../src/engine/backend';
import type { EngineError } from '../../src/engine/errors';
import { TransformerModel } from '../../src/engine/model/model';
import type { HeadSpectrum } from '../../src/protocol/engine';
import { eigenvalueError, GOLDEN_MODELS, readCircuitGolden, type GoldenSpectrum } from './helpers/circuitGolden';
import { FIXTURE_MODELS, modelDir } from './helpers/fixtures';

const TOLERANCE = 1e-4;

/** Largest error of a spectrum against TL: eigenvalues (scaled by the spectral radius) and copying scores. */
function spectrumErrors(actual: HeadSpectrum, expected: GoldenSpectrum): { eigen: number; copying: number } {
  return {
    eigen: Math.max(eigenvalueError(actual.ovEigenvalues, expected.ov), eigenvalueError(actual.qkEigenvalues, expected.qk)),
    copying: Math.max(Math.abs(actual.copyingOV - expected.copying_ov), Math.abs(actual.copyingQK - expected.copying_qk)),
  };
}

describe('copyingScore and eigenvalues', () => {
  it('Re(Σλ) / Σ|λ| of [re, im] pairs', () => {
    assert.equal(copyingScore(new Float32Array([2, 0, 1, 0])), 1);
    assert.equal(copyingScore(new Float32Array([-3, 0])), -1);
    assert.ok(Math.abs(copyingScore(new Float32Array([1, 1, 1, -1])) - 1 / Math.SQRT2) < 1e-12);
    assert.ok(Math.abs(copyingScore(new Float32Array([3, 0, -1, 0])) - 0.5) < 1e-12);
    assert.equal(copyingScore(new Float32Array([0, 0, 0, 0])), 0, 'all-zero spectrum: 0, not NaN');
  });

  it('eigenvalues of a nonsymmetric matrix: largest first, conjugate pairs together', () => {
    // Rotation-scaling block (eigenvalues 1 ± 2i) and a diagonal 3 and −0.5.
    const m = [1, -2, 0, 0, 2, 1, 0, 0, 0, 0, 3, 0, 0, 0, 0, -0.5];
    const eigs = Array.from(eigenvalues(m, 4));
    const expected = [3, 0, 1, 2, 1, -2, -0.5, 0];
    eigs.forEach((v, i) => assert.ok(Math.abs(v - expected[i]!) < 1e-12, `${eigs.join(', ')}`));
    assert.ok(eigenvalues([1, Number.NaN, 0, 1], 2).every(Number.isNaN), 'a NaN entry gives NaN eigenvalues, not a hang');
  });
});

for (const name of GOLDEN_MODELS) {
  describe(`head spectra on ${name} vs TransformerLens`, () => {
    let model: TransformerModel;
    const golden = readCircuitGolden(name);
    before(async () => {
      await initBackend('wasm');
      model = await TransformerModel.load(modelDir(name));
    });
    after(() => model.dispose());

    it(`headSpectrum: every head's OV/QK eigenvalues and copying scores within ${TOLERANCE}`, async (t) => {
      let eigen = 0;
      let copying = 0;
      for (let layer = 0; layer < model.spec.nLayers; layer++) {
        for (let head = 0; head < model.spec.nHeads; head++) {
          const spectrum = await headSpectrum(model, layer, head);
          assert.equal(spectrum.ovEigenvalues.length, 2 * model.spec.dHead);
          assert.equal(spectrum.qkEigenvalues.length, 2 * model.spec.dHead);
          const errors = spectrumErrors(spectrum, golden.spectra[layer]![head]!);
          eigen = Math.max(eigen, errors.eigen);
          copying = Math.max(copying, errors.copying);
        }
      }
      t.diagnostic(`${name}: eigenvalue error ${eigen.toExponential(2)} (÷ max(1, spectral radius)), copying ${copying.toExponential(2)}`);
      assert.ok(eigen <= TOLERANCE, `eigenvalues differ from TransformerLens by ${eigen}`);
      assert.ok(copying <= TOLERANCE, `copying scores differ from TransformerLens by ${copying}`);
    });

    it(`allHeadSpectra (Gram path): the same within ${TOLERANCE}, in [layer · heads + head] order`, async (t) => {
      const progress: number[] = [];
      const spectra = await allHeadSpectra(model, { onProgress: (p) => progress.push(p.fraction) });
      assert.equal(spectra.length, model.spec.nLayers * model.spec.nHeads);
      let eigen = 0;
      let copying = 0;
      spectra.forEach((spectrum, i) => {
        const errors = spectrumErrors(spectrum, golden.spectra[Math.floor(i / model.spec.nHeads)]![i % model.spec.nHeads]!);
        eigen = Math.max(eigen, errors.eigen);
        copying = Math.max(copying, errors.copying);
      });
      t.diagnostic(`${name} (Grams): eigenvalue error ${eigen.toExponential(2)}, copying ${copying.toExponential(2)}`);
      assert.ok(eigen <= TOLERANCE && copying <= TOLERANCE, `${eigen} ${copying}`);
      assert.ok(progress.length > 0 && progress.every((f, i) => f >= (progress[i - 1] ?? 0) && f <= 1));
      assert.equal(progress[progress.length - 1], 1);
    });

    it('headCircuits carries the same spectrum', async () => {
      const circuits = await headCircuits(model, 1, 2, golden.prompt);
      assert.ok(circuits.spectrum, 'circuits result has a spectrum');
      const errors = spectrumErrors(circuits.spectrum, golden.spectra[1]![2]!);
      assert.ok(errors.eigen <= TOLERANCE && errors.copying <= TOLERANCE);
    });

    it('leaves no tensors behind; rejects heads that do not exist; cancels', async () => {
      const before = tf.memory().numTensors;
      await headSpectrum(model, 0, 1);
      await allHeadSpectra(model);
      assert.equal(tf.memory().numTensors, before);
      const s = model.spec;
      for (const [layer, head] of [[s.nLayers, 0], [0, s.nHeads], [-1, 0], [0, 0.5]] as const) {
        await assert.rejects(headSpectrum(model, layer, head), (e: EngineError) => e.code === 'BAD_ARGUMENT' && /does not exist/.test(e.message));
      }
      const controller = new AbortController();
      controller.abort();
      await assert.rejects(allHeadSpectra(model, { signal: controller.signal }), (e: EngineError) => e.code === 'CANCELLED');
      assert.equal(tf.memory().numTensors, before, 'a cancelled analysis frees what it made');
    });
  });
}

describe('the per-head and the Gram paths agree on every fixture family', () => {
  before(() => initBackend('wasm'));

  // Tied and untied embeddings, LayerNorm and RMSNorm, grouped and multi-query heads, q/k/v biases.
  for (const name of FIXTURE_MODELS) {
    it(name, async () => {
      const model = await TransformerModel.load(modelDir(name));
      try {
        const all = await allHeadSpectra(model);
        let worst = 0;
        for (let layer = 0; layer < model.spec.nLayers; layer++) {
          for (let head = 0; head < model.spec.nHeads; head++) {
            const one = await headSpectrum(model, layer, head);
            const other = all[layer * model.spec.nHeads + head]!;
            const pairs = (eigs: Float32Array) => Array.from({ length: eigs.length / 2 }, (_, i) => [eigs[2 * i]!, eigs[2 * i + 1]!] as [number, number]);
            worst = Math.max(
              worst,
              eigenvalueError(one.ovEigenvalues, pairs(other.ovEigenvalues)),
              eigenvalueError(one.qkEigenvalues, pairs(other.qkEigenvalues)),
              Math.abs(one.copyingOV - other.copyingOV),
              Math.abs(one.copyingQK - other.copyingQK),
            );
          }
        }
        assert.ok(worst <= TOLERANCE, `the two paths differ by ${worst}`);
      } finally {
        await model.dispose();
      }
    });
  }
});

describe('processedLayerHeads splits a processed layer into processedHead\'s factors', () => {
  before(() => initBackend('wasm'));

  for (const name of ['gpt2', 'llama', 'qwen2'] as const) {
    it(name, async () => {
      const model = await TransformerModel.load(modelDir(name));
      try {
        const before = tf.memory().numTensors;
        for (let layer = 0; layer < model.spec.nLayers; layer++) {
          const heads = await processedLayerHeads(model.spec, model.weights, layer);
          assert.equal(heads.length, model.spec.nHeads);
          for (const [head, split] of heads.entries()) {
            const single = processedHead(model.spec, model.weights, layer, head);
            for (const key of ['wQ', 'wK', 'wV', 'wO'] as const) {
              assert.deepEqual(split[key].shape, single[key].shape);
              const a = split[key].dataSync();
              const b = single[key].dataSync();
              for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) <= 1e-7, `${layer}.${head} ${key}[${i}]`);
            }
            disposeHeadWeights(single);
          }
          heads.forEach(disposeHeadWeights);
        }
        assert.equal(tf.memory().numTensors, before);
      } finally {
        await model.dispose();
      }
    });
  }
});
