/**
 * The GGML tensor types a GGUF file can name, with the block geometry needed to size a tensor: a
 * type packs `blockSize` elements into `typeSize` bytes (1 and the element size for plain types).
 * Every type llama.cpp defines is listed, so a file using one we cannot dequantize still opens and
 * is fully validated; only reading such a tensor fails. Ids 4, 5 and 31..33, 36..38 were removed
 * from the format and stay unknown. Source: GGML_QUANT_SIZES in llama.cpp's gguf-py constants.
 */

const QK_K = 256; // elements per k-quant super-block

/** Type name → [id, elements per block, bytes per block]. */
const TYPES = {
  F32: [0, 1, 4],
  F16: [1, 1, 2],
  Q4_0: [2, 32, 2 + 16],
  Q4_1: [3, 32, 2 + 2 + 16],
  Q5_0: [6, 32, 2 + 4 + 16],
  Q5_1: [7, 32, 2 + 2 + 4 + 16],
  Q8_0: [8, 32, 2 + 32],
  Q8_1: [9, 32, 4 + 4 + 32],
  Q2_K: [10, QK_K, 2 + 2 + QK_K / 16 + QK_K / 4],
  Q3_K: [11, QK_K, 2 + QK_K / 4 + QK_K / 8 + 12],
  Q4_K: [12, QK_K, 2 + 2 + QK_K / 2 + 12],
  Q5_K: [13, QK_K, 2 + 2 + QK_K / 2 + QK_K / 8 + 12],
  Q6_K: [14, QK_K, 2 + QK_K / 2 + QK_K / 4 + QK_K / 16],
  Q8_K: [15, QK_K, 4 + QK_K + QK_K / 8],
  IQ2_XXS: [16, QK_K, 2 + QK_K / 4],
  IQ2_XS: [17, QK_K, 2 + QK_K / 4 + QK_K / 32],
  IQ3_XXS: [18, QK_K, 2 + QK_K / 4 + QK_K / 8],
  IQ1_S: [19, QK_K, 2 + QK_K / 8 + QK_K / 16],
  IQ4_NL: [20, 32, 2 + 16],
  IQ3_S: [21, QK_K, 2 + QK_K / 4 + QK_K / 8 + QK_K / 32 + 4],
  IQ2_S: [22, QK_K, 2 + QK_K / 4 + QK_K / 16],
  IQ4_XS: [23, QK_K, 2 + 2 + QK_K / 2 + QK_K / 64],
  I8: [24, 1, 1],
  I16: [25, 1, 2],
  I32: [26, 1, 4],
  I64: [27, 1, 8],
  F64: [28, 1, 8],
  IQ1_M: [29, QK_K, QK_K / 8 + QK_K / 16 + QK_K / 32],
  BF16: [30, 1, 2],
  TQ1_0: [34, QK_K, 2 + 4 * 13],
  TQ2_0: [35, QK_K, 2 + 64],
  MXFP4: [39, 32, 1 + 16],
  NVFP4: [40, 64, 4 + 32],
  Q1_0: [41, 128, 2 + 16],
} as const;

/** A GGML type name, e.g. 'F32', 'Q4_K'. */
export type GgufTensorType = keyof typeof TYPES;

export interface TensorTypeInfo {
  readonly name: GgufTensorType;
  readonly id: number;
  /** Elements per block; a row (ne[0]) must be a whole number of blocks. */
  readonly blockSize: number;
  /** Bytes per block. */
  readonly typeSize: number;
}

const BY_ID: ReadonlyMap<number, TensorTypeInfo> = new Map(
  (Object.entries(TYPES) as [GgufTensorType, readonly [number, number, number]][]).map(
    ([name, [id, blockSize, typeSize]]) => [id, { name, id, blockSize, typeSize }],
  ),
);

/** The type with this id, or undefined for an id no GGML version defines (or one since removed). */
export function tensorTypeById(id: number): TensorTypeInfo | undefined {
  return BY_ID.get(id);
}
