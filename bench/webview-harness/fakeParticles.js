// Fake host answers for the Particles tab: the prompt's tokens as points on the 2-sphere that
// gather into a few clusters over the layers, their statistics (cosines, clusters of cos > 1 − δ,
// energy, histogram), a head's kernel, and a small self-attention simulation on S² (projected
// Euler) for the simulation and phase-diagram requests. Plausible shapes for the views, not a model.
import { rng } from './fake.js';

function normalize(v) {
  const r = Math.hypot(...v) || 1;
  return v.map((x) => x / r);
}

const dot = (a, b) => a.reduce((s, x, i) => s + x * b[i], 0);

/** Statistics of unit points: clusters (components of cos > 1 − δ), cosines, histogram, energy. */
function stats(points, beta, delta, bins) {
  const n = points.length;
  const parent = [...Array(n).keys()];
  const find = (i) => (parent[i] === i ? i : (parent[i] = find(parent[i])));
  const histogram = new Array(bins).fill(0);
  let sum = 0;
  let min = Infinity;
  let energy = 0;
  let frob = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const c = dot(points[i], points[j]);
      energy += Math.exp(beta * c);
      frob += c * c;
      if (j <= i) continue;
      sum += c;
      min = Math.min(min, c);
      histogram[Math.min(bins - 1, Math.floor(((c + 1) / 2) * bins))]++;
      if (c > 1 - delta) parent[find(i)] = find(j);
    }
  }
  const roots = [...new Set(points.map((_, i) => find(i)))];
  return {
    clusters: roots.length,
    clusterOf: points.map((_, i) => roots.indexOf(find(i))),
    meanCosine: sum / ((n * (n - 1)) / 2),
    minCosine: min,
    // Participation ratio of the Gram eigenvalues, tr(G)² / ‖G‖_F² (a stand-in for the entropy rank).
    effectiveRank: (n * n) / frob,
    energy: energy / (2 * beta * n * n),
    histogram,
  };
}

/** The prompt's particles: random points pulled toward 3 centres, more at each layer. */
export function particles(tokens, beta, delta, layers = 2) {
  const rand = rng(17);
  const n = tokens.length;
  const centres = [normalize([1, 0.3, 0.2]), normalize([-0.4, 1, 0.1]), normalize([0.1, -0.5, -1])];
  const start = tokens.map(() => normalize([rand() - 0.5, rand() - 0.5, rand() - 0.5]));
  const bins = 20;
  const snapshots = [];
  const projection = new Float32Array((layers + 1) * n * 3);
  for (let l = 0; l <= layers; l++) {
    const pull = l / (layers + 0.4);
    const points = start.map((p, i) => normalize(p.map((x, k) => (1 - pull) * x + pull * centres[i % 3][k])));
    points.forEach((p, i) => projection.set(p, (l * n + i) * 3));
    snapshots.push({ layer: l, label: l < layers ? `L${l} (ln1 input)` : 'final', ...stats(points, beta, delta, bins) });
  }
  return {
    tokens: tokens.map((_, i) => i),
    tokenTexts: tokens,
    layers: snapshots,
    dModel: 256,
    projection,
    explainedVariance: [0.41, 0.27, 0.12],
    beta,
    delta,
    histogramEdges: Float32Array.from({ length: bins + 1 }, (_, b) => -1 + (2 * b) / bins),
  };
}

export function kernel(pattern, result, layer, head) {
  const n = result.tokens.length;
  const cosines = new Float32Array(n * n);
  const scores = new Float32Array(n * n);
  const rand = rng(layer * 5 + head);
  const at = (i) => Array.from(result.projection.subarray((layer * n + i) * 3, (layer * n + i) * 3 + 3));
  for (let q = 0; q < n; q++)
    for (let k = 0; k < n; k++) {
      cosines[q * n + k] = dot(at(q), at(k));
      scores[q * n + k] = k <= q ? 2.5 * cosines[q * n + k] + (rand() - 0.5) : 0;
    }
  return { layer, head, pattern: pattern.slice(head * n * n, (head + 1) * n * n), cosines, scores, effectiveBeta: 2.43, r2: 0.71 };
}

/** Self-attention dynamics on S² (Q = K = V = I), projected Euler. */
export function simulate(params, onProgress) {
  const rand = rng(params.seed + 1);
  const n = Math.min(params.n, 64);
  let x = Array.from({ length: n }, () => normalize([rand() - 0.5, rand() - 0.5, rand() - 0.5]));
  const steps = Math.round(params.t / params.dt);
  const frameEvery = Math.max(1, Math.floor(steps / ((params.frames ?? 100) - 1)));
  const out = { times: [], clusters: [], clusteredFraction: [], minInnerProduct: [], meanInnerProduct: [], energy: [], frameTimes: [] };
  const frames = [];
  for (let s = 0; s <= steps; s++) {
    const st = stats(x, params.beta, params.delta, 2);
    const pairs = (n * (n - 1)) / 2;
    let clustered = 0;
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) if (dot(x[i], x[j]) > 1 - params.delta) clustered++;
    out.times.push(s * params.dt);
    out.clusters.push(st.clusters);
    out.clusteredFraction.push(clustered / pairs);
    out.minInnerProduct.push(st.minCosine);
    out.meanInnerProduct.push(st.meanCosine);
    out.energy.push(st.energy);
    if (s % frameEvery === 0 || s === steps) {
      frames.push(...x.flat());
      out.frameTimes.push(s * params.dt);
    }
    onProgress?.(s / steps);
    x = x.map((xi) => {
      const w = x.map((xj) => Math.exp(params.beta * dot(xi, xj)));
      const z = params.dynamics === 'usa' ? n : w.reduce((a, b) => a + b, 0);
      const v = [0, 1, 2].map((k) => x.reduce((acc, xj, j) => acc + w[j] * xj[k], 0) / z);
      const radial = dot(v, xi);
      return normalize(xi.map((c, k) => c + params.dt * (v[k] - radial * c)));
    });
  }
  return { ...out, frames: Float32Array.from(frames) };
}

export function phaseDiagram(params, betas) {
  const times = [];
  const rows = betas.map((beta) => {
    const r = simulate({ ...params, beta, n: Math.min(params.n, 24) });
    if (times.length === 0) times.push(...r.times);
    return r.clusteredFraction;
  });
  return { betas, times, clusteredFraction: Float32Array.from(rows.flat()) };
}
