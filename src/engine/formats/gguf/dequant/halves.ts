/**
 * Block scales stored as binary16, gathered for a whole chunk of blocks and converted exactly
 * through the shared half-float table; bytes are assembled little-endian whatever the host order.
 */
import { f16ToFloat32 } from '../../halfFloat';

/** The f16 at byte `field` of each of `blocks` blocks of `blockBytes` bytes in `src`, as float32. */
export function blockHalves(src: Uint8Array, blocks: number, blockBytes: number, field: number): Float32Array {
  const bits = new Uint16Array(blocks);
  for (let b = 0, p = field; b < blocks; b++, p += blockBytes) bits[b] = src[p] | (src[p + 1] << 8);
  return f16ToFloat32(bits);
}
