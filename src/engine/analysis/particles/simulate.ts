/**
 * The self-attention dynamics on the sphere S^{d−1} of Geshkovski, Letrouit, Polyanskiy, Rigollet
 * (2023, arXiv 2312.10794), in plain float64 TypeScript for small n and d:
 *
 *   SA:  ẋ_i = P_{x_i}( Σ_j e^{β⟨Qx_i, Kx_j⟩} V x_j / Z_i ),   Z_i = Σ_j e^{β⟨Qx_i, Kx_j⟩}
 *   USA: ẋ_i = P_{x_i}( (1/n) Σ_j e^{β⟨Qx_i, Kx_j⟩} V x_j )
 *
 * with P_x y = y − ⟨x, y⟩x the projection onto the tangent space at x. Every token attends to every
 * token (the paper's dynamics have no causal mask). Q, K, V are d × d in the paper's column
 * convention (x ↦ Qx), identity by default.
 *
 * Integration: projected Euler, x ← (x + h f(x)) / ‖·‖, or classical RK4 whose stage points are
 * put back on the sphere before the field is evaluated, and whose step is renormalized likewise.
 * The step h is dt adjusted so a whole number of steps ends exactly at t.
 */
import type { SimulationParams, SimulationResult } from '../../../protocol/particles';
import { EngineError } from '../../errors';
import { SeededRandom } from '../linalg';
import { principalAxes, project } from './pca';
import { clusters, energy, gram, pairStats, unitRows } from './sphereStats';

export const DEFAULT_FRAMES = 100;
/** Refuse simulations above this many multiply-adds (tens of seconds of work on one core). */
export const MAX_WORK = 3e10;
const MAX_STEPS = 1_000_000;

export interface SimulationOptions {
  readonly signal?: AbortSignal;
  /** Fraction of the steps done, 0..1. */
  readonly onProgress?: (fraction: number) => void;
}

/**
 * Q and K restricted to the rows r where both are nonzero: ⟨Qx, Ky⟩ = Σ_r (Qx)_r (Ky)_r needs only
 * those, and a head's Q, K (d_head rows padded to d) have d_head of them. [rows, d] each.
 */
interface Scoring {
  readonly rows: number;
  readonly q: Float64Array;
  readonly k: Float64Array;
}

/** The checked parameters, with the scoring and value matrices formed. */
interface Prepared {
  readonly n: number;
  readonly d: number;
  readonly beta: number;
  readonly steps: number;
  readonly h: number;
  readonly usa: boolean;
  /** Q and K (their shared nonzero rows), or undefined for Q = K = I. */
  readonly scoring?: Scoring;
  /** V, [d, d] row-major, or undefined for the identity. */
  readonly value?: Float64Array;
}

function bad(message: string): EngineError {
  return new EngineError('BAD_ARGUMENT', message);
}

function isCount(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= min && value <= max;
}

/** Number of steps of the simulation: t / dt rounded (at least one unless t = 0). */
export function stepCount(t: number, dt: number): number {
  return t === 0 ? 0 : Math.max(1, Math.round(t / dt));
}

/** Throws BAD_ARGUMENT naming the first bad parameter. */
export function checkSimulationParams(p: SimulationParams): void {
  if (!isCount(p.n, 1, 4096)) throw bad(`n (the number of particles) must be an integer from 1 to 4096, got ${String(p.n)}`);
  if (!isCount(p.d, 2, 8192)) throw bad(`d (the dimension) must be an integer from 2 to 8192, got ${String(p.d)}`);
  if (typeof p.beta !== 'number' || !Number.isFinite(p.beta)) throw bad(`β must be a finite number, got ${String(p.beta)}`);
  if (typeof p.t !== 'number' || !(p.t >= 0) || !Number.isFinite(p.t)) throw bad(`the time horizon t must be a finite number ≥ 0, got ${String(p.t)}`);
  if (typeof p.dt !== 'number' || !(p.dt > 0) || !Number.isFinite(p.dt)) throw bad(`the step dt must be a positive number, got ${String(p.dt)}`);
  if (p.dynamics !== 'sa' && p.dynamics !== 'usa') throw bad(`dynamics must be "sa" or "usa", got "${String(p.dynamics)}"`);
  if (p.integrator !== 'euler' && p.integrator !== 'rk4') throw bad(`the integrator must be "euler" or "rk4", got "${String(p.integrator)}"`);
  if (typeof p.delta !== 'number' || !(p.delta >= 0 && p.delta <= 2)) throw bad(`δ must be a number from 0 to 2, got ${String(p.delta)}`);
  if (!isCount(p.seed, 0, 0xffffffff)) throw bad(`the seed must be an integer from 0 to 4294967295, got ${String(p.seed)}`);
  if (p.frames !== undefined && !isCount(p.frames, 1, 10_000)) throw bad(`frames must be an integer from 1 to 10000, got ${String(p.frames)}`);
  if (p.init === 'orthonormal') {
    if (p.n > p.d) throw bad(`orthonormal initial points need n ≤ d, got n = ${p.n} > d = ${p.d}`);
  } else if (p.init === 'given') {
    if (!p.initialPoints || p.initialPoints.length !== p.n * p.d) {
      throw bad(`given initial points must be n × d = ${p.n * p.d} numbers, got ${p.initialPoints?.length ?? 'none'}`);
    }
    if (!p.initialPoints.every(Number.isFinite)) throw bad('the given initial points contain a NaN or infinite value');
  } else {
    if (p.init !== 'random') throw bad(`init must be "random", "orthonormal" or "given", got "${String(p.init)}"`);
  }
  for (const [name, m] of [['query', p.query], ['key', p.key], ['value', p.value]] as const) {
    if (m === undefined) continue;
    if (m.length !== p.d * p.d) throw bad(`the ${name} matrix must be d × d = ${p.d * p.d} numbers, got ${m.length}`);
    if (!m.every(Number.isFinite)) throw bad(`the ${name} matrix contains a NaN or infinite value`);
  }
  const steps = stepCount(p.t, p.dt);
  if (steps > MAX_STEPS) throw bad(`t / dt = ${steps} steps is over the limit of ${MAX_STEPS}; use a larger dt or a shorter t`);
  if (simulationWork(p) > MAX_WORK) {
    throw bad(`n = ${p.n}, d = ${p.d} over ${steps} steps is too much work (${simulationWork(p).toExponential(1)} multiply-adds, limit ${MAX_WORK.toExponential(0)}); reduce n, d or t / dt`);
  }
}

/** Multiply-adds of a simulation, roughly: field evaluations plus the per-step statistics. */
export function simulationWork(p: SimulationParams): number {
  const evaluations = p.integrator === 'rk4' ? 4 : 1;
  const matrices = (p.query || p.key ? 1 : 0) + (p.value ? 1 : 0);
  const perEvaluation = 2 * p.n * p.n * p.d + matrices * p.n * p.d * p.d;
  return stepCount(p.t, p.dt) * (evaluations * perEvaluation + p.n * p.n * p.d);
}

/** The nonzero rows of Q and K (identity for the one not given), or undefined when both are the identity. */
function scoringRows(d: number, q: ArrayLike<number> | undefined, k: ArrayLike<number> | undefined): Scoring | undefined {
  if (!q && !k) return undefined;
  const row = (m: ArrayLike<number> | undefined, r: number) => Float64Array.from({ length: d }, (_, a) => (m ? m[r * d + a]! : r === a ? 1 : 0));
  const kept: number[] = [];
  for (let r = 0; r < d; r++) if (row(q, r).some((v) => v !== 0) && row(k, r).some((v) => v !== 0)) kept.push(r);
  const qRows = new Float64Array(kept.length * d);
  const kRows = new Float64Array(kept.length * d);
  kept.forEach((r, index) => {
    qRows.set(row(q, r), index * d);
    kRows.set(row(k, r), index * d);
  });
  return { rows: kept.length, q: qRows, k: kRows };
}

/** Initial points [n, d] on the sphere. */
export function initialPoints(p: SimulationParams): Float64Array {
  const { n, d } = p;
  if (p.init === 'given') return unitRows(p.initialPoints!, n, d);
  const random = new SeededRandom(p.seed);
  const x = new Float64Array(n * d);
  for (let k = 0; k < n * d; k++) x[k] = random.normal();
  if (p.init === 'orthonormal') {
    // Gram–Schmidt on Gaussian vectors (twice, for orthogonality to rounding): a random orthonormal n-frame.
    for (let i = 0; i < n; i++) {
      for (let pass = 0; pass < 2; pass++) {
        for (let j = 0; j < i; j++) {
          let dot = 0;
          for (let a = 0; a < d; a++) dot += x[i * d + a]! * x[j * d + a]!;
          for (let a = 0; a < d; a++) x[i * d + a] -= dot * x[j * d + a]!;
        }
        let norm2 = 0;
        for (let a = 0; a < d; a++) norm2 += x[i * d + a]! ** 2;
        const scale = 1 / Math.sqrt(norm2);
        for (let a = 0; a < d; a++) x[i * d + a] *= scale;
      }
    }
    return x;
  }
  return unitRows(x, n, d);
}

/** Rows of x [n, d] times Mᵀ for M [rows, d]: row i becomes M x_i, [n, rows]. */
function applyRows(m: Float64Array, rows: number, x: Float64Array, n: number, d: number): Float64Array {
  const out = new Float64Array(n * rows);
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < rows; a++) {
      let s = 0;
      for (let b = 0; b < d; b++) s += m[a * d + b]! * x[i * d + b]!;
      out[i * rows + a] = s;
    }
  }
  return out;
}

/** The vector field at unit points x [n, d] → [n, d] (tangent at each x_i). */
function velocity(s: Prepared, x: Float64Array): Float64Array {
  const { n, d, beta, usa } = s;
  // ⟨Qx_i, Kx_j⟩ as a dot product of rows: Q x_i · K x_j ([n, rows] each), or x_i · x_j for Q = K = I.
  const width = s.scoring ? s.scoring.rows : d;
  const queries = s.scoring ? applyRows(s.scoring.q, width, x, n, d) : x;
  const keys = s.scoring ? applyRows(s.scoring.k, width, x, n, d) : x;
  const values = s.value ? applyRows(s.value, d, x, n, d) : x; // row j: V x_j
  const out = new Float64Array(n * d);
  const weights = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let max = -Infinity;
    for (let j = 0; j < n; j++) {
      let dot = 0;
      for (let a = 0; a < width; a++) dot += queries[i * width + a]! * keys[j * width + a]!;
      weights[j] = beta * dot;
      if (weights[j]! > max) max = weights[j]!;
    }
    // SA normalizes by Z_i (computed with the row max subtracted, which cancels); USA divides by n.
    let z = 0;
    for (let j = 0; j < n; j++) {
      weights[j] = usa ? Math.exp(weights[j]!) / n : Math.exp(weights[j]! - max);
      z += weights[j]!;
    }
    if (usa) {
      // USA has no normalization to subtract the row maximum against: e^{β⟨Qx, Kx⟩} must fit a double.
      if (!Number.isFinite(z)) throw new EngineError('BAD_ARGUMENT', `USA's weights e^{β⟨Qx_i, Kx_j⟩} overflow (β⟨Qx_i, Kx_j⟩ reaches ${max.toPrecision(3)}); lower β or use SA`);
      z = 1;
    }
    let radial = 0;
    for (let a = 0; a < d; a++) {
      let y = 0;
      for (let j = 0; j < n; j++) y += weights[j]! * values[j * d + a]!;
      y /= z;
      out[i * d + a] = y;
      radial += y * x[i * d + a]!;
    }
    for (let a = 0; a < d; a++) out[i * d + a] -= radial * x[i * d + a]!;
  }
  return out;
}

/** x + h·v, each row put back on the sphere. */
function stepOnSphere(x: Float64Array, v: Float64Array, h: number, n: number, d: number): Float64Array {
  const moved = new Float64Array(n * d);
  for (let k = 0; k < n * d; k++) moved[k] = x[k]! + h * v[k]!;
  return unitRows(moved, n, d);
}

function advance(s: Prepared, x: Float64Array, rk4: boolean): Float64Array {
  const { n, d, h } = s;
  const k1 = velocity(s, x);
  if (!rk4) return stepOnSphere(x, k1, h, n, d);
  const k2 = velocity(s, stepOnSphere(x, k1, h / 2, n, d));
  const k3 = velocity(s, stepOnSphere(x, k2, h / 2, n, d));
  const k4 = velocity(s, stepOnSphere(x, k3, h, n, d));
  const combined = new Float64Array(n * d);
  for (let k = 0; k < n * d; k++) combined[k] = (k1[k]! + 2 * k2[k]! + 2 * k3[k]! + k4[k]!) / 6;
  return stepOnSphere(x, combined, h, n, d);
}

/** Steps at which frames are kept: `count` evenly spaced over 0..steps (both ends included). */
export function frameSteps(steps: number, count: number): number[] {
  const frames = Math.min(count, steps + 1);
  if (frames <= 1) return [0];
  return [...new Set(Array.from({ length: frames }, (_, k) => Math.round((k * steps) / (frames - 1))))];
}

/** 3-D axes for the frames: the coordinate axes when d ≤ 3, else the PCA of the initial points. */
function frameAxes(x0: Float64Array, n: number, d: number): Float64Array {
  if (d > 3) return principalAxes(x0, n, d, 3).axes;
  const axes = new Float64Array(3 * d);
  for (let r = 0; r < d; r++) axes[r * d + r] = 1;
  return axes;
}

function cancelled(): EngineError {
  return new EngineError('CANCELLED', 'the simulation was cancelled');
}

/** Runs the dynamics and records the statistics at every step (see SimulationResult). */
export async function simulate(params: SimulationParams, options: SimulationOptions = {}): Promise<SimulationResult> {
  checkSimulationParams(params);
  const { n, d, beta, delta } = params;
  const steps = stepCount(params.t, params.dt);
  const prepared: Prepared = {
    n,
    d,
    beta,
    steps,
    h: steps === 0 ? 0 : params.t / steps,
    usa: params.dynamics === 'usa',
    scoring: scoringRows(d, params.query, params.key),
    value: params.value ? Float64Array.from(params.value) : undefined,
  };
  let x = initialPoints(params);
  const axes = frameAxes(x, n, d);
  const keep = frameSteps(steps, params.frames ?? DEFAULT_FRAMES);
  const frames = new Float32Array(keep.length * n * 3);
  const frameTimes: number[] = [];
  const times: number[] = [];
  const clusterCounts: number[] = [];
  const clusteredFraction: number[] = [];
  const minInnerProduct: number[] = [];
  const meanInnerProduct: number[] = [];
  const energies: number[] = [];
  let nextFrame = 0;
  let lastYield = Date.now();

  for (let step = 0; step <= steps; step++) {
    if (step > 0) x = advance(prepared, x, params.integrator === 'rk4');
    const time = step === steps ? params.t : step * prepared.h;
    const g = gram(x, n, d);
    const pairs = pairStats(g, n, delta);
    times.push(time);
    clusterCounts.push(clusters(g, n, delta).count);
    clusteredFraction.push(pairs.clusteredFraction);
    minInnerProduct.push(pairs.min);
    meanInnerProduct.push(pairs.mean);
    energies.push(energy(g, n, beta));
    if (keep[nextFrame] === step) {
      frames.set(project(x, n, d, axes, 3), nextFrame * n * 3);
      frameTimes.push(time);
      nextFrame++;
    }
    if (Date.now() - lastYield > 50) {
      options.onProgress?.(steps === 0 ? 1 : step / steps);
      if (options.signal) {
        await new Promise((resolve) => setImmediate(resolve)); // let a cancel message arrive
        if (options.signal.aborted) throw cancelled();
      }
      lastYield = Date.now();
    }
  }
  if (options.signal?.aborted) throw cancelled();
  return {
    times,
    clusters: clusterCounts,
    clusteredFraction,
    minInnerProduct,
    meanInnerProduct,
    energy: energies,
    frames,
    frameTimes,
  };
}
