/**
 * The webview's state and the reducer that applies host messages and user actions to it. Pure:
 * views read the state, nothing here touches the DOM. Stale pattern messages (an older runId) are
 * dropped; patterns that arrive before their run message wait for it.
 */
import type { CircuitsResult, Intervention, Predictions, TensorRow, TensorStats } from '../../src/protocol/engine';
import type { EngineState, ModelCard, ToWebview, WebviewState } from '../../src/protocol/webview';
import { analysisForNewModel, analysisForNewRun, failPending, initialAnalysis, reduceAnalysisAction, reduceAnalysisMessage, type AnalysisAction, type AnalysisState } from './analysisState';
import { DEFAULT_HEAD_SORT } from './heads';
import type { HeadRef, HoverDirection } from './layout';
import { initialParticles, particlesForNewModel, particlesForNewRun, reduceParticlesAction, reduceParticlesMessage, type ParticlesAction, type ParticlesState } from './particlesState';

export const TABS = ['model', 'prompt', 'attention', 'heads', 'composition', 'circuits', 'attribution', 'predictions', 'interventions', 'particles'] as const;
export type Tab = (typeof TABS)[number];

export interface RunView {
  readonly runId: number;
  readonly tokens: readonly number[];
  readonly tokenStrings: readonly string[];
  readonly losses: Float32Array;
  readonly predictions: Predictions;
  readonly layers: number;
  readonly heads: number;
  /** One [head, query, key] array per layer, undefined until its message arrives. */
  readonly patterns: readonly (Float32Array | undefined)[];
  /** Labels of the ablations the run was computed under ("1.2", "attn 0"); absent: a clean run. */
  readonly ablated?: readonly string[];
}

export interface ViewState extends AnalysisState, ParticlesState {
  readonly status: { readonly state: EngineState; readonly message?: string; readonly progress?: number };
  readonly modelPath?: string;
  readonly card?: ModelCard;
  readonly tensors: readonly TensorRow[];
  readonly stats: ReadonlyMap<string, TensorStats>;
  /** Tensors whose statistics were requested and have not arrived. */
  readonly statsPending: ReadonlySet<string>;
  readonly prompt: string;
  /** Bumped when the host prefills the prompt, so the text box replaces what it shows. */
  readonly promptRevision: number;
  readonly run?: RunView;
  /** Patterns that arrived before their run message, by runId then layer. */
  readonly early: ReadonlyMap<number, ReadonlyMap<number, Float32Array>>;
  /** Circuits of the current run's tokens, by "layer:head". */
  readonly circuits: ReadonlyMap<string, CircuitsResult>;
  readonly selected: HeadRef;
  readonly tab: Tab;
  readonly hoverDirection: HoverDirection;
  /** Position whose predictions are shown; undefined = the last position. */
  readonly predictionPos?: number;
  /** A user-facing error, shown until dismissed or until the next success. */
  readonly error?: string;
  /** The host session's active ablations (the header's "ablated" banner). */
  readonly ablations: readonly Intervention[];
  /** The latest ablation or patching result (the Interventions tab). */
  readonly interventionResult?: InterventionResult;
}

/** An ablation or patching result as the host sent it. */
export type InterventionResult = Extract<ToWebview, { type: 'ablationResult' | 'patchResult' }>;

/** Actions from the page itself (user input), next to the host's messages. */
export type UiAction =
  | { readonly type: 'ui/selectHead'; readonly layer: number; readonly head: number }
  | { readonly type: 'ui/tab'; readonly tab: Tab }
  | { readonly type: 'ui/hoverDirection'; readonly direction: HoverDirection }
  | { readonly type: 'ui/prompt'; readonly text: string }
  | { readonly type: 'ui/requestStats'; readonly name: string }
  | { readonly type: 'ui/predictionPos'; readonly pos: number | undefined }
  | { readonly type: 'ui/dismissError' }
  | { readonly type: 'ui/run' }
  | AnalysisAction
  | ParticlesAction;

export type Action = ToWebview | UiAction;

export function initialState(saved?: WebviewState): ViewState {
  return {
    status: { state: 'idle' },
    modelPath: saved?.modelPath,
    tensors: [],
    stats: new Map(),
    statsPending: new Set(),
    prompt: saved?.prompt ?? '',
    promptRevision: 0,
    early: new Map(),
    circuits: new Map(),
    selected: { layer: saved?.layer ?? 0, head: saved?.head ?? 0 },
    tab: saved?.tab !== undefined && (TABS as readonly string[]).includes(saved.tab) ? (saved.tab as Tab) : 'prompt',
    hoverDirection: saved?.hoverDirection ?? 'query',
    ablations: [],
    ...initialAnalysis(),
    ...initialParticles(saved),
  };
}

/** What survives hiding and reloading the panel (setState). */
export function persistedState(s: ViewState): WebviewState {
  return {
    modelPath: s.modelPath,
    prompt: s.prompt,
    tab: s.tab,
    layer: s.selected.layer,
    head: s.selected.head,
    hoverDirection: s.hoverDirection,
    particleBeta: s.particleBeta,
    particleDelta: s.particleDelta,
  };
}

/** Reads getState()'s value defensively: anything malformed is dropped, field by field. */
export function sanitizeSaved(value: unknown): WebviewState | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  const nat = (x: unknown) => (typeof x === 'number' && Number.isInteger(x) && x >= 0 ? x : undefined);
  const str = (x: unknown) => (typeof x === 'string' ? x : undefined);
  return {
    modelPath: str(v.modelPath),
    prompt: str(v.prompt),
    tab: typeof v.tab === 'string' && (TABS as readonly string[]).includes(v.tab) ? v.tab : undefined,
    layer: nat(v.layer),
    head: nat(v.head),
    hoverDirection: v.hoverDirection === 'query' || v.hoverDirection === 'key' ? v.hoverDirection : undefined,
    // Invalid values fall back to the defaults in initialParticles.
    particleBeta: typeof v.particleBeta === 'number' ? v.particleBeta : undefined,
    particleDelta: typeof v.particleDelta === 'number' ? v.particleDelta : undefined,
  };
}

export function circuitsKey(layer: number, head: number): string {
  return `${layer}:${head}`;
}

/** The circuits of the selected head, if they arrived. */
export function selectedCircuits(s: ViewState): CircuitsResult | undefined {
  return s.circuits.get(circuitsKey(s.selected.layer, s.selected.head));
}

/** Number of tokens of the current run (0 without one). */
export function tokenCount(s: ViewState): number {
  return s.run?.tokens.length ?? 0;
}

/** Layers and heads the grid shows: the run's, else the model's. */
export function gridShape(s: ViewState): { layers: number; heads: number } {
  if (s.run) return { layers: s.run.layers, heads: s.run.heads };
  if (s.card) return { layers: s.card.layers, heads: s.card.heads };
  return { layers: 0, heads: 0 };
}

function clampHead(sel: HeadRef, layers: number, heads: number): HeadRef {
  if (layers <= 0 || heads <= 0) return sel;
  return { layer: Math.min(Math.max(0, sel.layer), layers - 1), head: Math.min(Math.max(0, sel.head), heads - 1) };
}

function validPattern(data: Float32Array | undefined, heads: number, n: number): data is Float32Array {
  return data instanceof Float32Array && data.length === heads * n * n;
}

export function reduce(s: ViewState, a: Action): ViewState {
  switch (a.type) {
    case 'status': {
      const status = { state: a.state, message: a.message, progress: a.progress };
      return { ...s, status };
    }
    case 'model': {
      const same = s.modelPath === a.path && s.card !== undefined;
      return {
        ...s,
        modelPath: a.path,
        card: a.card,
        // A different model invalidates everything computed with the previous one.
        ...(same
          ? {}
          : { tensors: [], stats: new Map(), statsPending: new Set(), run: undefined, early: new Map(), circuits: new Map(), predictionPos: undefined, interventionResult: undefined, ...analysisForNewModel(s), ...particlesForNewModel(s) }),
        selected: clampHead(s.selected, a.card.layers, a.card.heads),
        error: undefined,
      };
    }
    case 'tensors':
      return { ...s, tensors: a.tensors };
    case 'tensorStats': {
      const stats = new Map(s.stats);
      stats.set(a.name, a.stats);
      const statsPending = new Set(s.statsPending);
      statsPending.delete(a.name);
      return { ...s, stats, statsPending };
    }
    case 'prompt':
      return { ...s, prompt: a.text, promptRevision: s.promptRevision + 1 };
    case 'run': {
      if (s.run && a.runId < s.run.runId) return s; // an older run finishing late
      const n = a.tokens.length;
      const patterns: (Float32Array | undefined)[] = new Array<Float32Array | undefined>(a.layers).fill(undefined);
      const waiting = s.early.get(a.runId);
      if (waiting) for (const [layer, data] of waiting) if (layer < a.layers && validPattern(data, a.heads, n)) patterns[layer] = data;
      const early = new Map([...s.early].filter(([id]) => id > a.runId));
      return {
        ...s,
        run: {
          runId: a.runId,
          tokens: a.tokens,
          tokenStrings: a.tokenStrings,
          losses: a.losses,
          predictions: a.predictions,
          layers: a.layers,
          heads: a.heads,
          patterns,
          ...(a.ablated?.length ? { ablated: a.ablated } : {}),
        },
        early,
        circuits: new Map(),
        selected: clampHead(s.selected, a.layers, a.heads),
        predictionPos: undefined,
        error: undefined,
        ...analysisForNewRun(s),
        ...particlesForNewRun(s),
      };
    }
    case 'pattern': {
      const run = s.run;
      if (!run || a.runId > run.runId) {
        // Its run message has not arrived yet: keep it until it does (at most a few runs ahead).
        const early = new Map(s.early);
        const layers = new Map(early.get(a.runId) ?? []);
        layers.set(a.layer, a.data);
        early.set(a.runId, layers);
        while (early.size > 4) early.delete(Math.min(...early.keys()));
        return { ...s, early };
      }
      if (a.runId !== run.runId) return s; // stale: a previous run's pattern
      if (a.layer < 0 || a.layer >= run.layers || !validPattern(a.data, run.heads, run.tokens.length)) return s;
      const patterns = run.patterns.slice();
      patterns[a.layer] = a.data;
      return { ...s, run: { ...run, patterns } };
    }
    case 'circuits': {
      const c = a.circuits;
      const circuits = new Map(s.circuits);
      circuits.set(circuitsKey(c.layer, c.head), c);
      return { ...s, circuits };
    }
    case 'selectHead':
    case 'ui/selectHead': {
      const { layers, heads } = gridShape(s);
      const selected = clampHead({ layer: a.layer, head: a.head }, layers, heads);
      if (selected.layer === s.selected.layer && selected.head === s.selected.head) return s;
      // Selecting another head drops the composition pair (unless it is the pair's later head).
      const pair = s.pair && s.pair.to.layer === selected.layer && s.pair.to.head === selected.head ? s.pair : undefined;
      return { ...s, selected, pair };
    }
    case 'error':
      return { ...s, error: a.message, requests: failPending(s.requests) };
    case 'ablations':
      return { ...s, ablations: a.interventions };
    case 'ablationResult':
    case 'patchResult':
      // Results are numbered by the host: one finishing late never replaces a newer one.
      if (s.interventionResult && a.resultId < s.interventionResult.resultId) return s;
      return { ...s, interventionResult: a, error: undefined };
    case 'heads':
    case 'composition':
    case 'skipTrigrams':
    case 'attribution':
      return reduceAnalysisMessage(s, a);
    case 'particles':
    case 'particleKernel':
    case 'simulation':
    case 'phaseDiagram':
      return reduceParticlesMessage(s, a);
    case 'ui/particleParams':
    case 'ui/particleLayer':
    case 'ui/simulate':
    case 'ui/phaseDiagram':
      return reduceParticlesAction(s, a, s.run?.runId);
    case 'showTab': {
      const tab = (TABS as readonly string[]).includes(a.tab) ? (a.tab as Tab) : undefined;
      if (!tab) return s;
      // A command opening Heads wants it in its default order: strongest induction first.
      return tab === 'heads' ? { ...s, tab, headsScore: 'induction', headsSort: DEFAULT_HEAD_SORT } : tab === s.tab ? s : { ...s, tab };
    }
    case 'ui/selectPair': {
      const { layers, heads } = gridShape(s);
      const to = clampHead(a.pair.to, layers, heads);
      return reduceAnalysisAction(s, { type: 'ui/selectPair', pair: { from: a.pair.from, to } });
    }
    case 'ui/headsSource':
    case 'ui/headsScore':
    case 'ui/headsSort':
    case 'ui/compositionBaseline':
    case 'ui/skipToken':
    case 'ui/attributionTarget':
    case 'ui/attributionContrast':
    case 'ui/requested':
    case 'ui/retry':
      return reduceAnalysisAction(s, a);
    case 'ui/tab':
      return a.tab === s.tab ? s : { ...s, tab: a.tab };
    case 'ui/hoverDirection':
      return a.direction === s.hoverDirection ? s : { ...s, hoverDirection: a.direction };
    case 'ui/prompt':
      return a.text === s.prompt ? s : { ...s, prompt: a.text };
    case 'ui/requestStats': {
      const statsPending = new Set(s.statsPending);
      statsPending.add(a.name);
      return { ...s, statsPending };
    }
    case 'ui/predictionPos':
      return movePosition(s, a.pos);
    case 'cursorToken':
      return movePosition(s, a.index ?? undefined);
    case 'ui/dismissError':
      return s.error === undefined ? s : { ...s, error: undefined };
    case 'ui/run':
      return { ...s, error: undefined };
  }
}

/** A new position for Predictions and Attribution; the attribution's chosen tokens belong to the old one. */
function movePosition(s: ViewState, pos: number | undefined): ViewState {
  if (pos === s.predictionPos) return s;
  return { ...s, predictionPos: pos, attributionChoice: {} };
}

/** The position the Predictions view shows: the chosen one, else the last. */
export function predictionPosition(s: ViewState): number | undefined {
  const n = tokenCount(s);
  if (n === 0) return undefined;
  return s.predictionPos !== undefined && s.predictionPos < n ? s.predictionPos : n - 1;
}

/** Number of pattern layers received for the current run. */
export function patternsReceived(s: ViewState): number {
  return s.run ? s.run.patterns.filter((p) => p !== undefined).length : 0;
}

const HOST_MESSAGES: ReadonlySet<string> = new Set<ToWebview['type']>([
  'status',
  'model',
  'tensors',
  'tensorStats',
  'prompt',
  'run',
  'pattern',
  'circuits',
  'cursorToken',
  'selectHead',
  'heads',
  'composition',
  'skipTrigrams',
  'attribution',
  'showTab',
  'error',
  'ablations',
  'ablationResult',
  'patchResult',
  'particles',
  'particleKernel',
  'simulation',
  'phaseDiagram',
]);

/** A message from the host, by its `type` (anything else posted to the window is ignored). */
export function isToWebview(value: unknown): value is ToWebview {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string' && HOST_MESSAGES.has((value as { type: string }).type);
}
