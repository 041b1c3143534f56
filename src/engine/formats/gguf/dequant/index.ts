/** Which GGML types this reader can turn into float32, and how. */
import type { GgufTensorType } from '../tensorTypes';
import { dequantizeBF16, dequantizeF16, dequantizeF32 } from './floats';
import {
  dequantizeQ2_K,
  dequantizeQ3_K,
  dequantizeQ4_K,
  dequantizeQ5_K,
  dequantizeQ6_K,
  dequantizeQ8_K,
} from './kquants';
import { dequantizeQ4_0, dequantizeQ4_1, dequantizeQ5_0, dequantizeQ5_1, dequantizeQ8_0 } from './legacy';
import type { Dequantizer } from './types';

export type { Dequantizer } from './types';

const DEQUANTIZERS: ReadonlyMap<GgufTensorType, Dequantizer> = new Map<GgufTensorType, Dequantizer>([
  ['F32', dequantizeF32],
  ['F16', dequantizeF16],
  ['BF16', dequantizeBF16],
  ['Q4_0', dequantizeQ4_0],
  ['Q4_1', dequantizeQ4_1],
  ['Q5_0', dequantizeQ5_0],
  ['Q5_1', dequantizeQ5_1],
  ['Q8_0', dequantizeQ8_0],
  ['Q2_K', dequantizeQ2_K],
  ['Q3_K', dequantizeQ3_K],
  ['Q4_K', dequantizeQ4_K],
  ['Q5_K', dequantizeQ5_K],
  ['Q6_K', dequantizeQ6_K],
  ['Q8_K', dequantizeQ8_K],
]);

/** The types readTensor accepts, in table order. */
export const DEQUANTIZABLE_TYPES: readonly GgufTensorType[] = [...DEQUANTIZERS.keys()];

export function dequantizerFor(type: GgufTensorType): Dequantizer | undefined {
  return DEQUANTIZERS.get(type);
}
