/**
 * Messages between the extension host and the inspector webview. The webview renders what it is
 * sent and computes nothing; tensors travel as typed arrays, one message per layer.
 */
import type { AblationResult, Attribution, CircuitsResult, CompositionScores, HeadScores, Intervention, ModelInfo, PatchResult, Predictions, SkipTrigrams, TensorRow, TensorStats } from './engine';
import type { ParticleKernel, ParticlesResult, PhaseDiagram, SimulationParams, SimulationResult } from './particles';

/** The model card, as the engine reports it. */
export type ModelCard = ModelInfo;

export type EngineState = 'idle' | 'loading' | 'ready' | 'running' | 'error';

/** Host → webview. */
export type ToWebview =
  /** Engine state for the header line; `message` explains errors and progress. */
  | { readonly type: 'status'; readonly state: EngineState; readonly message?: string; readonly progress?: number }
  /** A model finished loading. */
  | { readonly type: 'model'; readonly path: string; readonly card: ModelCard }
  /** The checkpoint's tensor table. */
  | { readonly type: 'tensors'; readonly tensors: readonly TensorRow[] }
  /** Statistics computed on request for one tensor. */
  | { readonly type: 'tensorStats'; readonly name: string; readonly stats: TensorStats }
  /** Prefill the prompt box (from the editor selection or the default prompt). */
  | { readonly type: 'prompt'; readonly text: string }
  /** A run finished: tokens, losses and predictions; patterns follow one message per layer. */
  | {
      readonly type: 'run';
      readonly runId: number;
      readonly tokens: readonly number[];
      readonly tokenStrings: readonly string[];
      readonly losses: Float32Array;
      readonly predictions: Predictions;
      readonly layers: number;
      readonly heads: number;
      /** Labels of the ablations the run was computed under (e.g. "1.2", "attn 0"); absent: none. */
      readonly ablated?: readonly string[];
    }
  /** One layer's attention probabilities for run `runId`: [head, query, key] flattened. */
  | { readonly type: 'pattern'; readonly runId: number; readonly layer: number; readonly data: Float32Array }
  /** QK/OV circuits of the selected head. */
  | { readonly type: 'circuits'; readonly circuits: CircuitsResult }
  /** The editor cursor moved onto analyzed token `index` (null: off the analyzed text): predictions follow it. */
  | { readonly type: 'cursorToken'; readonly index: number | null }
  /** Select a head (e.g. restored from state by the host). */
  | { readonly type: 'selectHead'; readonly layer: number; readonly head: number }
  /** Scores of every head (detectors, copying) for the Heads tab. */
  | { readonly type: 'heads'; readonly scores: HeadScores }
  /** Composition scores for the Composition tab. */
  | { readonly type: 'composition'; readonly scores: CompositionScores }
  /** Skip-trigram tables of the selected head for one token. */
  | { readonly type: 'skipTrigrams'; readonly tables: SkipTrigrams }
  /** Direct logit attribution and logit lens for the Attribution tab. */
  | { readonly type: 'attribution'; readonly attribution: Attribution; /** Labels of the ablations it was computed under; absent: none. */ readonly ablated?: readonly string[] }
  /** Show a tab (e.g. a palette command opened the panel on Heads). */
  | { readonly type: 'showTab'; readonly tab: string }
  /** A user-facing error to show in the panel. */
  | { readonly type: 'error'; readonly message: string }
  /** The session's active ablations (empty: none); runs from the panel and Analyze Selection apply them. */
  | { readonly type: 'ablations'; readonly interventions: readonly Intervention[] }
  /** An ablation run: the metric and top predictions at the last position, without → with the interventions. */
  | {
      readonly type: 'ablationResult';
      /** Sequence number of intervention results (ablation and patch share it). */
      readonly resultId: number;
      readonly prompt: string;
      readonly tokenStrings: readonly string[];
      /** What the metric measures, in words ("loss", "logit( Paris)"). */
      readonly metricLabel: string;
      readonly result: AblationResult;
      /** Whether the result can be saved as an experiment file. */
      readonly saveable: boolean;
    }
  /** A patching sweep: the restored metric per [layer, position] or [layer, head]. */
  | {
      readonly type: 'patchResult';
      readonly resultId: number;
      readonly clean: string;
      readonly corrupted: string;
      readonly metricLabel: string;
      readonly result: PatchResult;
      readonly saveable: boolean;
    }
  /** Per-layer particle statistics of run `runId` (the Particles tab), for the β and δ it names. */
  | { readonly type: 'particles'; readonly runId: number; readonly result: ParticlesResult }
  /** A head's attention as the interaction kernel between the particles of its layer, on run `runId`. */
  | { readonly type: 'particleKernel'; readonly runId: number; readonly kernel: ParticleKernel }
  /** A simulation of the particle dynamics, for the spec the webview asked with (and the run, when it starts from one). */
  | { readonly type: 'simulation'; readonly spec: SimulationSpec; readonly runId?: number; readonly result: SimulationResult }
  /** A (t, β) phase diagram, for the spec the webview asked with. */
  | { readonly type: 'phaseDiagram'; readonly spec: PhaseDiagramSpec; readonly result: PhaseDiagram };

/** A simulation the Particles tab asks for: the parameters (no arrays), and where Q/K/V and the initial points come from. */
export interface SimulationSpec {
  readonly params: Omit<SimulationParams, 'initialPoints' | 'query' | 'key' | 'value'>;
  /** Q = K = V from this head's processed W_Q, W_K, W_OV (else identity). */
  readonly head?: { readonly layer: number; readonly head: number };
  /** Start from the current run's particles at this snapshot (else `params.init`). */
  readonly fromLayer?: number;
}

/** A phase diagram the Particles tab asks for: the simulation (random start, identity Q/K/V) and the β grid. */
export interface PhaseDiagramSpec {
  readonly params: SimulationSpec['params'];
  readonly betas: readonly number[];
}

/** Webview → host. */
export type FromWebview =
  /** The webview is listening; the host sends nothing before this. */
  | { readonly type: 'ready' }
  /** Run the model on this prompt. */
  | { readonly type: 'run'; readonly prompt: string }
  /** Cancel the running request. */
  | { readonly type: 'cancel' }
  /** The user selected (locked) a head: the editor overlay and circuits follow it. */
  | { readonly type: 'selectHead'; readonly layer: number; readonly head: number }
  /** Hovering a prompt token (null when leaving): the editor highlights it. */
  | { readonly type: 'hoverToken'; readonly index: number | null }
  /** Compute statistics of one tensor. */
  | { readonly type: 'tensorStats'; readonly name: string }
  /** Compute head scores: on the current run's tokens (`prompt`) or on repeated random tokens. */
  | { readonly type: 'requestHeads'; readonly source: 'prompt' | 'random' }
  /** Compute composition scores, optionally minus the random-matrix baseline. */
  | { readonly type: 'requestComposition'; readonly baseline: boolean }
  /** Skip-trigram tables of the selected head for `token`. */
  | { readonly type: 'requestSkipTrigrams'; readonly token: number }
  /** Attribute the logit of `target` (or target − contrast) at `position` of the current run. */
  | { readonly type: 'requestAttribution'; readonly position: number; readonly target?: number; readonly contrast?: number }
  /** A composition cell was clicked: select the later head, mark the pair. */
  | { readonly type: 'selectPair'; readonly from: { readonly layer: number; readonly head: number }; readonly to: { readonly layer: number; readonly head: number } }
  /** Save an export (PNG bytes, or CSV/JSON text) through a save dialog. */
  | { readonly type: 'save'; readonly fileName: string; readonly data: string | Uint8Array }
  /** Clear every active ablation. */
  | { readonly type: 'clearAblations' }
  /** Save the last ablation or patching run as a `*.experiment.json` file. */
  | { readonly type: 'saveExperiment' }
  /** Particle statistics of the current run's tokens with this β (energy) and δ (clusters). */
  | { readonly type: 'requestParticles'; readonly beta: number; readonly delta: number }
  /** Head `head` of `layer` as the interaction kernel between that layer's particles, on the current run. */
  | { readonly type: 'requestParticleKernel'; readonly layer: number; readonly head: number }
  /** Simulate the particle dynamics. */
  | { readonly type: 'requestSimulation'; readonly spec: SimulationSpec }
  /** Compute a (t, β) phase diagram (a long job: progress, cancelled by `cancel`). */
  | { readonly type: 'requestPhaseDiagram'; readonly spec: PhaseDiagramSpec };

/** What the webview keeps in getState/setState across hide/reload. */
export interface WebviewState {
  readonly modelPath?: string;
  readonly prompt?: string;
  readonly tab?: string;
  readonly layer?: number;
  readonly head?: number;
  readonly hoverDirection?: 'query' | 'key';
  /** The particle view's β (energy) and δ (cluster threshold). */
  readonly particleBeta?: number;
  readonly particleDelta?: number;
}
