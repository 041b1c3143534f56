/**
 * Statistics of n particles on the unit sphere S^{d−1} (Geshkovski et al. 2023, arXiv 2312.10794),
 * in float64 on the CPU: the Gram matrix of inner products, clusters as connected components of
 * the graph ⟨x_i, x_j⟩ > 1 − δ, the effective rank of the Gram matrix, the interaction energy
 * E_β and a histogram of the pairwise cosines. Points are row-major [n, d].
 */
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';

/** Rows scaled to unit length, [n, d] → [n, d]; a zero row stays zero (it has no direction). */
export function unitRows(points: ArrayLike<number>, n: number, d: number): Float64Array {
  const out = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    let norm2 = 0;
    for (let k = 0; k < d; k++) norm2 += points[i * d + k]! ** 2;
    const scale = norm2 > 0 ? 1 / Math.sqrt(norm2) : 0;
    for (let k = 0; k < d; k++) out[i * d + k] = points[i * d + k]! * scale;
  }
  return out;
}

/** Inner products ⟨x_i, x_j⟩, [n, d] → [n, n] (symmetric; computed once per pair). */
export function gram(points: ArrayLike<number>, n: number, d: number): Float64Array {
  const g = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += points[i * d + k]! * points[j * d + k]!;
      g[i * n + j] = s;
      g[j * n + i] = s;
    }
  }
  return g;
}

/** Mean, minimum and the fraction above 1 − δ of the inner products over pairs i < j (NaN-free: 1, 1, 1 for one point). */
export function pairStats(g: ArrayLike<number>, n: number, delta: number): { mean: number; min: number; clusteredFraction: number } {
  if (n < 2) return { mean: 1, min: 1, clusteredFraction: 1 };
  let sum = 0;
  let min = Infinity;
  let close = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const v = g[i * n + j]!;
      sum += v;
      if (v < min) min = v;
      if (v > 1 - delta) close++;
    }
  }
  const pairs = (n * (n - 1)) / 2;
  return { mean: sum / pairs, min, clusteredFraction: close / pairs };
}

/**
 * Connected components of the graph with an edge i–j where ⟨x_i, x_j⟩ > 1 − δ (union–find).
 * Component ids are numbered by first appearance, so token 0 is always in cluster 0.
 */
export function clusters(g: ArrayLike<number>, n: number, delta: number): { count: number; clusterOf: number[] } {
  const parent = Array.from({ length: n }, (_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) {
      parent[i] = parent[parent[i]!]!;
      i = parent[i]!;
    }
    return i;
  };
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      if (g[i * n + j]! > 1 - delta) {
        const a = find(i);
        const b = find(j);
        if (a !== b) parent[Math.max(a, b)] = Math.min(a, b);
      }
    }
  }
  const ids = new Map<number, number>();
  const clusterOf = Array.from({ length: n }, (_, i) => {
    const root = find(i);
    if (!ids.has(root)) ids.set(root, ids.size);
    return ids.get(root)!;
  });
  return { count: ids.size, clusterOf };
}

/** Eigenvalues and eigenvectors of a symmetric m × m row-major matrix (ml-matrix: Householder tridiagonalisation + QL). */
export function symmetricEigen(values: ArrayLike<number>, m: number): { values: Float64Array; vectors: Matrix } {
  const rows = Array.from({ length: m }, (_, i) => Array.from({ length: m }, (_, j) => values[i * m + j]!));
  const evd = new EigenvalueDecomposition(new Matrix(rows), { assumeSymmetric: true });
  return { values: Float64Array.from(evd.realEigenvalues), vectors: evd.eigenvectorMatrix };
}

/**
 * Eigenvalues only (unordered) of a symmetric m × m row-major matrix: the same Householder
 * tridiagonalisation and implicit-shift QL as ml-matrix (JAMA's tred2/tql2), without accumulating
 * eigenvectors, on one flat array. Up to m = 128 it simply calls ml-matrix; above, skipping the
 * vectors and ml-matrix's nested arrays makes it several times faster (a 512 × 512 Gram: about
 * 0.2 s instead of 2 s), which matters for one matrix per layer at the default 512-token limit.
 */
export function symmetricEigenvalues(values: ArrayLike<number>, m: number): Float64Array {
  if (m <= 128) return symmetricEigen(values, m).values;
  const a = Float64Array.from({ length: m * m }, (_, k) => values[k]!); // lower triangle is used and overwritten
  const d = new Float64Array(m);
  const e = new Float64Array(m);
  // Householder reduction to tridiagonal form (d: diagonal, e: subdiagonal in e[1..m−1]).
  for (let i = m - 1; i > 0; i--) {
    const l = i - 1;
    let h = 0;
    if (l > 0) {
      let scale = 0;
      for (let k = 0; k <= l; k++) scale += Math.abs(a[i * m + k]!);
      if (scale === 0) {
        e[i] = a[i * m + l]!;
      } else {
        for (let k = 0; k <= l; k++) {
          a[i * m + k] /= scale;
          h += a[i * m + k]! ** 2;
        }
        let f = a[i * m + l]!;
        let g = f >= 0 ? -Math.sqrt(h) : Math.sqrt(h);
        e[i] = scale * g;
        h -= f * g;
        a[i * m + l] = f - g;
        f = 0;
        for (let j = 0; j <= l; j++) {
          g = 0;
          for (let k = 0; k <= j; k++) g += a[j * m + k]! * a[i * m + k]!;
          for (let k = j + 1; k <= l; k++) g += a[k * m + j]! * a[i * m + k]!;
          e[j] = g / h;
          f += e[j]! * a[i * m + j]!;
        }
        const hh = f / (h + h);
        for (let j = 0; j <= l; j++) {
          f = a[i * m + j]!;
          g = e[j]! - hh * f;
          e[j] = g;
          for (let k = 0; k <= j; k++) a[j * m + k] -= f * e[k]! + g * a[i * m + k]!;
        }
      }
    } else {
      e[i] = a[i * m + l]!;
    }
  }
  for (let i = 0; i < m; i++) d[i] = a[i * m + i]!;
  // Implicit-shift QL on the tridiagonal matrix.
  for (let i = 1; i < m; i++) e[i - 1] = e[i]!;
  e[m - 1] = 0;
  for (let l = 0; l < m; l++) {
    for (let iteration = 0; ; iteration++) {
      let k = l;
      for (; k < m - 1; k++) {
        const dd = Math.abs(d[k]!) + Math.abs(d[k + 1]!);
        if (Math.abs(e[k]!) <= Number.EPSILON * dd) break;
      }
      if (k === l) break;
      if (iteration === 60) throw new Error('symmetric eigenvalues: the QL iteration did not converge');
      let g = (d[l + 1]! - d[l]!) / (2 * e[l]!);
      let r = Math.hypot(g, 1);
      g = d[k]! - d[l]! + e[l]! / (g + (g >= 0 ? r : -r));
      let s = 1;
      let c = 1;
      let p = 0;
      let i = k - 1;
      let underflow = false;
      for (; i >= l; i--) {
        const f = s * e[i]!;
        const b = c * e[i]!;
        r = Math.hypot(f, g);
        e[i + 1] = r;
        if (r === 0) {
          d[i + 1] -= p;
          e[k] = 0;
          underflow = true;
          break;
        }
        s = f / r;
        c = g / r;
        g = d[i + 1]! - p;
        r = (d[i]! - g) * s + 2 * c * b;
        p = s * r;
        d[i + 1] = g + p;
        g = c * r - b;
      }
      if (underflow) continue;
      d[l] -= p;
      e[l] = g;
      e[k] = 0;
    }
  }
  return d;
}

/**
 * Effective rank of the Gram matrix X Xᵀ of points [n, d]: exp(−Σ p_k log p_k) with p_k = λ_k / Σλ
 * (Roy & Vetterli 2007). The nonzero eigenvalues of X Xᵀ (n × n) and Xᵀ X (d × d) are the same, so
 * the smaller of the two is decomposed (`g`, the Gram matrix, when the caller has it). Rounding can
 * leave tiny negative eigenvalues: they count as 0.
 */
export function effectiveRank(points: ArrayLike<number>, n: number, d: number, g?: ArrayLike<number>): number {
  let eigen: Float64Array;
  if (n <= d) {
    eigen = symmetricEigenvalues(g ?? gram(points, n, d), n);
  } else {
    const cov = new Float64Array(d * d); // Xᵀ X, [d, d]
    for (let i = 0; i < n; i++) {
      for (let a = 0; a < d; a++) {
        const xa = points[i * d + a]!;
        if (xa === 0) continue;
        for (let b = a; b < d; b++) cov[a * d + b] += xa * points[i * d + b]!;
      }
    }
    for (let a = 0; a < d; a++) for (let b = 0; b < a; b++) cov[a * d + b] = cov[b * d + a]!;
    eigen = symmetricEigenvalues(cov, d);
  }
  const positive = Array.from(eigen).filter((v) => v > 0);
  const total = positive.reduce((s, v) => s + v, 0);
  if (!(total > 0)) return 0;
  let entropy = 0;
  for (const v of positive) {
    const p = v / total;
    entropy -= p * Math.log(p);
  }
  return Math.exp(entropy);
}

/**
 * Interaction energy E_β = (1/(2βn²)) Σ_ij exp(β⟨x_i, x_j⟩) (the paper's E_β, over all ordered
 * pairs including i = j). At β = 0 the formula is 1/0; we report the β → 0 limit of
 * E_β − 1/(2β), (1/(2n²)) Σ_ij ⟨x_i, x_j⟩: it differs from E_β by a constant in the points, so it
 * rises and falls with the same dynamics.
 */
export function energy(g: ArrayLike<number>, n: number, beta: number): number {
  let sum = 0;
  if (beta === 0) {
    for (let k = 0; k < n * n; k++) sum += g[k]!;
    return sum / (2 * n * n);
  }
  for (let k = 0; k < n * n; k++) sum += Math.exp(beta * g[k]!);
  return sum / (2 * beta * n * n);
}

/** `bins` equal bins over [−1, 1]: bins + 1 edges. */
export function histogramEdges(bins: number): Float32Array {
  return Float32Array.from({ length: bins + 1 }, (_, k) => -1 + (2 * k) / bins);
}

/** Counts of ⟨x_i, x_j⟩ (i < j) per bin of histogramEdges(bins); values outside [−1, 1] by rounding land in the end bins. */
export function cosineHistogram(g: ArrayLike<number>, n: number, bins: number): number[] {
  const counts = new Array<number>(bins).fill(0);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const bin = Math.floor(((g[i * n + j]! + 1) / 2) * bins);
      counts[Math.min(bins - 1, Math.max(0, bin))]++;
    }
  }
  return counts;
}
