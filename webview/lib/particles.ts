/**
 * The Particles tab's view logic (Geshkovski et al. 2023, arXiv 2312.10794: tokens as particles on
 * the sphere): the fixed PCA projection seen in 2-D or rotated in 3-D, trajectories across layers,
 * cluster colors, the per-layer series and histogram, the simulation and phase-diagram forms, and
 * the request keys. Pure numbers; no DOM.
 */
import type { ParticleKernel, ParticlesResult, PhaseDiagram, SimulationResult } from '../../src/protocol/particles';
import type { PhaseDiagramSpec, SimulationSpec } from '../../src/protocol/webview';
import { mix, type Palette, type Rgba } from './color';
import { toCsv } from './csv';
import { formatNumber } from './format';

export const DEFAULT_BETA = 1;
export const DEFAULT_DELTA = 0.1;

// ---------------------------------------------------------------- request keys

export function particlesKey(runId: number, beta: number, delta: number): string {
  return `particles:${runId}:${beta}:${delta}`;
}

export function kernelKey(runId: number, layer: number, head: number): string {
  return `particleKernel:${runId}:${layer}:${head}`;
}

/** A simulation's key: its spec, and the run when it starts from the run's particles. */
export function simulationKey(spec: SimulationSpec, runId: number | undefined): string {
  return `simulation:${spec.fromLayer !== undefined ? runId ?? -1 : ''}:${stableJson(spec)}`;
}

export function phaseKey(spec: PhaseDiagramSpec): string {
  return `phase:${stableJson(spec)}`;
}

/** JSON with object keys sorted, so equal specs give equal keys whatever order they were built in. */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

// ---------------------------------------------------------------- projection and rotation

/** How the scatter shows the 3 principal coordinates: the first two, or all three rotated. */
export type ViewAngle = { readonly mode: '2d' } | { readonly mode: '3d'; readonly yaw: number; readonly pitch: number };

export const DEFAULT_3D: ViewAngle = { mode: '3d', yaw: 0.6, pitch: 0.35 };

/**
 * The rotation (row-major 3 × 3) that turns the scene by `yaw` about the vertical axis and then
 * tilts it by `pitch` about the horizontal one: R = Rx(pitch) · Ry(yaw). Screen x, y are the first
 * two rows applied to a point; the third row is its depth (toward the viewer).
 */
export function rotationMatrix(yaw: number, pitch: number): Float64Array {
  const cy = Math.cos(yaw);
  const sy = Math.sin(yaw);
  const cp = Math.cos(pitch);
  const sp = Math.sin(pitch);
  // Ry = [[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]];  Rx = [[1, 0, 0], [0, cp, -sp], [0, sp, cp]].
  return Float64Array.from([cy, 0, sy, sp * sy, cp, -sp * cy, -cp * sy, sp, cp * cy]);
}

/** A drag by (dx, dy) CSS pixels turns the view: 0.01 rad per pixel; the tilt stops at the poles. */
export function dragAngle(angle: { yaw: number; pitch: number }, dx: number, dy: number): { yaw: number; pitch: number } {
  const limit = Math.PI / 2;
  return { yaw: angle.yaw + dx * 0.01, pitch: Math.max(-limit, Math.min(limit, angle.pitch + dy * 0.01)) };
}

export interface Projected {
  readonly xs: Float32Array;
  readonly ys: Float32Array;
  /** Toward the viewer (3-D only; zeros in 2-D). */
  readonly depth: Float32Array;
}

/**
 * Screen coordinates of `count` points stored as [count, 3] from `offset` in `coords` (principal
 * coordinates): (pc1, pc2) in 2-D, the rotated point in 3-D.
 */
export function projectPoints(coords: ArrayLike<number>, offset: number, count: number, view: ViewAngle): Projected {
  const xs = new Float32Array(count);
  const ys = new Float32Array(count);
  const depth = new Float32Array(count);
  const r = view.mode === '3d' ? rotationMatrix(view.yaw, view.pitch) : undefined;
  for (let i = 0; i < count; i++) {
    const a = coords[offset + 3 * i]!;
    const b = coords[offset + 3 * i + 1]!;
    const c = coords[offset + 3 * i + 2]!;
    if (!r) {
      xs[i] = a;
      ys[i] = b;
      continue;
    }
    xs[i] = r[0]! * a + r[1]! * b + r[2]! * c;
    ys[i] = r[3]! * a + r[4]! * b + r[5]! * c;
    depth[i] = r[6]! * a + r[7]! * b + r[8]! * c;
  }
  return { xs, ys, depth };
}

/**
 * Half the side of the square domain that holds every point of every layer, in any rotation (3-D:
 * the largest norm) or in the (pc1, pc2) plane (2-D), padded by 8 %. Fixed across layers, so the
 * points move and the axes do not.
 */
export function projectionExtent(coords: ArrayLike<number>, view: ViewAngle): number {
  let m = 0;
  for (let i = 0; i + 2 < coords.length; i += 3) {
    const a = coords[i]!;
    const b = coords[i + 1]!;
    const c = view.mode === '3d' ? coords[i + 2]! : 0;
    const r = Math.sqrt(a * a + b * b + c * c);
    if (Number.isFinite(r) && r > m) m = r;
  }
  return m > 0 ? m * 1.08 : 1;
}

/** Indices ordered back to front (smallest depth first), so nearer points paint over farther ones. */
export function depthOrder(depth: ArrayLike<number>): number[] {
  return [...Array(depth.length).keys()].sort((i, j) => depth[i]! - depth[j]! || i - j);
}

/** The offset of snapshot `layer` in a [layer, pos, 3] projection of `n` tokens. */
export function layerOffset(layer: number, n: number): number {
  return layer * n * 3;
}

/**
 * Every token's path across the snapshots in screen coordinates: xs/ys as [token, layer]
 * (token-major, so one token's polyline is contiguous).
 */
export function trajectories(projection: ArrayLike<number>, layers: number, n: number, view: ViewAngle): { xs: Float32Array; ys: Float32Array } {
  const xs = new Float32Array(n * layers);
  const ys = new Float32Array(n * layers);
  for (let l = 0; l < layers; l++) {
    const p = projectPoints(projection, layerOffset(l, n), n, view);
    for (let i = 0; i < n; i++) {
      xs[i * layers + l] = p.xs[i]!;
      ys[i * layers + l] = p.ys[i]!;
    }
  }
  return { xs, ys };
}

// ---------------------------------------------------------------- colors

/** Distinct hues for clusters (Tableau 10, in order), mixed toward the theme for contrast. */
const CATEGORICAL: readonly Rgba[] = [
  [78, 121, 167],
  [242, 142, 43],
  [225, 87, 89],
  [118, 183, 178],
  [89, 161, 79],
  [237, 201, 72],
  [176, 122, 161],
  [255, 157, 167],
  [156, 117, 95],
  [186, 176, 172],
].map(([r, g, b]) => ({ r: r!, g: g!, b: b!, a: 1 }));

/**
 * Cluster ids ranked by size (largest first; ties by id): rank[id]. The largest cluster gets the
 * first color whatever id the engine gave it, so colors stay put as layers change.
 */
export function clusterRanks(clusterOf: readonly number[]): Map<number, { rank: number; size: number }> {
  const sizes = new Map<number, number>();
  for (const c of clusterOf) sizes.set(c, (sizes.get(c) ?? 0) + 1);
  const ids = [...sizes.keys()].sort((a, b) => sizes.get(b)! - sizes.get(a)! || a - b);
  return new Map(ids.map((id, rank) => [id, { rank, size: sizes.get(id)! }]));
}

/**
 * One color per token: clusters of two or more take the categorical colors by size rank (past
 * ten, the colors repeat); tokens alone in their cluster are drawn in the muted text color.
 */
export function clusterColors(clusterOf: readonly number[], p: Palette): Rgba[] {
  const ranks = clusterRanks(clusterOf);
  const light = p.background.r + p.background.g + p.background.b > 3 * 128;
  return clusterOf.map((c) => {
    const r = ranks.get(c)!;
    if (r.size < 2) return p.muted;
    const base = CATEGORICAL[r.rank % CATEGORICAL.length]!;
    // Darker on light themes, a little lighter on dark ones: both keep contrast with the ground.
    return light ? mix(base, { r: 0, g: 0, b: 0, a: 1 }, 0.15) : mix(base, { r: 255, g: 255, b: 255, a: 1 }, 0.1);
  });
}

/** A color per particle index for simulations (no clusters sent per frame): hues around the wheel. */
export function indexColor(i: number, count: number, p: Palette): Rgba {
  return count <= CATEGORICAL.length ? CATEGORICAL[i]! : mix(p.accent, p.negative, count > 1 ? i / (count - 1) : 0);
}

// ---------------------------------------------------------------- per-layer series

export interface Series {
  readonly name: string;
  readonly values: readonly number[];
}

/** The per-layer charts' series, one value per snapshot. */
export function layerSeries(r: ParticlesResult): { clusters: Series; effectiveRank: Series; energy: Series; cosine: readonly Series[] } {
  const pick = (f: (l: ParticlesResult['layers'][number]) => number) => r.layers.map(f);
  return {
    clusters: { name: `Clusters (δ = ${formatNumber(r.delta, 3)})`, values: pick((l) => l.clusters) },
    effectiveRank: { name: 'Effective rank', values: pick((l) => l.effectiveRank) },
    energy: { name: `Energy E_β (β = ${formatNumber(r.beta, 3)})`, values: pick((l) => l.energy) },
    cosine: [
      { name: 'Mean cosine', values: pick((l) => l.meanCosine) },
      { name: 'Min cosine', values: pick((l) => l.minCosine) },
    ],
  };
}

/**
 * The histogram of layer `layer` as labelled bins ("0.90 – 1.00"), highest cosines first; more
 * than `maxBins` bins are merged in runs of ⌈bins / maxBins⌉ neighbours (counts summed), so the
 * chart stays short.
 */
export function histogramBins(r: ParticlesResult, layer: number, maxBins = 20): { label: string; value: number }[] {
  const counts = r.layers[layer]?.histogram ?? [];
  const edges = r.histogramEdges;
  const run = Math.max(1, Math.ceil(counts.length / Math.max(1, maxBins)));
  const bins: { label: string; value: number }[] = [];
  for (let b = 0; b < counts.length; b += run) {
    const end = Math.min(counts.length, b + run);
    let value = 0;
    for (let k = b; k < end; k++) value += counts[k]!;
    bins.push({ label: `${edges[b]!.toFixed(2)} – ${edges[end]!.toFixed(2)}`, value });
  }
  return bins.reverse();
}

/** One row per snapshot with every statistic, for export. */
export function particlesCsv(r: ParticlesResult): string {
  return toCsv(
    ['snapshot', 'label', 'clusters', 'mean_cosine', 'min_cosine', 'effective_rank', `energy_beta_${r.beta}`],
    r.layers.map((l) => [l.layer, l.label, l.clusters, l.meanCosine, l.minCosine, l.effectiveRank, l.energy]),
  );
}

/** The particles' table for export: snapshot, token, principal coordinates, cluster. */
export function projectionCsv(r: ParticlesResult): string {
  const n = r.tokens.length;
  const rows: (string | number | undefined)[][] = [];
  r.layers.forEach((l, li) => {
    for (let i = 0; i < n; i++) {
      const o = layerOffset(li, n) + 3 * i;
      rows.push([li, i, r.tokenTexts[i] ?? '', r.projection[o], r.projection[o + 1], r.projection[o + 2], l.clusterOf[i]]);
    }
  });
  return toCsv(['snapshot', 'position', 'token', 'pc1', 'pc2', 'pc3', 'cluster'], rows);
}

/** The snapshot the slider shows, kept inside the result's snapshots. */
export function clampLayer(layer: number, r: ParticlesResult | undefined): number {
  const count = r?.layers.length ?? 0;
  return count === 0 ? 0 : Math.max(0, Math.min(count - 1, Math.round(layer)));
}

/** The next frame of a looping animation over `count` frames. */
export function nextFrame(frame: number, count: number): number {
  return count <= 0 ? 0 : (frame + 1) % count;
}

/** Whether a result is whole: every array has the length its shape says. */
export function validParticles(r: ParticlesResult | undefined): r is ParticlesResult {
  if (typeof r !== 'object' || r === null || !Array.isArray(r.layers)) return false;
  const n = r.tokens.length;
  const bins = r.histogramEdges instanceof Float32Array ? r.histogramEdges.length - 1 : -1;
  return (
    n > 0 &&
    r.layers.length > 0 &&
    r.tokenTexts.length === n &&
    r.projection instanceof Float32Array &&
    r.projection.length === r.layers.length * n * 3 &&
    r.layers.every((l) => l.clusterOf.length === n && l.histogram.length === bins)
  );
}

export function validKernel(k: ParticleKernel | undefined): k is ParticleKernel {
  if (typeof k !== 'object' || k === null) return false;
  const n2 = k.pattern instanceof Float32Array ? k.pattern.length : -1;
  const n = Math.round(Math.sqrt(n2));
  return n > 0 && n * n === n2 && k.cosines instanceof Float32Array && k.cosines.length === n2 && k.scores instanceof Float32Array && k.scores.length === n2;
}

/** Points of the effective-β fit: (cosine, score) of the causal entries (key ≤ query). */
export function kernelPoints(k: ParticleKernel): { xs: Float32Array; ys: Float32Array; pairs: [number, number][] } {
  const n = Math.round(Math.sqrt(k.pattern.length));
  const count = (n * (n + 1)) / 2;
  const xs = new Float32Array(count);
  const ys = new Float32Array(count);
  const pairs: [number, number][] = [];
  let j = 0;
  for (let q = 0; q < n; q++)
    for (let key = 0; key <= q; key++) {
      xs[j] = k.cosines[q * n + key]!;
      ys[j] = k.scores[q * n + key]!;
      pairs.push([q, key]);
      j++;
    }
  return { xs, ys, pairs };
}

// ---------------------------------------------------------------- simulation

export interface SimulationForm {
  readonly dynamics: 'sa' | 'usa';
  readonly n: number;
  readonly d: number;
  readonly beta: number;
  readonly t: number;
  readonly dt: number;
  readonly integrator: 'euler' | 'rk4';
  readonly delta: number;
  readonly seed: number;
  /** Random points, orthonormal points, or the model's particles at snapshot `fromLayer`. */
  readonly init: 'random' | 'orthonormal' | 'model';
  readonly fromLayer: number;
  /** Q = K = V = I, or the selected head's own W_Q, W_K, W_OV. */
  readonly qkv: 'identity' | 'head';
  readonly frames: number;
}

export const DEFAULT_SIMULATION: SimulationForm = {
  dynamics: 'sa',
  n: 32,
  d: 3,
  beta: 4,
  t: 15,
  dt: 0.05,
  integrator: 'euler',
  delta: 1e-3,
  seed: 0,
  init: 'random',
  fromLayer: 0,
  qkv: 'identity',
  frames: 100,
};

/** Steps one simulation may take: T / dt. */
export const MAX_STEPS = 20000;
export const MAX_PARTICLES = 1024;
export const MAX_DIMENSION = 4096;

/** What the simulation can start from: the model's width, its snapshots and the run's token count. */
export interface SimulationContext {
  readonly dModel?: number;
  readonly snapshots?: number;
  readonly tokens?: number;
  readonly head: { readonly layer: number; readonly head: number };
}

/**
 * The request for a form, or the one thing wrong with it. With a head's Q/K/V the points live in
 * d_model; from the model's particles, n is the run's token count and d is d_model.
 */
export function simulationSpec(form: SimulationForm, c: SimulationContext): { spec: SimulationSpec } | { error: string } {
  const fromModel = form.init === 'model';
  const headQkv = form.qkv === 'head';
  if ((fromModel || headQkv) && c.dModel === undefined) return { error: 'Load a model to start from its particles or use its heads.' };
  if (fromModel && (c.tokens === undefined || c.snapshots === undefined)) return { error: 'Run a prompt first: the simulation starts from its particles.' };
  const n = fromModel ? c.tokens! : form.n;
  const d = fromModel || headQkv ? c.dModel! : form.d;
  const checks: [boolean, string][] = [
    [Number.isInteger(n) && n >= 2 && n <= MAX_PARTICLES, `n must be a whole number from 2 to ${MAX_PARTICLES}.`],
    [Number.isInteger(d) && d >= 2 && d <= MAX_DIMENSION, `d must be a whole number from 2 to ${MAX_DIMENSION}.`],
    [Number.isFinite(form.beta) && form.beta >= 0, 'β must be a number ≥ 0.'],
    [Number.isFinite(form.t) && form.t > 0, 'The time horizon T must be a positive number.'],
    [Number.isFinite(form.dt) && form.dt > 0 && form.dt <= form.t, 'The step dt must be a positive number no larger than T.'],
    [form.t / form.dt <= MAX_STEPS, `T / dt is ${Math.ceil(form.t / form.dt)} steps; at most ${MAX_STEPS} are allowed.`],
    [Number.isFinite(form.delta) && form.delta > 0 && form.delta < 2, 'δ must be between 0 and 2.'],
    [Number.isInteger(form.seed) && form.seed >= 0, 'The seed must be a whole number ≥ 0.'],
    [form.init !== 'orthonormal' || n <= d, `Orthonormal starting points need n ≤ d (n = ${n}, d = ${d}).`],
    [!fromModel || (Number.isInteger(form.fromLayer) && form.fromLayer >= 0 && form.fromLayer < (c.snapshots ?? 0)), `The starting snapshot must be from 0 to ${(c.snapshots ?? 1) - 1}.`],
  ];
  const failed = checks.find(([ok]) => !ok);
  if (failed) return { error: failed[1] };
  const spec: SimulationSpec = {
    params: {
      n,
      d,
      beta: form.beta,
      t: form.t,
      dt: form.dt,
      dynamics: form.dynamics,
      integrator: form.integrator,
      delta: form.delta,
      seed: form.seed,
      init: fromModel ? 'given' : form.init,
      frames: Math.max(2, Math.min(400, Math.round(form.frames))),
    },
    ...(headQkv ? { head: { layer: c.head.layer, head: c.head.head } } : {}),
    ...(fromModel ? { fromLayer: form.fromLayer } : {}),
  };
  return { spec };
}

/** `count` values evenly from `lo` to `hi` (both included). */
export function linspace(lo: number, hi: number, count: number): number[] {
  if (count <= 1) return [lo];
  return Array.from({ length: count }, (_, i) => Number((lo + ((hi - lo) * i) / (count - 1)).toPrecision(12)));
}

/**
 * The phase diagram's request: the simulation form's dynamics on random (or orthonormal) points
 * with identity Q/K/V, for `count` values of β from `lo` to `hi`.
 */
export function phaseSpec(form: SimulationForm, lo: number, hi: number, count: number): { spec: PhaseDiagramSpec } | { error: string } {
  if (!(Number.isFinite(lo) && Number.isFinite(hi) && lo >= 0 && hi > lo)) return { error: 'The β range needs 0 ≤ β min < β max.' };
  if (!(Number.isInteger(count) && count >= 2 && count <= 64)) return { error: 'The number of β values must be a whole number from 2 to 64.' };
  const base = simulationSpec({ ...form, init: form.init === 'model' ? 'random' : form.init, qkv: 'identity' }, { head: { layer: 0, head: 0 } });
  if ('error' in base) return base;
  return { spec: { params: base.spec.params, betas: linspace(lo, hi, count) } };
}

/** The simulation's time plots. */
export function simulationSeries(r: SimulationResult): readonly Series[] {
  return [
    { name: 'Clusters', values: r.clusters },
    { name: 'Clustered pairs', values: r.clusteredFraction },
    { name: 'Min ⟨xᵢ, xⱼ⟩', values: r.minInnerProduct },
    { name: 'Energy', values: r.energy },
  ];
}

export function simulationCsv(r: SimulationResult): string {
  return toCsv(
    ['t', 'clusters', 'clustered_fraction', 'min_inner_product', 'mean_inner_product', 'energy'],
    r.times.map((t, i) => [t, r.clusters[i], r.clusteredFraction[i], r.minInnerProduct[i], r.meanInnerProduct[i], r.energy[i]]),
  );
}

/** The animation's frames for export: frame, time, particle and its three principal coordinates. */
export function framesCsv(r: SimulationResult): string {
  const n = frameParticles(r);
  const rows: number[][] = [];
  r.frameTimes.forEach((t, f) => {
    for (let i = 0; i < n; i++) rows.push([f, t, i, ...Array.from(r.frames.subarray((f * n + i) * 3, (f * n + i) * 3 + 3))]);
  });
  return toCsv(['frame', 't', 'particle', 'pc1', 'pc2', 'pc3'], rows);
}

/** Number of particles in each frame of a simulation ([frame, n, 3]). */
export function frameParticles(r: SimulationResult): number {
  const frames = r.frameTimes.length;
  return frames > 0 ? Math.floor(r.frames.length / (frames * 3)) : 0;
}

export function validSimulation(r: SimulationResult | undefined): r is SimulationResult {
  if (typeof r !== 'object' || r === null || !Array.isArray(r.times)) return false;
  const t = r.times.length;
  const n = frameParticles(r);
  return t > 0 && [r.clusters, r.clusteredFraction, r.minInnerProduct, r.meanInnerProduct, r.energy].every((a) => a.length === t) && r.frames instanceof Float32Array && n > 0 && r.frames.length === r.frameTimes.length * n * 3;
}

export function validPhase(r: PhaseDiagram | undefined): r is PhaseDiagram {
  return typeof r === 'object' && r !== null && r.clusteredFraction instanceof Float32Array && r.betas.length > 0 && r.clusteredFraction.length === r.betas.length * r.times.length;
}

/**
 * The phase diagram as heatmap cells: β on rows (largest on top, as a y axis reads), at most
 * `maxCols` time columns sampled evenly (the last time always included).
 */
export function phaseCells(r: PhaseDiagram, maxCols = 80): { values: Float32Array; rows: number; cols: number; betas: number[]; times: number[] } {
  const T = r.times.length;
  const cols = Math.min(T, Math.max(1, maxCols));
  const timeIdx = cols === 1 ? [T - 1] : Array.from({ length: cols }, (_, j) => Math.round((j * (T - 1)) / (cols - 1)));
  const rows = r.betas.length;
  const values = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    const b = rows - 1 - i;
    for (let j = 0; j < cols; j++) values[i * cols + j] = r.clusteredFraction[b * T + timeIdx[j]!]!;
  }
  return { values, rows, cols, betas: r.betas.map((_, i) => r.betas[rows - 1 - i]!), times: timeIdx.map((k) => r.times[k]!) };
}

export function phaseCsv(r: PhaseDiagram): string {
  const T = r.times.length;
  return toCsv(
    ['beta \\ t', ...r.times.map(String)],
    r.betas.map((b, i) => [b, ...Array.from(r.clusteredFraction.subarray(i * T, (i + 1) * T))]),
  );
}

// ---------------------------------------------------------------- line charts

/**
 * The y range of line charts: every finite value of every series, padded by 6 % of the span (a
 * flat series gets ±10 % of its value, or ±1 at zero); `zero` keeps 0 inside (counts, ranks).
 */
export function seriesExtent(series: readonly Series[], zero = false): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of series)
    for (const v of s.values)
      if (Number.isFinite(v)) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
  if (lo > hi) return [0, 1];
  if (zero) {
    lo = Math.min(lo, 0);
    hi = Math.max(hi, 0);
  }
  if (hi === lo) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    return [lo - pad, hi + pad];
  }
  const pad = (hi - lo) * 0.06;
  return [zero && lo === 0 ? 0 : lo - pad, zero && hi === 0 ? 0 : hi + pad];
}

/** The index of the x value nearest to `x` in ascending `xs` (binary search). */
export function nearestIndex(xs: readonly number[], x: number): number | undefined {
  if (xs.length === 0 || !Number.isFinite(x)) return undefined;
  let lo = 0;
  let hi = xs.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (xs[mid]! <= x) lo = mid;
    else hi = mid;
  }
  return Math.abs(xs[hi]! - x) < Math.abs(x - xs[lo]!) ? hi : lo;
}
