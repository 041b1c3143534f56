/**
 * The Composition tab's view logic. Scores are [layer1, head1, layer2, head2] flattened; shown as
 * a (layers·heads) × (layers·heads) matrix whose row is the earlier head (writing) and column the
 * later head (reading). Pure.
 */
import type { CompositionScores } from '../../src/protocol/engine';
import { toCsv } from './csv';
import { headName } from './format';
import type { HeadRef } from './layout';

export const COMPOSITION_KINDS = ['q', 'k', 'v'] as const;
export type CompositionKind = (typeof COMPOSITION_KINDS)[number];

export const KIND_INFO: Readonly<Record<CompositionKind, { readonly label: string; readonly description: string }>> = {
  q: { label: 'Q-composition', description: 'the later head’s queries read what the earlier head wrote' },
  k: { label: 'K-composition', description: 'the later head’s keys read what the earlier head wrote (induction heads)' },
  v: { label: 'V-composition', description: 'the later head’s values read what the earlier head wrote (virtual heads)' },
};

export interface HeadPair {
  readonly from: HeadRef;
  readonly to: HeadRef;
}

/** "L0H0", "L0H1", … one per row/column of the matrix. */
export function headLabels(layers: number, heads: number): string[] {
  const out: string[] = [];
  for (let l = 0; l < layers; l++) for (let h = 0; h < heads; h++) out.push(headName(l, h));
  return out;
}

/** The head of matrix row/column `index`. */
export function headAt(heads: number, index: number): HeadRef {
  return { layer: Math.floor(index / heads), head: index % heads };
}

/** Row/column of a head in the matrix. */
export function headIndex(heads: number, ref: HeadRef): number {
  return ref.layer * heads + ref.head;
}

/** Only earlier → later layers compose; the rest of the matrix is empty. */
export function composes(heads: number, row: number, col: number): boolean {
  return Math.floor(row / heads) < Math.floor(col / heads);
}

/** The pair of a matrix cell, when it is one that composes. */
export function pairAt(layers: number, heads: number, row: number, col: number): HeadPair | undefined {
  const n = layers * heads;
  if (row < 0 || col < 0 || row >= n || col >= n || !composes(heads, row, col)) return undefined;
  return { from: headAt(heads, row), to: headAt(heads, col) };
}

/** The score of one pair. */
export function pairScore(s: CompositionScores, kind: CompositionKind, pair: HeadPair): number {
  const n = s.layers * s.heads;
  return s[kind][headIndex(s.heads, pair.from) * n + headIndex(s.heads, pair.to)] ?? NaN;
}

export interface PairRow extends HeadPair {
  readonly q: number;
  readonly k: number;
  readonly v: number;
}

/** Every composing pair, with its three scores. */
export function pairRows(s: CompositionScores): PairRow[] {
  const n = s.layers * s.heads;
  const rows: PairRow[] = [];
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      if (!composes(s.heads, r, c)) continue;
      const i = r * n + c;
      rows.push({ from: headAt(s.heads, r), to: headAt(s.heads, c), q: s.q[i]!, k: s.k[i]!, v: s.v[i]! });
    }
  }
  return rows;
}

/** The `count` strongest pairs by one kind, strongest first. */
export function topPairs(s: CompositionScores, kind: CompositionKind, count: number): PairRow[] {
  return pairRows(s)
    .filter((r) => Number.isFinite(r[kind]))
    .sort((a, b) => b[kind] - a[kind])
    .slice(0, Math.max(0, count));
}

/** The color range of one kind over the pairs that compose: [min, max]. */
export function scoreRange(s: CompositionScores, kind: CompositionKind): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  const n = s.layers * s.heads;
  const values = s[kind];
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      if (!composes(s.heads, r, c)) continue;
      const v = values[r * n + c]!;
      if (!Number.isFinite(v)) continue;
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  return min <= max ? { min, max } : { min: 0, max: 0 };
}

/** Every composing pair as CSV (long format: one row per pair). */
export function compositionCsv(s: CompositionScores): string {
  return toCsv(
    ['from_layer', 'from_head', 'to_layer', 'to_head', 'from', 'to', 'q', 'k', 'v'],
    pairRows(s).map((r) => [r.from.layer, r.from.head, r.to.layer, r.to.head, headName(r.from.layer, r.from.head), headName(r.to.layer, r.to.head), r.q, r.k, r.v]),
  );
}

/** "L0H3 → L1H2" */
export function pairName(pair: HeadPair): string {
  return `${headName(pair.from.layer, pair.from.head)} → ${headName(pair.to.layer, pair.to.head)}`;
}

export function samePair(a: HeadPair | undefined, b: HeadPair | undefined): boolean {
  return !!a && !!b && a.from.layer === b.from.layer && a.from.head === b.from.head && a.to.layer === b.to.layer && a.to.head === b.to.head;
}

/**
 * The part of the matrix that can compose: rows are the heads of layers 0 … L−2 (writers), columns
 * the heads of layers 1 … L−1 (readers). Column c of the crop is head index c + heads.
 */
export interface CompositionCrop {
  readonly values: Float32Array;
  readonly rows: number;
  readonly cols: number;
  readonly rowLabels: string[];
  readonly colLabels: string[];
}

export function cropComposition(s: CompositionScores, kind: CompositionKind): CompositionCrop {
  const { layers, heads } = s;
  const n = layers * heads;
  const rows = Math.max(0, (layers - 1) * heads);
  const cols = rows;
  const values = new Float32Array(rows * cols);
  const src = s[kind];
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) values[r * cols + c] = src[r * n + c + heads]!;
  const labels = headLabels(layers, heads);
  return { values, rows, cols, rowLabels: labels.slice(0, rows), colLabels: labels.slice(heads) };
}

/** The pair of a cell of the crop, when it composes. */
export function cropPair(s: Pick<CompositionScores, 'layers' | 'heads'>, row: number, col: number): HeadPair | undefined {
  return pairAt(s.layers, s.heads, row, col + s.heads);
}

/** The cell of the crop that shows a pair. */
export function cropCell(s: Pick<CompositionScores, 'heads'>, pair: HeadPair): { row: number; col: number } {
  return { row: headIndex(s.heads, pair.from), col: headIndex(s.heads, pair.to) - s.heads };
}

/** max |score| over the three kinds' composing pairs, for one color scale shared by Q, K and V. */
export function sharedMaxAbs(s: CompositionScores): number {
  let m = 0;
  for (const kind of COMPOSITION_KINDS) {
    const r = scoreRange(s, kind);
    m = Math.max(m, Math.abs(r.min), Math.abs(r.max));
  }
  return m;
}
