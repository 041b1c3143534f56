/**
 * What the Interventions tab and the "ablated" banner show: labels of active ablations, the top
 * predictions before → after an ablation with what changed, and the patching grid's scale. Pure.
 */
import type { Intervention, PatchResult, TokenList } from '../../src/protocol/engine';
import { interventionLabel } from '../../src/protocol/interventions';

/** "L1H2 zero", "attn L1 mean", "MLP L0 resample" (as the host labels them). */
export { interventionLabel };

/** The header banner's text: "Ablated (2): L0H1 zero, MLP L1 mean", or '' with none. */
export function ablationBannerText(interventions: readonly Intervention[]): string {
  if (interventions.length === 0) return '';
  return `Ablated (${interventions.length}): ${interventions.map(interventionLabel).join(', ')}`;
}

export interface PredictionChange {
  readonly id: number;
  readonly text: string;
  /** Probability before / after (undefined: not in that top-k list). */
  readonly before?: number;
  readonly after?: number;
  /** 0-based ranks in each list (undefined: not in it). */
  readonly rankBefore?: number;
  readonly rankAfter?: number;
  /** Entered the top-k, left it, moved, or stayed at its rank. */
  readonly change: 'new' | 'dropped' | 'moved' | 'same';
}

/**
 * Every token in either top-k list, ordered by its rank after the ablation (dropped tokens last,
 * by their rank before), with how it changed.
 */
export function predictionChanges(before: TokenList, after: TokenList): PredictionChange[] {
  const rows = new Map<number, { text: string; before?: number; after?: number; rankBefore?: number; rankAfter?: number }>();
  const text = (list: TokenList, i: number) => list.strings?.[i] ?? `#${list.ids[i]}`;
  for (let i = 0; i < after.ids.length; i++) rows.set(after.ids[i]!, { text: text(after, i), after: after.values[i], rankAfter: i });
  for (let i = 0; i < before.ids.length; i++) {
    const id = before.ids[i]!;
    const row = rows.get(id) ?? { text: text(before, i) };
    rows.set(id, { ...row, before: before.values[i], rankBefore: i });
  }
  const out: PredictionChange[] = [...rows].map(([id, r]) => ({
    id,
    ...r,
    change: r.rankBefore === undefined ? 'new' : r.rankAfter === undefined ? 'dropped' : r.rankBefore === r.rankAfter ? 'same' : 'moved',
  }));
  return out.sort((a, b) => (a.rankAfter ?? Infinity) - (b.rankAfter ?? Infinity) || (a.rankBefore ?? Infinity) - (b.rankBefore ?? Infinity));
}

/** Whether the top prediction changed. */
export function topChanged(before: TokenList, after: TokenList): boolean {
  return before.ids.length > 0 && after.ids.length > 0 && before.ids[0] !== after.ids[0];
}

/** "+0.123" / "−0.123" for a metric change. */
export function signedDelta(before: number, after: number, digits = 3): string {
  const d = after - before;
  if (!Number.isFinite(d)) return '–';
  return `${d >= 0 ? '+' : '−'}${Math.abs(d).toFixed(digits)}`;
}

/** The largest |value| of a patching grid's finite cells, for a symmetric color scale (at least 1: restoration is a fraction). */
export function patchScaleMax(result: PatchResult): number {
  let max = 1;
  for (const v of result.values) if (Number.isFinite(v)) max = Math.max(max, Math.abs(v));
  return max;
}

/** Column title of a patching grid. */
export function patchColumnTitle(component: PatchResult['component']): string {
  return component === 'heads' ? 'Head' : 'Position';
}

/** What a patching sweep patched, in words. */
export function patchComponentText(component: PatchResult['component']): string {
  switch (component) {
    case 'resid':
      return 'residual stream (resid_pre) per layer × position';
    case 'attn':
      return 'attention output per layer × position';
    case 'heads':
      return 'each head’s output (all positions) per layer × head';
  }
}
