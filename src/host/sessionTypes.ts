/**
 * The shapes the model session hands its callers (status, runs, errors, ablation and patching
 * specs), and what its vscode-free parts (src/host/analyses.ts, src/host/interventionRuns.ts,
 * src/host/promptTokens.ts) need from it.
 */
import type * as vscode from 'vscode';
import type { EngineRequestBody, Intervention, PatchComponent, RunResult, TensorRow } from '../protocol/engine';
import type { ExperimentMetric } from '../protocol/experiment';
import type { EngineState, ModelCard, ToWebview } from '../protocol/webview';

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

/** What the session's parts need from it: the loaded model, engine requests and error reporting. */
export interface SessionRequests {
  readonly model: LoadedModel | undefined;
  /** An engine request: quick, or with cancellable progress when `progress` names it; undefined (error shown, or cancelled) on failure. */
  request<T>(body: EngineRequestBody, origin: RequestOrigin, progress?: { readonly title: string; readonly done: string }): Promise<T | undefined>;
  /** Shows a user-facing error; `origin.notify` (default true) raises a notification too. */
  fail(message: string, origin: RequestOrigin): void;
}

/** The message of a failure, for the user. */
export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
