/**
 * The circuit-analysis part of the webview state (Heads, Composition, skip trigrams, Attribution)
 * and its reducer. Results computed on the weights alone live as long as the model; results on a
 * run's tokens as long as the run. A result nobody asked for (a palette command pushed it) switches
 * its tab to show it; one the tab asked for just fills in. Pure.
 */
import type { Attribution, CompositionScores, HeadScores, SkipTrigrams } from '../../src/protocol/engine';
import type { ToWebview } from '../../src/protocol/webview';
import type { HeadPair } from './composition';
import { DEFAULT_HEAD_SORT, HEAD_SCORES, type HeadScoreKey, type HeadSort } from './heads';
import { attributionKey, compositionKey, headsKey, skipKey, type RequestStatus } from './requests';
import type { ViewState } from './state';

export interface AnalysisState {
  readonly headScores: { readonly prompt?: HeadScores; readonly random?: HeadScores };
  /** Which scores the Heads tab shows. */
  readonly headsSource: 'prompt' | 'random';
  /** The score the Heads heatmap shows. */
  readonly headsScore: HeadScoreKey;
  readonly headsSort: HeadSort;
  readonly composition: { readonly raw?: CompositionScores; readonly baseline?: CompositionScores };
  /** Whether the Composition tab shows scores minus the random-matrix baseline. */
  readonly compositionBaseline: boolean;
  /** The pair picked in the Composition tab (its later head is the selected head). */
  readonly pair?: HeadPair;
  /** Skip-trigram tables by skipKey. */
  readonly skipTrigrams: ReadonlyMap<string, SkipTrigrams>;
  /** The token (id) whose skip trigrams the QK / OV tab shows. */
  readonly skipToken?: number;
  /** Attributions of the current run by attributionKey. */
  readonly attributions: ReadonlyMap<string, Attribution>;
  /** Target and contrast tokens chosen for the attribution (target undefined: the top prediction). */
  readonly attributionChoice: { readonly target?: number; readonly contrast?: number };
  /** Requests made and not answered (pending) or answered with an error (failed), by key. */
  readonly requests: ReadonlyMap<string, RequestStatus>;
}

export type AnalysisAction =
  | { readonly type: 'ui/headsSource'; readonly source: 'prompt' | 'random' }
  | { readonly type: 'ui/headsScore'; readonly score: HeadScoreKey }
  | { readonly type: 'ui/headsSort'; readonly sort: HeadSort }
  | { readonly type: 'ui/compositionBaseline'; readonly baseline: boolean }
  | { readonly type: 'ui/selectPair'; readonly pair: HeadPair }
  | { readonly type: 'ui/skipToken'; readonly token: number }
  | { readonly type: 'ui/attributionTarget'; readonly target: number | undefined }
  | { readonly type: 'ui/attributionContrast'; readonly contrast: number | undefined }
  /** A request was posted for `key`. */
  | { readonly type: 'ui/requested'; readonly key: string }
  /** Forget a failed request so it is made again. */
  | { readonly type: 'ui/retry'; readonly key: string };

type AnalysisMessage = Extract<ToWebview, { type: 'heads' | 'composition' | 'skipTrigrams' | 'attribution' }>;

export function initialAnalysis(): AnalysisState {
  return {
    headScores: {},
    headsSource: 'prompt',
    headsScore: 'induction',
    headsSort: DEFAULT_HEAD_SORT,
    composition: {},
    compositionBaseline: false,
    skipTrigrams: new Map(),
    attributions: new Map(),
    attributionChoice: {},
    requests: new Map(),
  };
}

/** What a new model invalidates: every result; the tabs' display choices stay. */
export function analysisForNewModel(s: AnalysisState): AnalysisState {
  return { ...initialAnalysis(), headsSource: s.headsSource, headsScore: s.headsScore, headsSort: s.headsSort, compositionBaseline: s.compositionBaseline };
}

/** What a new run invalidates: results on the previous run's tokens. */
export function analysisForNewRun(s: AnalysisState): Partial<AnalysisState> {
  return { headScores: { random: s.headScores.random }, attributions: new Map(), attributionChoice: {} };
}

const MAX_CACHED = 48;

function withEntry<V>(map: ReadonlyMap<string, V>, key: string, value: V): Map<string, V> {
  const next = new Map(map);
  next.delete(key);
  next.set(key, value);
  while (next.size > MAX_CACHED) next.delete(next.keys().next().value as string);
  return next;
}

function without<V>(map: ReadonlyMap<string, V>, key: string): ReadonlyMap<string, V> {
  if (!map.has(key)) return map;
  const next = new Map(map);
  next.delete(key);
  return next;
}

function validScores(x: HeadScores | undefined): x is HeadScores {
  if (typeof x !== 'object' || x === null) return false;
  const n = x.layers * x.heads;
  return n > 0 && HEAD_SCORES.every((k) => x[k] instanceof Float32Array && x[k].length === n);
}

function validComposition(x: CompositionScores | undefined): x is CompositionScores {
  if (typeof x !== 'object' || x === null) return false;
  const n = (x.layers * x.heads) ** 2;
  return n > 0 && [x.q, x.k, x.v].every((a) => a instanceof Float32Array && a.length === n);
}

/** Folds an analysis result from the host into the state. */
export function reduceAnalysisMessage(s: ViewState, a: AnalysisMessage): ViewState {
  switch (a.type) {
    case 'heads': {
      const scores = a.scores;
      if (!validScores(scores)) return s;
      if (scores.source === 'prompt' && !s.run) return s;
      const key = headsKey(scores.source, s.run?.runId);
      const solicited = s.requests.has(key);
      return {
        ...s,
        headScores: { ...s.headScores, [scores.source]: scores },
        headsSource: solicited ? s.headsSource : scores.source,
        requests: without(s.requests, key),
      };
    }
    case 'composition': {
      const scores = a.scores;
      if (!validComposition(scores)) return s;
      const baseline = scores.baseline !== undefined;
      const key = compositionKey(baseline);
      const solicited = s.requests.has(key);
      return {
        ...s,
        composition: { ...s.composition, [baseline ? 'baseline' : 'raw']: scores },
        compositionBaseline: solicited ? s.compositionBaseline : baseline,
        requests: without(s.requests, key),
      };
    }
    case 'skipTrigrams': {
      const t = a.tables as SkipTrigrams | undefined;
      if (!t || !t.boosts || !t.suppresses || !t.attendsTo) return s;
      const key = skipKey(t.layer, t.head, t.token);
      return { ...s, skipTrigrams: withEntry(s.skipTrigrams, key, t), requests: without(s.requests, key) };
    }
    case 'attribution': {
      const run = s.run;
      if (!run) return s;
      const at = a.attribution as Attribution | undefined;
      if (!at || !(at.heads instanceof Float32Array) || !at.lens) return s;
      const key = attributionKey(run.runId, at.position, at.target, at.contrast);
      return { ...s, attributions: withEntry(s.attributions, key, at), requests: without(s.requests, key) };
    }
  }
}

/** Folds a user action of the analysis tabs into the state. */
export function reduceAnalysisAction(s: ViewState, a: AnalysisAction): ViewState {
  switch (a.type) {
    case 'ui/headsSource':
      return a.source === s.headsSource ? s : { ...s, headsSource: a.source };
    case 'ui/headsScore':
      return a.score === s.headsScore ? s : { ...s, headsScore: a.score };
    case 'ui/headsSort':
      return { ...s, headsSort: a.sort };
    case 'ui/compositionBaseline':
      return a.baseline === s.compositionBaseline ? s : { ...s, compositionBaseline: a.baseline };
    case 'ui/selectPair':
      return { ...s, pair: a.pair, selected: { layer: a.pair.to.layer, head: a.pair.to.head } };
    case 'ui/skipToken':
      return a.token === s.skipToken ? s : { ...s, skipToken: a.token };
    case 'ui/attributionTarget':
      return { ...s, attributionChoice: { ...s.attributionChoice, target: a.target } };
    case 'ui/attributionContrast':
      return { ...s, attributionChoice: { ...s.attributionChoice, contrast: a.contrast } };
    case 'ui/requested':
      return s.requests.get(a.key) === 'pending' ? s : { ...s, requests: withEntry(s.requests, a.key, 'pending') };
    case 'ui/retry':
      return { ...s, requests: without(s.requests, a.key) };
  }
}

/** An error arrived: whatever was pending failed (a request's own error, or the engine's). */
export function failPending(requests: ReadonlyMap<string, RequestStatus>): ReadonlyMap<string, RequestStatus> {
  if (![...requests.values()].includes('pending')) return requests;
  return new Map([...requests].map(([k]) => [k, 'failed' as const]));
}
