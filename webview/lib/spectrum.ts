/**
 * Eigenvalues of a head's full OV and QK circuits as points in the complex plane. Eigenvalues
 * arrive as [re, im] pairs; the plot scales them by the largest modulus, so they sit inside the
 * unit circle and heads of any size compare. Pure.
 */
import type { HeadSpectrum } from '../../src/protocol/engine';
import { toCsv } from './csv';

export interface EigenPoints {
  /** re / max|λ| and im / max|λ|. */
  readonly x: Float32Array;
  readonly y: Float32Array;
  readonly re: Float32Array;
  readonly im: Float32Array;
  /** The largest modulus (the scale); 0 when every eigenvalue is 0. */
  readonly maxModulus: number;
}

export function eigenPoints(pairs: ArrayLike<number>): EigenPoints {
  const n = Math.floor(pairs.length / 2);
  const re = new Float32Array(n);
  const im = new Float32Array(n);
  let max = 0;
  for (let i = 0; i < n; i++) {
    re[i] = pairs[2 * i]!;
    im[i] = pairs[2 * i + 1]!;
    const m = Math.hypot(re[i]!, im[i]!);
    if (Number.isFinite(m) && m > max) max = m;
  }
  const x = new Float32Array(n);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    x[i] = max > 0 ? re[i]! / max : 0;
    y[i] = max > 0 ? im[i]! / max : 0;
  }
  return { x, y, re, im, maxModulus: max };
}

/** Re(Σλ) / Σ|λ|: +1 when every eigenvalue is positive real (copying), −1 when negative real. */
export function copyingStatistic(pairs: ArrayLike<number>): number {
  let re = 0;
  let abs = 0;
  for (let i = 0; i + 1 < pairs.length; i += 2) {
    re += pairs[i]!;
    abs += Math.hypot(pairs[i]!, pairs[i + 1]!);
  }
  return abs > 0 ? re / abs : NaN;
}

/** Both spectra as CSV: circuit, index, re, im, |λ|. */
export function spectrumCsv(s: HeadSpectrum): string {
  const rows: (string | number)[][] = [];
  for (const [name, pairs] of [
    ['ov', s.ovEigenvalues],
    ['qk', s.qkEigenvalues],
  ] as const) {
    for (let i = 0; i + 1 < pairs.length; i += 2) rows.push([name, i / 2, pairs[i]!, pairs[i + 1]!, Math.hypot(pairs[i]!, pairs[i + 1]!)]);
  }
  return toCsv(['circuit', 'index', 're', 'im', 'modulus'], rows);
}

/** How to read a copying score, in words. */
export function copyingVerdict(score: number): string {
  if (!Number.isFinite(score)) return 'no eigenvalues';
  if (score > 0.7) return 'strongly copying';
  if (score > 0.3) return 'somewhat copying';
  if (score > -0.3) return 'neither copying nor anti-copying';
  if (score > -0.7) return 'somewhat anti-copying';
  return 'strongly anti-copying';
}
