/**
 * The model session: one engine process, at most one loaded model, the last run and the selected
 * head. Commands, the panel, the status bar and the editor overlay all read and drive it; it turns
 * every engine failure into a state the UI can show, and never throws at its callers. Its
 * vscode-free parts do the rest: analyses and their caches (src/host/analyses.ts), ablations and
 * patching (src/host/interventionRuns.ts) and the Particles tab's requests (src/host/particles.ts).
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
  PatchResult,
  RunResult,
  SkipTrigrams,
  TensorRow,
  TensorStats,
} from '../protocol/engine';
import type { ExperimentMetric, ExperimentResults, ExperimentToken } from '../protocol/experiment';
import type { EngineState, ModelCard } from '../protocol/webview';
import { SessionAnalyses } from './analyses';
import { EngineClient, EngineRequestError } from './engineClient';
import type { ExperimentDraft } from './experimentFile';
import { InterventionRuns } from './interventionRuns';
import { ParticleRequests } from './particles';
import { resolveMetric, singleToken, tokenize, type TokenizedPrompt } from './promptTokens';
import {
  describeError,
  type AblationSpec,
  type InterventionMessage,
  type LoadedModel,
  type PatchSpec,
  type PromptInput,
  type PromptSource,
  type RequestOrigin,
  type SessionError,
  type SessionRequests,
  type SessionRun,
  type SessionStatus,
} from './sessionTypes';

export type {
  AblationSpec,
  InterventionMessage,
  LoadedModel,
  PatchSpec,
  PromptInput,
  PromptSource,
  RequestOrigin,
  SessionError,
  SessionRun,
  SessionStatus,
} from './sessionTypes';

export class ModelSession extends Disposable {
  private readonly engine: EngineClient;
  private backendReady: string | undefined;
  private runCounter = 0;
  private inFlight = new Set<AbortController>();

  private statusValue: SessionStatus = { state: 'idle' };
  private modelValue: LoadedModel | undefined;
  /** The last model loaded successfully, kept across engine crashes for Restart. */
  private lastPath: string | undefined;
  private runValue: SessionRun | undefined;
  private headValue = { layer: 0, head: 0 };

  private readonly statusEmitter = this.register(new vscode.EventEmitter<SessionStatus>());
  private readonly modelEmitter = this.register(new vscode.EventEmitter<LoadedModel>());
  private readonly runEmitter = this.register(new vscode.EventEmitter<SessionRun>());
  private readonly headEmitter = this.register(new vscode.EventEmitter<{ layer: number; head: number }>());
  private readonly cursorEmitter = this.register(new vscode.EventEmitter<number | null>());
  private readonly errorEmitter = this.register(new vscode.EventEmitter<SessionError>());
  private readonly headsEmitter = this.register(new vscode.EventEmitter<HeadScores>());
  private readonly compositionEmitter = this.register(new vscode.EventEmitter<CompositionScores>());
  private readonly ablationsEmitter = this.register(new vscode.EventEmitter<readonly Intervention[]>());
  private readonly interventionEmitter = this.register(new vscode.EventEmitter<InterventionMessage>());

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
  /** The active ablations changed. */
  readonly onDidChangeAblations = this.ablationsEmitter.event;
  /** An ablation or patching run finished. */
  readonly onDidRunIntervention = this.interventionEmitter.event;

  /** The Particles tab's requests (src/host/particles.ts). */
  readonly particles: ParticleRequests;
  /** What the session's parts use: the loaded model, engine requests and error reporting. */
  private readonly requests: SessionRequests;
  private readonly analyses: SessionAnalyses;
  private readonly interventions: InterventionRuns;

  constructor(enginePath: string) {
    super();
    this.engine = new EngineClient(enginePath, (reason) => this.engineCrashed(reason));
    this.register({ dispose: () => this.engine.dispose() });
    // The parts read the session's state through getters: it changes under them.
    const session = this;
    const requests: SessionRequests = {
      get model() {
        return session.modelValue;
      },
      request: (body, origin, progress) => this.request(body, origin, progress),
      fail: (message, origin) => this.fail(message, origin),
    };
    this.requests = requests;
    this.analyses = new SessionAnalyses({
      get model() {
        return session.modelValue;
      },
      get lastRun() {
        return session.runValue;
      },
      get selectedHead() {
        return session.headValue;
      },
      request: requests.request,
      fail: requests.fail,
      engineRequest: (body) => this.engine.request(body),
      randomRepeatSettings: () => readSettings().randomRepeats,
      computedHeads: (scores) => this.headsEmitter.fire(scores),
      computedComposition: (scores) => this.compositionEmitter.fire(scores),
    });
    this.interventions = new InterventionRuns({
      get model() {
        return session.modelValue;
      },
      request: requests.request,
      fail: requests.fail,
      ablationsChanged: (list) => this.ablationsEmitter.fire(list),
      interventionRan: (message) => this.interventionEmitter.fire(message),
    });
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
    return this.interventions.ablations;
  }
  get ablationCorrupted(): string | undefined {
    return this.interventions.ablationCorrupted;
  }
  get ablationReference(): string | undefined {
    return this.interventions.ablationReference;
  }
  /** The last ablation or patching run, for the panel's replay and Save as Experiment. */
  get lastIntervention(): { readonly message: InterventionMessage; readonly draft: ExperimentDraft } | undefined {
    return this.interventions.lastIntervention;
  }

  /** Adds interventions to the active ones (a component already ablated takes the new method). */
  addAblations(added: readonly Intervention[], corrupted?: string, reference?: string): void {
    this.interventions.addAblations(added, corrupted, reference);
  }

  clearAblations(): void {
    this.interventions.clearAblations();
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
      this.interventions.modelLoaded(sameModel);
      this.runValue = undefined;
      this.headValue = { layer: 0, head: 0 };
      this.analyses.clear();
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
    const inputs = await this.interventions.runInputs(origin);
    if (!inputs) return false;
    const { ablations, corrupted, reference } = inputs;
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
    if (ran.ok && this.runValue) await this.interventions.ablateRun(this.runValue.result.tokens, prompt, origin);
    return ran.ok;
  }

  /** Token ids (and strings, offsets) of a text prompt, through a pattern-free engine run. */
  tokenize(prompt: PromptInput, origin: RequestOrigin): Promise<TokenizedPrompt | undefined> {
    return tokenize(this.requests, prompt, origin);
  }

  /** A metric token: an id, or text that must tokenize to exactly one token (special tokens such as a BOS aside). */
  singleToken(token: ExperimentToken, role: string, origin: RequestOrigin): Promise<number | undefined> {
    return singleToken(this.requests, token, role, origin);
  }

  /** The engine's metric for an experiment metric (text tokens resolved). */
  resolveMetric(metric: ExperimentMetric, origin: RequestOrigin): Promise<Metric | undefined> {
    return resolveMetric(this.requests, metric, origin);
  }

  /**
   * Runs the prompt with and without the interventions (cancellable progress) and posts the
   * metric before → after; undefined (error shown) on failure. `shownPrompt` names the prompt in the panel.
   */
  ablate(spec: AblationSpec, origin: RequestOrigin = {}, shownPrompt?: string): Promise<{ result: AblationResult; tokens: number[]; results: ExperimentResults } | undefined> {
    return this.interventions.ablate(spec, origin, shownPrompt);
  }

  /** An activation-patching sweep with cancellable progress; posts the grid. Undefined (error shown, or cancelled) on failure. */
  patch(spec: PatchSpec, origin: RequestOrigin = {}): Promise<{ result: PatchResult; results: ExperimentResults } | undefined> {
    return this.interventions.patch(spec, origin);
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
  circuits(): Promise<CircuitsResult | undefined> {
    return this.analyses.circuits();
  }

  tensorStats(name: string): Promise<TensorStats | undefined> {
    return this.analyses.tensorStats(name);
  }

  /**
   * Detector and copying scores of every head, on the last run's tokens ('prompt') or on repeated
   * random tokens ('random', with cancellable progress: it runs the model on a batch). Cached per
   * model (and per run for 'prompt'); undefined, with an error shown, on failure.
   */
  heads(source: 'prompt' | 'random', origin: RequestOrigin = { notify: false }): Promise<HeadScores | undefined> {
    return this.analyses.heads(source, origin);
  }

  /** Q-, K- and V-composition scores of every pair of heads (optionally minus the random baseline), with progress. */
  composition(baseline: boolean, origin: RequestOrigin = { notify: false }): Promise<CompositionScores | undefined> {
    return this.analyses.composition(baseline, origin);
  }

  /** Skip-trigram tables of the selected head for one token. */
  skipTrigrams(token: number, origin: RequestOrigin = { notify: false }): Promise<SkipTrigrams | undefined> {
    return this.analyses.skipTrigrams(token, origin);
  }

  /** Direct logit attribution and logit lens at `position` of the last run. */
  attribution(position: number, target: number | undefined, contrast: number | undefined, origin: RequestOrigin = { notify: false }): Promise<Attribution | undefined> {
    return this.analyses.attribution(position, target, contrast, origin);
  }

  /** Head scores computed so far that still apply: on repeated random tokens, and on the current run. */
  cachedHeads(): HeadScores[] {
    return this.analyses.cachedHeads();
  }

  /** Composition scores computed so far for this model. */
  cachedComposition(): CompositionScores[] {
    return this.analyses.cachedComposition();
  }

  /** The best-known scores for labels: repeated random tokens if computed, else the current prompt's. */
  get knownHeadScores(): HeadScores | undefined {
    return this.analyses.knownHeadScores;
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
    this.analyses.clear();
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
      this.setStatus(cancelled ? { state: this.modelValue ? 'ready' : 'idle', message: 'cancelled' } : { state: 'error', message: describeError(error) });
      if (!cancelled) this.fail(describeError(error), origin);
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
      this.fail(describeError(error), origin);
      return undefined;
    }
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
    this.analyses.clear();
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
