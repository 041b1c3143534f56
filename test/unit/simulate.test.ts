/**
 * The simulator of the paper's dynamics on the sphere (Geshkovski, Letrouit, Polyanskiy, Rigollet
 * 2023, arXiv 2312.10794) against what the paper proves: from orthonormal points every pairwise
 * inner product follows the closed-form ODE for γ(t) (solved here with RK4); the energy of USA
 * with V = I never decreases; β = 0 collapses to one cluster; on the circle with β = 4 the particles
 * sit in a few clusters for a long time before they merge (metastability). Plus the phase diagram,
 * cancellation and argument checks.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { phaseDiagram } from '../../src/engine/analysis/particles/phaseDiagram';
import { checkSimulationParams, initialPoints, simulate, stepCount } from '../../src/engine/analysis/particles/simulate';
import type { EngineError } from '../../src/engine/errors';
import type { SimulationParams } from '../../src/protocol/particles';

const base: SimulationParams = { n: 4, d: 6, beta: 1, t: 1, dt: 0.01, dynamics: 'sa', integrator: 'euler', delta: 1e-3, seed: 7, init: 'random' };

/** γ' of the paper for n orthonormal starting points (Q = K = V = I). */
function gammaPrime(dynamics: 'sa' | 'usa', n: number, beta: number, g: number): number {
  const shared = 2 * Math.exp(beta * g) * (1 - g) * ((n - 1) * g + 1);
  return dynamics === 'sa' ? shared / (Math.exp(beta) + (n - 1) * Math.exp(beta * g)) : shared / n;
}

/** γ at the times 0, h, 2h, … (steps + 1 values) by classical RK4 with `substeps` substeps per h, γ(0) = 0. */
function gammaCurve(dynamics: 'sa' | 'usa', n: number, beta: number, h: number, steps: number, substeps: number): number[] {
  const f = (g: number) => gammaPrime(dynamics, n, beta, g);
  const out = [0];
  let g = 0;
  const k = h / substeps;
  for (let s = 0; s < steps; s++) {
    for (let r = 0; r < substeps; r++) {
      const k1 = f(g);
      const k2 = f(g + (k / 2) * k1);
      const k3 = f(g + (k / 2) * k2);
      const k4 = f(g + k * k3);
      g += (k / 6) * (k1 + 2 * k2 + 2 * k3 + k4);
    }
    out.push(g);
  }
  return out;
}

function isCode(code: string, message?: RegExp) {
  return (error: unknown) => (error as EngineError).code === code && (message === undefined || message.test((error as Error).message));
}

describe('simulated dynamics vs the paper', () => {
  for (const dynamics of ['sa', 'usa'] as const) {
    for (const [n, d, beta] of [[4, 6, 1], [8, 8, 4]] as const) {
      it(`${dynamics}, n = ${n}, d = ${d}, β = ${beta}: from orthonormal points every ⟨x_i, x_j⟩ follows γ(t) within 1e-3`, async () => {
        const t = 4;
        const dt = 5e-5; // projected Euler is first order: error ≈ 13·dt for USA at β = 4
        const result = await simulate({ ...base, n, d, beta, t, dt, dynamics, init: 'orthonormal' });
        const steps = stepCount(t, dt);
        assert.equal(result.times.length, steps + 1);
        const gamma = gammaCurve(dynamics, n, beta, t / steps, steps, 4);
        let worst = 0;
        for (let k = 0; k <= steps; k++) {
          // min = mean means every pair has the same inner product; both must match γ.
          worst = Math.max(worst, Math.abs(result.minInnerProduct[k]! - gamma[k]!), Math.abs(result.meanInnerProduct[k]! - gamma[k]!));
        }
        assert.ok(worst <= 1e-3, `max |⟨x_i, x_j⟩ − γ| = ${worst}`);
        assert.ok(gamma[steps]! > 0.3, `the test covers real movement (γ(t) = ${gamma[steps]})`);
        assert.ok(Math.abs(result.minInnerProduct[0]!) < 1e-12 && Math.abs(result.meanInnerProduct[0]!) < 1e-12, 'orthonormal start');
      });
    }
    it(`${dynamics}: RK4 follows γ(t) to 1e-7 with a 200× larger step`, async () => {
      const [n, d, beta, t, dt] = [5, 7, 2, 3, 0.01];
      const result = await simulate({ ...base, n, d, beta, t, dt, dynamics, integrator: 'rk4', init: 'orthonormal' });
      const gamma = gammaCurve(dynamics, n, beta, dt, stepCount(t, dt), 8);
      const worst = Math.max(...result.minInnerProduct.map((v, k) => Math.abs(v - gamma[k]!)), ...result.meanInnerProduct.map((v, k) => Math.abs(v - gamma[k]!)));
      assert.ok(worst <= 1e-7, `max |⟨x_i, x_j⟩ − γ| = ${worst}`);
    });
  }

  it('USA with Q = K = V = I never lowers the energy E_β (it is the gradient ascent of E_β)', async () => {
    for (const [beta, d] of [[1, 3], [5, 3], [2, 10]] as const) {
      const result = await simulate({ ...base, n: 24, d, beta, t: 10, dt: 0.01, dynamics: 'usa', init: 'random', seed: 3 });
      for (let k = 1; k < result.energy.length; k++) {
        assert.ok(result.energy[k]! >= result.energy[k - 1]! - 1e-12, `β = ${beta}: E fell at t = ${result.times[k]}: ${result.energy[k - 1]} → ${result.energy[k]}`);
      }
      assert.ok(result.energy.at(-1)! > result.energy[0]!, 'and it rises');
    }
  });

  it('energy is E_β = (1/(2βn²)) Σ_ij exp(β⟨x_i, x_j⟩) of the points', async () => {
    const params: SimulationParams = { ...base, n: 5, d: 4, beta: 2.5, t: 0 };
    const x = initialPoints(params);
    let sum = 0;
    for (let i = 0; i < 5; i++) {
      for (let j = 0; j < 5; j++) {
        let dot = 0;
        for (let a = 0; a < 4; a++) dot += x[i * 4 + a]! * x[j * 4 + a]!;
        sum += Math.exp(2.5 * dot);
      }
    }
    const result = await simulate(params);
    assert.equal(result.times.length, 1);
    assert.ok(Math.abs(result.energy[0]! - sum / (2 * 2.5 * 25)) < 1e-12);
  });

  it('β = 0 collapses every particle into one cluster', async () => {
    for (const dynamics of ['sa', 'usa'] as const) {
      const result = await simulate({ ...base, n: 20, d: 5, beta: 0, t: 30, dt: 0.02, dynamics, init: 'random', seed: 11 });
      assert.ok(result.clusters[0]! > 1, 'starts spread out');
      assert.equal(result.clusters.at(-1), 1);
      assert.equal(result.clusteredFraction.at(-1), 1);
      assert.ok(result.minInnerProduct.at(-1)! > 1 - 1e-6, `min ⟨x_i, x_j⟩ = ${result.minInnerProduct.at(-1)}`);
    }
  });

  it('d = 2, n = 32, β = 4: a long metastable plateau of several clusters before the final merge', async () => {
    const result = await simulate({ ...base, n: 32, d: 2, beta: 4, t: 700, dt: 0.05, init: 'random', seed: 0 });
    const { times, clusters } = result;
    assert.ok(clusters[0]! >= 20, `starts spread out (${clusters[0]} clusters)`);
    // Fast phase: a few clusters form within t ≈ 10.
    const formed = clusters.findIndex((c) => c <= 3);
    assert.ok(formed > 0 && times[formed]! < 20, `clusters formed at t = ${times[formed]}`);
    // Slow phase: the count then holds at k ≥ 2 for a time many times longer than the formation.
    const plateau = clusters[formed + Math.round(10 / 0.05)]!;
    const end = clusters.findIndex((c, k) => k > formed + 200 && c !== plateau);
    assert.ok(plateau >= 2, `plateau of ${plateau} clusters`);
    assert.ok(end > 0 && times[end]! - times[formed]! > 20 * times[formed]!, `the plateau lasts from t = ${times[formed]} to ${times[end]}`);
    // … and is not the end state: the clusters finally merge into one.
    assert.equal(clusters.at(-1), 1);
  });

  it('Euler and RK4 agree; the step is adjusted so the last time is exactly t; frames sample the run', async () => {
    const params: SimulationParams = { ...base, n: 10, d: 3, beta: 2, t: 1, dt: 0.003, init: 'random', frames: 7 };
    const euler = await simulate(params);
    const rk4 = await simulate({ ...params, integrator: 'rk4' });
    assert.equal(euler.times.length, 334);
    assert.equal(euler.times.at(-1), 1);
    assert.ok(Math.abs(euler.meanInnerProduct.at(-1)! - rk4.meanInnerProduct.at(-1)!) < 1e-2);
    assert.deepEqual(euler.frameTimes.length, 7);
    assert.equal(euler.frames.length, 7 * 10 * 3);
    assert.equal(euler.frameTimes[0], 0);
    assert.equal(euler.frameTimes.at(-1), 1);
    // d = 3: frames are the coordinates themselves, so every frame point is on the unit sphere.
    for (let p = 0; p < 70; p++) assert.ok(Math.abs(Math.hypot(euler.frames[3 * p]!, euler.frames[3 * p + 1]!, euler.frames[3 * p + 2]!) - 1) < 1e-6);
  });

  it('runs with given Q, K, V: Q = K = V = I is the default dynamics; V = −I pushes particles apart', async () => {
    const d = 3;
    const identity = Float32Array.from({ length: d * d }, (_, k) => (k % (d + 1) === 0 ? 1 : 0));
    const params: SimulationParams = { ...base, n: 12, d, beta: 1, t: 2, dt: 0.01, init: 'random' };
    const plain = await simulate(params);
    const explicit = await simulate({ ...params, query: identity, key: identity, value: identity });
    assert.deepEqual(explicit.meanInnerProduct, plain.meanInnerProduct);
    const repelling = await simulate({ ...params, value: identity.map((v) => -v) });
    assert.ok(repelling.meanInnerProduct.at(-1)! < repelling.meanInnerProduct[0]!, 'V = −I spreads the particles out');
    assert.ok(plain.meanInnerProduct.at(-1)! > plain.meanInnerProduct[0]!, 'V = I gathers them');
  });

  it('one Euler step with general Q, K, V is x ← normalize(x + h·P_x(Σ_j softmax_j(β⟨Qx_i, Kx_j⟩) V x_j))', async () => {
    const [n, d, beta, h] = [4, 3, 1.7, 0.1];
    const q = [0.3, -1.2, 0.5, 0.9, 0.1, -0.4, 0, 0.7, 1.1];
    const k = [1.0, 0.2, -0.3, -0.5, 0.8, 0.6, 0.4, -0.9, 0.2];
    const v = [0.2, 0.5, -1.0, 1.3, -0.2, 0.1, -0.6, 0.4, 0.9];
    const start = [[1, 0, 0], [0.6, 0.8, 0], [0, -0.6, 0.8], [-0.48, 0.6, 0.64]];
    const apply = (m: number[], x: number[]) => [0, 1, 2].map((r) => m[3 * r]! * x[0]! + m[3 * r + 1]! * x[1]! + m[3 * r + 2]! * x[2]!);
    const dot3 = (a: number[], b: number[]) => a[0]! * b[0]! + a[1]! * b[1]! + a[2]! * b[2]!;
    for (const dynamics of ['sa', 'usa'] as const) {
      const expected = start.map((xi) => {
        const w = start.map((xj) => Math.exp(beta * dot3(apply(q, xi), apply(k, xj))));
        const z = dynamics === 'sa' ? w.reduce((a, b) => a + b, 0) : n;
        const y = [0, 1, 2].map((a) => start.reduce((sum, xj, j) => sum + (w[j]! / z) * apply(v, xj)[a]!, 0));
        const radial = dot3(y, xi);
        const moved = xi.map((c, a) => c + h * (y[a]! - radial * c));
        const length = Math.hypot(...moved);
        return moved.map((c) => c / length);
      });
      const result = await simulate({
        ...base, n, d, beta, t: h, dt: h, dynamics, init: 'given',
        initialPoints: Float32Array.from(start.flat()), query: Float32Array.from(q), key: Float32Array.from(k), value: Float32Array.from(v),
      });
      // d = 3: the frames are the coordinates; frame 1 is after the one step.
      const after = Array.from(result.frames.subarray(n * 3, 2 * n * 3));
      after.forEach((c, index) => assert.ok(Math.abs(c - expected.flat()[index]!) < 1e-6, `${dynamics} coordinate ${index}: ${c} vs ${expected.flat()[index]}`));
    }
  });

  it('refuses bad parameters with one clear message', () => {
    assert.throws(() => checkSimulationParams({ ...base, n: 7, d: 6, init: 'orthonormal' }), isCode('BAD_ARGUMENT', /n ≤ d/));
    assert.throws(() => checkSimulationParams({ ...base, dt: 0 }), isCode('BAD_ARGUMENT', /dt/));
    assert.throws(() => checkSimulationParams({ ...base, dt: -1 }), isCode('BAD_ARGUMENT', /dt/));
    assert.throws(() => checkSimulationParams({ ...base, n: 0 }), isCode('BAD_ARGUMENT', /n \(the number of particles\)/));
    assert.throws(() => checkSimulationParams({ ...base, beta: Number.NaN }), isCode('BAD_ARGUMENT', /β/));
    assert.throws(() => checkSimulationParams({ ...base, init: 'given', initialPoints: new Float32Array(3) }), isCode('BAD_ARGUMENT', /n × d = 24/));
    assert.throws(() => checkSimulationParams({ ...base, query: new Float32Array(4) }), isCode('BAD_ARGUMENT', /query matrix/));
    assert.throws(() => checkSimulationParams({ ...base, n: 4000, d: 4000, t: 100, dt: 0.01 }), isCode('BAD_ARGUMENT', /too much work/));
  });

  it('USA at a β whose weights overflow says so instead of returning NaN', async () => {
    await assert.rejects(simulate({ ...base, beta: 800, dynamics: 'usa' }), isCode('BAD_ARGUMENT', /overflow.*use SA/));
    const sa = await simulate({ ...base, beta: 800 });
    assert.ok(sa.meanInnerProduct.every(Number.isFinite), 'SA subtracts the row maximum and stays finite');
  });
});

describe('phase diagram', () => {
  const params: SimulationParams = { ...base, n: 12, d: 3, t: 5, dt: 0.05, init: 'random', seed: 5, delta: 0.01 };

  it('each row is the clustered fraction over time of a simulation at that β, from the same start', async () => {
    const betas = [0, 1, 9];
    const progress: number[] = [];
    const diagram = await phaseDiagram(params, betas, { onProgress: (p) => progress.push(p.fraction) });
    assert.deepEqual(diagram.betas, betas);
    assert.equal(diagram.times.length, 101);
    assert.equal(diagram.clusteredFraction.length, 3 * 101);
    for (const [index, beta] of betas.entries()) {
      const single = await simulate({ ...params, beta });
      const row = Array.from(diagram.clusteredFraction.subarray(index * 101, (index + 1) * 101));
      assert.deepEqual(row, Array.from(Float32Array.from(single.clusteredFraction)), `β = ${beta}`);
    }
    assert.equal(progress.at(-1), 1);
    assert.ok(progress.every((f, k) => k === 0 || f >= progress[k - 1]!), 'progress only goes forward');
    // Small β clusters sooner than large β (the paper's phase diagram).
    const at = (row: number, k: number) => diagram.clusteredFraction[row * 101 + k]!;
    assert.ok(at(0, 100) > at(2, 100), `β = 0: ${at(0, 100)}, β = 9: ${at(2, 100)}`);
  });

  it('stops with CANCELLED when the signal aborts', async () => {
    const controller = new AbortController();
    const run = phaseDiagram({ ...params, n: 40, d: 8, t: 400, dt: 0.01 }, [1, 2, 3, 4], {
      signal: controller.signal,
      onProgress: (p) => {
        if (p.fraction > 0) controller.abort();
      },
    });
    await assert.rejects(run, isCode('CANCELLED'));
  });

  it('refuses an empty β list or a non-finite β', async () => {
    await assert.rejects(phaseDiagram(params, []), isCode('BAD_ARGUMENT', /β/));
    await assert.rejects(phaseDiagram(params, [1, Number.POSITIVE_INFINITY]), isCode('BAD_ARGUMENT', /finite/));
  });
});
