/** The Predictions section's view logic: the top-k at a position, the actual next token, the loss chart. Pure. */
import type { Predictions } from '../../src/protocol/engine';
import { toCsv } from './csv';
import { lossToProb, predictionPositions, topPredictions, type PredictionRow } from './format';

export interface NextTokenView {
  readonly pos: number;
  readonly rows: PredictionRow[];
  /** The token that actually follows `pos` in the prompt, with its loss (absent at the last position). */
  readonly actual?: { readonly id: number; readonly text: string; readonly loss: number; readonly prob: number; readonly rank?: number };
}

/**
 * What the model predicts after position `pos`: its top-k, and when the prompt goes on, the token
 * that comes next with its loss (losses[pos] is the loss of token pos + 1) and its rank in the top-k.
 */
export function nextTokenView(p: Predictions, losses: ArrayLike<number>, tokens: readonly number[], tokenStrings: readonly string[], pos: number): NextTokenView {
  const rows = topPredictions(p, pos);
  if (pos + 1 >= tokens.length || pos >= losses.length) return { pos, rows };
  const id = tokens[pos + 1]!;
  const loss = losses[pos]!;
  const hit = rows.find((r) => r.id === id);
  return { pos, rows, actual: { id, text: tokenStrings[pos + 1] ?? `#${id}`, loss, prob: lossToProb(loss), rank: hit?.rank } };
}

/** Every position's top-k as CSV: position, the token there, rank, predicted id, token, probability. */
export function predictionsCsv(p: Predictions, tokenStrings: readonly string[]): string {
  const rows: (string | number)[][] = [];
  const positions = predictionPositions(p);
  for (let pos = 0; pos < positions; pos++) {
    for (const r of topPredictions(p, pos)) rows.push([pos, tokenStrings[pos] ?? '', r.rank, r.id, r.text, r.prob]);
  }
  return toCsv(['position', 'token', 'rank', 'predicted_id', 'predicted_token', 'probability'], rows);
}

/** Per-token loss as CSV: the loss of token i (predicted from the tokens before it), i ≥ 1. */
export function lossesCsv(losses: ArrayLike<number>, tokens: readonly number[], tokenStrings: readonly string[]): string {
  const rows: (string | number)[][] = [];
  for (let i = 0; i < losses.length; i++) rows.push([i + 1, tokens[i + 1] ?? '', tokenStrings[i + 1] ?? '', losses[i]!, lossToProb(losses[i]!)]);
  return toCsv(['position', 'token_id', 'token', 'loss_nats', 'probability'], rows);
}

/** Bars of the loss chart: bar i is token i + 1's loss; heights in pixels of `height` for the largest finite loss. */
export function lossBars(losses: ArrayLike<number>, width: number, height: number, minBar = 1, maxBar = 28): { bar: number; max: number; heights: number[] } {
  let max = 0;
  for (let i = 0; i < losses.length; i++) {
    const v = losses[i]!;
    if (Number.isFinite(v) && v > max) max = v;
  }
  const n = Math.max(1, losses.length);
  const bar = Math.max(minBar, Math.min(maxBar, Math.floor(width / n)));
  const heights: number[] = [];
  for (let i = 0; i < losses.length; i++) {
    const v = losses[i]!;
    heights.push(max > 0 && Number.isFinite(v) ? Math.max(v > 0 ? 1 : 0, Math.round((v / max) * height)) : Number.isFinite(v) ? 0 : height);
  }
  return { bar, max, heights };
}
