/** Skip-trigram tables of one head for one token: ranked token lists as rows and CSV. Pure. */
import type { SkipTrigrams, TokenList } from '../../src/protocol/engine';
import { toCsv } from './csv';

export interface TokenValueRow {
  readonly rank: number;
  readonly id: number;
  readonly text: string;
  readonly value: number;
}

/** A TokenList as rows, in the order the engine ranked them. */
export function tokenRows(list: TokenList): TokenValueRow[] {
  const rows: TokenValueRow[] = [];
  for (let i = 0; i < list.ids.length; i++) rows.push({ rank: i + 1, id: list.ids[i]!, text: list.strings?.[i] ?? `#${list.ids[i]}`, value: list.values[i]! });
  return rows;
}

export const SKIP_TABLES = ['boosts', 'suppresses', 'attendsTo'] as const;
export type SkipTable = (typeof SKIP_TABLES)[number];

/** All three tables as CSV: table, rank, id, token, value. */
export function skipTrigramsCsv(t: SkipTrigrams): string {
  const rows: (string | number)[][] = [];
  for (const table of SKIP_TABLES) for (const r of tokenRows(t[table])) rows.push([table, r.rank, r.id, r.text, r.value]);
  return toCsv(['table', 'rank', 'token_id', 'token', 'value'], rows);
}

/** The largest |value| over a list (for bar widths). */
export function listMaxAbs(list: TokenList): number {
  let m = 0;
  for (let i = 0; i < list.values.length; i++) {
    const a = Math.abs(list.values[i]!);
    if (Number.isFinite(a) && a > m) m = a;
  }
  return m;
}
