/**
 * Typed errors for everything a user can get wrong: a bad weights file, a config that does not
 * match its weights, an unusable prompt. Each names the file (and tensor) and says what is wrong,
 * so the CLI and the extension can show one clear line instead of a stack trace.
 */

/** Machine-readable kinds of user-facing failure. */
export type EngineErrorCode =
  | 'FILE_NOT_FOUND' // a path that does not exist or cannot be read
  | 'BAD_HEADER' // safetensors header length / JSON / structure, or GGUF header / metadata, is wrong
  | 'BAD_TENSOR' // a tensor entry is inconsistent (offsets, overlap, size, shape)
  | 'UNSUPPORTED_DTYPE' // dtype we cannot convert to float32
  | 'BAD_INDEX' // model.safetensors.index.json is malformed or points outside the model folder
  | 'MISSING_CONFIG' // no config.json beside the weights
  | 'BAD_CONFIG' // config.json unreadable or missing a required field
  | 'UNSUPPORTED_ARCHITECTURE' // model_type we do not run
  | 'WEIGHTS_MISMATCH' // config and tensors disagree (missing tensor, wrong shape)
  | 'NO_TOKENIZER' // a text prompt was given but the model has no tokenizer.json
  | 'BAD_TOKENIZER' // tokenizer.json could not be parsed
  | 'BAD_PROMPT' // empty prompt, token id out of range, prompt longer than the context
  | 'BAD_ARGUMENT' // a CLI / request argument is malformed
  | 'MODEL_TOO_LARGE' // the weights would exceed the configured memory limit
  | 'BACKEND_UNAVAILABLE' // the requested compute backend cannot be initialised
  | 'CANCELLED'; // the caller cancelled the work

/** An error caused by the user's input or environment, safe to show as one line. */
export class EngineError extends Error {
  override readonly name = 'EngineError';
  constructor(
    readonly code: EngineErrorCode,
    message: string,
    /** The file the problem is in, when there is one. */
    readonly file?: string,
    /** The tensor the problem is in, when there is one. */
    readonly tensor?: string,
  ) {
    super(message);
  }
}

/** True for errors that should be shown to the user as a message, not as a crash. */
export function isEngineError(error: unknown): error is EngineError {
  return error instanceof EngineError;
}
