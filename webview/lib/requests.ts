/**
 * What the panel asks the host to compute, and when. Each analysis result has a key; a request is
 * made once per key (pending, then removed when its result arrives, or marked failed when an error
 * comes instead — a failed key is not retried until the user asks). Only the visible tab asks.
 * Pure.
 */
import type { FromWebview } from '../../src/protocol/webview';
import { defaultTarget } from './attribution';
import { particleRequests } from './particlesState';
import type { ViewState } from './state';

export type RequestStatus = 'pending' | 'failed';

export function headsKey(source: 'prompt' | 'random', runId: number | undefined): string {
  return source === 'random' ? 'heads:random' : `heads:prompt:${runId ?? -1}`;
}

export function compositionKey(baseline: boolean): string {
  return `composition:${baseline ? 'baseline' : 'raw'}`;
}

export function skipKey(layer: number, head: number, token: number): string {
  return `skip:${layer}:${head}:${token}`;
}

export function attributionKey(runId: number, position: number, target: number, contrast: number | undefined): string {
  return `attribution:${runId}:${position}:${target}:${contrast ?? ''}`;
}

/** The position the Attribution tab attributes at: the picked one, else the last. */
export function attributionPosition(s: ViewState): number | undefined {
  const n = s.run?.tokens.length ?? 0;
  if (n === 0) return undefined;
  return s.predictionPos !== undefined && s.predictionPos < n ? s.predictionPos : n - 1;
}

/** The attribution the tab wants now: position, target (the chosen token, else the top prediction), contrast. */
export function attributionQuery(s: ViewState): { key: string; position: number; target: number; contrast?: number } | undefined {
  const run = s.run;
  const position = attributionPosition(s);
  if (!run || position === undefined) return undefined;
  const target = s.attributionChoice.target ?? defaultTarget(run.predictions, position);
  if (target === undefined) return undefined;
  const contrast = s.attributionChoice.contrast !== target ? s.attributionChoice.contrast : undefined;
  return { key: attributionKey(run.runId, position, target, contrast), position, target, contrast };
}

/** The key of the skip-trigram tables the QK / OV tab shows, if a token is picked. */
export function skipQuery(s: ViewState): { key: string; token: number } | undefined {
  if (s.skipToken === undefined || !s.run) return undefined;
  return { key: skipKey(s.selected.layer, s.selected.head, s.skipToken), token: s.skipToken };
}

export interface WantedRequest {
  readonly key: string;
  readonly message: FromWebview;
}

/** Requests the visible tab needs and has not made: at most one per call. */
export function wantedRequests(s: ViewState): WantedRequest[] {
  if (!s.card) return [];
  const want = (key: string, message: FromWebview, have: boolean): WantedRequest[] => (have || s.requests.has(key) ? [] : [{ key, message }]);
  switch (s.tab) {
    case 'heads': {
      const source = s.headsSource;
      if (source === 'prompt' && !s.run) return [];
      return want(headsKey(source, s.run?.runId), { type: 'requestHeads', source }, s.headScores[source] !== undefined);
    }
    case 'composition': {
      const baseline = s.compositionBaseline;
      return want(compositionKey(baseline), { type: 'requestComposition', baseline }, (baseline ? s.composition.baseline : s.composition.raw) !== undefined);
    }
    case 'circuits': {
      const q = skipQuery(s);
      return q ? want(q.key, { type: 'requestSkipTrigrams', token: q.token }, s.skipTrigrams.has(q.key)) : [];
    }
    case 'attribution': {
      const q = attributionQuery(s);
      if (!q) return [];
      const message: FromWebview = { type: 'requestAttribution', position: q.position, target: q.target, ...(q.contrast !== undefined ? { contrast: q.contrast } : {}) };
      return want(q.key, message, s.attributions.has(q.key));
    }
    case 'particles': {
      const next = particleRequests(s).find((r) => !r.have && !s.requests.has(r.key));
      return next ? [{ key: next.key, message: next.message }] : [];
    }
    default:
      return [];
  }
}

/** The status of the request behind what a tab shows: 'pending', 'failed', or undefined (none made, or done). */
export function requestStatus(s: ViewState, key: string | undefined): RequestStatus | undefined {
  return key === undefined ? undefined : s.requests.get(key);
}
