/**
 * Tokens ↔ document positions and what a token attends to, as plain functions over offsets and
 * pattern arrays (no `vscode`), so they are unit tested directly.
 */

/** A token's character span [start, end) in the document. */
export type Span = readonly [start: number, end: number];

/** Document spans of a prompt's tokens, from their offsets in the prompt and the prompt's start. */
export function tokenSpans(offsets: readonly (readonly [number, number])[], promptStart: number): Span[] {
  return offsets.map(([start, end]) => [promptStart + start, promptStart + end] as const);
}

/**
 * The token under a document offset: the last token whose non-empty span contains it (tokens can
 * share characters, e.g. the pieces of one emoji; the last one is where that character completes).
 * -1 when the offset is outside every token.
 */
export function tokenAt(spans: readonly Span[], offset: number): number {
  for (let i = spans.length - 1; i >= 0; i--) {
    const [start, end] = spans[i]!;
    if (end > start && offset >= start && offset < end) return i;
  }
  return -1;
}

export interface Weighted {
  readonly index: number;
  readonly weight: number;
}

/**
 * Attention weights from the pattern of one head: a query token's row (what it attends to) or a
 * key token's column (what attends to it). `pattern` is one layer's [head, query, key] flattened.
 */
export function attentionWeights(pattern: Float32Array, nTokens: number, head: number, token: number, direction: 'query' | 'key'): Float32Array {
  const base = head * nTokens * nTokens;
  if (direction === 'query') return pattern.slice(base + token * nTokens, base + (token + 1) * nTokens);
  const column = new Float32Array(nTokens);
  for (let query = 0; query < nTokens; query++) column[query] = pattern[base + query * nTokens + token]!;
  return column;
}

/** The `k` largest weights, largest first (ties keep token order). */
export function topWeights(weights: Float32Array, k: number): Weighted[] {
  return Array.from(weights, (weight, index) => ({ index, weight }))
    .sort((a, b) => b.weight - a.weight || a.index - b.index)
    .slice(0, k);
}
