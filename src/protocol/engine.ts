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
  /** One forward pass on a text prompt or token ids; patterns are optional. */
  | {
      readonly type: 'run';
      readonly id: number;
      readonly prompt?: string;
      readonly tokens?: readonly number[];
      readonly patterns: boolean;
    }
  /** Stop the request with id `target` at its next checkpoint. */
  | { readonly type: 'cancel'; readonly id: number; readonly target: number };

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

/** Result of a `run` request. Typed arrays travel as-is through structured clone. */
export interface RunResult {
  readonly tokens: readonly number[];
  readonly tokenStrings?: readonly string[];
  /** Character offsets of each token in the prompt, when it was text. */
  readonly offsets?: readonly (readonly [number, number])[];
  /** Logits of the last position. [vocab] */
  readonly lastLogits: Float32Array;
  /** Mean next-token loss, or null for a single token. */
  readonly loss: number | null;
  /** Attention probabilities per layer, each [head, query, key] flattened. */
  readonly patterns?: readonly Float32Array[];
}

/** A request before the client numbers it. */
export type EngineRequestBody = EngineRequest extends infer R ? (R extends unknown ? Omit<R, 'id'> : never) : never;
