/**
 * Messages between the extension host and the engine process (a forked Node child, structured-clone
 * IPC: fork it with `serialization: 'advanced'` so typed arrays arrive as typed arrays). Requests
 * carry an id; every reply names it. The engine sends `ready` once before anything.
 */

import type { SimulationParams } from './particles';

/**
 * A request computed under interventions (patterns, logits, losses, predictions, particles all with
 * them applied); `reference` and `corrupted` are the mean / resample sources as in 'ablate'.
 */
export interface UnderInterventions {
  readonly interventions?: readonly Intervention[];
  readonly reference?: readonly number[];
  readonly corrupted?: readonly number[];
}

/** Host → engine. */
export type EngineRequest =
  /** Choose the compute backend (auto | tensorflow | wasm | cpu). */
  | { readonly type: 'init'; readonly id: number; readonly backend: string }
  /** Load a model (file, index json or folder), replacing any loaded one. */
  | { readonly type: 'load'; readonly id: number; readonly path: string; readonly memoryLimitMB?: number }
  /** The loaded model's card. */
  | { readonly type: 'info'; readonly id: number }
  /** The loaded checkpoint's tensor table. */
  | { readonly type: 'tensors'; readonly id: number }
  /** Statistics of one stored tensor, read from the file on demand. */
  | { readonly type: 'tensorStats'; readonly id: number; readonly name: string }
  /** One forward pass on a text prompt or token ids; patterns are optional. */
  | ({
      readonly type: 'run';
      readonly id: number;
      readonly prompt?: string;
      readonly tokens?: readonly number[];
      readonly patterns: boolean;
      /** Refuse prompts longer than this many tokens (the user's maxTokens setting). */
      readonly maxTokens?: number;
      /** How many top next-token predictions to return per position (default 10). */
      readonly topK?: number;
    } & UnderInterventions)
  /** QK/OV circuits of one head restricted to the given tokens (see CircuitsResult). */
  | { readonly type: 'circuits'; readonly id: number; readonly layer: number; readonly head: number; readonly tokens: readonly number[] }
  /** Detector and copying scores of every head (on the tokens given, else on repeated random tokens). */
  | { readonly type: 'heads'; readonly id: number; readonly tokens?: readonly number[]; readonly random?: RandomRepeats }
  /** Q-, K- and V-composition scores between every earlier → later pair of heads. */
  | { readonly type: 'composition'; readonly id: number; readonly baseline: boolean }
  /** Skip-trigram tables of one head: what a source token's OV boosts/suppresses, what a query token attends to. */
  | { readonly type: 'skipTrigrams'; readonly id: number; readonly layer: number; readonly head: number; readonly token: number; readonly k?: number }
  /** Direct logit attribution and logit lens on a token sequence. */
  | ({
      readonly type: 'attribution';
      readonly id: number;
      readonly tokens: readonly number[];
      /** Position whose next-token logits are attributed. */
      readonly position: number;
      /** Token whose logit is attributed (default: the model's top prediction at `position`). */
      readonly target?: number;
      /** Attribute logit(target) − logit(contrast) instead. */
      readonly contrast?: number;
      /** Predictions per layer for the logit lens (default 5). */
      readonly topK?: number;
    } & UnderInterventions)
  /**
   * Run the prompt with and without the interventions and evaluate the metric (see AblationResult).
   * Mean ablation averages over the positions of `reference` when given, else of `tokens` itself;
   * resample takes the activations of `corrupted` (same token length as `tokens`, else BAD_PROMPT).
   */
  | {
      readonly type: 'ablate';
      readonly id: number;
      readonly tokens: readonly number[];
      readonly interventions: readonly Intervention[];
      readonly metric: Metric;
      readonly reference?: readonly number[];
      readonly corrupted?: readonly number[];
    }
  /**
   * Activation patching sweep (TransformerLens's get_act_patch_*): run `corrupted` with one
   * component's activation taken from `clean`, for every component, and report the metric (see
   * PatchResult). `clean` and `corrupted` must have the same token length (else BAD_PROMPT).
   */
  | {
      readonly type: 'patch';
      readonly id: number;
      readonly clean: readonly number[];
      readonly corrupted: readonly number[];
      readonly component: PatchComponent;
      readonly metric: Metric;
    }
  /** Stop the request with id `target` at its next checkpoint. */
  /** Per-layer particle statistics (see ParticlesResult) of the normalized residual stream on `tokens`. */
  | ({
      readonly type: 'particles';
      readonly id: number;
      readonly tokens: readonly number[];
      readonly beta: number;
      readonly delta: number;
      readonly bins?: number;
    } & UnderInterventions)
  /** One head's attention as the interaction kernel between its layer's particles (see ParticleKernel). */
  | ({
      readonly type: 'particleKernel';
      readonly id: number;
      readonly tokens: readonly number[];
      readonly layer: number;
      readonly head: number;
    } & UnderInterventions)
  /**
   * Simulate the paper's dynamics (see SimulationResult). With `head`, Q/K/V come from that head's
   * processed weights; with `fromLayer`, the initial points are the model's particles at that layer
   * on `tokens` (n and d follow from them).
   */
  | {
      readonly type: 'simulate';
      readonly id: number;
      readonly params: SimulationParams;
      readonly head?: { readonly layer: number; readonly head: number };
      readonly fromLayer?: number;
      readonly tokens?: readonly number[];
    }
  /** The (t, β) phase diagram of the clustered-pairs fraction (a long job with progress). */
  | { readonly type: 'phaseDiagram'; readonly id: number; readonly params: SimulationParams; readonly betas: readonly number[] }
  | { readonly type: 'cancel'; readonly id: number; readonly target: number };

/** A request before the client numbers it. */
export type EngineRequestBody = EngineRequest extends infer R ? (R extends unknown ? Omit<R, 'id'> : never) : never;

/** Engine → host. */
export type EngineMessage =
  /** The engine process is up and listening. */
  | { readonly type: 'ready' }
  /** Progress of a long request. */
  | { readonly type: 'progress'; readonly id: number; readonly message: string; readonly fraction: number }
  /** A request finished. */
  | { readonly type: 'result'; readonly id: number; readonly result: unknown }
  /** A request failed; `code` is an EngineErrorCode for user errors, 'INTERNAL' for bugs. */
  | { readonly type: 'error'; readonly id: number; readonly code: string; readonly message: string };

/** Repeated random token sequences for the detectors, as TransformerLens's induction tests make them. */
export interface RandomRepeats {
  /** Length of the random half; each sequence is [BOS?] + r + r (2·length tokens after the BOS). */
  readonly length: number;
  readonly batch: number;
  readonly seed: number;
}

/** The model card's numbers (the engine's `info`, `circuit-inspector info`, the panel's Model tab). */
export interface ModelInfo {
  readonly architecture: string;
  readonly layers: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly dModel: number;
  readonly dHead: number;
  readonly dMlp: number;
  readonly vocab: number;
  readonly context: number;
  readonly parameters: number;
  readonly dtype: string;
  readonly backend: string;
  readonly tokenizer: boolean;
  /** A `.gguf` model's metadata in file order, long arrays summarized (`[STRING × 32000]`). */
  readonly ggufMetadata?: readonly { readonly key: string; readonly value: string }[];
}

/** One row of the tensor table. */
export interface TensorRow {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: string;
  readonly bytes: number;
}

/** Statistics of one tensor's values (NaN and ±Inf are counted, and left out of the moments). */
export interface TensorStats {
  readonly count: number;
  readonly mean: number;
  readonly std: number;
  readonly min: number;
  readonly max: number;
  readonly absMax: number;
  readonly nanCount: number;
  readonly infCount: number;
}

/** Result of a `run` request. Typed arrays travel as-is through structured clone. */
export interface RunResult {
  readonly tokens: readonly number[];
  readonly tokenStrings?: readonly string[];
  /** Character offsets [start, end) of each token in the prompt, when it was text. */
  readonly offsets?: readonly (readonly [number, number])[];
  /** Logits of the last position. [vocab] */
  readonly lastLogits: Float32Array;
  /** Mean next-token loss, or null for a single token. */
  readonly loss: number | null;
  /** Next-token loss at each position that has a next token. [pos − 1] */
  readonly losses: Float32Array;
  /** Top-k next-token predictions at every position. */
  readonly predictions: Predictions;
  /** Attention probabilities per layer, each [head, query, key] flattened. */
  readonly patterns?: readonly Float32Array[];
}

/** Top-k predictions per position, row-major [pos, k]. */
export interface Predictions {
  readonly k: number;
  readonly ids: Int32Array;
  readonly probs: Float32Array;
  /** Display strings of `ids` (when the model has a tokenizer). */
  readonly strings?: readonly string[];
}

/** One head's circuits on a token set, from LayerNorm-folded, centered weights. */
export interface CircuitsResult {
  readonly layer: number;
  readonly head: number;
  /** The distinct tokens of the request, in first-seen order (rows and columns below). */
  readonly tokens: readonly number[];
  readonly tokenStrings?: readonly string[];
  /** Full QK circuit W_E W_Q W_Kᵀ W_Eᵀ on those tokens: [query token, key token]. */
  readonly qk: Float32Array;
  /** Full OV circuit W_E W_V W_O W_U on those tokens: [source token, output token] logit. */
  readonly ov: Float32Array;
  /** Learned-position models: causal softmax of W_pos W_Q W_Kᵀ W_posᵀ over the prompt's positions. [query, key] */
  readonly positionalQk?: Float32Array;
  readonly positions?: number;
  /** Eigenvalues and copying scores of the full circuits. */
  readonly spectrum?: HeadSpectrum;
  /** Which weight processing the numbers used, in words, for the UI. */
  readonly processing: string;
}

/** Per-head scores, each [layer, head] flattened row-major. */
export interface HeadScores {
  readonly layers: number;
  readonly heads: number;
  /** What the activation-based scores were measured on. */
  readonly source: 'prompt' | 'random';
  /** TransformerLens detector scores Σ(A ⊙ P) / ΣA for the previous-token, duplicate-token and induction patterns. */
  readonly previousToken: Float32Array;
  readonly duplicateToken: Float32Array;
  readonly induction: Float32Array;
  /** Mean attention to the first position. */
  readonly sink: Float32Array;
  /** Re(Σλ)/Σ|λ| of the full OV circuit W_E W_OV W_U (via the d_head × d_head product). */
  readonly copyingOV: Float32Array;
  /** The same statistic of the full QK circuit W_E W_QK W_Eᵀ. */
  readonly copyingQK: Float32Array;
  readonly processing: string;
}

/** Composition scores ‖L·R‖_F / (‖L‖_F ‖R‖_F), each [layer1, head1, layer2, head2] flattened; zero where layer1 ≥ layer2. */
export interface CompositionScores {
  readonly layers: number;
  readonly heads: number;
  readonly q: Float32Array;
  readonly k: Float32Array;
  readonly v: Float32Array;
  /** The random-matrix baseline subtracted from each kind, when asked for. */
  readonly baseline?: { readonly q: number; readonly k: number; readonly v: number };
  readonly processing: string;
}

/** Eigenvalues and copying scores of one head's full circuits. */
export interface HeadSpectrum {
  /** Eigenvalues of W_E W_OV W_U through the d_head × d_head product: [re, im] pairs. */
  readonly ovEigenvalues: Float32Array;
  readonly qkEigenvalues: Float32Array;
  readonly copyingOV: number;
  readonly copyingQK: number;
}

/** A ranked list of tokens with values. */
export interface TokenList {
  readonly ids: Int32Array;
  readonly values: Float32Array;
  readonly strings?: readonly string[];
}

export interface SkipTrigrams {
  readonly layer: number;
  readonly head: number;
  readonly token: number;
  /** Output tokens the OV circuit raises most when `token` is attended to (source → out). */
  readonly boosts: TokenList;
  /** … and lowers most. */
  readonly suppresses: TokenList;
  /** Key tokens `token`, as a query, most wants to attend to (QK row). */
  readonly attendsTo: TokenList;
  readonly processing: string;
}

export interface Attribution {
  readonly position: number;
  readonly target: number;
  readonly contrast?: number;
  /** Each head's direct contribution to the attributed logit (difference). [layer, head] */
  readonly heads: Float32Array;
  /** Each layer's attention output and MLP output contributions. [layer] */
  readonly attn: Float32Array;
  readonly mlp: Float32Array;
  /** Embedding (token + position) contribution. */
  readonly embed: number;
  /** The part of attn[l] no head accounts for (b_O and the folded value biases): Σ_h heads[l, h] + attnBias[l] = attn[l]. [layer] */
  readonly attnBias?: Float32Array;
  /** The processed unembedding bias term: embed + Σ attn + Σ mlp + unembedBias = logit. */
  readonly unembedBias?: number;
  /** The attributed value from the forward pass: logit(target) − logit(contrast), or logit(target) − mean logit without a contrast (TransformerLens's centered unembedding). */
  readonly logit?: number;
  /** Logit lens: top-k predictions after each layer, at every position: ids/probs [layer + 1, pos, k] (entry 0 = embeddings). */
  readonly lens: { readonly k: number; readonly ids: Int32Array; readonly probs: Float32Array; readonly strings?: readonly string[] };
}

/** How an ablated activation is replaced. */
export type AblationMethod = 'zero' | 'mean' | 'resample';

/**
 * One component knocked out: a head (its `blocks.{l}.attn.hook_z` slice [.., head, :]), a whole
 * attention layer (`blocks.{l}.hook_attn_out`) or an MLP layer (`blocks.{l}.hook_mlp_out`).
 * zero: 0; mean: mean over positions (of the prompt, or of the reference prompt); resample: the
 * activation at the same position of the corrupted prompt.
 */
export type Intervention =
  | { readonly kind: 'head'; readonly layer: number; readonly head: number; readonly method: AblationMethod }
  | { readonly kind: 'attn'; readonly layer: number; readonly method: AblationMethod }
  | { readonly kind: 'mlp'; readonly layer: number; readonly method: AblationMethod };

/**
 * What an experiment measures. `loss`: mean next-token cross-entropy over the prompt. The others
 * read the last position's logits: `logit` = logit(target); `logitDiff` = logit(target) −
 * logit(distractor); `prob` = softmax(logits)[target].
 */
export type Metric =
  | { readonly kind: 'loss' }
  | { readonly kind: 'logit'; readonly target: number }
  | { readonly kind: 'logitDiff'; readonly target: number; readonly distractor: number }
  | { readonly kind: 'prob'; readonly target: number };

/** Result of an `ablate` request. */
export interface AblationResult {
  /** The metric without and with the interventions. */
  readonly metricBefore: number;
  readonly metricAfter: number;
  /** Mean next-token loss without and with the interventions (null for a single token). */
  readonly lossBefore: number | null;
  readonly lossAfter: number | null;
  /** Top-10 next-token predictions at the last position (values are probabilities). */
  readonly topBefore: TokenList;
  readonly topAfter: TokenList;
  /** The interventions applied, as given. */
  readonly interventions: readonly Intervention[];
}

/**
 * What a patching sweep patches from clean into corrupted:
 * - `resid`: `blocks.{l}.hook_resid_pre` at one position — grid [layer, position] (get_act_patch_resid_pre);
 * - `attn`: `blocks.{l}.hook_attn_out` at one position — grid [layer, position] (get_act_patch_attn_out);
 * - `heads`: one head's `hook_z` at every position — grid [layer, head] (get_act_patch_attn_head_out_all_pos).
 */
export type PatchComponent = 'resid' | 'attn' | 'heads';

/** Result of a `patch` request; grids are row-major [rows, cols]. */
export interface PatchResult {
  readonly component: PatchComponent;
  /** Layers. */
  readonly rows: number;
  /** Positions (resid, attn) or heads (heads). */
  readonly cols: number;
  /** Normalized restored metric: (m_patched − m_corrupted) / (m_clean − m_corrupted); NaN if m_clean = m_corrupted. */
  readonly values: Float32Array;
  /** The metric of each patched run, m_patched. */
  readonly raw: Float32Array;
  readonly cleanMetric: number;
  readonly corruptedMetric: number;
  /** Row and column labels for display: rows "L0".., columns the clean prompt's token strings (or "pos 3") or "H0".. */
  readonly labels: { readonly rows: readonly string[]; readonly cols: readonly string[] };
}
