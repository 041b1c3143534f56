/**
 * The Attribution tab's view logic: direct logit attribution as bars (embeddings, each layer's
 * attention and MLP, each head) and the logit lens as a layers × positions table. Pure.
 */
import type { Attribution, Predictions } from '../../src/protocol/engine';
import { toCsv } from './csv';
import { headName, topPredictions } from './format';

export type BarKind = 'embed' | 'attn' | 'mlp' | 'head' | 'bias';

export interface Bar {
  readonly label: string;
  readonly value: number;
  readonly kind: BarKind;
  readonly layer?: number;
  readonly head?: number;
}

/**
 * Embeddings, then each layer's attention and MLP output, in the order they write to the residual
 * stream, then the unembedding's bias term when the engine reports it (so the bars sum to the
 * attributed logit).
 */
export function componentBars(a: Attribution): Bar[] {
  const bars: Bar[] = [{ label: 'embed', value: a.embed, kind: 'embed' }];
  const layers = Math.min(a.attn.length, a.mlp.length);
  for (let l = 0; l < layers; l++) {
    bars.push({ label: `L${l} attn`, value: a.attn[l]!, kind: 'attn', layer: l });
    bars.push({ label: `L${l} mlp`, value: a.mlp[l]!, kind: 'mlp', layer: l });
  }
  if (a.unembedBias !== undefined) bars.push({ label: 'unembed bias', value: a.unembedBias, kind: 'bias' });
  return bars;
}

/** Every head's bar, in layer-then-head order. */
export function headBars(a: Attribution, heads: number): Bar[] {
  const bars: Bar[] = [];
  for (let i = 0; i < a.heads.length; i++) {
    const layer = Math.floor(i / heads);
    const head = i % heads;
    bars.push({ label: headName(layer, head), value: a.heads[i]!, kind: 'head', layer, head });
  }
  return bars;
}

/** The `count` heads with the largest |attribution|, largest first. */
export function topHeadBars(a: Attribution, heads: number, count: number): Bar[] {
  return headBars(a, heads)
    .filter((b) => Number.isFinite(b.value))
    .sort((x, y) => Math.abs(y.value) - Math.abs(x.value))
    .slice(0, Math.max(0, count));
}

/** Sum of the component bars: the attributed logit (difference), which the engine's `logit` checks when sent. */
export function attributionTotal(a: Attribution): number {
  return componentBars(a).reduce((s, b) => s + (Number.isFinite(b.value) ? b.value : 0), 0);
}

/** The model's top prediction at `pos` (the default attribution target). */
export function defaultTarget(p: Predictions, pos: number): number | undefined {
  return topPredictions(p, pos)[0]?.id;
}

/** A token's display text: from the predictions at `pos` when it is among them, else "#id". */
export function tokenText(p: Predictions, pos: number, id: number): string {
  return topPredictions(p, pos).find((r) => r.id === id)?.text ?? `#${id}`;
}

export function attributionCsv(a: Attribution, heads: number): string {
  const rows: (string | number)[][] = [];
  for (const b of [...componentBars(a), ...headBars(a, heads)]) rows.push([b.kind, b.layer ?? '', b.head ?? '', b.label, b.value]);
  a.attnBias?.forEach((v, l) => rows.push(['attn_bias', l, '', `L${l} attn bias`, v]));
  if (a.logit !== undefined) rows.push(['logit', '', '', 'forward pass', a.logit]);
  return toCsv(['component', 'layer', 'head', 'name', a.contrast === undefined ? 'logit_contribution' : 'logit_difference_contribution'], rows);
}

export interface LensCell {
  readonly id: number;
  readonly text: string;
  readonly prob: number;
}

export interface LensTable {
  /** "embed", "L0", "L1", … : the residual stream after the embeddings, then after each layer. */
  readonly rowLabels: string[];
  readonly positions: number;
  readonly k: number;
  /** cells[row][pos][rank], best first. */
  readonly cells: LensCell[][][];
}

/** The logit lens as rows of layers and columns of positions; each cell the top-k there. */
export function lensTable(a: Attribution): LensTable {
  const { k, ids, probs, strings } = a.lens;
  const rows = a.attn.length + 1;
  const positions = k > 0 && rows > 0 ? Math.floor(ids.length / (rows * k)) : 0;
  const cells: LensCell[][][] = [];
  for (let r = 0; r < rows; r++) {
    const row: LensCell[][] = [];
    for (let pos = 0; pos < positions; pos++) {
      const list: LensCell[] = [];
      for (let j = 0; j < k; j++) {
        const i = (r * positions + pos) * k + j;
        list.push({ id: ids[i]!, text: strings?.[i] ?? `#${ids[i]}`, prob: probs[i]! });
      }
      list.sort((x, y) => y.prob - x.prob);
      row.push(list);
    }
    cells.push(row);
  }
  return { rowLabels: ['embed', ...Array.from({ length: rows - 1 }, (_, l) => `L${l}`)], positions, k, cells };
}

/** The lens as CSV: layer, position, token there, rank, predicted id, text, probability. */
export function lensCsv(t: LensTable, tokenStrings: readonly string[]): string {
  const rows: (string | number)[][] = [];
  t.cells.forEach((row, r) =>
    row.forEach((list, pos) => list.forEach((c, rank) => rows.push([t.rowLabels[r]!, pos, tokenStrings[pos] ?? '', rank + 1, c.id, c.text, c.prob]))),
  );
  return toCsv(['after', 'position', 'token', 'rank', 'predicted_id', 'predicted_token', 'probability'], rows);
}
