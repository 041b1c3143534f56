/**
 * The particle view on real models (gpt2: LayerNorm; llama: RMSNorm, grouped-query heads) against
 * an independent float64 computation in this file from Hugging Face transformers' hidden states
 * (test/fixtures/models/*\/reference.json): block inputs are hidden_states[l]; the final stream is
 * recovered from transformers' ln_final output y as (y − b) / g with the checkpoint's own norm
 * weights. Statistics by straightforward code (BFS components, ml-matrix on the n × n Gram,
 * the full least-squares design for the effective β), never by the engine's functions. Plus the
 * sphere statistics on synthetic points with known answers, the head as Q/K/V against the forward
 * pass's own q, k, v, and the engine service's four requests.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { EigenvalueDecomposition, Matrix, solve } from 'ml-matrix';
import { headMatrices, particleKernel, particleStatistics } from '../../src/engine/analysis/particles';
import { principalAxes } from '../../src/engine/analysis/particles/pca';
import { clusters, effectiveRank, energy, gram } from '../../src/engine/analysis/particles/sphereStats';
import { initBackend } from '../../src/engine/backend';
import type { EngineError } from '../../src/engine/errors';
import { HOOK } from '../../src/engine/model/hooks';
import { TransformerModel } from '../../src/engine/model/model';
import { EngineService } from '../../src/engine/service';
import type { ParticleKernel, ParticlesResult, PhaseDiagram, SimulationParams, SimulationResult } from '../../src/protocol/particles';
import { modelDir, readReference } from './helpers/fixtures';

// ---------------------------------------------------------------- independent reference code

type Rows = number[][];

/** x normalized as the norm sees it, then scaled to unit length. */
function particle(x: number[], kind: 'layernorm' | 'rmsnorm', eps: number): number[] {
  const mean = kind === 'layernorm' ? x.reduce((s, v) => s + v, 0) / x.length : 0;
  const centered = x.map((v) => v - mean);
  const variance = centered.reduce((s, v) => s + v * v, 0) / x.length;
  const normed = centered.map((v) => v / Math.sqrt(variance + eps));
  const length = Math.hypot(...normed);
  return normed.map((v) => v / length);
}

function unit(x: number[]): number[] {
  const length = Math.hypot(...x);
  return x.map((v) => v / length);
}

function dot(a: number[], b: number[]): number {
  return a.reduce((s, v, k) => s + v * b[k]!, 0);
}

function cosines(points: Rows): Rows {
  return points.map((a) => points.map((b) => dot(a, b)));
}

/** Connected components of cos > 1 − δ by breadth-first search. */
function componentCount(cos: Rows, delta: number): number {
  const seen = new Array<boolean>(cos.length).fill(false);
  let count = 0;
  for (let start = 0; start < cos.length; start++) {
    if (seen[start]) continue;
    count++;
    const queue = [start];
    seen[start] = true;
    while (queue.length) {
      const i = queue.shift()!;
      cos[i]!.forEach((c, j) => {
        if (!seen[j] && j !== i && c > 1 - delta) {
          seen[j] = true;
          queue.push(j);
        }
      });
    }
  }
  return count;
}

function referenceStats(points: Rows, beta: number, delta: number) {
  const n = points.length;
  const cos = cosines(points);
  const upper = cos.flatMap((row, i) => row.filter((_, j) => j > i));
  const eigen = new EigenvalueDecomposition(new Matrix(cos), { assumeSymmetric: true }).realEigenvalues.map((v) => Math.max(0, v));
  const total = eigen.reduce((s, v) => s + v, 0);
  const entropy = -eigen.filter((v) => v > 0).reduce((s, v) => s + (v / total) * Math.log(v / total), 0);
  const sumExp = cos.flat().reduce((s, v) => s + Math.exp(beta * v), 0);
  return {
    clusters: componentCount(cos, delta),
    meanCosine: upper.reduce((s, v) => s + v, 0) / upper.length,
    minCosine: Math.min(...upper),
    effectiveRank: Math.exp(entropy),
    energy: sumExp / (2 * beta * n * n),
    upper,
  };
}

/** Thresholds 1 − δ halfway between consecutive distinct cosines of these layers: every possible clustering, each robust to rounding. */
function deltasBetween(layers: Rows[]): number[] {
  const sorted = layers.flatMap((points) => referenceStats(points, 1, 0).upper).sort((a, b) => a - b);
  const deltas: number[] = [];
  for (let k = 1; k < sorted.length; k++) if (sorted[k]! - sorted[k - 1]! > 2e-3) deltas.push(1 - (sorted[k]! + sorted[k - 1]!) / 2);
  return deltas;
}

/** Every snapshot's unit particles from transformers' hidden states (see the file comment). */
async function referenceParticles(model: TransformerModel, name: 'gpt2' | 'llama'): Promise<{ tokens: number[]; layers: Rows[] }> {
  const reference = readReference(name).cases[0]!;
  const spec = model.spec;
  const hidden = reference.hidden_states!;
  const kind = spec.normalization;
  const layers = hidden.slice(0, spec.nLayers).map((rows) => rows.map((x) => particle(x, kind, spec.normEps)));
  const gain = Array.from(await model.source.readFloat32(name === 'gpt2' ? 'transformer.ln_f.weight' : 'model.norm.weight'));
  const bias = name === 'gpt2' ? Array.from(await model.source.readFloat32('transformer.ln_f.bias')) : gain.map(() => 0);
  assert.ok(Math.min(...gain.map(Math.abs)) > 1e-3, 'the final norm gain is invertible');
  // ln_final output y = g ⊙ x̂ + b, so x̂ = (y − b) / g; its direction is the final particle.
  layers.push(hidden[spec.nLayers]!.map((y) => unit(y.map((v, k) => (v - bias[k]!) / gain[k]!))));
  return { tokens: reference.tokens, layers };
}

// ---------------------------------------------------------------- tests

const TOLERANCE = 1e-4;

for (const name of ['gpt2', 'llama'] as const) {
  describe(`particles of ${name} vs transformers' hidden states`, () => {
    let model: TransformerModel;
    let expected: { tokens: number[]; layers: Rows[] };
    before(async () => {
      await initBackend('wasm');
      model = await TransformerModel.load(modelDir(name));
      expected = await referenceParticles(model, name);
    });
    after(() => model.dispose());

    it('per-layer mean and min cosine, effective rank, energy and histogram match', async () => {
      const beta = 2.5;
      const result = await particleStatistics(model, expected.tokens, { beta, delta: 0.1, bins: 20 });
      assert.equal(result.layers.length, model.spec.nLayers + 1);
      assert.equal(result.dModel, model.spec.dModel);
      assert.equal(result.layers.at(-1)!.label, 'final');
      assert.equal(result.histogramEdges.length, 21);
      for (const [l, layer] of result.layers.entries()) {
        const ref = referenceStats(expected.layers[l]!, beta, 0.1);
        assert.equal(layer.layer, l);
        assert.ok(Math.abs(layer.meanCosine - ref.meanCosine) < TOLERANCE, `layer ${l} mean cosine ${layer.meanCosine} vs ${ref.meanCosine}`);
        assert.ok(Math.abs(layer.minCosine - ref.minCosine) < TOLERANCE, `layer ${l} min cosine`);
        assert.ok(Math.abs(layer.effectiveRank - ref.effectiveRank) < 1e-3, `layer ${l} effective rank ${layer.effectiveRank} vs ${ref.effectiveRank}`);
        assert.ok(Math.abs(layer.energy - ref.energy) / ref.energy < TOLERANCE, `layer ${l} energy`);
        // Histogram: counts over the same 20 bins (entries within rounding of an edge may move).
        const counts = new Array<number>(20).fill(0);
        ref.upper.forEach((c) => counts[Math.min(19, Math.floor(((c + 1) / 2) * 20))]++);
        assert.equal(layer.histogram.reduce((s, v) => s + v, 0), ref.upper.length);
        const moved = layer.histogram.reduce((s, v, k) => s + Math.abs(v - counts[k]!), 0);
        const nearEdge = ref.upper.filter((c) => Math.abs(((c + 1) / 2) * 20 - Math.round(((c + 1) / 2) * 20)) < 1e-3).length;
        assert.ok(moved <= 2 * nearEdge, `layer ${l} histogram ${layer.histogram} vs ${counts}`);
      }
    });

    it('cluster counts match at every threshold between the cosines', async () => {
      const n = expected.tokens.length;
      let compared = 0;
      let nonTrivial = 0;
      for (const delta of deltasBetween(expected.layers)) {
        const result = await particleStatistics(model, expected.tokens, { beta: 1, delta });
        for (const [l, layer] of result.layers.entries()) {
          const ref = referenceStats(expected.layers[l]!, 1, delta);
          // A count is only well defined when no cosine sits on the threshold.
          if (Math.min(...ref.upper.map((c) => Math.abs(c - (1 - delta)))) < 1e-3) continue;
          assert.equal(layer.clusters, ref.clusters, `layer ${l}, δ = ${delta}`);
          assert.equal(new Set(layer.clusterOf).size, ref.clusters);
          compared++;
          if (ref.clusters > 1 && ref.clusters < n) nonTrivial++;
        }
      }
      assert.ok(compared >= 20 && nonTrivial >= 5, `${compared} counts compared, ${nonTrivial} between 1 and n`);
    });

    it('one PCA basis for all layers: the projected cloud has the principal variances, uncorrelated', async () => {
      const result = await particleStatistics(model, expected.tokens, { beta: 1, delta: 0.1 });
      const n = expected.tokens.length;
      const all = expected.layers.flat(); // [layers·pos][d]
      const count = all.length;
      assert.equal(result.projection.length, count * 3);
      const d = all[0]!.length;
      const mean = Array.from({ length: d }, (_, a) => all.reduce((s, x) => s + x[a]!, 0) / count);
      const centered = all.map((x) => x.map((v, a) => v - mean[a]!));
      const covariance = Array.from({ length: d }, (_, a) => Array.from({ length: d }, (_, b) => centered.reduce((s, x) => s + x[a]! * x[b]!, 0)));
      const eigen = new EigenvalueDecomposition(new Matrix(covariance), { assumeSymmetric: true }).realEigenvalues.sort((a, b) => b - a);
      const total = eigen.reduce((s, v) => s + v, 0);
      result.explainedVariance.forEach((f, k) => assert.ok(Math.abs(f - eigen[k]! / total) < 1e-4, `component ${k}: ${f} vs ${eigen[k]! / total}`));
      // Second moments of the projected points about their mean: diag(λ1, λ2, λ3).
      const projected = Array.from({ length: count }, (_, i) => Array.from(result.projection.subarray(3 * i, 3 * i + 3)));
      const pMean = [0, 1, 2].map((r) => projected.reduce((s, p) => s + p[r]!, 0) / count);
      for (let r = 0; r < 3; r++) {
        for (let c = 0; c < 3; c++) {
          const m = projected.reduce((s, p) => s + (p[r]! - pMean[r]!) * (p[c]! - pMean[c]!), 0);
          assert.ok(Math.abs(m - (r === c ? eigen[r]! : 0)) < 1e-3 * total, `moment ${r},${c}: ${m}`);
        }
      }
      // Unit particles project inside the unit ball; layer 1's points are rows n..2n−1.
      assert.ok(projected.every((p) => Math.hypot(...p) <= 1 + 1e-5));
      assert.equal(result.tokens.length, n);
      assert.equal(result.tokenTexts.length, n);
    });

    it('a head\'s kernel: its pattern, the particles\' cosines, and β fitted by least squares with per-row intercepts', async () => {
      const layer = 1;
      const head = 2;
      const kernel = await particleKernel(model, expected.tokens, layer, head);
      const n = expected.tokens.length;
      const reference = readReference(name).cases[0]!;
      const pattern = reference.attentions[layer]![head]!;
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) assert.ok(Math.abs(kernel.pattern[i * n + j]! - pattern[i]![j]!) < TOLERANCE);
      const cos = cosines(expected.layers[layer]!);
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) assert.ok(Math.abs(kernel.cosines[i * n + j]! - cos[i]![j]!) < TOLERANCE);
      // The scores are the pattern's logits: causal softmax of each row gives the pattern.
      for (let i = 0; i < n; i++) {
        const row = Array.from(kernel.scores.subarray(i * n, i * n + i + 1));
        const max = Math.max(...row);
        const z = row.reduce((s, v) => s + Math.exp(v - max), 0);
        row.forEach((v, j) => assert.ok(Math.abs(Math.exp(v - max) / z - pattern[i]![j]!) < TOLERANCE, `softmax(scores) ${i},${j}`));
      }
      // Full design: columns [cos, e_row(1..n−1)] over causal entries of rows with ≥ 2 entries.
      const rowsX: number[][] = [];
      const ys: number[] = [];
      for (let i = 1; i < n; i++) {
        for (let j = 0; j <= i; j++) {
          rowsX.push([cos[i]![j]!, ...Array.from({ length: n - 1 }, (_, r) => (r === i - 1 ? 1 : 0))]);
          ys.push(kernel.scores[i * n + j]!);
        }
      }
      const X = new Matrix(rowsX);
      const coefficients = solve(X.transpose().mmul(X), X.transpose().mmul(Matrix.columnVector(ys))).getColumn(0);
      const fitted = X.mmul(Matrix.columnVector(coefficients)).getColumn(0);
      const residual = ys.reduce((s, y, k) => s + (y - fitted[k]!) ** 2, 0);
      let within = 0;
      for (let i = 1; i < n; i++) {
        const row = Array.from(kernel.scores.subarray(i * n, i * n + i + 1));
        const m = row.reduce((s, v) => s + v, 0) / row.length;
        within += row.reduce((s, v) => s + (v - m) ** 2, 0);
      }
      assert.ok(Math.abs(kernel.effectiveBeta - coefficients[0]!) < 1e-6 * Math.max(1, Math.abs(coefficients[0]!)), `β ${kernel.effectiveBeta} vs ${coefficients[0]}`);
      assert.ok(Math.abs(kernel.r2 - (1 - residual / within)) < 1e-6, `R² ${kernel.r2} vs ${1 - residual / within}`);
      assert.ok(kernel.r2 >= 0 && kernel.r2 <= 1);
    });

    it('refuses a head that does not exist', async () => {
      await assert.rejects(particleKernel(model, expected.tokens, 2, 0), (e: EngineError) => e.code === 'BAD_ARGUMENT' && /head 2\.0 does not exist/.test(e.message));
    });
  });
}

describe('a head as the dynamics\' Q, K, V', () => {
  let model: TransformerModel;
  before(async () => {
    await initBackend('wasm');
    model = await TransformerModel.load(modelDir('llama'));
  });
  after(() => model.dispose());

  it('x̂_iᵀ QᵀK x̂_j is the head\'s scaled q_i·k_j and V x̂_j is v_j W_O (llama: no biases; q, k before rotary)', async () => {
    const layer = 1;
    const head = 3; // reads key/value head 1 (4 query heads share 2)
    const spec = model.spec;
    const { dModel: d, dHead } = spec;
    const tokens = readReference('llama').cases[0]!.tokens;
    const n = tokens.length;
    const { query, key, value } = await headMatrices(model, layer, head);
    const names = [HOOK.residPre(layer), HOOK.q(layer), HOOK.k(layer), HOOK.v(layer)];
    const result = await model.runWithCache(tokens, names);
    const [resid, q, k, v] = await Promise.all(names.map(async (hook) => Array.from(await (result.cache.get(hook) as tf.Tensor).data())));
    result.dispose();
    const wO = Array.from(await model.weights.blocks[layer]!.attn.wO.data()); // [heads·d_head, d_model]
    const kv = 1;
    const normed = Array.from({ length: n }, (_, i) => {
      const x = resid!.slice(i * d, (i + 1) * d);
      const rms = Math.sqrt(x.reduce((s, a) => s + a * a, 0) / d + spec.normEps);
      return x.map((a) => a / rms);
    });
    const columnApply = (m: Float32Array, x: number[]) => Array.from({ length: d }, (_, r) => x.reduce((s, xb, b) => s + m[r * d + b]! * xb, 0));
    let worstScore = 0;
    let worstValue = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        const bilinear = dot(columnApply(query, normed[i]!), columnApply(key, normed[j]!));
        let qk = 0;
        for (let e = 0; e < dHead; e++) qk += q![(i * spec.nHeads + head) * dHead + e]! * k![(j * spec.nKvHeads + kv) * dHead + e]!;
        worstScore = Math.max(worstScore, Math.abs(bilinear - qk * spec.attnScale[layer]!));
      }
      const expectedValue = Array.from({ length: d }, (_, out) => {
        let s = 0;
        for (let e = 0; e < dHead; e++) s += v![(i * spec.nKvHeads + kv) * dHead + e]! * wO[(head * dHead + e) * d + out]!;
        return s;
      });
      const got = columnApply(value, normed[i]!);
      worstValue = Math.max(worstValue, ...got.map((g, a) => Math.abs(g - expectedValue[a]!)));
    }
    assert.ok(worstScore < 1e-4, `scores ${worstScore}`);
    assert.ok(worstValue < 1e-4, `values ${worstValue}`);
  });
});

describe('sphere statistics on points with known answers', () => {
  it('clusters, effective rank (both Gram sides), energy', () => {
    // 3 tight groups on S² (n = 9 > d = 3) and the same points in d = 20.
    const centers = [[1, 0, 0], [0, 1, 0], [0, 0, 1]];
    const points = centers.flatMap((c) => [0, 0.01, -0.01].map((e) => unit(c.map((v, k) => v + (k === 0 ? e : 0) + (k === 2 ? e / 2 : 0)))));
    const flat = points.flat();
    const g = gram(flat, 9, 3);
    const components = clusters(g, 9, 0.01);
    assert.equal(components.count, 3);
    assert.deepEqual(components.clusterOf, [0, 0, 0, 1, 1, 1, 2, 2, 2]);
    assert.equal(clusters(g, 9, 1.5).count, 1, 'δ > 1 links orthogonal points');
    const ref = referenceStats(points, 3, 0.01);
    assert.ok(Math.abs(effectiveRank(flat, 9, 3) - ref.effectiveRank) < 1e-9, 'n > d: through Xᵀ X');
    const wide = points.flatMap((x) => [...x, ...new Array<number>(17).fill(0)]);
    assert.ok(Math.abs(effectiveRank(wide, 9, 20) - ref.effectiveRank) < 1e-9, 'n ≤ d: through X Xᵀ');
    assert.ok(ref.effectiveRank > 2.9 && ref.effectiveRank < 3, `three nearly orthogonal groups: ${ref.effectiveRank}`);
    assert.ok(Math.abs(energy(g, 9, 3) - ref.energy) < 1e-12);
    // β = 0: the β → 0 limit of E_β − 1/(2β), the mean inner product / 2.
    assert.ok(Math.abs(energy(g, 9, 0) - g.reduce((s, v) => s + v, 0) / (2 * 81)) < 1e-12);
  });

  it('principal axes through the d × d side when points outnumber dimensions', () => {
    // Points spread mostly along x, less along y, a little along z.
    const points = Array.from({ length: 50 }, (_, i) => [3 * Math.sin(i), 2 * Math.cos(1.7 * i), 0.5 * Math.sin(3.1 * i + 1)]).flat();
    const { axes, explained } = principalAxes(points, 50, 3);
    assert.ok(Math.abs(axes[0]!) > 0.95 && Math.abs(axes[4]!) > 0.95 && Math.abs(axes[8]!) > 0.95, `axes ${axes}`);
    assert.ok(explained[0]! > explained[1]! && explained[1]! > explained[2]!);
    assert.ok(Math.abs(explained.reduce((s, v) => s + v, 0) - 1) < 1e-9);
  });
});

describe('engine service: particles, particleKernel, simulate, phaseDiagram', () => {
  const service = new EngineService();
  const signal = new AbortController().signal;
  let id = 1;
  const progress: number[] = [];
  const ask = <T>(request: Record<string, unknown>) =>
    service.handle({ ...request, id: id++ } as never, signal, (p) => progress.push(p.fraction)) as Promise<T>;
  const params: SimulationParams = { n: 6, d: 4, beta: 1, t: 1, dt: 0.05, dynamics: 'sa', integrator: 'euler', delta: 0.01, seed: 1, init: 'random' };
  let model: TransformerModel;
  const tokens = readReference('gpt2').cases[0]!.tokens;

  before(async () => {
    await ask({ type: 'init', backend: 'wasm' });
    await ask({ type: 'load', path: modelDir('gpt2') });
    model = await TransformerModel.load(modelDir('gpt2'));
  });
  after(async () => {
    await service.dispose();
    await model.dispose();
  });

  it('answers particles and particleKernel as the analyses do', async () => {
    const result = await ask<ParticlesResult>({ type: 'particles', tokens, beta: 1, delta: 0.2 });
    const direct = await particleStatistics(model, tokens, { beta: 1, delta: 0.2 });
    assert.deepEqual(result.layers, direct.layers);
    assert.equal(result.histogramEdges.length, 41);
    const kernel = await ask<ParticleKernel>({ type: 'particleKernel', tokens, layer: 0, head: 1 });
    assert.deepEqual(kernel, await particleKernel(model, tokens, 0, 1));
  });

  it('computes the particles under interventions: ablating a layer-0 head moves the later layers only', async () => {
    const interventions = [{ kind: 'head', layer: 0, head: 1, method: 'zero' }];
    const clean = await ask<ParticlesResult>({ type: 'particles', tokens, beta: 1, delta: 0.2 });
    const ablated = await ask<ParticlesResult>({ type: 'particles', tokens, beta: 1, delta: 0.2, interventions });
    // Block 0's input is the embedding, untouched by the ablation; block 1's input is not.
    assert.deepEqual(ablated.layers[0], clean.layers[0]);
    assert.ok(Math.abs(ablated.layers[1]!.meanCosine - clean.layers[1]!.meanCosine) > 1e-6);
    const kernel = await ask<ParticleKernel>({ type: 'particleKernel', tokens, layer: 0, head: 1, interventions });
    // The ablation zeroes the head's output (hook_z), not its pattern.
    assert.deepEqual(kernel.pattern, (await particleKernel(model, tokens, 0, 1)).pattern);
  });

  it('simulates from the model\'s particles with a head\'s matrices (n = tokens, d = d_model)', async () => {
    const result = await ask<SimulationResult>({ type: 'simulate', params: { ...params, frames: 3 }, head: { layer: 1, head: 0 }, fromLayer: 2, tokens });
    assert.equal(result.frames.length, 3 * tokens.length * 3);
    assert.equal(result.times.length, 21);
    // The first frame's statistics are those of the model's final particles.
    const stats = await particleStatistics(model, tokens, { beta: 1, delta: 0.01 });
    const final = stats.layers.at(-1)!;
    assert.ok(Math.abs(result.meanInnerProduct[0]! - final.meanCosine) < 1e-6);
    assert.ok(Math.abs(result.minInnerProduct[0]! - final.minCosine) < 1e-6);
    assert.ok(Math.abs(result.energy[0]! - final.energy) < 1e-6);
    await assert.rejects(ask({ type: 'simulate', params, head: { layer: 0, head: 9 } }), /head 0\.9 does not exist/);
    await assert.rejects(ask({ type: 'simulate', params, fromLayer: 3, tokens }), /layer 3 has no particles/);
  });

  it('runs a phase diagram with progress', async () => {
    progress.length = 0;
    const diagram = await ask<PhaseDiagram>({ type: 'phaseDiagram', params, betas: [0.5, 2] });
    assert.equal(diagram.clusteredFraction.length, 2 * 21);
    assert.equal(progress.at(-1), 1);
  });
});
