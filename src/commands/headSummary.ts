/** Words for head scores in notifications and quick picks. Pure (no vscode), so it is unit-tested. */
import type { HeadScores } from '../protocol/engine';

export interface RankedHead {
  readonly layer: number;
  readonly head: number;
  readonly score: number;
}

type ScoreKey = 'previousToken' | 'duplicateToken' | 'induction' | 'sink' | 'copyingOV' | 'copyingQK';

/** "L1H2" — as the panel names heads. */
export function headName(layer: number, head: number): string {
  return `L${layer}H${head}`;
}

/** The `count` heads with the highest finite score, highest first (ties: earlier layer, then head). */
export function topHeads(s: HeadScores, key: ScoreKey, count: number): RankedHead[] {
  const out: RankedHead[] = [];
  for (let layer = 0; layer < s.layers; layer++) {
    for (let head = 0; head < s.heads; head++) {
      const score = s[key][layer * s.heads + head]!;
      if (Number.isFinite(score)) out.push({ layer, head, score });
    }
  }
  return out.sort((a, b) => b.score - a.score || a.layer - b.layer || a.head - b.head).slice(0, Math.max(0, count));
}

/** A head with an induction score at least this high is called an induction head. */
export const INDUCTION_THRESHOLD = 0.3;

/** The notification after Find Induction Heads: the strongest heads with their scores, or that none is strong. */
export function inductionSummary(s: HeadScores, count = 3): string {
  const top = topHeads(s, 'induction', count);
  const on = s.source === 'random' ? 'on repeated random tokens' : 'on this prompt';
  if (top.length === 0) return `No induction scores came back ${on}.`;
  const strong = top.filter((h) => h.score >= INDUCTION_THRESHOLD);
  const list = (heads: RankedHead[]) => heads.map((h) => `${headName(h.layer, h.head)} (${h.score.toFixed(2)})`).join(', ');
  if (strong.length === 0) return `No strong induction head ${on}: the best is ${list(top.slice(0, 1))}.`;
  return `Induction heads ${on}: ${list(strong)}.`;
}

/** "prev 0.91 · ind 0.02 · copy 0.70" for one head, or undefined when its scores are unknown. */
export function headScoreLabel(s: HeadScores | undefined, layer: number, head: number): string | undefined {
  if (!s || layer >= s.layers || head >= s.heads) return undefined;
  const i = layer * s.heads + head;
  const f = (v: number | undefined) => (v !== undefined && Number.isFinite(v) ? v.toFixed(2).replace('-', '−') : '–');
  return `prev ${f(s.previousToken[i])} · ind ${f(s.induction[i])} · copy ${f(s.copyingOV[i])}`;
}
