/**
 * Dequantizes `blocks` whole blocks, laid out back to back from byte 0 of `src`, into `out`
 * starting at element `outOffset`; each block yields the type's block size of float32 values.
 */
export type Dequantizer = (src: Uint8Array, blocks: number, out: Float32Array, outOffset: number) => void;
