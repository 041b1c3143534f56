/**
 * The session's analyses of the loaded model: QK/OV circuits, tensor statistics, head scores,
 * composition scores, skip trigrams and attribution. One request per key is shared by every view
 * that asks, the finished results are kept for replay to a reloaded webview and for labels (Explain
 * Head), and all of it is forgotten with the model. Nothing here touches `vscode`: the session
 * provides the engine, the settings, progress and error reporting.
 */
import type { Attribution, CircuitsResult, CompositionScores, EngineRequestBody, HeadScores, RandomRepeats, SkipTrigrams, TensorStats } from '../protocol/engine';
import { describeError, type RequestOrigin, type SessionRequests, type SessionRun } from './sessionTypes';

/** What the session offers this module, beyond its requests. */
export interface AnalysisHost extends SessionRequests {
  readonly lastRun: SessionRun | undefined;
  readonly selectedHead: { readonly layer: number; readonly head: number };
  /** A plain engine request: no progress, no error shown (it throws). */
  engineRequest<T>(body: EngineRequestBody): Promise<T>;
  /** The repeated-random-token detector settings. */
  randomRepeatSettings(): RandomRepeats;
  /** Head scores finished computing (for the current model, and for 'prompt' the current run). */
  computedHeads(scores: HeadScores): void;
  /** Composition scores finished computing for the current model. */
  computedComposition(scores: CompositionScores): void;
}

export class SessionAnalyses {
  /** Circuits per (run, layer, head): several views ask for the same head. */
  private readonly circuitCache = new Map<string, Promise<CircuitsResult>>();
  /** Analyses (heads, composition, skip trigrams, attribution) by key, in flight or done; one model's worth. */
  private readonly analysisCache = new Map<string, Promise<unknown>>();
  /** The finished ones, for replay to a reloaded webview and for labels (Explain Head). */
  private readonly analysisResults = new Map<string, unknown>();

  constructor(private readonly host: AnalysisHost) {}

  /** Forgets every analysis (another model, or none). */
  clear(): void {
    this.analysisCache.clear();
    this.analysisResults.clear();
  }

  /** QK/OV circuits of the selected head on the last run's tokens; undefined (with an error shown) on failure. */
  async circuits(): Promise<CircuitsResult | undefined> {
    const run = this.host.lastRun;
    if (!run) return undefined;
    const { layer, head } = this.host.selectedHead;
    const key = `${run.runId}:${layer}:${head}`;
    let pending = this.circuitCache.get(key);
    if (!pending) {
      if (this.circuitCache.size > 64) this.circuitCache.clear();
      pending = this.host.engineRequest<CircuitsResult>({ type: 'circuits', layer, head, tokens: run.result.tokens });
      this.circuitCache.set(key, pending);
    }
    try {
      return await pending;
    } catch (error) {
      this.circuitCache.delete(key);
      this.host.fail(describeError(error), { notify: false });
      return undefined;
    }
  }

  async tensorStats(name: string): Promise<TensorStats | undefined> {
    try {
      return await this.host.engineRequest<TensorStats>({ type: 'tensorStats', name });
    } catch (error) {
      this.host.fail(describeError(error), { notify: false });
      return undefined;
    }
  }

  /**
   * Detector and copying scores of every head, on the last run's tokens ('prompt') or on repeated
   * random tokens ('random', with cancellable progress: it runs the model on a batch). Cached per
   * model (and per run for 'prompt'); undefined, with an error shown, on failure.
   */
  async heads(source: 'prompt' | 'random', origin: RequestOrigin): Promise<HeadScores | undefined> {
    if (!this.requireModel(origin)) return undefined;
    if (source === 'random') {
      const random = this.randomRepeats();
      return this.cachedAnalysis(
        randomHeadsKey(random),
        () => this.host.request<HeadScores>({ type: 'heads', random }, origin, { title: 'Scoring heads on repeated random tokens', done: 'head scores ready' }),
        (scores) => this.host.computedHeads(scores),
      );
    }
    const run = this.host.lastRun;
    if (!run) {
      this.host.fail('Run a prompt first: the heads are scored on its tokens.', origin);
      return undefined;
    }
    const scores = await this.cachedAnalysis(
      `heads:prompt:${run.runId}`,
      () => this.host.request<HeadScores>({ type: 'heads', tokens: run.result.tokens }, origin),
      (fresh) => this.host.lastRun === run && this.host.computedHeads(fresh),
    );
    // A run that finished meanwhile makes these scores stale for the panel.
    if (!scores || this.host.lastRun !== run) return undefined;
    return scores;
  }

  /** Q-, K- and V-composition scores of every pair of heads (optionally minus the random baseline), with progress. */
  async composition(baseline: boolean, origin: RequestOrigin): Promise<CompositionScores | undefined> {
    if (!this.requireModel(origin)) return undefined;
    return this.cachedAnalysis(
      `composition:${baseline}`,
      () => this.host.request<CompositionScores>({ type: 'composition', baseline }, origin, { title: 'Computing composition scores', done: 'composition scores ready' }),
      (scores) => this.host.computedComposition(scores),
    );
  }

  /** Skip-trigram tables of the selected head for one token. */
  async skipTrigrams(token: number, origin: RequestOrigin): Promise<SkipTrigrams | undefined> {
    if (!this.requireModel(origin)) return undefined;
    const { layer, head } = this.host.selectedHead;
    return this.cachedAnalysis(`skip:${layer}:${head}:${token}`, () => this.host.request<SkipTrigrams>({ type: 'skipTrigrams', layer, head, token }, origin));
  }

  /** Direct logit attribution and logit lens at `position` of the last run. */
  async attribution(position: number, target: number | undefined, contrast: number | undefined, origin: RequestOrigin): Promise<Attribution | undefined> {
    const run = this.host.lastRun;
    if (!run) {
      this.host.fail('Run a prompt first: attribution explains its predictions.', origin);
      return undefined;
    }
    const key = `attribution:${run.runId}:${position}:${target ?? ''}:${contrast ?? ''}`;
    // Under the same ablations as the run it explains.
    const body: EngineRequestBody = {
      type: 'attribution',
      tokens: run.result.tokens,
      position,
      ...(target !== undefined ? { target } : {}),
      ...(contrast !== undefined ? { contrast } : {}),
      ...(run.ablations?.length ? { interventions: run.ablations } : {}),
      ...(run.corrupted ? { corrupted: run.corrupted } : {}),
      ...(run.reference ? { reference: run.reference } : {}),
    };
    const result = await this.cachedAnalysis(key, () => this.host.request<Attribution>(body, origin));
    return result && this.host.lastRun === run ? result : undefined;
  }

  /** Head scores computed so far that still apply: on repeated random tokens, and on the current run. */
  cachedHeads(): HeadScores[] {
    const out: HeadScores[] = [];
    const run = this.host.lastRun;
    const prompt = run && this.analysisResult<HeadScores>(`heads:prompt:${run.runId}`);
    const random = this.host.model && this.analysisResult<HeadScores>(randomHeadsKey(this.randomRepeats()));
    if (prompt) out.push(prompt);
    if (random) out.push(random);
    return out;
  }

  /** Composition scores computed so far for this model. */
  cachedComposition(): CompositionScores[] {
    return [false, true].map((b) => this.analysisResult<CompositionScores>(`composition:${b}`)).filter((c): c is CompositionScores => c !== undefined);
  }

  /** The best-known scores for labels: repeated random tokens if computed, else the current prompt's. */
  get knownHeadScores(): HeadScores | undefined {
    const all = this.cachedHeads();
    return all.find((h) => h.source === 'random') ?? all[0];
  }

  /**
   * One request per key for the loaded model: callers share it; a failure is forgotten so it can
   * be retried. `computed` runs once, when the result arrives and its model is still loaded.
   */
  private cachedAnalysis<T>(key: string, start: () => Promise<T | undefined>, computed?: (value: T) => void): Promise<T | undefined> {
    const model = this.host.model;
    let pending = this.analysisCache.get(key) as Promise<T | undefined> | undefined;
    if (!pending) {
      if (this.analysisCache.size > 96) this.evictPerTokenAnalyses();
      pending = start().then((value) => {
        if (value === undefined || this.host.model !== model) {
          if (this.analysisCache.get(key) === pending) this.analysisCache.delete(key);
          return this.host.model === model ? value : undefined;
        }
        this.analysisResults.set(key, value);
        computed?.(value);
        return value;
      });
      this.analysisCache.set(key, pending);
    }
    return pending;
  }

  /** The detector settings, with the random half shortened so [BOS] + r + r fits the model's context. */
  private randomRepeats(): RandomRepeats {
    const { length, batch, seed } = this.host.randomRepeatSettings();
    const context = this.host.model?.card.context ?? Infinity;
    return { length: Math.max(1, Math.min(length, Math.floor((context - 1) / 2))), batch, seed };
  }

  private analysisResult<T>(key: string): T | undefined {
    return this.analysisResults.get(key) as T | undefined;
  }

  /** Drops the many small results (skip trigrams, attributions, older runs' scores); keeps this model's weight-level ones. */
  private evictPerTokenAnalyses(): void {
    const run = this.host.lastRun;
    const current = run ? `heads:prompt:${run.runId}` : '';
    for (const map of [this.analysisCache, this.analysisResults]) {
      for (const key of [...map.keys()]) if (!key.startsWith('heads:random') && !key.startsWith('composition:') && key !== current) map.delete(key);
    }
  }

  private requireModel(origin: RequestOrigin): boolean {
    if (this.host.model) return true;
    this.host.fail('Load a model first: Circuit Inspector: Inspect Model.', origin);
    return false;
  }
}

/** Cache key of head scores on repeated random tokens with these settings. */
function randomHeadsKey(random: RandomRepeats): string {
  return `heads:random:${random.length}:${random.batch}:${random.seed}`;
}
