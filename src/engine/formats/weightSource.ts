/**
 * What the model loader needs from a weights file, whatever its format (safetensors now, GGUF
 * later): a table of tensors that opens instantly, and tensors read one by one on demand.
 */

/** One tensor's entry in the file's table. */
export interface TensorInfo {
  /** Name as stored in the checkpoint, e.g. `transformer.h.0.attn.c_attn.weight`. */
  readonly name: string;
  /** Storage dtype as the file names it, e.g. `F32`, `F16`, `BF16`. */
  readonly dtype: string;
  /** Shape as stored (row-major). */
  readonly shape: readonly number[];
  /** Absolute path of the file holding this tensor (differs per shard). */
  readonly file: string;
  /** Absolute byte offset of the tensor's first byte in `file`. */
  readonly byteOffset: number;
  /** Number of bytes the tensor occupies in `file`. */
  readonly byteLength: number;
}

/** An opened checkpoint: tensor table in memory, tensor data left on disk until asked for. */
export interface WeightSource {
  /** The path the user gave (a `.safetensors` file or a `model.safetensors.index.json`). */
  readonly path: string;
  /** Every tensor in the checkpoint, by name. */
  readonly tensors: ReadonlyMap<string, TensorInfo>;
  /** Free-form string metadata from the file header (`__metadata__` in safetensors). */
  readonly metadata: Readonly<Record<string, string>>;
  /** Reads one tensor and converts it to float32. Throws EngineError for unknown names or dtypes. */
  readFloat32(name: string): Promise<Float32Array>;
  /** Closes every file descriptor. The source cannot be read afterwards. */
  close(): Promise<void>;
}
