/**
 * One fixed 3-D basis for the particle view: the top principal axes of a point cloud (all layers'
 * particles together, so every layer is drawn in the same coordinates and trajectories across
 * layers are comparable).
 */
import { Matrix } from 'ml-matrix';
import { SeededRandom } from '../linalg';
import { symmetricEigen } from './sphereStats';

/** Up to this size the second-moment matrix is decomposed fully (ml-matrix); above, only its top eigenpairs are found. */
const EXACT_LIMIT = 128;
/** Extra vectors in the subspace iteration: convergence goes with λ_{k+extra+1} / λ_k, not λ_{k+1} / λ_k. */
const OVERSAMPLE = 5;

/**
 * The top `width` eigenpairs of a symmetric positive semidefinite m × m matrix by block subspace
 * iteration with Rayleigh–Ritz (Golub & Van Loan §8.3.7): V ← orth(S V) until the Ritz values
 * settle, then the small width × width problem VᵀSV is solved exactly. O(m² · width) per step
 * instead of O(m³) for the full decomposition. Returns `vectors` as an m × width matrix.
 */
function topEigen(s: Float64Array, m: number, width: number, wanted = width - OVERSAMPLE): { values: Float64Array; vectors: Matrix } {
  const random = new SeededRandom(0x5eed);
  let v = Float64Array.from({ length: m * width }, () => random.normal()); // [m, width] row-major
  const orthonormalize = (x: Float64Array) => {
    for (let c = 0; c < width; c++) {
      for (let pass = 0; pass < 2; pass++) {
        for (let p = 0; p < c; p++) {
          let dot = 0;
          for (let r = 0; r < m; r++) dot += x[r * width + c]! * x[r * width + p]!;
          for (let r = 0; r < m; r++) x[r * width + c] -= dot * x[r * width + p]!;
        }
        let norm2 = 0;
        for (let r = 0; r < m; r++) norm2 += x[r * width + c]! ** 2;
        const scale = norm2 > 0 ? 1 / Math.sqrt(norm2) : 0;
        for (let r = 0; r < m; r++) x[r * width + c] *= scale;
      }
    }
  };
  const multiply = (x: Float64Array) => {
    const out = new Float64Array(m * width);
    for (let r = 0; r < m; r++) {
      for (let q = 0; q < m; q++) {
        const srq = s[r * m + q]!;
        if (srq === 0) continue;
        for (let c = 0; c < width; c++) out[r * width + c] += srq * x[q * width + c]!;
      }
    }
    return out;
  };
  orthonormalize(v);
  let previous = new Float64Array(wanted);
  for (let iteration = 0; iteration < 500; iteration++) {
    const sv = multiply(v);
    // Ritz values on the diagonal of Vᵀ S V, to decide when to stop.
    const ritz = new Float64Array(width);
    for (let c = 0; c < width; c++) for (let r = 0; r < m; r++) ritz[c] += v[r * width + c]! * sv[r * width + c]!;
    orthonormalize(sv);
    v = sv;
    // Only the wanted (largest) Ritz values need to settle; the oversampled ones may crawl.
    const top = Float64Array.from(ritz).sort().reverse().subarray(0, wanted);
    if (iteration > 5 && top.every((x, c) => Math.abs(x - previous[c]!) <= 1e-10 * top[0]!)) break;
    previous = top;
  }
  // Rayleigh–Ritz: eigenpairs of the small Vᵀ S V, rotated back.
  const sv = multiply(v);
  const small = new Float64Array(width * width);
  for (let a = 0; a < width; a++) for (let b = 0; b < width; b++) for (let r = 0; r < m; r++) small[a * width + b] += v[r * width + a]! * sv[r * width + b]!;
  for (let a = 0; a < width; a++) for (let b = 0; b < a; b++) small[a * width + b] = small[b * width + a] = (small[a * width + b]! + small[b * width + a]!) / 2;
  const inner = symmetricEigen(small, width);
  const vectors = new Matrix(m, width);
  for (let r = 0; r < m; r++) {
    for (let c = 0; c < width; c++) {
      let sum = 0;
      for (let p = 0; p < width; p++) sum += v[r * width + p]! * inner.vectors.get(p, c);
      vectors.set(r, c, sum);
    }
  }
  return { values: inner.values, vectors };
}

export interface PrincipalAxes {
  /** Unit axes, [k, d] row-major (an all-zero row where the cloud has fewer than k directions). */
  readonly axes: Float64Array;
  /** Fraction of the total variance along each axis, [k]. */
  readonly explained: number[];
}

/**
 * Top-k principal axes of points [count, d] (centered on their mean). Through the smaller of the
 * count × count and d × d second-moment matrices, which share their nonzero eigenvalues (fully
 * decomposed when small, by subspace iteration when large); each axis's sign is fixed so its
 * largest-magnitude entry is positive (deterministic pictures).
 */
/**
 * X Xᵀ [rows, rows] (`outer`) or Xᵀ X [cols, cols] of a row-major X [rows, cols], row-major. The
 * default is plain loops; the engine passes one on its tensor backend for large clouds.
 */
export type SecondMoment = (x: Float64Array, rows: number, cols: number, outer: boolean) => Float64Array;

export const loopSecondMoment: SecondMoment = (x, rows, cols, outer) => {
  const m = outer ? rows : cols;
  const out = new Float64Array(m * m);
  if (outer) {
    for (let i = 0; i < rows; i++) {
      for (let j = i; j < rows; j++) {
        let s = 0;
        for (let a = 0; a < cols; a++) s += x[i * cols + a]! * x[j * cols + a]!;
        out[i * m + j] = s;
      }
    }
  } else {
    for (let i = 0; i < rows; i++) {
      for (let a = 0; a < cols; a++) {
        const xa = x[i * cols + a]!;
        if (xa === 0) continue;
        for (let b = a; b < cols; b++) out[a * m + b] += xa * x[i * cols + b]!;
      }
    }
  }
  for (let a = 0; a < m; a++) for (let b = 0; b < a; b++) out[a * m + b] = out[b * m + a]!;
  return out;
};

export function principalAxes(points: ArrayLike<number>, count: number, d: number, k = 3, secondMoment: SecondMoment = loopSecondMoment): PrincipalAxes {
  const mean = new Float64Array(d);
  for (let i = 0; i < count; i++) for (let a = 0; a < d; a++) mean[a] += points[i * d + a]! / count;
  const centered = new Float64Array(count * d);
  let total = 0;
  for (let i = 0; i < count; i++) {
    for (let a = 0; a < d; a++) {
      const v = points[i * d + a]! - mean[a]!;
      centered[i * d + a] = v;
      total += v * v;
    }
  }
  const axes = new Float64Array(k * d);
  const explained = new Array<number>(k).fill(0);
  if (!(total > 0)) return { axes, explained };

  const small = count <= d;
  const m = small ? count : d;
  const second = secondMoment(centered, count, d, small); // C Cᵀ [count, count] or Cᵀ C [d, d]
  const { values, vectors } = m <= EXACT_LIMIT ? symmetricEigen(second, m) : topEigen(second, m, Math.min(m, k + OVERSAMPLE));
  const order = Array.from(values.keys()).sort((x, y) => values[y]! - values[x]!);
  for (let r = 0; r < Math.min(k, m); r++) {
    const index = order[r]!;
    const lambda = values[index]!;
    if (!(lambda > total * 1e-12)) break; // no further direction: leave zero rows
    explained[r] = lambda / total;
    const axis = axes.subarray(r * d, (r + 1) * d);
    if (small) {
      // v = Cᵀ u / ‖Cᵀ u‖ for the eigenvector u of C Cᵀ.
      for (let i = 0; i < count; i++) {
        const u = vectors.get(i, index);
        for (let a = 0; a < d; a++) axis[a] += centered[i * d + a]! * u;
      }
    } else {
      for (let a = 0; a < d; a++) axis[a] = vectors.get(a, index);
    }
    let norm2 = 0;
    let largest = 0;
    for (let a = 0; a < d; a++) {
      norm2 += axis[a]! ** 2;
      if (Math.abs(axis[a]!) > Math.abs(largest)) largest = axis[a]!;
    }
    const scale = Math.sign(largest) / Math.sqrt(norm2);
    for (let a = 0; a < d; a++) axis[a] *= scale;
  }
  return { axes, explained };
}

/**
 * Coordinates of points [count, d] along the axes [k, d] → [count, k]. The points are projected
 * as they are, not centered: unit vectors land in the unit ball, so a view can draw the sphere's
 * outline around them.
 */
export function project(points: ArrayLike<number>, count: number, d: number, axes: ArrayLike<number>, k = 3): Float32Array {
  const out = new Float32Array(count * k);
  for (let i = 0; i < count; i++) {
    for (let r = 0; r < k; r++) {
      let s = 0;
      for (let a = 0; a < d; a++) s += points[i * d + a]! * axes[r * d + a]!;
      out[i * k + r] = s;
    }
  }
  return out;
}
