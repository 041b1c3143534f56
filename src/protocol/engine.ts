/**
 * Messages between the extension host and the engine process (a forked Node child, structured-clone
 * IPC: fork it with `serialization: 'advanced'` so typed arrays arrive as typed arrays). Requests
 * carry an id; every reply names it. The engine sends `ready` once before anything.
 */

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
  | {
      readonly type: 'run';
      readonly id: number;
      readonly prompt?: string;
      readonly tokens?: readonly number[];
      readonly patterns: boolean;
      /** Refuse prompts longer than this many tokens (the user's maxTokens setting). */
      readonly maxTokens?: number;
      /** How many top next-token predictions to return per position (default 10). */
      readonly topK?: number;
    }
  /** QK/OV circuits of one head restricted to the given tokens (see CircuitsResult). */
  | { readonly type: 'circuits'; readonly id: number; readonly layer: number; readonly head: number; readonly tokens: readonly number[] }
  /** Stop the request with id `target` at its next checkpoint. */
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
  /** Which weight processing the numbers used, in words, for the UI. */
  readonly processing: string;
}
