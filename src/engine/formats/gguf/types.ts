/**
 * The shape of an opened GGUF file as the rest of the engine sees it: metadata values typed as the
 * file stores them, tensor infos in GGUF's own dimension order, tensors read on demand.
 */
import type { GgufTensorType } from './tensorTypes';

export type { GgufTensorType } from './tensorTypes';

/** GGUF metadata value types, named as in the specification (ids 0..12 in the file). */
export type GgufValueType =
  | 'UINT8'
  | 'INT8'
  | 'UINT16'
  | 'INT16'
  | 'UINT32'
  | 'INT32'
  | 'FLOAT32'
  | 'BOOL'
  | 'STRING'
  | 'ARRAY'
  | 'UINT64'
  | 'INT64'
  | 'FLOAT64';

/** A scalar metadata value: 64-bit integers are bigints, every other number is a JS number. */
export type GgufScalar = number | bigint | boolean | string;

/** One metadata value as stored. */
export type GgufValue = GgufScalar | GgufArray;

/**
 * A metadata array: every item has `itemType`. Arrays of arrays are legal GGUF (the reference
 * writer produces them); their items are GgufArrays with `itemType` 'ARRAY'.
 */
export interface GgufArray {
  readonly itemType: GgufValueType;
  readonly items: readonly (GgufScalar | GgufArray)[];
}

/** One tensor's entry in the file's table, validated at open. */
export interface GgufTensorInfo {
  readonly name: string;
  /** GGUF order: ne[0] (the fastest-varying, contiguous dimension) first, as stored. */
  readonly shape: readonly number[];
  /** GGML type name, e.g. 'F32', 'Q4_K'. */
  readonly type: GgufTensorType;
  /** GGML type id as stored in the file. */
  readonly typeId: number;
  /** Absolute file offset of the tensor's first byte. */
  readonly offset: bigint;
  /** Bytes the tensor occupies in the file. */
  readonly byteLength: number;
}

/** An opened GGUF file: header, metadata and tensor infos in memory, tensor data on disk. */
export interface GgufFile {
  readonly path: string;
  readonly version: 2 | 3;
  /** Alignment of the data section and of every tensor offset (`general.alignment`, default 32). */
  readonly alignment: number;
  readonly metadata: ReadonlyMap<string, GgufValue>;
  /** Every tensor in file order. */
  readonly tensors: readonly GgufTensorInfo[];
  /** The same tensors by name. */
  readonly tensorsByName: ReadonlyMap<string, GgufTensorInfo>;
  /** Absolute offset where the (aligned) tensor data section starts. */
  readonly dataOffset: number;
  /** Size of the file in bytes when it was opened. */
  readonly fileSize: number;
  /**
   * Dequantized float32 data of one tensor, row-major with the *reversed* GGUF shape (PyTorch
   * order: [ne[n-1], ..., ne[0]]), which is exactly the order GGUF stores elements in.
   * Throws EngineError for an unknown name, a type this reader cannot dequantize, or a file that
   * changed since it was opened.
   */
  readTensor(name: string): Promise<Float32Array>;
  /** Closes the file handle. The file cannot be read afterwards. */
  close(): Promise<void>;
}
