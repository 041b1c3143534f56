/**
 * The `particles` and `simulate` commands, run as a user runs them (the built dist/cli.js in a
 * child process): JSON of the documented shape with numbers checked against independent
 * computations (transformers' hidden states; the paper's closed form for orthonormal starts), and
 * one line on stderr with exit code 1 for bad input.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SKIP_WITHOUT_CLI, assertUserError, cli } from './helpers/cli';
import { modelDir, readReference } from './helpers/fixtures';

/** Unit particles of one hidden-state layer as LayerNorm sees it (centered; the scale drops out). */
function layerNormParticles(rows: number[][]): number[][] {
  return rows.map((x) => {
    const mean = x.reduce((s, v) => s + v, 0) / x.length;
    const centered = x.map((v) => v - mean);
    const length = Math.hypot(...centered);
    return centered.map((v) => v / length);
  });
}

/** γ(t) of the paper for SA from n orthonormal points, by RK4 with step h. */
function gammaSA(n: number, beta: number, t: number, h: number): number {
  const f = (g: number) => (2 * Math.exp(beta * g) * (1 - g) * ((n - 1) * g + 1)) / (Math.exp(beta) + (n - 1) * Math.exp(beta * g));
  let g = 0;
  for (let k = 0; k < Math.round(t / h); k++) {
    const k1 = f(g);
    const k2 = f(g + (h / 2) * k1);
    const k3 = f(g + (h / 2) * k2);
    const k4 = f(g + h * k3);
    g += (h / 6) * (k1 + 2 * k2 + 2 * k3 + k4);
  }
  return g;
}

describe('circuit-inspector particles and simulate', { skip: SKIP_WITHOUT_CLI }, () => {
  const gpt2 = modelDir('gpt2');

  it('particles prints per-layer statistics matching transformers\' hidden states', async () => {
    const reference = readReference('gpt2').cases[0]!;
    const beta = 2;
    const result = await cli('particles', gpt2, '--tokens', reference.tokens.join(','), '--beta', String(beta), '--delta', '0.3', '--backend', 'wasm');
    assert.equal(result.code, 0, result.stderr);
    const out = JSON.parse(result.stdout);
    assert.deepEqual(out.tokens, reference.tokens);
    assert.equal(out.beta, beta);
    assert.equal(out.delta, 0.3);
    assert.equal(out.layers.length, 3, 'two block inputs and the final stream');
    for (const layer of out.layers) {
      assert.deepEqual(Object.keys(layer).sort(), ['clusters', 'effectiveRank', 'energy', 'label', 'layer', 'meanCosine', 'minCosine']);
    }
    const n = reference.tokens.length;
    for (const l of [0, 1]) {
      const points = layerNormParticles(reference.hidden_states![l]!);
      const cos = points.map((a) => points.map((b) => a.reduce((s, v, k) => s + v * b[k]!, 0)));
      const upper = cos.flatMap((row, i) => row.filter((_, j) => j > i));
      const energy = cos.flat().reduce((s, v) => s + Math.exp(beta * v), 0) / (2 * beta * n * n);
      assert.ok(Math.abs(out.layers[l].meanCosine - upper.reduce((s, v) => s + v, 0) / upper.length) < 1e-4, `layer ${l} mean`);
      assert.ok(Math.abs(out.layers[l].minCosine - Math.min(...upper)) < 1e-4, `layer ${l} min`);
      assert.ok(Math.abs(out.layers[l].energy - energy) < 1e-4, `layer ${l} energy`);
      assert.ok(out.layers[l].clusters >= 1 && out.layers[l].clusters <= n);
      assert.ok(out.layers[l].effectiveRank >= 1 && out.layers[l].effectiveRank <= n);
    }
  });

  it('particles --prompt tokenizes and labels the tokens', async () => {
    const result = await cli('particles', gpt2, '--prompt', 'def add(a, b): return a + b', '--backend', 'wasm');
    assert.equal(result.code, 0, result.stderr);
    const out = JSON.parse(result.stdout);
    assert.equal(out.tokenTexts.length, out.tokens.length);
    assert.equal(out.beta, 1);
    assert.equal(out.delta, 0.1);
  });

  it('simulate prints one value per time step; orthonormal starts follow the paper\'s γ(t)', async () => {
    const result = await cli('simulate', '--n', '3', '--d', '3', '--beta', '1', '--t', '2', '--dt', '0.0005', '--init', 'orthonormal');
    assert.equal(result.code, 0, result.stderr);
    const out = JSON.parse(result.stdout);
    for (const key of ['times', 'clusters', 'clusteredFraction', 'minInnerProduct', 'meanInnerProduct', 'energy']) {
      assert.equal(out[key].length, 4001, key);
    }
    assert.equal(out.times.at(-1), 2);
    const gamma = gammaSA(3, 1, 2, 1e-3);
    assert.ok(Math.abs(out.meanInnerProduct.at(-1) - gamma) < 1e-3, `${out.meanInnerProduct.at(-1)} vs γ(2) = ${gamma}`);
    assert.ok(Math.abs(out.minInnerProduct.at(-1) - gamma) < 1e-3);
  });

  it('simulate --dynamics usa at β = 0 ends in one cluster', async () => {
    const result = await cli('simulate', '--n', '16', '--d', '4', '--beta', '0', '--t', '30', '--dt', '0.05', '--dynamics', 'usa', '--seed', '3');
    assert.equal(result.code, 0, result.stderr);
    const out = JSON.parse(result.stdout);
    assert.ok(out.clusters[0] > 1);
    assert.equal(out.clusters.at(-1), 1);
    assert.equal(out.clusteredFraction.at(-1), 1);
  });

  it('simulate --model --head runs in d_model; --from-layer starts from the prompt\'s particles', async () => {
    const withHead = await cli('simulate', '--model', gpt2, '--head', '1.1', '--n', '5', '--beta', '1', '--t', '1', '--dt', '0.1', '--backend', 'wasm');
    assert.equal(withHead.code, 0, withHead.stderr);
    const out = JSON.parse(withHead.stdout);
    assert.equal(out.d, 32);
    assert.equal(out.n, 5);
    assert.equal(out.times.length, 11);
    const reference = readReference('gpt2').cases[0]!;
    const fromLayer = await cli('simulate', '--model', gpt2, '--head', '0.0', '--from-layer', '1', '--tokens', reference.tokens.join(','), '--beta', '32', '--t', '0.5', '--dt', '0.1', '--backend', 'wasm');
    assert.equal(fromLayer.code, 0, fromLayer.stderr);
    const started = JSON.parse(fromLayer.stdout);
    assert.equal(started.n, reference.tokens.length);
    // At t = 0 the points are the model's layer-1 particles.
    const points = layerNormParticles(reference.hidden_states![1]!);
    const upper = points.flatMap((a, i) => points.slice(i + 1).map((b) => a.reduce((s, v, k) => s + v * b[k]!, 0)));
    assert.ok(Math.abs(started.meanInnerProduct[0] - upper.reduce((s, v) => s + v, 0) / upper.length) < 1e-4);
  });

  it('bad arguments give one clear line and exit code 1', async () => {
    const base = ['--beta', '1', '--t', '1', '--dt', '0.1'];
    assertUserError(await cli('simulate', '--n', '7', '--d', '6', ...base, '--init', 'orthonormal'), /orthonormal initial points need n ≤ d, got n = 7 > d = 6/);
    assertUserError(await cli('simulate', '--n', '4', '--d', '6', '--beta', '1', '--t', '1', '--dt', '0'), /dt must be a positive number/);
    assertUserError(await cli('simulate', '--n', '4', '--d', '6', '--beta', '1', '--t', '1', '--dt=-0.5'), /dt must be a positive number/);
    assertUserError(await cli('simulate', '--n', '4', '--d', '6', '--t', '1', '--dt', '0.1'), /--beta is required/);
    assertUserError(await cli('simulate', '--d', '6', ...base), /--n is required/);
    assertUserError(await cli('simulate', '--n', '4', '--d', '6', ...base, '--dynamics', 'fast'), /--dynamics must be one of sa, usa/);
    assertUserError(await cli('simulate', '--n', '4', '--d', '6', ...base, '--head', '0.0'), /need --model/);
    assertUserError(await cli('simulate', '--model', gpt2, '--head', '2.0', '--n', '4', ...base, '--backend', 'wasm'), /head 2\.0 does not exist/);
    assertUserError(await cli('simulate', '--model', gpt2, '--head', '0.0', '--n', '4', '--d', '8', ...base, '--backend', 'wasm'), /--d must be the model's d_model \(32\)/);
    const long = Array.from({ length: 65 }, (_, i) => String(i % 200)).join(',');
    assertUserError(await cli('particles', gpt2, '--tokens', long, '--backend', 'wasm'), /65 tokens but the model's context is 64/);
    assertUserError(await cli('simulate', '--model', gpt2, '--from-layer', '0', '--tokens', long, ...base, '--backend', 'wasm'), /65 tokens but the model's context is 64/);
    assertUserError(await cli('particles', gpt2, '--tokens', '1,2', '--delta', '3', '--backend', 'wasm'), /δ must be a number from 0 to 2/);
    assertUserError(await cli('particles', gpt2, '--tokens', '1,2', '--beta', 'big', '--backend', 'wasm'), /--beta must be a number/);
    assertUserError(await cli('particles', gpt2, '--backend', 'wasm'), /exactly one of --prompt TEXT or --tokens/);
  });
});
