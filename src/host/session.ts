/**
 * The model session: one engine process, at most one loaded model, the last run and the selected
 * head. Commands, the panel, the status bar and the editor overlay all read and drive it; it turns
 * every engine failure into a state the UI can show, and never throws at its callers.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { readSettings } from '../config';
import { Disposable } from '../disposable';
import type { CircuitsResult, RunResult, TensorRow, TensorStats } from '../protocol/engine';
import type { EngineState, ModelCard } from '../protocol/webview';
import { EngineClient, EngineRequestError } from './engineClient';

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

  readonly onDidChangeStatus = this.statusEmitter.event;
  readonly onDidLoadModel = this.modelEmitter.event;
  readonly onDidRun = this.runEmitter.event;
  readonly onDidSelectHead = this.headEmitter.event;
  /** The editor cursor is on analyzed token `index` of the last run (null: elsewhere). */
  readonly onDidMoveCursorToken = this.cursorEmitter.event;
  /** A user-facing error from any request (load, run, stats, circuits); `notify` when a command asked. */
  readonly onDidFail = this.errorEmitter.event;

  constructor(enginePath: string) {
    super();
    this.engine = new EngineClient(enginePath, (reason) => this.engineCrashed(reason));
    this.register({ dispose: () => this.engine.dispose() });
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

  /** Loads a model (file, index json or folder), with cancellable progress. Keeps the previous one on failure. */
  async load(uri: vscode.Uri, origin: RequestOrigin = {}): Promise<boolean> {
    const settings = readSettings();
    const name = path.basename(uri.fsPath);
    return this.withProgress(`Loading ${name}`, 'loading', origin, async (signal, report) => {
      if (this.backendReady !== settings.backend || !this.engine.running) {
        await this.engine.request({ type: 'init', backend: settings.backend }, { signal });
        this.backendReady = settings.backend;
      }
      const card = await this.engine.request<ModelCard>(
        { type: 'load', path: uri.fsPath, memoryLimitMB: settings.memoryLimitMB > 0 ? settings.memoryLimitMB : undefined },
        { signal, onProgress: report },
      );
      const tensors = await this.engine.request<TensorRow[]>({ type: 'tensors' }, { signal });
      this.modelValue = { path: uri.fsPath, card, tensors };
      this.lastPath = uri.fsPath;
      this.runValue = undefined;
      this.headValue = { layer: 0, head: 0 };
      this.modelEmitter.fire(this.modelValue);
      this.setStatus({ state: 'ready', message: `${name} · ${card.backend}` });
    });
  }

  /** Runs the loaded model on a prompt, with every layer's attention patterns. */
  async run(prompt: string, source?: PromptSource, origin: RequestOrigin = {}): Promise<boolean> {
    if (!this.modelValue) {
      this.fail('Load a model first: Circuit Inspector: Inspect Model.', origin);
      return false;
    }
    const settings = readSettings();
    return this.withProgress('Running the model', 'running', origin, async (signal) => {
      const result = await this.engine.request<RunResult>(
        { type: 'run', prompt, patterns: true, maxTokens: settings.maxTokens, topK: 10 },
        { signal },
      );
      this.runValue = { runId: ++this.runCounter, prompt, result, source };
      this.runEmitter.fire(this.runValue);
      this.setStatus({ state: 'ready', message: `${result.tokens.length} tokens` });
    });
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
    this.setStatus({ state: 'idle', message: 'engine restarted' });
  }

  private async withProgress(title: string, state: EngineState, origin: RequestOrigin, work: (signal: AbortSignal, report: (message: string, fraction: number) => void) => Promise<void>): Promise<boolean> {
    const controller = new AbortController();
    this.inFlight.add(controller);
    this.setStatus({ state, message: title });
    try {
      await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title, cancellable: true },
        async (progress, token) => {
          token.onCancellationRequested(() => controller.abort());
          let last = 0;
          await work(controller.signal, (message, fraction) => {
            progress.report({ message, increment: Math.max(0, (fraction - last) * 100) });
            last = fraction;
            this.setStatus({ state, message, progress: fraction });
          });
        },
      );
      return true;
    } catch (error) {
      const cancelled = error instanceof EngineRequestError && error.code === 'CANCELLED';
      this.setStatus(cancelled ? { state: this.modelValue ? 'ready' : 'idle', message: 'cancelled' } : { state: 'error', message: describe(error) });
      if (!cancelled) this.fail(describe(error), origin);
      return false;
    } finally {
      this.inFlight.delete(controller);
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
    this.setStatus({ state: 'error', message: `The Circuit Inspector engine stopped: ${reason}` });
    void vscode.window.showErrorMessage(`The Circuit Inspector engine stopped (${reason}).`, 'Restart').then((choice) => {
      if (choice === 'Restart') void vscode.commands.executeCommand('circuitInspector.restartEngine');
    });
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
