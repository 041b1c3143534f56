/**
 * The TransformerLens golden values of test/fixtures/circuits/<model>.json that the spectrum and
 * composition tests read (test/fixtures/circuits/generate.py), and how eigenvalues are compared.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { FIXTURES_DIR } from './fixtures';

export interface GoldenSpectrum {
  /** [re, im] pairs in LAPACK's order. */
  readonly ov: [number, number][];
  readonly qk: [number, number][];
  readonly copying_ov: number;
  readonly copying_qk: number;
}

export interface CircuitGolden {
  readonly model: string;
  readonly n_heads: number;
  readonly n_key_value_heads: number | null;
  readonly prompt: number[];
  readonly tokens: number[];
  /** [layer][head] */
  readonly spectra: GoldenSpectrum[][];
  /** TL's all_composition_scores(mode), each [layer1][head1][layer2][head2]. */
  readonly composition: { readonly q: number[][][][]; readonly k: number[][][][]; readonly v: number[][][][] };
  /** TL's full OV / QK rows of one source/query token, ranked (top k; bottom k for suppresses). */
  readonly skip_trigrams: {
    readonly layer: number;
    readonly head: number;
    readonly token: number;
    readonly k: number;
    readonly boosts: GoldenRanking;
    readonly suppresses: GoldenRanking;
    readonly attends_to: GoldenRanking;
  };
}

export interface GoldenRanking {
  readonly ids: number[];
  readonly values: number[];
}

export const GOLDEN_MODELS = ['gpt2', 'llama', 'pythia'] as const;

export function readCircuitGolden(name: string): CircuitGolden {
  return JSON.parse(readFileSync(path.join(FIXTURES_DIR, 'circuits', `${name}.json`), 'utf8')) as CircuitGolden;
}

/**
 * Distance between two eigenvalue multisets, each [re, im] pairs: the expected values are sorted
 * by (re, im) (real parts within `tieTolerance` count as equal, so a conjugate pair sorts by its
 * imaginary part), and each is matched to the nearest not yet matched actual value. Returns the
 * largest |λ_actual − λ_expected| divided by max(1, spectral radius): absolute for small spectra,
 * relative to the largest eigenvalue for large ones. Infinity when the counts differ.
 */
export function eigenvalueError(actual: ArrayLike<number>, expected: readonly (readonly [number, number])[], tieTolerance = 1e-6): number {
  if (actual.length !== 2 * expected.length) return Infinity;
  const sorted = [...expected].sort((a, b) => (Math.abs(a[0] - b[0]) > tieTolerance ? a[0] - b[0] : a[1] - b[1]));
  const radius = Math.max(1, ...expected.map(([re, im]) => Math.hypot(re, im)));
  const used = new Set<number>();
  let worst = 0;
  for (const [re, im] of sorted) {
    let best = -1;
    let bestDistance = Infinity;
    for (let i = 0; i < expected.length; i++) {
      if (used.has(i)) continue;
      const distance = Math.hypot(actual[2 * i]! - re, actual[2 * i + 1]! - im);
      if (distance < bestDistance) {
        bestDistance = distance;
        best = i;
      }
    }
    used.add(best);
    worst = Math.max(worst, Number.isNaN(bestDistance) ? Infinity : bestDistance / radius);
  }
  return worst;
}
