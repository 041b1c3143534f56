/**
 * The opened checkpoint: the tensor table stays in memory, and each tensor is read on demand with
 * one positional read of exactly its bytes, then converted to float32.
 */
import type { FileHandle } from 'node:fs/promises';
import { bf16ToFloat32, f16ToFloat32 } from '../halfFloat';
import type { TensorInfo, WeightSource } from '../weightSource';
import { readFully } from './fileSystem';
import { fileError, quote } from './messages';

/** The file stores little-endian values; typed-array views use the host's order. */
const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** One handle per file (one, or one per shard), closed together. */
export class SafetensorsSource implements WeightSource {
  private closed = false;

  constructor(
    readonly path: string,
    readonly tensors: ReadonlyMap<string, TensorInfo>,
    readonly metadata: Readonly<Record<string, string>>,
    /** Open handles by absolute file path, the key every TensorInfo's `file` uses. */
    private readonly handles: ReadonlyMap<string, FileHandle>,
  ) {}

  async readFloat32(name: string): Promise<Float32Array> {
    if (this.closed) {
      // A caller bug rather than a user error, hence a plain Error.
      throw new Error(`${this.path}: cannot read tensor ${quote(name)}, the weights were closed`);
    }
    const info = this.tensors.get(name);
    if (info === undefined) {
      throw fileError(
        'BAD_TENSOR',
        this.path,
        `no tensor named ${quote(name)} (it has ${this.tensors.size} tensors)`,
        name,
      );
    }
    const { dtype, file, byteOffset, byteLength } = info;
    if (dtype !== 'F32' && dtype !== 'F16' && dtype !== 'BF16') {
      throw fileError(
        'UNSUPPORTED_DTYPE',
        file,
        `tensor ${quote(name)} has dtype ${dtype}; only F32, F16 and BF16 are supported`,
        name,
      );
    }
    // A fresh buffer starts at offset 0 of its own ArrayBuffer, so the typed views below are
    // aligned whatever the tensor's offset in the file was.
    const bytes = new Uint8Array(byteLength);
    if (!(await readFully(this.handles.get(file)!, bytes, byteOffset, file))) {
      throw fileError(
        'BAD_TENSOR',
        file,
        `file ended inside tensor ${quote(name)}; was it changed after opening?`,
        name,
      );
    }
    return toFloat32(bytes, dtype);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.handles.values()].map((handle) => handle.close()));
  }
}

/** Converts a tensor's little-endian bytes, reusing the buffer for F32 (swapped in place if needed). */
function toFloat32(bytes: Uint8Array, dtype: 'F32' | 'F16' | 'BF16'): Float32Array {
  if (dtype === 'F32') {
    if (!HOST_IS_LITTLE_ENDIAN) Buffer.from(bytes.buffer).swap32();
    return new Float32Array(bytes.buffer, 0, bytes.length / 4);
  }
  if (!HOST_IS_LITTLE_ENDIAN) Buffer.from(bytes.buffer).swap16();
  const halves = new Uint16Array(bytes.buffer, 0, bytes.length / 2);
  return dtype === 'F16' ? f16ToFloat32(halves) : bf16ToFloat32(halves);
}
