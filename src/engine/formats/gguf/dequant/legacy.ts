/**
 * The original llama.cpp block formats: 32 elements per block, one f16 scale `d` (and for the _1
 * types an f16 offset `m`), 4-, 5- or 8-bit quants. Element j of a block is quant j; 4-bit quants
 * pack element j in the low nibble of byte j and element j + 16 in its high nibble, and the 5-bit
 * types keep each element's fifth bit in a u32 `qh` (bit j for element j).
 * Reference: dequantize_row_q* in ggml-quants.c, which gguf-py's quants.py mirrors.
 *
 * Every product below is exact in float32 (an 11-bit scale times a quant of at most 8 bits), and
 * a JS double sum of two float32 values rounds to the same float32 as a float32 sum, so the results
 * match the reference bit for bit.
 */
import { blockHalves } from './halves';
import type { Dequantizer } from './types';

const QK = 32;

/** Q4_0, 18 bytes: d, qs[16]. x = (q - 8) * d. */
export const dequantizeQ4_0: Dequantizer = (src, blocks, out, outOffset) => {
  const bytes = 18;
  const d = blockHalves(src, blocks, bytes, 0);
  for (let b = 0; b < blocks; b++) {
    const qs = b * bytes + 2;
    const y = outOffset + b * QK;
    for (let j = 0; j < 16; j++) {
      const q = src[qs + j];
      out[y + j] = ((q & 0x0f) - 8) * d[b];
      out[y + j + 16] = ((q >> 4) - 8) * d[b];
    }
  }
};

/** Q4_1, 20 bytes: d, m, qs[16]. x = q * d + m. */
export const dequantizeQ4_1: Dequantizer = (src, blocks, out, outOffset) => {
  const bytes = 20;
  const d = blockHalves(src, blocks, bytes, 0);
  const m = blockHalves(src, blocks, bytes, 2);
  for (let b = 0; b < blocks; b++) {
    const qs = b * bytes + 4;
    const y = outOffset + b * QK;
    for (let j = 0; j < 16; j++) {
      const q = src[qs + j];
      out[y + j] = (q & 0x0f) * d[b] + m[b];
      out[y + j + 16] = (q >> 4) * d[b] + m[b];
    }
  }
};

function u32At(src: Uint8Array, p: number): number {
  return (src[p] | (src[p + 1] << 8) | (src[p + 2] << 16) | (src[p + 3] << 24)) >>> 0;
}

/** Q5_0, 22 bytes: d, qh (u32), qs[16]. x = (q - 16) * d with q's fifth bit from qh. */
export const dequantizeQ5_0: Dequantizer = (src, blocks, out, outOffset) => {
  const bytes = 22;
  const d = blockHalves(src, blocks, bytes, 0);
  for (let b = 0; b < blocks; b++) {
    const qh = u32At(src, b * bytes + 2);
    const qs = b * bytes + 6;
    const y = outOffset + b * QK;
    for (let j = 0; j < 16; j++) {
      const q = src[qs + j];
      const high0 = ((qh >>> j) & 1) << 4;
      const high1 = ((qh >>> (j + 16)) & 1) << 4;
      out[y + j] = (((q & 0x0f) | high0) - 16) * d[b];
      out[y + j + 16] = (((q >> 4) | high1) - 16) * d[b];
    }
  }
};

/** Q5_1, 24 bytes: d, m, qh (u32), qs[16]. x = q * d + m with q's fifth bit from qh. */
export const dequantizeQ5_1: Dequantizer = (src, blocks, out, outOffset) => {
  const bytes = 24;
  const d = blockHalves(src, blocks, bytes, 0);
  const m = blockHalves(src, blocks, bytes, 2);
  for (let b = 0; b < blocks; b++) {
    const qh = u32At(src, b * bytes + 4);
    const qs = b * bytes + 8;
    const y = outOffset + b * QK;
    for (let j = 0; j < 16; j++) {
      const q = src[qs + j];
      const high0 = ((qh >>> j) & 1) << 4;
      const high1 = ((qh >>> (j + 16)) & 1) << 4;
      out[y + j] = ((q & 0x0f) | high0) * d[b] + m[b];
      out[y + j + 16] = ((q >> 4) | high1) * d[b] + m[b];
    }
  }
};

/** Q8_0, 34 bytes: d, qs[32] as int8. x = q * d. */
export const dequantizeQ8_0: Dequantizer = (src, blocks, out, outOffset) => {
  const bytes = 34;
  const d = blockHalves(src, blocks, bytes, 0);
  const signed = new Int8Array(src.buffer, src.byteOffset, src.byteLength);
  for (let b = 0; b < blocks; b++) {
    const qs = b * bytes + 2;
    const y = outOffset + b * QK;
    for (let j = 0; j < QK; j++) out[y + j] = signed[qs + j] * d[b];
  }
};
