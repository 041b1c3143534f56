/**
 * Saved experiment files (`*.experiment.json` by convention; validated by media/experiment.schema.json):
 * a model, a prompt, interventions or a patching sweep, a metric — and the results of the last run,
 * written back into the file by `circuit-inspector experiment <file>` (and the extension's
 * **Run experiment** CodeLens) so results can be diffed and committed.
 */
import type { AblationMethod, PatchComponent } from './engine';

/** A token given as an id or as text that must tokenize to exactly one token. */
export type ExperimentToken = number | string;

export type ExperimentMetric =
  | { readonly kind: 'loss' }
  | { readonly kind: 'logit'; readonly target: ExperimentToken }
  | { readonly kind: 'logitDiff'; readonly target: ExperimentToken; readonly distractor: ExperimentToken }
  | { readonly kind: 'prob'; readonly target: ExperimentToken };

export type ExperimentIntervention =
  | { readonly kind: 'head'; readonly layer: number; readonly head: number; readonly method: AblationMethod }
  | { readonly kind: 'attn'; readonly layer: number; readonly method: AblationMethod }
  | { readonly kind: 'mlp'; readonly layer: number; readonly method: AblationMethod };

export interface Experiment {
  readonly version: 1;
  /** Model path (file, index json or folder), relative to the experiment file's folder unless absolute. */
  readonly model: string;
  /** The (clean) prompt: text, or token ids. */
  readonly prompt: string | readonly number[];
  /** Corrupted prompt: the patching source's counterpart, and the resample source for ablations. */
  readonly corrupted?: string | readonly number[];
  /** Reference prompt for mean ablation (default: the prompt itself). */
  readonly reference?: string | readonly number[];
  /** Ablation experiment: these interventions (give this or `patch`). */
  readonly interventions?: readonly ExperimentIntervention[];
  /** Patching experiment: sweep this component from `prompt` (clean) into `corrupted`. */
  readonly patch?: { readonly component: PatchComponent };
  readonly metric: ExperimentMetric;
  /** Written by the last run; anything here is replaced. */
  readonly results?: ExperimentResults;
}

/** A token list as plain JSON. */
export interface JsonTokenList {
  readonly ids: number[];
  readonly values: number[];
  readonly strings?: string[];
}

export type ExperimentResults =
  | {
      readonly kind: 'ablation';
      /** ISO time of the run. */
      readonly ranAt: string;
      readonly tokens: number[];
      readonly metricBefore: number;
      readonly metricAfter: number;
      readonly lossBefore: number | null;
      readonly lossAfter: number | null;
      readonly topBefore: JsonTokenList;
      readonly topAfter: JsonTokenList;
    }
  | {
      readonly kind: 'patch';
      readonly ranAt: string;
      readonly component: PatchComponent;
      readonly rows: number;
      readonly cols: number;
      readonly cleanMetric: number;
      readonly corruptedMetric: number;
      /** Normalized restored metric per [row][col] (null where undefined). */
      readonly values: (number | null)[][];
      readonly raw: number[][];
      readonly labels: { readonly rows: readonly string[]; readonly cols: readonly string[] };
    };
