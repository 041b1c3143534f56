/** The Heads tab's view logic: what each score means, one row per head, sorting, exports. Pure. */
import type { HeadScores } from '../../src/protocol/engine';
import { toCsv } from './csv';
import { formatNumber, headName } from './format';

export const HEAD_SCORES = ['previousToken', 'duplicateToken', 'induction', 'sink', 'copyingOV', 'copyingQK'] as const;
export type HeadScoreKey = (typeof HEAD_SCORES)[number];

export interface ScoreInfo {
  readonly label: string;
  /** Column header and quick-pick abbreviation. */
  readonly short: string;
  readonly description: string;
  /** 'unit': a fraction of attention in [0, 1]; 'signed': a copying statistic in [−1, 1]. */
  readonly range: 'unit' | 'signed';
}

export const SCORE_INFO: Readonly<Record<HeadScoreKey, ScoreInfo>> = {
  previousToken: { label: 'Previous token', short: 'prev', description: 'share of attention on the token just before', range: 'unit' },
  duplicateToken: { label: 'Duplicate token', short: 'dup', description: 'share of attention on earlier copies of the current token', range: 'unit' },
  induction: { label: 'Induction', short: 'ind', description: 'share of attention on the token after an earlier copy of the current token', range: 'unit' },
  sink: { label: 'Sink', short: 'sink', description: 'mean attention on the first position', range: 'unit' },
  copyingOV: { label: 'OV copying', short: 'copy', description: 'Re(Σλ)/Σ|λ| of W_E W_OV W_U: positive when attending to a token raises that token', range: 'signed' },
  copyingQK: { label: 'QK copying', short: 'qk', description: 'Re(Σλ)/Σ|λ| of W_E W_QK W_Eᵀ: positive when a token attends to copies of itself', range: 'signed' },
};

export interface HeadRow {
  readonly layer: number;
  readonly head: number;
  readonly scores: Readonly<Record<HeadScoreKey, number>>;
}

/** One row per head, in layer-then-head order. */
export function headRows(s: HeadScores): HeadRow[] {
  const rows: HeadRow[] = [];
  for (let layer = 0; layer < s.layers; layer++) {
    for (let head = 0; head < s.heads; head++) {
      const i = layer * s.heads + head;
      const scores = {} as Record<HeadScoreKey, number>;
      for (const key of HEAD_SCORES) scores[key] = s[key][i] ?? NaN;
      rows.push({ layer, head, scores });
    }
  }
  return rows;
}

export type HeadSortKey = 'head' | HeadScoreKey;

export interface HeadSort {
  readonly key: HeadSortKey;
  readonly descending: boolean;
}

/** The order the Heads tab starts in (and returns to when a command opens it): strongest induction first. */
export const DEFAULT_HEAD_SORT: HeadSort = { key: 'induction', descending: true };

/** Sorted copy. NaN scores go last in either direction; ties keep layer-then-head order. */
export function sortHeadRows(rows: readonly HeadRow[], sort: HeadSort): HeadRow[] {
  const order = (a: HeadRow, b: HeadRow) => a.layer - b.layer || a.head - b.head;
  if (sort.key === 'head') {
    const sorted = rows.slice().sort(order);
    return sort.descending ? sorted.reverse() : sorted;
  }
  const key = sort.key;
  return rows.slice().sort((a, b) => {
    const x = a.scores[key];
    const y = b.scores[key];
    const xn = Number.isNaN(x);
    const yn = Number.isNaN(y);
    if (xn || yn) return xn === yn ? order(a, b) : xn ? 1 : -1;
    return (sort.descending ? y - x : x - y) || order(a, b);
  });
}

/** Clicking a column header: a new column sorts descending (strongest first), the same one flips, "head" starts ascending. */
export function nextHeadSort(current: HeadSort, key: HeadSortKey): HeadSort {
  if (current.key === key) return { key, descending: !current.descending };
  return { key, descending: key !== 'head' };
}

/** The [layer, head] values of one score, for a heatmap. */
export function scoreMatrix(s: HeadScores, key: HeadScoreKey): Float32Array {
  return s[key];
}

/** "prev 0.91 · ind 0.02 · copy 0.70" — the scores that name a head's job. */
export function scoreSummary(row: HeadRow, keys: readonly HeadScoreKey[] = ['previousToken', 'induction', 'copyingOV']): string {
  return keys.map((k) => `${SCORE_INFO[k].short} ${Number.isFinite(row.scores[k]) ? row.scores[k].toFixed(2) : '–'}`).join(' · ');
}

/** Every head's scores as CSV. */
export function headScoresCsv(s: HeadScores): string {
  return toCsv(
    ['layer', 'head', 'name', ...HEAD_SCORES],
    headRows(s).map((r) => [r.layer, r.head, headName(r.layer, r.head), ...HEAD_SCORES.map((k) => r.scores[k])]),
  );
}

/** A score for a table cell. */
export function formatScore(v: number): string {
  return Number.isFinite(v) ? v.toFixed(3).replace('-', '−') : formatNumber(v);
}
