/**
 * The k-quant super-block formats: 256 elements per block, split into sub-blocks of 16 or 32 that
 * each have their own small integer scale (and min), multiplied by the block's f16 `d` (and
 * `dmin`). Q8_K is llama.cpp's intermediate format (a float32 scale and int8 quants).
 * Reference: dequantize_row_q*_K in ggml-quants.c; gguf-py's quants.py computes the same.
 *
 * Scale times sub-scale times quant is always exact in float32 (11 + 8 + 6 bits at most), so only
 * the final `- min` (or, for Q8_K, the one product) rounds, and a double result rounded to float32
 * on store equals the float32 operation: results match the reference bit for bit.
 */
import { blockHalves } from './halves';
import type { Dequantizer } from './types';

const QK_K = 256;

/**
 * The packed 6-bit scales and mins of Q4_K and Q5_K (12 bytes at `p`): sub-blocks 0..3 use the low
 * six bits of bytes 0..3 (scales) and 4..7 (mins); sub-blocks 4..7 take their low four bits from
 * bytes 8..11 and their top two bits from the spare top bits of bytes 0..7.
 */
function scaleMinK4(src: Uint8Array, p: number, scales: Uint8Array, mins: Uint8Array): void {
  for (let j = 0; j < 4; j++) {
    scales[j] = src[p + j] & 63;
    mins[j] = src[p + j + 4] & 63;
  }
  for (let j = 4; j < 8; j++) {
    scales[j] = (src[p + j + 4] & 0x0f) | ((src[p + j - 4] >> 6) << 4);
    mins[j] = (src[p + j + 4] >> 4) | ((src[p + j] >> 6) << 4);
  }
}

/** Q4_K, 144 bytes: d, dmin, scales[12], qs[128]. Sub-blocks of 32: x = d*sc*q - dmin*m. */
export const dequantizeQ4_K: Dequantizer = (src, blocks, out, outOffset) => {
  const bytes = 144;
  const d = blockHalves(src, blocks, bytes, 0);
  const dmin = blockHalves(src, blocks, bytes, 2);
  const scales = new Uint8Array(8);
  const mins = new Uint8Array(8);
  for (let b = 0; b < blocks; b++) {
    const base = b * bytes;
    scaleMinK4(src, base + 4, scales, mins);
    // Each 32 bytes of quants hold two sub-blocks: low nibbles, then high nibbles.
    for (let g = 0; g < 4; g++) {
      const qs = base + 16 + 32 * g;
      const y = outOffset + b * QK_K + 64 * g;
      const d1 = d[b] * scales[2 * g];
      const m1 = dmin[b] * mins[2 * g];
      const d2 = d[b] * scales[2 * g + 1];
      const m2 = dmin[b] * mins[2 * g + 1];
      for (let l = 0; l < 32; l++) {
        const q = src[qs + l];
        out[y + l] = d1 * (q & 0x0f) - m1;
        out[y + 32 + l] = d2 * (q >> 4) - m2;
      }
    }
  }
};

/** Q5_K, 176 bytes: d, dmin, scales[12], qh[32], qs[128]. Like Q4_K with a fifth bit from qh. */
export const dequantizeQ5_K: Dequantizer = (src, blocks, out, outOffset) => {
  const bytes = 176;
  const d = blockHalves(src, blocks, bytes, 0);
  const dmin = blockHalves(src, blocks, bytes, 2);
  const scales = new Uint8Array(8);
  const mins = new Uint8Array(8);
  for (let b = 0; b < blocks; b++) {
    const base = b * bytes;
    scaleMinK4(src, base + 4, scales, mins);
    const qh = base + 16;
    // Sub-block s takes its fifth bits from bit s of qh[0..31].
    for (let g = 0; g < 4; g++) {
      const qs = base + 48 + 32 * g;
      const y = outOffset + b * QK_K + 64 * g;
      const d1 = d[b] * scales[2 * g];
      const m1 = dmin[b] * mins[2 * g];
      const d2 = d[b] * scales[2 * g + 1];
      const m2 = dmin[b] * mins[2 * g + 1];
      for (let l = 0; l < 32; l++) {
        const q = src[qs + l];
        const high = src[qh + l] >> (2 * g);
        out[y + l] = d1 * ((q & 0x0f) | ((high & 1) << 4)) - m1;
        out[y + 32 + l] = d2 * ((q >> 4) | ((high & 2) << 3)) - m2;
      }
    }
  }
};

/** Q6_K, 210 bytes: ql[128], qh[64], scales[16] as int8, d. Sub-blocks of 16: x = d*sc*(q - 32). */
export const dequantizeQ6_K: Dequantizer = (src, blocks, out, outOffset) => {
  const bytes = 210;
  const d = blockHalves(src, blocks, bytes, 208);
  for (let b = 0; b < blocks; b++) {
    const base = b * bytes;
    // Two halves of 128 elements; in each, ql's 64 bytes give low nibbles then high nibbles of
    // two 32-runs, and qh's 32 bytes give the top two bits of all four 32-runs.
    for (let n = 0; n < 2; n++) {
      const ql = base + 64 * n;
      const qh = base + 128 + 32 * n;
      const sc = base + 192 + 8 * n;
      const y = outOffset + b * QK_K + 128 * n;
      for (let l = 0; l < 32; l++) {
        const is = l >> 4;
        const h = src[qh + l];
        const q1 = ((src[ql + l] & 0x0f) | ((h & 3) << 4)) - 32;
        const q2 = ((src[ql + l + 32] & 0x0f) | (((h >> 2) & 3) << 4)) - 32;
        const q3 = ((src[ql + l] >> 4) | (((h >> 4) & 3) << 4)) - 32;
        const q4 = ((src[ql + l + 32] >> 4) | (((h >> 6) & 3) << 4)) - 32;
        out[y + l] = d[b] * int8(src[sc + is]) * q1;
        out[y + l + 32] = d[b] * int8(src[sc + is + 2]) * q2;
        out[y + l + 64] = d[b] * int8(src[sc + is + 4]) * q3;
        out[y + l + 96] = d[b] * int8(src[sc + is + 6]) * q4;
      }
    }
  }
};

/** Q8_K, 292 bytes: d as float32, qs[256] as int8, bsums[16] (not needed to dequantize). x = d*q. */
export const dequantizeQ8_K: Dequantizer = (src, blocks, out, outOffset) => {
  const bytes = 292;
  const view = new DataView(src.buffer, src.byteOffset, src.byteLength);
  for (let b = 0; b < blocks; b++) {
    const base = b * bytes;
    const d = view.getFloat32(base, true);
    const y = outOffset + b * QK_K;
    for (let j = 0; j < QK_K; j++) out[y + j] = d * int8(src[base + 4 + j]);
  }
};

/** Q2_K, 84 bytes: scales[16] (4-bit scale, 4-bit min), qs[64], d, dmin. x = d*sc*q - dmin*m. */
export const dequantizeQ2_K: Dequantizer = (src, blocks, out, outOffset) => {
  const bytes = 84;
  const d = blockHalves(src, blocks, bytes, 80);
  const dmin = blockHalves(src, blocks, bytes, 82);
  for (let b = 0; b < blocks; b++) {
    const base = b * bytes;
    let is = 0;
    let y = outOffset + b * QK_K;
    // Two halves of 128; each 32 quant bytes hold four 2-bit planes, each plane two sub-blocks of 16.
    for (let n = 0; n < 2; n++) {
      const q = base + 16 + 32 * n;
      for (let shift = 0; shift < 8; shift += 2) {
        for (let half = 0; half < 2; half++) {
          const sc = src[base + is++];
          const dl = d[b] * (sc & 0x0f);
          const ml = dmin[b] * (sc >> 4);
          for (let l = 0; l < 16; l++) out[y++] = dl * ((src[q + 16 * half + l] >> shift) & 3) - ml;
        }
      }
    }
  }
};

/**
 * Q3_K, 110 bytes: hmask[32], qs[64], scales[12] (sixteen 6-bit scales), d. x = d*(sc - 32)*q
 * where q is the 2-bit quant minus 4 unless its hmask bit is set.
 */
export const dequantizeQ3_K: Dequantizer = (src, blocks, out, outOffset) => {
  const bytes = 110;
  const d = blockHalves(src, blocks, bytes, 108);
  const scales = new Int8Array(16);
  for (let b = 0; b < blocks; b++) {
    const base = b * bytes;
    const s = base + 96;
    // Scale k: low four bits from a nibble of bytes 0..7, top two bits from a pair in bytes 8..11.
    for (let k = 0; k < 16; k++) {
      const low = k < 8 ? src[s + k] & 0x0f : src[s + k - 8] >> 4;
      const high = (src[s + 8 + (k & 3)] >> (2 * (k >> 2))) & 3;
      scales[k] = (low | (high << 4)) - 32;
    }
    let is = 0;
    let y = outOffset + b * QK_K;
    let mask = 1;
    for (let n = 0; n < 2; n++) {
      const q = base + 32 + 32 * n;
      for (let shift = 0; shift < 8; shift += 2) {
        for (let half = 0; half < 2; half++) {
          const dl = d[b] * scales[is++];
          for (let l = 0; l < 16; l++) {
            const i = 16 * half + l;
            const quant = ((src[q + i] >> shift) & 3) - (src[base + i] & mask ? 0 : 4);
            out[y++] = dl * quant;
          }
        }
        mask <<= 1;
      }
    }
  }
};

function int8(byte: number): number {
  return (byte << 24) >> 24;
}
