/**
 * The Particles tab's view logic and state: the projection seen in 2-D and rotated in 3-D, paths,
 * cluster colors, per-layer series and histogram, the simulation and phase-diagram forms, and the
 * requests the tab makes (once per key, not after an error until retried, stale replies dropped).
 * Expected values are worked out by hand from the definitions (rotations as products of the
 * elementary ones, written out here), never by calling the code under test twice.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { ParticleKernel, ParticlesResult, PhaseDiagram, SimulationResult } from '../../src/protocol/particles';
import type { ModelCard, SimulationSpec, ToWebview } from '../../src/protocol/webview';
import { paletteFromTheme } from '../../webview/lib/color';
import {
  clampLayer,
  clusterColors,
  clusterRanks,
  DEFAULT_SIMULATION,
  depthOrder,
  frameParticles,
  framesCsv,
  dragAngle,
  histogramBins,
  kernelKey,
  kernelPoints,
  layerSeries,
  linspace,
  nearestIndex,
  particlesCsv,
  particlesKey,
  phaseCells,
  phaseCsv,
  phaseKey,
  phaseSpec,
  projectionExtent,
  projectPoints,
  rotationMatrix,
  seriesExtent,
  simulationKey,
  simulationSpec,
  stableJson,
  trajectories,
} from '../../webview/lib/particles';
import { wantedRequests } from '../../webview/lib/requests';
import { initialState, isToWebview, reduce, type Action, type ViewState } from '../../webview/lib/state';

// ---------------------------------------------------------------- fixtures

/** 3 tokens, 2 snapshots; histogram over 2 bins [-1, 0), [0, 1]. */
function particles(beta = 1, delta = 0.1): ParticlesResult {
  return {
    tokens: [5, 6, 7],
    tokenTexts: ['a', ' b', 'c'],
    layers: [
      { layer: 0, label: 'L0 (ln1 input)', clusters: 3, clusterOf: [0, 1, 2], meanCosine: 0.1, minCosine: -0.5, effectiveRank: 2.5, energy: 0.7, histogram: [1, 2] },
      { layer: 1, label: 'final', clusters: 2, clusterOf: [0, 0, 1], meanCosine: 0.6, minCosine: 0.2, effectiveRank: 1.4, energy: 0.9, histogram: [0, 3] },
    ],
    dModel: 8,
    // [snapshot, token, 3]
    projection: Float32Array.from([1, 0, 0, 0, 1, 0, 0, 0, 1, 0.5, 0.5, 0, 0.6, 0.4, 0, -1, 0, 0]),
    explainedVariance: [0.5, 0.3, 0.1],
    beta,
    delta,
    histogramEdges: Float32Array.from([-1, 0, 1]),
  };
}

const CARD: ModelCard = { architecture: 'gpt2', layers: 1, heads: 2, kvHeads: 2, dModel: 8, dHead: 4, dMlp: 32, vocab: 50, context: 16, parameters: 1000, dtype: 'float32', backend: 'cpu', tokenizer: true };
const model = (path = '/m'): ToWebview => ({ type: 'model', path, card: CARD });
const run = (runId: number): ToWebview => ({
  type: 'run',
  runId,
  tokens: [5, 6, 7],
  tokenStrings: ['a', ' b', 'c'],
  losses: new Float32Array(2),
  predictions: { k: 1, ids: new Int32Array(3), probs: new Float32Array(3) },
  layers: 1,
  heads: 2,
});
const kernel = (layer: number, head: number, n = 3): ParticleKernel => ({
  layer,
  head,
  pattern: new Float32Array(n * n),
  cosines: new Float32Array(n * n),
  scores: new Float32Array(n * n),
  effectiveBeta: 2,
  r2: 0.5,
});
const simulation = (steps = 3, n = 2, frames = 2): SimulationResult => ({
  times: linspace(0, 1, steps),
  clusters: new Array<number>(steps).fill(1),
  clusteredFraction: new Array<number>(steps).fill(0),
  minInnerProduct: new Array<number>(steps).fill(0),
  meanInnerProduct: new Array<number>(steps).fill(0),
  energy: new Array<number>(steps).fill(0),
  frames: new Float32Array(frames * n * 3),
  frameTimes: linspace(0, 1, frames),
});
const fold = (actions: Action[], start: ViewState = initialState()): ViewState => actions.reduce(reduce, start);
const onTab = (...more: Action[]) => fold([model(), run(1), { type: 'ui/tab', tab: 'particles' }, ...more]);
const close = (a: number, b: number, tol = 1e-12) => assert.ok(Math.abs(a - b) <= tol, `${a} ≠ ${b}`);

/** Row-major 3 × 3 product, written out (independent of the code under test). */
function matmul(a: number[], b: number[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) out.push(a[i * 3]! * b[j]! + a[i * 3 + 1]! * b[3 + j]! + a[i * 3 + 2]! * b[6 + j]!);
  return out;
}
const rx = (t: number) => [1, 0, 0, 0, Math.cos(t), -Math.sin(t), 0, Math.sin(t), Math.cos(t)];
const ry = (t: number) => [Math.cos(t), 0, Math.sin(t), 0, 1, 0, -Math.sin(t), 0, Math.cos(t)];

// ---------------------------------------------------------------- projection

describe('particles projection', () => {
  it('the rotation is Rx(pitch)·Ry(yaw)', () => {
    for (const [yaw, pitch] of [
      [0.3, -0.7],
      [2, 1.2],
      [-1, 0],
    ] as const) {
      const expected = matmul(rx(pitch), ry(yaw));
      Array.from(rotationMatrix(yaw, pitch)).forEach((v, i) => close(v, expected[i]!));
    }
    // A quarter turn of yaw sends pc3 to screen x and pc1 away from the viewer.
    const quarter = projectPoints(Float32Array.from([1, 0, 0, 0, 0, 1]), 0, 2, { mode: '3d', yaw: Math.PI / 2, pitch: 0 });
    close(quarter.xs[0]!, 0, 1e-7), close(quarter.depth[0]!, -1, 1e-7), close(quarter.xs[1]!, 1, 1e-7);
  });

  it('rotations keep lengths (orthogonal, determinant 1)', () => {
    fc.assert(
      fc.property(fc.double({ min: -10, max: 10, noNaN: true }), fc.double({ min: -1.5, max: 1.5, noNaN: true }), fc.array(fc.double({ min: -5, max: 5, noNaN: true }), { minLength: 3, maxLength: 3 }), (yaw, pitch, v) => {
        const p = projectPoints(Float32Array.from(v), 0, 1, { mode: '3d', yaw, pitch });
        const before = Math.hypot(...Float32Array.from(v));
        const after = Math.hypot(p.xs[0]!, p.ys[0]!, p.depth[0]!);
        return Math.abs(before - after) <= 1e-4 * Math.max(1, before);
      }),
    );
    const r = Array.from(rotationMatrix(0.4, 0.9));
    const det = r[0]! * (r[4]! * r[8]! - r[5]! * r[7]!) - r[1]! * (r[3]! * r[8]! - r[5]! * r[6]!) + r[2]! * (r[3]! * r[7]! - r[4]! * r[6]!);
    close(det, 1, 1e-12);
  });

  it('2-D shows (pc1, pc2) of the snapshot at the offset', () => {
    const r = particles();
    const p = projectPoints(r.projection, 9, 3, { mode: '2d' });
    assert.deepEqual([...p.xs], [0.5, Math.fround(0.6), -1]);
    assert.deepEqual([...p.ys], [0.5, Math.fround(0.4), 0]);
    assert.deepEqual([...p.depth], [0, 0, 0]);
  });

  it('the domain holds every snapshot: the largest (pc1, pc2) radius in 2-D, the largest norm in 3-D, padded 8 %', () => {
    const coords = Float32Array.from([3, 4, 0, 0, 0, 12, 1, 1, 1]);
    close(projectionExtent(coords, { mode: '2d' }), 5 * 1.08, 1e-9);
    close(projectionExtent(coords, { mode: '3d', yaw: 0, pitch: 0 }), 12 * 1.08, 1e-9);
    assert.equal(projectionExtent(new Float32Array(3), { mode: '2d' }), 1, 'all at the origin');
  });

  it('paths are token-major: token i, snapshots 0..L−1', () => {
    const t = trajectories(particles().projection, 2, 3, { mode: '2d' });
    assert.deepEqual([...t.xs], [1, 0.5, 0, Math.fround(0.6), 0, -1]);
    assert.deepEqual([...t.ys], [0, 0.5, 1, Math.fround(0.4), 0, 0]);
  });

  it('paints back to front and stops the tilt at the poles', () => {
    assert.deepEqual(depthOrder(Float32Array.from([0.5, -1, 0.2, -1])), [1, 3, 2, 0]);
    assert.deepEqual(dragAngle({ yaw: 0, pitch: 1.5 }, 10, 100), { yaw: 0.1, pitch: Math.PI / 2 });
    assert.deepEqual(dragAngle({ yaw: 0, pitch: -1.5 }, 0, -100), { yaw: 0, pitch: -Math.PI / 2 });
  });
});

// ---------------------------------------------------------------- colors, series, exports

describe('particles charts', () => {
  const palette = paletteFromTheme(() => '', 'dark');

  it('ranks clusters by size; singletons are muted, members of one cluster share a color', () => {
    const ranks = clusterRanks([2, 2, 0, 1, 1, 1]);
    assert.deepEqual([...ranks.entries()], [
      [1, { rank: 0, size: 3 }],
      [2, { rank: 1, size: 2 }],
      [0, { rank: 2, size: 1 }],
    ]);
    const colors = clusterColors([2, 2, 0, 1, 1, 1], palette);
    assert.deepEqual(colors[2], palette.muted);
    assert.deepEqual(colors[0], colors[1]);
    assert.deepEqual(colors[3], colors[5]);
    assert.notDeepEqual(colors[0], colors[3]);
    // The largest cluster takes the first color whatever its id: relabelling the ids changes nothing.
    assert.deepEqual(clusterColors([7, 7, 9, 4, 4, 4], palette), colors);
  });

  it('per-layer series and the histogram (highest cosines first)', () => {
    const r = particles(2, 0.05);
    const s = layerSeries(r);
    assert.deepEqual(s.clusters.values, [3, 2]);
    assert.deepEqual(s.effectiveRank.values, [2.5, 1.4]);
    assert.deepEqual(s.energy.values, [0.7, 0.9]);
    assert.match(s.energy.name, /β = 2/);
    assert.match(s.clusters.name, /δ = 0\.05/);
    assert.deepEqual(s.cosine.map((c) => c.values), [
      [0.1, 0.6],
      [-0.5, 0.2],
    ]);
    assert.deepEqual(histogramBins(r, 0), [
      { label: '0.00 – 1.00', value: 2 },
      { label: '-1.00 – 0.00', value: 1 },
    ]);
    assert.deepEqual(histogramBins(r, 5), [], 'no such snapshot');
    // Five bins shown as at most two: runs of three neighbours (the last run shorter).
    const fine = { ...r, histogramEdges: Float32Array.from([-1, -0.6, -0.2, 0.2, 0.6, 1]), layers: [{ ...r.layers[0]!, histogram: [1, 2, 3, 4, 5] }] };
    assert.deepEqual(histogramBins(fine, 0, 2), [
      { label: '0.20 – 1.00', value: 9 },
      { label: '-1.00 – 0.20', value: 6 },
    ]);
  });

  it('exports one CSV row per snapshot, labels quoted as RFC 4180 needs', () => {
    const r = particles();
    const csv = particlesCsv({ ...r, layers: [{ ...r.layers[0]!, label: 'L0, "in"' }] });
    assert.equal(csv, 'snapshot,label,clusters,mean_cosine,min_cosine,effective_rank,energy_beta_1\r\n0,"L0, ""in""",3,0.1,-0.5,2.5,0.7\r\n');
  });

  it('exports the simulation frames and the phase diagram at every time step', () => {
    const r = { ...simulation(2, 2, 2), frames: Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]) };
    assert.equal(frameParticles(r), 2);
    assert.equal(framesCsv(r), 'frame,t,particle,pc1,pc2,pc3\r\n0,0,0,1,2,3\r\n0,0,1,4,5,6\r\n1,1,0,7,8,9\r\n1,1,1,10,11,12\r\n');
    const phase: PhaseDiagram = { betas: [1, 2], times: [0, 0.5], clusteredFraction: Float32Array.from([0, 0.25, 0.5, 1]) };
    assert.equal(phaseCsv(phase), 'beta \\ t,0,0.5\r\n1,0,0.25\r\n2,0.5,1\r\n');
  });

  it('line charts: y range padded 6 %, 0 kept for counts, flat series widened; nearest x', () => {
    const [lo, hi] = seriesExtent([{ name: 'a', values: [1, 3, NaN] }]);
    close(lo, 0.88), close(hi, 3.12);
    const [zlo, zhi] = seriesExtent([{ name: 'a', values: [1, 3] }], true);
    close(zlo, 0), close(zhi, 3.18);
    assert.deepEqual(seriesExtent([{ name: 'a', values: [2, 2] }]), [1.8, 2.2]);
    assert.deepEqual(seriesExtent([{ name: 'a', values: [] }]), [0, 1]);
    assert.equal(nearestIndex([0, 1, 2, 4], 2.9), 2);
    assert.equal(nearestIndex([0, 1, 2, 4], 3.1), 3);
    assert.equal(nearestIndex([0, 1, 2, 4], -5), 0);
    assert.equal(nearestIndex([], 1), undefined);
  });

  it('the kernel fit plots the causal pairs (key ≤ query)', () => {
    const k: ParticleKernel = { ...kernel(0, 0, 2), cosines: Float32Array.from([1, 0.5, 0.25, 1]), scores: Float32Array.from([3, 9, 4, 5]) };
    const pts = kernelPoints(k);
    assert.deepEqual(pts.pairs, [
      [0, 0],
      [1, 0],
      [1, 1],
    ]);
    assert.deepEqual([...pts.xs], [1, 0.25, 1]);
    assert.deepEqual([...pts.ys], [3, 4, 5]);
  });

  it('the phase diagram: largest β on top, time columns sampled evenly with the last kept', () => {
    const r: PhaseDiagram = { betas: [1, 2], times: [0, 1, 2], clusteredFraction: Float32Array.from([0.1, 0.2, 0.3, 0.4, 0.5, 0.6]) };
    const all = phaseCells(r);
    assert.deepEqual(all.betas, [2, 1]);
    assert.deepEqual([...all.values], [0.4, 0.5, 0.6, 0.1, 0.2, 0.3].map(Math.fround));
    const two = phaseCells(r, 2);
    assert.deepEqual(two.times, [0, 2]);
    assert.deepEqual([...two.values], [0.4, 0.6, 0.1, 0.3].map(Math.fround));
  });
});

// ---------------------------------------------------------------- forms

describe('simulation form', () => {
  const context = { dModel: 8, snapshots: 2, tokens: 3, head: { layer: 0, head: 1 } };

  it('the defaults make a request with identity Q/K/V from random points', () => {
    const r = simulationSpec(DEFAULT_SIMULATION, context);
    assert.ok('spec' in r);
    assert.deepEqual(r.spec, {
      params: { n: 32, d: 3, beta: 4, t: 15, dt: 0.05, dynamics: 'sa', integrator: 'euler', delta: 1e-3, seed: 0, init: 'random', frames: 100 },
    });
  });

  it("a head's Q/K/V put the points in d_model; the model's particles also fix n", () => {
    const head = simulationSpec({ ...DEFAULT_SIMULATION, qkv: 'head', d: 3 }, context);
    assert.ok('spec' in head);
    assert.equal(head.spec.params.d, 8);
    assert.deepEqual(head.spec.head, { layer: 0, head: 1 });
    const fromModel = simulationSpec({ ...DEFAULT_SIMULATION, init: 'model', fromLayer: 1 }, context);
    assert.ok('spec' in fromModel);
    assert.equal(fromModel.spec.params.n, 3);
    assert.equal(fromModel.spec.params.d, 8);
    assert.equal(fromModel.spec.params.init, 'given');
    assert.equal(fromModel.spec.fromLayer, 1);
  });

  it('says what is wrong, one thing at a time', () => {
    const error = (form: Partial<typeof DEFAULT_SIMULATION>, c: Parameters<typeof simulationSpec>[1] = context) => {
      const r = simulationSpec({ ...DEFAULT_SIMULATION, ...form }, c);
      return 'error' in r ? r.error : '';
    };
    assert.match(error({ n: 1 }), /^n must be/);
    assert.match(error({ n: 2.5 }), /^n must be/);
    assert.match(error({ beta: -1 }), /^β/);
    assert.match(error({ dt: 0 }), /^The step dt/);
    assert.match(error({ t: 1000, dt: 0.01 }), /100000 steps/);
    assert.match(error({ init: 'orthonormal', n: 4, d: 3 }), /n ≤ d \(n = 4, d = 3\)/);
    assert.match(error({ init: 'model', fromLayer: 2 }), /snapshot must be from 0 to 1/);
    assert.match(error({ init: 'model' }, { head: { layer: 0, head: 0 } }), /Load a model/);
    assert.match(error({ init: 'model' }, { dModel: 8, head: { layer: 0, head: 0 } }), /Run a prompt/);
  });

  it('the phase diagram: identity Q/K/V on random points, β evenly spaced', () => {
    const r = phaseSpec({ ...DEFAULT_SIMULATION, init: 'model', qkv: 'head' }, 1, 3, 5);
    assert.ok('spec' in r);
    assert.deepEqual(r.spec.betas, [1, 1.5, 2, 2.5, 3]);
    assert.equal(r.spec.params.init, 'random');
    assert.equal(r.spec.params.d, DEFAULT_SIMULATION.d);
    assert.ok('error' in phaseSpec(DEFAULT_SIMULATION, 3, 1, 5));
    assert.ok('error' in phaseSpec(DEFAULT_SIMULATION, 0, 1, 1));
  });

  it('keys do not depend on the order a spec was built in', () => {
    assert.equal(stableJson({ b: 1, a: { d: [1, { f: 1, e: 2 }], c: undefined } }), stableJson({ a: { d: [1, { e: 2, f: 1 }] }, b: 1 }));
    assert.equal(stableJson({ a: { d: [1, { e: 2, f: 1 }] }, b: 1 }), '{"a":{"d":[1,{"e":2,"f":1}]},"b":1}');
    const spec: SimulationSpec = { params: { n: 2, d: 2, beta: 1, t: 1, dt: 0.1, dynamics: 'sa', integrator: 'euler', delta: 0.1, seed: 0, init: 'given' }, fromLayer: 0 };
    assert.notEqual(simulationKey(spec, 1), simulationKey(spec, 2), 'from the model: the run matters');
    const { fromLayer: _, ...random } = spec;
    assert.equal(simulationKey(random, 1), simulationKey(random, 2), 'from random points: it does not');
  });
});

// ---------------------------------------------------------------- state and requests

describe('particles state and requests', () => {
  it('host messages are recognised', () => {
    for (const type of ['particles', 'particleKernel', 'simulation', 'phaseDiagram']) assert.ok(isToWebview({ type }));
  });

  it('the tab asks for the statistics, then the selected head kernel, once each', () => {
    const s = onTab();
    assert.deepEqual(wantedRequests(s), [{ key: particlesKey(1, 1, 0.1), message: { type: 'requestParticles', beta: 1, delta: 0.1 } }]);
    const asked = reduce(s, { type: 'ui/requested', key: particlesKey(1, 1, 0.1) });
    assert.deepEqual(wantedRequests(asked), [{ key: kernelKey(1, 0, 0), message: { type: 'requestParticleKernel', layer: 0, head: 0 } }]);
    const both = reduce(asked, { type: 'ui/requested', key: kernelKey(1, 0, 0) });
    assert.deepEqual(wantedRequests(both), []);
    const answered = fold([{ type: 'particles', runId: 1, result: particles() }, { type: 'particleKernel', runId: 1, kernel: kernel(0, 0) }], both);
    assert.equal(answered.requests.size, 0);
    assert.deepEqual(wantedRequests(answered), []);
    // Another head: its kernel.
    const other = reduce(answered, { type: 'ui/selectHead', layer: 0, head: 1 });
    assert.deepEqual(wantedRequests(other).map((r) => r.key), [kernelKey(1, 0, 1)]);
    // Other tabs and no run: nothing.
    assert.deepEqual(wantedRequests(reduce(s, { type: 'ui/tab', tab: 'model' })), []);
    assert.deepEqual(wantedRequests(fold([model(), { type: 'ui/tab', tab: 'particles' }])), []);
  });

  it('new β or δ ask again; invalid values are ignored', () => {
    const s = onTab({ type: 'particles', runId: 1, result: particles() });
    const changed = reduce(s, { type: 'ui/particleParams', beta: 4, delta: 0.1 });
    assert.equal(changed.particleBeta, 4);
    assert.equal(wantedRequests(changed)[0]?.key, particlesKey(1, 4, 0.1));
    assert.equal(reduce(s, { type: 'ui/particleParams', beta: NaN, delta: 5 }), s);
    assert.equal(reduce(s, { type: 'ui/particleParams', beta: -1, delta: 0 }), s);
    assert.equal(reduce(s, { type: 'ui/particleParams', beta: 0, delta: 0.1 }).particleBeta, 0, 'β = 0 is the energy\'s limit');
  });

  it('an error fails the pending request: not asked again until retried', () => {
    const s = fold([{ type: 'ui/requested', key: particlesKey(1, 1, 0.1) }, { type: 'error', message: 'boom' }], onTab());
    assert.equal(s.requests.get(particlesKey(1, 1, 0.1)), 'failed');
    assert.notEqual(wantedRequests(s)[0]?.key, particlesKey(1, 1, 0.1));
    const retried = reduce(s, { type: 'ui/retry', key: particlesKey(1, 1, 0.1) });
    assert.equal(wantedRequests(retried)[0]?.key, particlesKey(1, 1, 0.1));
  });

  it('drops stale and malformed results; a new run forgets the old particles', () => {
    const s = onTab();
    assert.equal(reduce(s, { type: 'particles', runId: 0, result: particles() }), s, 'an older run');
    assert.equal(reduce(s, { type: 'particles', runId: 1, result: { ...particles(), projection: new Float32Array(5) } }), s, 'wrong length');
    assert.equal(reduce(s, { type: 'particleKernel', runId: 1, kernel: { ...kernel(0, 0), cosines: new Float32Array(4) } }), s);
    const got = fold([{ type: 'particles', runId: 1, result: particles() }, { type: 'ui/particleLayer', layer: 7 }], s);
    assert.equal(got.particleLayer, 1, 'the slider stays inside the snapshots');
    assert.equal(clampLayer(-3, particles()), 0);
    const next = reduce(got, run(2));
    assert.equal(next.particles, undefined);
    assert.equal(next.kernels.size, 0);
    assert.equal(wantedRequests(next)[0]?.key, particlesKey(2, 1, 0.1));
  });

  it('a simulation is asked for when the user presses Simulate, and kept across runs unless it started from one', () => {
    const random = simulationSpec(DEFAULT_SIMULATION, { head: { layer: 0, head: 0 } });
    assert.ok('spec' in random);
    const s = onTab({ type: 'particles', runId: 1, result: particles() }, { type: 'particleKernel', runId: 1, kernel: kernel(0, 0) });
    assert.deepEqual(wantedRequests(s), []);
    const wanted = reduce(s, { type: 'ui/simulate', spec: random.spec });
    const key = simulationKey(random.spec, 1);
    assert.deepEqual(wantedRequests(wanted), [{ key, message: { type: 'requestSimulation', spec: random.spec } }]);
    const done = fold([{ type: 'ui/requested', key }, { type: 'simulation', spec: random.spec, result: simulation() }], wanted);
    assert.equal(done.simulation?.key, key);
    assert.equal(done.requests.size, 0);
    assert.equal(reduce(done, run(2)).simulation, done.simulation, 'random points do not depend on the run');
    assert.equal(reduce(wanted, { type: 'simulation', spec: random.spec, result: { ...simulation(), energy: [1] } }), wanted, 'malformed');

    const fromRun = simulationSpec({ ...DEFAULT_SIMULATION, init: 'model', fromLayer: 1 }, { dModel: 8, snapshots: 2, tokens: 3, head: { layer: 0, head: 0 } });
    assert.ok('spec' in fromRun);
    const modelSim = fold([{ type: 'ui/simulate', spec: fromRun.spec }, { type: 'simulation', spec: fromRun.spec, runId: 1, result: simulation(3, 3) }], s);
    assert.equal(modelSim.simulation?.key, simulationKey(fromRun.spec, 1));
    assert.equal(reduce(s, { type: 'simulation', spec: fromRun.spec, runId: 0, result: simulation(3, 3) }), s, "another run's particles");
    const after = reduce(modelSim, run(2));
    assert.equal(after.simulation, undefined);
    assert.equal(after.simulationWanted, undefined);
  });

  it('the phase diagram is asked for once; a new model forgets it but keeps β and δ', () => {
    const spec = phaseSpec(DEFAULT_SIMULATION, 1, 2, 2);
    assert.ok('spec' in spec);
    const s = fold([{ type: 'ui/particleParams', beta: 3, delta: 0.2 }, { type: 'particles', runId: 1, result: particles(3, 0.2) }, { type: 'particleKernel', runId: 1, kernel: kernel(0, 0) }, { type: 'ui/phaseDiagram', spec: spec.spec }], onTab());
    const key = phaseKey(spec.spec);
    assert.deepEqual(wantedRequests(s), [{ key, message: { type: 'requestPhaseDiagram', spec: spec.spec } }]);
    const result: PhaseDiagram = { betas: [1, 2], times: [0, 1], clusteredFraction: new Float32Array(4) };
    const done = fold([{ type: 'ui/requested', key }, { type: 'phaseDiagram', spec: spec.spec, result }], s);
    assert.equal(done.phase?.result, result);
    assert.deepEqual(wantedRequests(done), []);
    const other = reduce(done, model('/other'));
    assert.equal(other.phase, undefined);
    assert.equal(other.phaseWanted, undefined);
    assert.equal(other.particleBeta, 3);
    assert.equal(other.particleDelta, 0.2);
  });

  it('the particles tab is a tab; showTab opens it', () => {
    const s = fold([model(), { type: 'showTab', tab: 'particles' }]);
    assert.equal(s.tab, 'particles');
  });
});
