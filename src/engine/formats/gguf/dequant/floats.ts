/** Plain float tensors (F32, F16, BF16): one element per "block", converted exactly. */
import { bf16ToFloat32, f16ToFloat32 } from '../../halfFloat';
import type { Dequantizer } from './types';

export const dequantizeF32: Dequantizer = (src, count, out, outOffset) => {
  const view = new DataView(src.buffer, src.byteOffset, count * 4);
  for (let i = 0; i < count; i++) out[outOffset + i] = view.getFloat32(i * 4, true);
};

/** Little-endian 16-bit patterns, assembled bytewise so the host's byte order does not matter. */
function halves(src: Uint8Array, count: number): Uint16Array {
  const bits = new Uint16Array(count);
  for (let i = 0; i < count; i++) bits[i] = src[2 * i] | (src[2 * i + 1] << 8);
  return bits;
}

export const dequantizeF16: Dequantizer = (src, count, out, outOffset) => {
  f16ToFloat32(halves(src, count), out.subarray(outOffset, outOffset + count));
};

export const dequantizeBF16: Dequantizer = (src, count, out, outOffset) => {
  bf16ToFloat32(halves(src, count), out.subarray(outOffset, outOffset + count));
};
