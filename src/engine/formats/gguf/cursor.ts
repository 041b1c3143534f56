/**
 * A little-endian reader over the first bytes of a GGUF file. Everything before the tensor data
 * (header, metadata, tensor infos) has no length prefix, so it is parsed from a prefix of the file;
 * when the parse runs past that prefix the cursor throws `NeedMoreBytes` and the caller re-reads
 * a longer prefix and parses again. Running past the end of the *file* is an EngineError instead.
 *
 * Every length and count is checked against the bytes left in the file before it is used, so a
 * hostile count cannot make the parser allocate or loop beyond what the file could hold.
 */
import type { EngineError } from '../../errors';

/** The parse needs the file prefix to extend at least to `end`. */
export class NeedMoreBytes {
  constructor(readonly end: number) {}
}

export class Cursor {
  /** Absolute file position of the next byte to read. */
  position = 0;
  private readonly view: DataView;
  /** The same bytes as a Buffer, for its fast UTF-8 decoding of a range. */
  private readonly buffer: Buffer;

  constructor(
    /** The first `bytes.length` bytes of the file. */
    private readonly bytes: Uint8Array,
    readonly fileSize: number,
    /** Builds the error for a read past the end of the file; `what` names the value being read. */
    private readonly pastEnd: (what: string, needed: string, left: number) => EngineError,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Bytes left in the file after the current position. */
  get left(): number {
    return this.fileSize - this.position;
  }

  /** Makes sure `n` more bytes exist in the file and in the prefix read so far. */
  private need(n: number, what: string): number {
    const start = this.position;
    if (n > this.left) throw this.pastEnd(what, `${n} bytes`, this.left);
    if (start + n > this.bytes.length) throw new NeedMoreBytes(start + n);
    this.position = start + n;
    return start;
  }

  u8(what: string): number {
    return this.view.getUint8(this.need(1, what));
  }
  i8(what: string): number {
    return this.view.getInt8(this.need(1, what));
  }
  u16(what: string): number {
    return this.view.getUint16(this.need(2, what), true);
  }
  i16(what: string): number {
    return this.view.getInt16(this.need(2, what), true);
  }
  u32(what: string): number {
    return this.view.getUint32(this.need(4, what), true);
  }
  i32(what: string): number {
    return this.view.getInt32(this.need(4, what), true);
  }
  f32(what: string): number {
    return this.view.getFloat32(this.need(4, what), true);
  }
  f64(what: string): number {
    return this.view.getFloat64(this.need(8, what), true);
  }
  u64(what: string): bigint {
    return this.view.getBigUint64(this.need(8, what), true);
  }
  i64(what: string): bigint {
    return this.view.getBigInt64(this.need(8, what), true);
  }

  /**
   * A count of items that each take at least `minItemBytes`: rejected before any item is read if
   * the rest of the file could not hold that many, so the result is a safe JS number.
   */
  count(what: string, minItemBytes: number): number {
    const n = this.u64(`${what} count`);
    if (n * BigInt(minItemBytes) > BigInt(this.left)) {
      throw this.pastEnd(`${n} ${what}`, `at least ${n * BigInt(minItemBytes)} bytes`, this.left);
    }
    // Items must lie in the prefix too; asking for it now keeps allocations within the prefix.
    const end = this.position + Number(n) * minItemBytes;
    if (end > this.bytes.length) throw new NeedMoreBytes(end);
    return Number(n);
  }

  /**
   * A GGUF string: u64 byte length, then UTF-8 bytes. Invalid UTF-8 is decoded with U+FFFD, as
   * token pieces of some vocabularies are not valid UTF-8 on their own and must not fail the file.
   */
  string(what: string): string {
    const length = this.u64(`${what} length`);
    if (length > BigInt(this.left)) throw this.pastEnd(`${what} (a string)`, `${length} bytes`, this.left);
    const start = this.need(Number(length), what);
    return this.buffer.toString('utf8', start, start + Number(length));
  }
}
