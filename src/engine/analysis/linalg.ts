/**
 * Small dense linear algebra on the CPU, in float64, for the d_head × d_head matrices the circuit
 * analyses reduce to: eigenvalues of a nonsymmetric matrix (ml-matrix's EigenvalueDecomposition,
 * JAMA's Hessenberg + shifted QR), a Cholesky factor that tolerates positive *semi*definite
 * Gram matrices, and a seeded random source for the composition-score baseline.
 * Matrices are row-major `ArrayLike<number>` of n × n entries.
 */
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';

/**
 * Eigenvalues of the n × n row-major `values` as [re, im] pairs, largest |λ| first (ties: larger
 * real part, then positive imaginary part first, so a conjugate pair reads λ, λ̄). A matrix with a
 * NaN or infinite entry has no eigenvalues: the result is all NaN (the QR iteration would not end).
 */
export function eigenvalues(values: ArrayLike<number>, n: number): Float64Array {
  const out = new Float64Array(2 * n);
  for (let i = 0; i < n * n; i++) {
    if (!Number.isFinite(values[i]!)) return out.fill(Number.NaN);
  }
  const rows = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => values[i * n + j]!));
  const evd = new EigenvalueDecomposition(new Matrix(rows), { assumeSymmetric: false });
  const pairs = evd.realEigenvalues.map((re, i) => [re, evd.imaginaryEigenvalues[i]!] as const);
  pairs.sort((a, b) => Math.hypot(b[0], b[1]) - Math.hypot(a[0], a[1]) || b[0] - a[0] || b[1] - a[1]);
  pairs.forEach(([re, im], i) => {
    out[2 * i] = re;
    out[2 * i + 1] = im;
  });
  return out;
}

/**
 * Lower-triangular L with L Lᵀ = G for a symmetric positive semidefinite n × n G (row-major).
 * A pivot at or below `n · 2⁻²³ · max diag` (the rounding level of a float32 Gram matrix) is
 * treated as an exact zero: its column of L is zero, so rank-deficient Grams factor too.
 */
export function choleskyLower(g: ArrayLike<number>, n: number): Float64Array {
  const l = new Float64Array(n * n);
  let maxDiag = 0;
  for (let i = 0; i < n; i++) maxDiag = Math.max(maxDiag, g[i * n + i]!);
  const tolerance = n * 2 ** -23 * maxDiag;
  for (let j = 0; j < n; j++) {
    let pivot = g[j * n + j]!;
    for (let k = 0; k < j; k++) pivot -= l[j * n + k]! ** 2;
    if (!(pivot > tolerance)) continue; // column j stays zero
    const d = Math.sqrt(pivot);
    l[j * n + j] = d;
    for (let i = j + 1; i < n; i++) {
      let s = g[i * n + j]!;
      for (let k = 0; k < j; k++) s -= l[i * n + k]! * l[j * n + k]!;
      l[i * n + j] = s / d;
    }
  }
  return l;
}

/** tr(A B) of two n × n row-major matrices. */
export function traceOfProduct(a: ArrayLike<number>, b: ArrayLike<number>, n: number): number {
  let sum = 0;
  for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) sum += a[i * n + k]! * b[k * n + i]!;
  return sum;
}

/** Transpose of an n × n row-major matrix. */
export function transposeSquare(a: ArrayLike<number>, n: number): Float64Array {
  const t = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) t[j * n + i] = a[i * n + j]!;
  return t;
}

/**
 * A seeded source of uniform, normal and chi-square variates: mulberry32 (32-bit state) for
 * uniforms, Box–Muller for normals, Marsaglia–Tsang for Gamma (χ²_k = 2 · Gamma(k / 2)).
 * Deterministic for a given seed on every platform (integer arithmetic and IEEE doubles only).
 */
export class SeededRandom {
  private state: number;
  private spare: number | undefined;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform on (0, 1). */
  uniform(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296);
  }

  /** Standard normal. */
  normal(): number {
    if (this.spare !== undefined) {
      const value = this.spare;
      this.spare = undefined;
      return value;
    }
    const radius = Math.sqrt(-2 * Math.log(this.uniform()));
    const angle = 2 * Math.PI * this.uniform();
    this.spare = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  }

  /** Gamma(shape, 1), shape > 0. */
  gamma(shape: number): number {
    if (shape < 1) return this.gamma(shape + 1) * this.uniform() ** (1 / shape);
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      let x: number;
      let v: number;
      do {
        x = this.normal();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const u = this.uniform();
      if (u < 1 - 0.0331 * x ** 4 || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
    }
  }

  /** Chi-square with k > 0 degrees of freedom. */
  chiSquare(k: number): number {
    return 2 * this.gamma(k / 2);
  }
}
