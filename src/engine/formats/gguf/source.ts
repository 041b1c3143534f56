/**
 * The opened GGUF file: header, metadata and tensor table in memory, one handle kept open, and each
 * tensor read on demand by position and dequantized chunk by chunk into one float32 array, so a
 * large quantized tensor never sits in memory both packed and unpacked.
 */
import type { FileHandle } from 'node:fs/promises';
import { readFully } from '../safetensors/fileSystem';
import { fileError, quote } from '../safetensors/messages';
import { DEQUANTIZABLE_TYPES, dequantizerFor } from './dequant';
import { tensorTypeById } from './tensorTypes';
import type { GgufFile, GgufTensorInfo, GgufValue } from './types';

/** Packed bytes read per step; big enough that per-read overhead vanishes, small beside the output. */
const CHUNK_BYTES = 8 << 20;

/** F32 tensors are read straight into the output when the host's order matches the file's. */
const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export class GgufSource implements GgufFile {
  private closed = false;
  readonly tensorsByName: ReadonlyMap<string, GgufTensorInfo>;

  constructor(
    readonly path: string,
    /** Absolute path, the one errors name. */
    private readonly file: string,
    private readonly handle: FileHandle,
    readonly version: 2 | 3,
    readonly alignment: number,
    readonly metadata: ReadonlyMap<string, GgufValue>,
    readonly tensors: readonly GgufTensorInfo[],
    readonly dataOffset: number,
    readonly fileSize: number,
  ) {
    this.tensorsByName = new Map(tensors.map((t) => [t.name, t]));
  }

  async readTensor(name: string): Promise<Float32Array> {
    if (this.closed) {
      // A caller bug rather than a user error, hence a plain Error.
      throw new Error(`${this.path}: cannot read tensor ${quote(name)}, the file was closed`);
    }
    const info = this.tensorsByName.get(name);
    if (info === undefined) {
      const message = `no tensor named ${quote(name)} (it has ${this.tensors.length} tensors)`;
      throw fileError('BAD_TENSOR', this.file, message, name);
    }
    const dequantize = dequantizerFor(info.type);
    if (dequantize === undefined) {
      throw fileError(
        'UNSUPPORTED_DTYPE',
        this.file,
        `tensor ${quote(name)} has type ${info.type}, which this reader cannot dequantize ` +
          `(supported: ${DEQUANTIZABLE_TYPES.join(', ')})`,
        name,
      );
    }
    const { blockSize, typeSize } = tensorTypeById(info.typeId)!;
    const blocks = info.byteLength / typeSize;
    const out = this.allocate(info, blocks * blockSize);
    const position = Number(info.offset); // validated against the file size, so exact

    if (info.type === 'F32' && HOST_IS_LITTLE_ENDIAN) {
      await this.readAt(new Uint8Array(out.buffer), position, name);
      return out;
    }
    const blocksPerChunk = Math.max(1, Math.floor(CHUNK_BYTES / typeSize));
    const buffer = new Uint8Array(Math.min(blocks, blocksPerChunk) * typeSize);
    for (let block = 0; block < blocks; block += blocksPerChunk) {
      const count = Math.min(blocksPerChunk, blocks - block);
      const chunk = buffer.subarray(0, count * typeSize);
      await this.readAt(chunk, position + block * typeSize, name);
      dequantize(chunk, count, out, block * blockSize);
    }
    return out;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.handle.close();
  }

  private allocate(info: GgufTensorInfo, elements: number): Float32Array {
    try {
      return new Float32Array(elements);
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
      throw fileError(
        'MODEL_TOO_LARGE',
        this.file,
        `tensor ${quote(info.name)} has ${elements} elements, more than one float32 array can hold here`,
        info.name,
      );
    }
  }

  private async readAt(target: Uint8Array, position: number, name: string): Promise<void> {
    if (!(await readFully(this.handle, target, position, this.file))) {
      const message = `file ended inside tensor ${quote(name)}; was it changed after opening?`;
      throw fileError('BAD_TENSOR', this.file, message, name);
    }
  }
}
