/**
 * The model session: one engine process, at most one loaded model, the last run and the selected
 * head. Commands, the panel, the status bar and the editor overlay all read and drive it; it turns
 * every engine failure into a state the UI can show, and never throws at its callers.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { readSettings } from '../config';
import { Disposable } from '../disposable';
import type {
  AblationResult,
  Attribution,
  CircuitsResult,
  CompositionScores,
  EngineRequestBody,
  HeadScores,
  Intervention,
  Metric,
  PatchComponent,
  PatchResult,
  RandomRepeats,
  RunResult,
  SkipTrigrams,
  TensorRow,
  TensorStats,
} from '../protocol/engine';
import type { ExperimentMetric, ExperimentResults, ExperimentToken } from '../protocol/experiment';
import type { EngineState, ModelCard, ToWebview } from '../protocol/webview';
import { EngineClient, EngineRequestError } from './engineClient';
import { ablationResultsJson, patchResultsJson, type ExperimentDraft } from './experimentFile';
import { metricLabel, mergeInterventions, needsCorrupted } from './interventions';
import { ParticleRequests } from './particles';

export interface SessionStatus {
  readonly state: EngineState;
  readonly message?: string;
  readonly progress?: number;
}

/** Where a run's prompt came from in an editor, so its tokens map back to ranges. */
export interface PromptSource {
  readonly uri: vscode.Uri;
  /** Document version when the prompt was taken: edits make the mapping stale. */
  readonly version: number;
  /** Offset of the prompt's first character in the document. */
  readonly startOffset: number;
}

export interface SessionRun {
  readonly runId: number;
  readonly prompt: string;
  readonly result: RunResult;
  readonly source?: PromptSource;
  /** The ablations the run (and attributions on it) was computed under; absent or empty: none. */
  readonly ablations?: readonly Intervention[];
  /** The corrupted prompt's tokens the resample ablations take their activations from. */
  readonly corrupted?: readonly number[];
  /** Reference tokens of the mean ablations it ran under, if any. */
  readonly reference?: readonly number[];
}

export interface SessionError {
  readonly message: string;
  /** Whether to raise a notification too (work started by a command, not from the panel). */
  readonly notify: boolean;
}

/** Who asked for work: commands get notifications on failure, the panel shows errors itself. */
export interface RequestOrigin {
  readonly notify?: boolean;
}

/** A prompt as text or token ids. */
export type PromptInput = string | readonly number[];

/** An ablation to run: the prompt, the interventions and the metric (tokens as text or ids). */
export interface AblationSpec {
  readonly prompt: PromptInput;
  readonly interventions: readonly Intervention[];
  readonly metric: ExperimentMetric;
  /** The resample source (same token length as the prompt). */
  readonly corrupted?: PromptInput;
  /** The mean-ablation reference (default: the prompt). */
  readonly reference?: PromptInput;
}

/** A patching sweep to run from `clean` into `corrupted`. */
export interface PatchSpec {
  readonly clean: PromptInput;
  readonly corrupted: PromptInput;
  readonly component: PatchComponent;
  readonly metric: ExperimentMetric;
}

/** An ablation or patching result for the panel. */
export type InterventionMessage = Extract<ToWebview, { type: 'ablationResult' | 'patchResult' }>;

export interface LoadedModel {
  readonly path: string;
  readonly card: ModelCard;
  readonly tensors: readonly TensorRow[];
}

export class ModelSession extends Disposable {
  private readonly engine: EngineClient;
  private backendReady: string | undefined;
  private runCounter = 0;
  /** Circuits per (run, layer, head): several views ask for the same head. */
  private readonly circuitCache = new Map<string, Promise<CircuitsResult>>();
  /** Analyses (heads, composition, skip trigrams, attribution) by key, in flight or done; one model's worth. */
  private readonly analysisCache = new Map<string, Promise<unknown>>();
  /** The finished ones, for replay to a reloaded webview and for labels (Explain Head). */
  private readonly analysisResults = new Map<string, unknown>();
  private inFlight = new Set<AbortController>();

  private statusValue: SessionStatus = { state: 'idle' };
  private modelValue: LoadedModel | undefined;
  /** The last model loaded successfully, kept across engine crashes for Restart. */
  private lastPath: string | undefined;
  private runValue: SessionRun | undefined;
  private headValue = { layer: 0, head: 0 };
  private ablationsValue: readonly Intervention[] = [];
  /** The corrupted prompt resample ablations take their activations from. */
  private ablationCorruptedValue: string | undefined;
  /** Reference prompt of the active mean ablations (undefined: mean over the analyzed prompt). */
  private ablationReferenceValue: string | undefined;
  private resultCounter = 0;
  private interventionValue: { readonly message: InterventionMessage; readonly draft: ExperimentDraft } | undefined;

  private readonly statusEmitter = this.register(new vscode.EventEmitter<SessionStatus>());
  private readonly modelEmitter = this.register(new vscode.EventEmitter<LoadedModel>());
  private readonly runEmitter = this.register(new vscode.EventEmitter<SessionRun>());
  private readonly headEmitter = this.register(new vscode.EventEmitter<{ layer: number; head: number }>());
  private readonly cursorEmitter = this.register(new vscode.EventEmitter<number | null>());
  private readonly errorEmitter = this.register(new vscode.EventEmitter<SessionError>());
  private readonly headsEmitter = this.register(new vscode.EventEmitter<HeadScores>());
  private readonly compositionEmitter = this.register(new vscode.EventEmitter<CompositionScores>());

  readonly onDidChangeStatus = this.statusEmitter.event;
  readonly onDidLoadModel = this.modelEmitter.event;
  readonly onDidRun = this.runEmitter.event;
  readonly onDidSelectHead = this.headEmitter.event;
  /** The editor cursor is on analyzed token `index` of the last run (null: elsewhere). */
  readonly onDidMoveCursorToken = this.cursorEmitter.event;
  /** A user-facing error from any request (load, run, stats, circuits); `notify` when a command asked. */
  readonly onDidFail = this.errorEmitter.event;
  /** Head scores finished computing (for the current model, and for 'prompt' the current run). */
  readonly onDidComputeHeads = this.headsEmitter.event;
  /** Composition scores finished computing for the current model. */
  readonly onDidComputeComposition = this.compositionEmitter.event;
  private readonly ablationsEmitter = this.register(new vscode.EventEmitter<readonly Intervention[]>());
  private readonly interventionEmitter = this.register(new vscode.EventEmitter<InterventionMessage>());
  /** The active ablations changed. */
  readonly onDidChangeAblations = this.ablationsEmitter.event;
  /** An ablation or patching run finished. */
  readonly onDidRunIntervention = this.interventionEmitter.event;

  /** The Particles tab's requests (src/host/particles.ts). */
  readonly particles: ParticleRequests;

  constructor(enginePath: string) {
    super();
    this.engine = new EngineClient(enginePath, (reason) => this.engineCrashed(reason));
    this.register({ dispose: () => this.engine.dispose() });
    this.particles = this.register(new ParticleRequests(this));
    this.register(
      vscode.workspace.onDidChangeConfiguration((event) => {
        // A new backend applies from the next load (weights live on the backend that loaded them).
        if (event.affectsConfiguration('circuitInspector.backend')) this.backendReady = undefined;
      }),
    );
  }

  get status(): SessionStatus {
    return this.statusValue;
  }
  get model(): LoadedModel | undefined {
    return this.modelValue;
  }
  get lastModelPath(): string | undefined {
    return this.lastPath;
  }
  get lastRun(): SessionRun | undefined {
    return this.runValue;
  }
  get selectedHead(): { layer: number; head: number } {
    return this.headValue;
  }
  /** The active ablations: runs from the panel and Analyze Selection apply them (through the engine's `ablate`). */
  get ablations(): readonly Intervention[] {
    return this.ablationsValue;
  }
  get ablationCorrupted(): string | undefined {
    return this.ablationCorruptedValue;
  }
  get ablationReference(): string | undefined {
    return this.ablationReferenceValue;
  }
  /** The last ablation or patching run, for the panel's replay and Save as Experiment. */
  get lastIntervention(): { readonly message: InterventionMessage; readonly draft: ExperimentDraft } | undefined {
    return this.interventionValue;
  }

  /** Adds interventions to the active ones (a component already ablated takes the new method). */
  addAblations(added: readonly Intervention[], corrupted?: string, reference?: string): void {
    if (corrupted !== undefined) this.ablationCorruptedValue = corrupted;
    if (added.some((i) => i.method === 'mean')) this.ablationReferenceValue = reference;
    this.setAblations(mergeInterventions(this.ablationsValue, added));
  }

  clearAblations(): void {
    this.ablationCorruptedValue = undefined;
    this.ablationReferenceValue = undefined;
    this.setAblations([]);
  }

  private setAblations(list: readonly Intervention[]): void {
    this.ablationsValue = list;
    if (!needsCorrupted(list)) this.ablationCorruptedValue = undefined;
    if (!list.some((i) => i.method === 'mean')) this.ablationReferenceValue = undefined;
    this.ablationsEmitter.fire(list);
  }

  /** Loads a model (file, index json or folder), with cancellable progress. Keeps the previous one on failure. */
  async load(uri: vscode.Uri, origin: RequestOrigin = {}): Promise<boolean> {
    const settings = readSettings();
    const name = path.basename(uri.fsPath);
    const loaded = await this.withProgress(`Loading ${name}`, 'loading', origin, async (signal, report) => {
      if (this.backendReady !== settings.backend || !this.engine.running) {
        await this.engine.request({ type: 'init', backend: settings.backend }, { signal });
        this.backendReady = settings.backend;
      }
      const card = await this.engine.request<ModelCard>(
        { type: 'load', path: uri.fsPath, memoryLimitMB: settings.memoryLimitMB > 0 ? settings.memoryLimitMB : undefined },
        { signal, onProgress: report },
      );
      const tensors = await this.engine.request<TensorRow[]>({ type: 'tensors' }, { signal });
      const sameModel = this.lastPath === uri.fsPath;
      this.modelValue = { path: uri.fsPath, card, tensors };
      this.lastPath = uri.fsPath;
      this.interventionValue = undefined;
      // Another model has other heads and layers: its ablations do not carry over.
      if (!sameModel && this.ablationsValue.length > 0) this.clearAblations();
      this.runValue = undefined;
      this.headValue = { layer: 0, head: 0 };
      this.clearAnalyses();
      this.modelEmitter.fire(this.modelValue);
      this.setStatus({ state: 'ready', message: `${name} · ${card.backend}` });
    });
    return loaded.ok;
  }

  /** Runs the loaded model on a prompt, with every layer's attention patterns. */
  async run(prompt: string, source?: PromptSource, origin: RequestOrigin = {}): Promise<boolean> {
    if (!this.modelValue) {
      this.fail('Load a model first: Circuit Inspector: Inspect Model.', origin);
      return false;
    }
    const settings = readSettings();
    // Patterns, predictions, losses (and attributions on this run) are computed under the active ablations.
    const ablations = this.ablationsValue;
    let corrupted: number[] | undefined;
    if (ablations.length > 0 && needsCorrupted(ablations) && this.ablationCorruptedValue !== undefined) {
      corrupted = (await this.tokenize(this.ablationCorruptedValue, origin))?.tokens;
      if (!corrupted) return false;
    }
    let reference: number[] | undefined;
    if (ablations.length > 0 && this.ablationReferenceValue !== undefined) {
      reference = (await this.tokenize(this.ablationReferenceValue, origin))?.tokens;
      if (!reference) return false;
    }
    const ran = await this.withProgress('Running the model', 'running', origin, async (signal) => {
      const result = await this.engine.request<RunResult>(
        {
          type: 'run',
          prompt,
          patterns: true,
          maxTokens: settings.maxTokens,
          topK: 10,
          ...(ablations.length > 0 ? { interventions: ablations } : {}),
          ...(corrupted ? { corrupted } : {}),
          ...(reference ? { reference } : {}),
        },
        { signal },
      );
      this.runValue = {
        runId: ++this.runCounter,
        prompt,
        result,
        source,
        ...(ablations.length > 0 ? { ablations } : {}),
        ...(corrupted ? { corrupted } : {}),
        ...(reference ? { reference } : {}),
      };
      this.runEmitter.fire(this.runValue);
      this.setStatus({ state: 'ready', message: `${result.tokens.length} tokens` });
    });
    // The run itself is ablated; the panel also gets the metric before → after and the changed
    // last-position predictions from an `ablate` request on the same tokens.
    if (ran.ok && this.ablationsValue.length > 0 && this.runValue) {
      await this.ablate(
        {
          prompt: this.runValue.result.tokens,
          interventions: this.ablationsValue,
          metric: { kind: 'loss' },
          corrupted: this.ablationCorruptedValue,
          ...(this.ablationReferenceValue !== undefined ? { reference: this.ablationReferenceValue } : {}),
        },
        origin,
        prompt,
      );
    }
    return ran.ok;
  }

  /** Token ids (and strings, offsets) of a text prompt, through a pattern-free engine run. */
  async tokenize(prompt: PromptInput, origin: RequestOrigin): Promise<{ tokens: number[]; strings: string[]; offsets?: readonly (readonly [number, number])[] } | undefined> {
    if (typeof prompt !== 'string') return { tokens: [...prompt], strings: prompt.map(String) };
    const result = await this.shortRequest<RunResult>({ type: 'run', prompt, patterns: false, topK: 1 }, origin);
    if (!result) return undefined;
    return { tokens: [...result.tokens], strings: [...(result.tokenStrings ?? result.tokens.map(String))], offsets: result.offsets };
  }

  /** A metric token: an id, or text that must tokenize to exactly one token (special tokens such as a BOS aside). */
  async singleToken(token: ExperimentToken, role: string, origin: RequestOrigin): Promise<number | undefined> {
    if (typeof token === 'number') return token;
    if (this.modelValue && !this.modelValue.card.tokenizer && /^\d+$/.test(token)) return Number(token);
    const encoded = await this.tokenize(token, origin);
    if (!encoded) return undefined;
    const own = encoded.tokens.map((id, i) => ({ id, text: encoded.strings[i]!, offset: encoded.offsets?.[i] })).filter((t) => !t.offset || t.offset[1] > t.offset[0]);
    if (own.length !== 1) {
      this.fail(`The ${role} "${token}" must be a single token, but the tokenizer splits it into ${own.length}: ${own.map((t) => JSON.stringify(t.text)).join(', ')}.`, origin);
      return undefined;
    }
    return own[0]!.id;
  }

  /** The engine's metric for an experiment metric (text tokens resolved). */
  async resolveMetric(metric: ExperimentMetric, origin: RequestOrigin): Promise<Metric | undefined> {
    switch (metric.kind) {
      case 'loss':
        return { kind: 'loss' };
      case 'logitDiff': {
        const target = await this.singleToken(metric.target, 'target', origin);
        const distractor = target === undefined ? undefined : await this.singleToken(metric.distractor, 'distractor', origin);
        return target === undefined || distractor === undefined ? undefined : { kind: 'logitDiff', target, distractor };
      }
      case 'logit':
      case 'prob': {
        const target = await this.singleToken(metric.target, 'target', origin);
        return target === undefined ? undefined : { kind: metric.kind, target };
      }
    }
  }

  /**
   * Runs the prompt with and without the interventions (cancellable progress) and posts the
   * metric before → after; undefined (error shown) on failure. `shownPrompt` names the prompt in the panel.
   */
  async ablate(spec: AblationSpec, origin: RequestOrigin = {}, shownPrompt?: string): Promise<{ result: AblationResult; tokens: number[]; results: ExperimentResults } | undefined> {
    const model = this.modelValue;
    if (!model || !this.requireModel(origin)) return undefined;
    if (spec.interventions.length === 0) {
      this.fail('Nothing to ablate: pick at least one head or layer.', origin);
      return undefined;
    }
    const prompt = await this.tokenize(spec.prompt, origin);
    const metric = prompt && (await this.resolveMetric(spec.metric, origin));
    if (!prompt || !metric) return undefined;
    let corrupted: number[] | undefined;
    if (needsCorrupted(spec.interventions)) {
      if (spec.corrupted === undefined) {
        this.fail('Resample ablation needs a corrupted prompt of the same token length.', origin);
        return undefined;
      }
      corrupted = (await this.tokenize(spec.corrupted, origin))?.tokens;
      if (!corrupted) return undefined;
      if (corrupted.length !== prompt.tokens.length) {
        this.fail(`The corrupted prompt has ${corrupted.length} tokens and the prompt ${prompt.tokens.length}: resample ablation needs the same token length.`, origin);
        return undefined;
      }
    }
    const reference = spec.reference !== undefined ? (await this.tokenize(spec.reference, origin))?.tokens : undefined;
    if (spec.reference !== undefined && !reference) return undefined;
    const result = await this.longRequest<AblationResult>(
      'Ablating',
      { type: 'ablate', tokens: prompt.tokens, interventions: spec.interventions, metric, ...(corrupted ? { corrupted } : {}), ...(reference ? { reference } : {}) },
      origin,
      'ablation done',
    );
    if (!result || this.modelValue !== model) return undefined;
    const results = ablationResultsJson(prompt.tokens, result);
    const message: InterventionMessage = {
      type: 'ablationResult',
      resultId: ++this.resultCounter,
      prompt: shownPrompt ?? (typeof spec.prompt === 'string' ? spec.prompt : prompt.strings.join('')),
      tokenStrings: prompt.strings,
      metricLabel: metricLabel(spec.metric),
      result,
      saveable: true,
    };
    const draft: ExperimentDraft = {
      modelPath: model.path,
      prompt: typeof spec.prompt === 'string' ? spec.prompt : [...spec.prompt],
      ...(spec.corrupted !== undefined && corrupted ? { corrupted: typeof spec.corrupted === 'string' ? spec.corrupted : [...spec.corrupted] } : {}),
      interventions: spec.interventions,
      metric: spec.metric,
      results,
    };
    this.interventionValue = { message, draft };
    this.interventionEmitter.fire(message);
    return { result, tokens: prompt.tokens, results };
  }

  /** An activation-patching sweep with cancellable progress; posts the grid. Undefined (error shown, or cancelled) on failure. */
  async patch(spec: PatchSpec, origin: RequestOrigin = {}): Promise<{ result: PatchResult; results: ExperimentResults } | undefined> {
    const model = this.modelValue;
    if (!model || !this.requireModel(origin)) return undefined;
    const clean = await this.tokenize(spec.clean, origin);
    const corrupted = clean && (await this.tokenize(spec.corrupted, origin));
    if (!clean || !corrupted) return undefined;
    if (clean.tokens.length !== corrupted.tokens.length) {
      this.fail(`The clean prompt has ${clean.tokens.length} tokens and the corrupted one ${corrupted.tokens.length}: patching needs the same token length.`, origin);
      return undefined;
    }
    const metric = await this.resolveMetric(spec.metric, origin);
    if (!metric) return undefined;
    const result = await this.longRequest<PatchResult>(
      `Patching ${spec.component}`,
      { type: 'patch', clean: clean.tokens, corrupted: corrupted.tokens, component: spec.component, metric },
      origin,
      'patching done',
    );
    if (!result || this.modelValue !== model) return undefined;
    const results = patchResultsJson(result);
    const text = (p: PromptInput, strings: string[]) => (typeof p === 'string' ? p : strings.join(''));
    const message: InterventionMessage = {
      type: 'patchResult',
      resultId: ++this.resultCounter,
      clean: text(spec.clean, clean.strings),
      corrupted: text(spec.corrupted, corrupted.strings),
      metricLabel: metricLabel(spec.metric),
      result,
      saveable: true,
    };
    const copy = (p: PromptInput) => (typeof p === 'string' ? p : [...p]);
    const draft: ExperimentDraft = { modelPath: model.path, prompt: copy(spec.clean), corrupted: copy(spec.corrupted), patch: { component: spec.component }, metric: spec.metric, results };
    this.interventionValue = { message, draft };
    this.interventionEmitter.fire(message);
    return { result, results };
  }

  selectHead(layer: number, head: number): void {
    const card = this.modelValue?.card;
    if (!card || layer < 0 || layer >= card.layers || head < 0 || head >= card.heads) return;
    this.headValue = { layer, head };
    this.headEmitter.fire(this.headValue);
  }

  /** Reports the analyzed token under the editor cursor (null when the cursor left the analyzed text). */
  moveCursorToken(index: number | null): void {
    this.cursorEmitter.fire(index);
  }

  /** QK/OV circuits of the selected head on the last run's tokens; undefined (with an error shown) on failure. */
  async circuits(): Promise<CircuitsResult | undefined> {
    const run = this.runValue;
    if (!run) return undefined;
    const { layer, head } = this.headValue;
    const key = `${run.runId}:${layer}:${head}`;
    let pending = this.circuitCache.get(key);
    if (!pending) {
      if (this.circuitCache.size > 64) this.circuitCache.clear();
      pending = this.engine.request<CircuitsResult>({ type: 'circuits', layer, head, tokens: run.result.tokens });
      this.circuitCache.set(key, pending);
    }
    try {
      return await pending;
    } catch (error) {
      this.circuitCache.delete(key);
      this.fail(describe(error), { notify: false });
      return undefined;
    }
  }

  async tensorStats(name: string): Promise<TensorStats | undefined> {
    try {
      return await this.engine.request<TensorStats>({ type: 'tensorStats', name });
    } catch (error) {
      this.fail(describe(error), { notify: false });
      return undefined;
    }
  }

  /**
   * Detector and copying scores of every head, on the last run's tokens ('prompt') or on repeated
   * random tokens ('random', with cancellable progress: it runs the model on a batch). Cached per
   * model (and per run for 'prompt'); undefined, with an error shown, on failure.
   */
  async heads(source: 'prompt' | 'random', origin: RequestOrigin = { notify: false }): Promise<HeadScores | undefined> {
    if (!this.requireModel(origin)) return undefined;
    if (source === 'random') {
      const random = this.randomRepeats();
      return this.cachedAnalysis(
        randomHeadsKey(random),
        () => this.longRequest<HeadScores>('Scoring heads on repeated random tokens', { type: 'heads', random }, origin, 'head scores ready'),
        (scores) => this.headsEmitter.fire(scores),
      );
    }
    const run = this.runValue;
    if (!run) {
      this.fail('Run a prompt first: the heads are scored on its tokens.', origin);
      return undefined;
    }
    const scores = await this.cachedAnalysis(
      `heads:prompt:${run.runId}`,
      () => this.shortRequest<HeadScores>({ type: 'heads', tokens: run.result.tokens }, origin),
      (fresh) => this.runValue === run && this.headsEmitter.fire(fresh),
    );
    // A run that finished meanwhile makes these scores stale for the panel.
    if (!scores || this.runValue !== run) return undefined;
    return scores;
  }

  /** Q-, K- and V-composition scores of every pair of heads (optionally minus the random baseline), with progress. */
  async composition(baseline: boolean, origin: RequestOrigin = { notify: false }): Promise<CompositionScores | undefined> {
    if (!this.requireModel(origin)) return undefined;
    return this.cachedAnalysis(
      `composition:${baseline}`,
      () => this.longRequest<CompositionScores>('Computing composition scores', { type: 'composition', baseline }, origin, 'composition scores ready'),
      (scores) => this.compositionEmitter.fire(scores),
    );
  }

  /** Skip-trigram tables of the selected head for one token. */
  async skipTrigrams(token: number, origin: RequestOrigin = { notify: false }): Promise<SkipTrigrams | undefined> {
    if (!this.requireModel(origin)) return undefined;
    const { layer, head } = this.headValue;
    return this.cachedAnalysis(`skip:${layer}:${head}:${token}`, () => this.shortRequest<SkipTrigrams>({ type: 'skipTrigrams', layer, head, token }, origin));
  }

  /** Direct logit attribution and logit lens at `position` of the last run. */
  async attribution(position: number, target: number | undefined, contrast: number | undefined, origin: RequestOrigin = { notify: false }): Promise<Attribution | undefined> {
    const run = this.runValue;
    if (!run) {
      this.fail('Run a prompt first: attribution explains its predictions.', origin);
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
    const result = await this.cachedAnalysis(key, () => this.shortRequest<Attribution>(body, origin));
    return result && this.runValue === run ? result : undefined;
  }

  /** Head scores computed so far that still apply: on repeated random tokens, and on the current run. */
  cachedHeads(): HeadScores[] {
    const out: HeadScores[] = [];
    const run = this.runValue;
    const prompt = run && this.analysisResult<HeadScores>(`heads:prompt:${run.runId}`);
    const random = this.modelValue && this.analysisResult<HeadScores>(randomHeadsKey(this.randomRepeats()));
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
   * An engine request for a feature module (src/host/particles.ts): quick, or with cancellable
   * progress when `progress` names it. Undefined (error shown, or cancelled) on failure.
   */
  request<T>(body: EngineRequestBody, origin: RequestOrigin = { notify: false }, progress?: { readonly title: string; readonly done: string }): Promise<T | undefined> {
    return progress ? this.longRequest<T>(progress.title, body, origin, progress.done) : this.shortRequest<T>(body, origin);
  }

  /** Shows a user-facing error from a feature module in the panel. */
  reportError(message: string): void {
    this.fail(message, { notify: false });
  }

  /** Cancels whatever is running. */
  cancel(): void {
    this.inFlight.forEach((controller) => controller.abort());
  }

  /** Restarts the engine process; the model must be loaded again. */
  restartEngine(): void {
    this.engine.restart();
    this.backendReady = undefined;
    this.modelValue = undefined;
    this.runValue = undefined;
    this.clearAnalyses();
    this.setStatus({ state: 'idle', message: 'engine restarted' });
  }

  private async withProgress<T>(
    title: string,
    state: EngineState,
    origin: RequestOrigin,
    work: (signal: AbortSignal, report: (message: string, fraction: number) => void) => Promise<T>,
  ): Promise<{ ok: true; value: T } | { ok: false; cancelled: boolean }> {
    const controller = new AbortController();
    this.inFlight.add(controller);
    this.setStatus({ state, message: title });
    try {
      const value = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title, cancellable: true },
        async (progress, token) => {
          token.onCancellationRequested(() => controller.abort());
          let last = 0;
          return work(controller.signal, (message, fraction) => {
            progress.report({ message, increment: Math.max(0, (fraction - last) * 100) });
            last = fraction;
            this.setStatus({ state, message, progress: fraction });
          });
        },
      );
      return { ok: true, value };
    } catch (error) {
      const cancelled = error instanceof EngineRequestError && error.code === 'CANCELLED';
      this.setStatus(cancelled ? { state: this.modelValue ? 'ready' : 'idle', message: 'cancelled' } : { state: 'error', message: describe(error) });
      if (!cancelled) this.fail(describe(error), origin);
      return { ok: false, cancelled };
    } finally {
      this.inFlight.delete(controller);
    }
  }

  /** A long engine request with cancellable progress; undefined (error shown, or cancelled) on failure. */
  private async longRequest<T>(title: string, body: EngineRequestBody, origin: RequestOrigin, done: string): Promise<T | undefined> {
    const result = await this.withProgress(title, 'running', origin, async (signal, report) => {
      const value = answered(await this.engine.request<T | undefined>(body, { signal, onProgress: report }), body);
      this.setStatus({ state: 'ready', message: done });
      return value;
    });
    if (result.ok) return result.value;
    // The panel waits for an answer: a cancelled request still gets one, quietly.
    if (result.cancelled) this.fail(`${title}: cancelled.`, { notify: false });
    return undefined;
  }

  /** A quick engine request (no progress UI); undefined, with the error shown, on failure. */
  private async shortRequest<T>(body: EngineRequestBody, origin: RequestOrigin): Promise<T | undefined> {
    try {
      return answered(await this.engine.request<T | undefined>(body), body);
    } catch (error) {
      this.fail(describe(error), origin);
      return undefined;
    }
  }

  /**
   * One request per key for the loaded model: callers share it; a failure is forgotten so it can
   * be retried. `computed` runs once, when the result arrives and its model is still loaded.
   */
  private cachedAnalysis<T>(key: string, start: () => Promise<T | undefined>, computed?: (value: T) => void): Promise<T | undefined> {
    const model = this.modelValue;
    let pending = this.analysisCache.get(key) as Promise<T | undefined> | undefined;
    if (!pending) {
      if (this.analysisCache.size > 96) this.evictPerTokenAnalyses();
      pending = start().then((value) => {
        if (value === undefined || this.modelValue !== model) {
          if (this.analysisCache.get(key) === pending) this.analysisCache.delete(key);
          return this.modelValue === model ? value : undefined;
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
    const { length, batch, seed } = readSettings().randomRepeats;
    const context = this.modelValue?.card.context ?? Infinity;
    return { length: Math.max(1, Math.min(length, Math.floor((context - 1) / 2))), batch, seed };
  }

  private analysisResult<T>(key: string): T | undefined {
    return this.analysisResults.get(key) as T | undefined;
  }

  /** Drops the many small results (skip trigrams, attributions, older runs' scores); keeps this model's weight-level ones. */
  private evictPerTokenAnalyses(): void {
    const current = this.runValue ? `heads:prompt:${this.runValue.runId}` : '';
    for (const map of [this.analysisCache, this.analysisResults]) {
      for (const key of [...map.keys()]) if (!key.startsWith('heads:random') && !key.startsWith('composition:') && key !== current) map.delete(key);
    }
  }

  private clearAnalyses(): void {
    this.analysisCache.clear();
    this.analysisResults.clear();
  }

  private requireModel(origin: RequestOrigin): boolean {
    if (this.modelValue) return true;
    this.fail('Load a model first: Circuit Inspector: Inspect Model.', origin);
    return false;
  }

  private fail(message: string, origin: RequestOrigin): void {
    this.errorEmitter.fire({ message, notify: origin.notify ?? true });
  }

  private setStatus(status: SessionStatus): void {
    this.statusValue = status;
    this.statusEmitter.fire(status);
  }

  private engineCrashed(reason: string): void {
    this.backendReady = undefined;
    this.modelValue = undefined;
    this.runValue = undefined;
    this.clearAnalyses();
    this.setStatus({ state: 'error', message: `The Circuit Inspector engine stopped: ${reason}` });
    void vscode.window.showErrorMessage(`The Circuit Inspector engine stopped (${reason}).`, 'Restart').then((choice) => {
      if (choice === 'Restart') void vscode.commands.executeCommand('circuitInspector.restartEngine');
    });
  }
}

/** An engine reply with no result (an engine that does not know the request) is an error, not a silent nothing. */
function answered<T>(value: T | undefined | null, body: EngineRequestBody): T {
  if (value === undefined || value === null) throw new Error(`The engine returned no ${body.type} result (does this engine version support it?).`);
  return value;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Cache key of head scores on repeated random tokens with these settings. */
function randomHeadsKey(random: RandomRepeats): string {
  return `heads:random:${random.length}:${random.batch}:${random.seed}`;
}
