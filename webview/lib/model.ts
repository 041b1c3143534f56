/** The Model section's view logic: card rows, tensor filtering and sorting, exports. Pure. */
import type { TensorRow, TensorStats } from '../../src/protocol/engine';
import type { ModelCard } from '../../src/protocol/webview';
import { toCsv } from './csv';
import { formatBytes, formatCount, formatInteger, formatNumber, formatShape } from './format';

export interface CardEntry {
  readonly label: string;
  readonly value: string;
  /** Longer form for the tooltip (e.g. the exact parameter count). */
  readonly title?: string;
}

export function cardEntries(card: ModelCard): CardEntry[] {
  const heads = card.kvHeads > 0 && card.kvHeads !== card.heads ? `${card.heads} (${card.kvHeads} KV)` : String(card.heads);
  return [
    { label: 'Architecture', value: card.architecture },
    { label: 'Parameters', value: formatCount(card.parameters), title: `${formatInteger(card.parameters)} parameters` },
    { label: 'Layers', value: String(card.layers) },
    { label: 'Heads', value: heads, title: card.kvHeads !== card.heads ? `${card.heads} query heads share ${card.kvHeads} key/value heads` : undefined },
    { label: 'd_model', value: formatInteger(card.dModel) },
    { label: 'd_head', value: formatInteger(card.dHead) },
    { label: 'd_mlp', value: formatInteger(card.dMlp) },
    { label: 'Vocabulary', value: formatInteger(card.vocab) },
    { label: 'Context', value: formatInteger(card.context), title: `${formatInteger(card.context)} positions` },
    { label: 'Dtype', value: card.dtype },
    { label: 'Backend', value: card.backend },
    { label: 'Tokenizer', value: card.tokenizer ? 'Yes' : 'No', title: card.tokenizer ? 'Tokenizer found (tokenizer.json or GGUF metadata): text prompts work' : 'No tokenizer: prompts must be token ids' },
  ];
}

/**
 * Tensors whose name, dtype or shape match every word of the query (case-insensitive). A word may
 * be a shape like "768x2304" or "768×2304".
 */
export function filterTensors(rows: readonly TensorRow[], query: string): TensorRow[] {
  const words = query.toLowerCase().split(/\s+/).filter((w) => w.length > 0);
  if (words.length === 0) return rows.slice();
  return rows.filter((row) => {
    const hay = `${row.name} ${row.dtype} ${row.shape.join('x')} ${row.shape.join('×')}`.toLowerCase();
    return words.every((w) => hay.includes(w));
  });
}

export type TensorSortKey = 'name' | 'shape' | 'dtype' | 'bytes';

/**
 * Sorted copy. Names sort naturally ("blocks.2" before "blocks.10"); shapes by element count.
 */
export function sortTensors(rows: readonly TensorRow[], key: TensorSortKey, descending = false): TensorRow[] {
  const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });
  const elements = (r: TensorRow) => r.shape.reduce((a, b) => a * b, 1);
  const cmp = (a: TensorRow, b: TensorRow): number => {
    switch (key) {
      case 'name':
        return collator.compare(a.name, b.name);
      case 'shape':
        return elements(a) - elements(b) || collator.compare(a.name, b.name);
      case 'dtype':
        return collator.compare(a.dtype, b.dtype) || collator.compare(a.name, b.name);
      case 'bytes':
        return a.bytes - b.bytes || collator.compare(a.name, b.name);
    }
  };
  const sorted = rows.slice().sort(cmp);
  return descending ? sorted.reverse() : sorted;
}

export function tensorsCsv(rows: readonly TensorRow[], stats: ReadonlyMap<string, TensorStats>): string {
  return toCsv(
    ['name', 'shape', 'dtype', 'bytes', 'mean', 'std', 'min', 'max', 'abs_max', 'nan_count', 'inf_count'],
    rows.map((r) => {
      const s = stats.get(r.name);
      return [r.name, r.shape.join('x'), r.dtype, r.bytes, s?.mean, s?.std, s?.min, s?.max, s?.absMax, s?.nanCount, s?.infCount];
    }),
  );
}

export function statsEntries(s: TensorStats): CardEntry[] {
  return [
    { label: 'mean', value: formatNumber(s.mean) },
    { label: 'std', value: formatNumber(s.std) },
    { label: 'min', value: formatNumber(s.min) },
    { label: 'max', value: formatNumber(s.max) },
    { label: '|max|', value: formatNumber(s.absMax) },
    { label: 'NaN', value: formatInteger(s.nanCount) },
    { label: 'Inf', value: formatInteger(s.infCount) },
    { label: 'values', value: formatInteger(s.count) },
  ];
}

export function tensorSummary(rows: readonly TensorRow[]): { count: number; bytes: string; elements: string } {
  const bytes = rows.reduce((a, r) => a + r.bytes, 0);
  const elements = rows.reduce((a, r) => a + r.shape.reduce((x, y) => x * y, 1), 0);
  return { count: rows.length, bytes: formatBytes(bytes), elements: formatCount(elements) };
}

export { formatBytes, formatShape };
