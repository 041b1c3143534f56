/**
 * Writes GGUF files byte by byte, independently of the reader under test, including files that
 * break the format on purpose (any magic, version, count, type id or offset can be overridden).
 */

/** Metadata value type ids from the GGUF specification. */
export const V = {
  UINT8: 0, INT8: 1, UINT16: 2, INT16: 3, UINT32: 4, INT32: 5, FLOAT32: 6, BOOL: 7,
  STRING: 8, ARRAY: 9, UINT64: 10, INT64: 11, FLOAT64: 12,
} as const;

/** GGML tensor type ids used by the tests. */
export const T = { F32: 0, F16: 1, Q4_0: 2, Q5_0: 6, Q8_0: 8, Q4_K: 12, IQ2_XXS: 16, BF16: 30 } as const;

export interface ArrayValue {
  itemType: number;
  items: unknown[];
}

export interface MetaEntry {
  key: string;
  type: number;
  /** Encoded according to `type`; ignored when `raw` is given. */
  value?: unknown;
  /** Bytes written after the type id instead of an encoded value. */
  raw?: Uint8Array;
}

export interface TensorSpec {
  name: string;
  /** ne[0] first, as GGUF stores them. */
  dims: (number | bigint)[];
  type: number;
  /** Data bytes, placed at `offset` in the data section. */
  data?: Uint8Array;
  /** Offset relative to the data section; by default the next aligned offset after the previous tensor. */
  offset?: bigint;
}

export interface GgufSpec {
  magic?: string;
  version?: number;
  /** Written instead of the real counts, to make them lie. */
  tensorCount?: bigint;
  kvCount?: bigint;
  metadata?: MetaEntry[];
  tensors?: TensorSpec[];
  /** Padding used to place the data section and tensors (add `general.alignment` yourself). */
  alignment?: number;
}

class ByteWriter {
  private readonly parts: Buffer[] = [];
  length = 0;
  bytes(data: Uint8Array): void {
    this.parts.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    this.length += data.byteLength;
  }
  private fixed(size: number, write: (b: Buffer) => void): void {
    const b = Buffer.alloc(size);
    write(b);
    this.bytes(b);
  }
  u8 = (v: number) => this.fixed(1, (b) => b.writeUInt8(v));
  i8 = (v: number) => this.fixed(1, (b) => b.writeInt8(v));
  u16 = (v: number) => this.fixed(2, (b) => b.writeUInt16LE(v));
  i16 = (v: number) => this.fixed(2, (b) => b.writeInt16LE(v));
  u32 = (v: number) => this.fixed(4, (b) => b.writeUInt32LE(v));
  i32 = (v: number) => this.fixed(4, (b) => b.writeInt32LE(v));
  f32 = (v: number) => this.fixed(4, (b) => b.writeFloatLE(v));
  f64 = (v: number) => this.fixed(8, (b) => b.writeDoubleLE(v));
  u64 = (v: bigint | number) => this.fixed(8, (b) => b.writeBigUInt64LE(BigInt(v)));
  i64 = (v: bigint | number) => this.fixed(8, (b) => b.writeBigInt64LE(BigInt(v)));
  str(s: string): void {
    const utf8 = Buffer.from(s, 'utf8');
    this.u64(utf8.length);
    this.bytes(utf8);
  }
  result(): Buffer {
    return Buffer.concat(this.parts);
  }
}

function writeValue(w: ByteWriter, type: number, value: unknown): void {
  switch (type) {
    case V.UINT8: return w.u8(value as number);
    case V.INT8: return w.i8(value as number);
    case V.UINT16: return w.u16(value as number);
    case V.INT16: return w.i16(value as number);
    case V.UINT32: return w.u32(value as number);
    case V.INT32: return w.i32(value as number);
    case V.FLOAT32: return w.f32(value as number);
    case V.FLOAT64: return w.f64(value as number);
    case V.UINT64: return w.u64(value as bigint);
    case V.INT64: return w.i64(value as bigint);
    case V.BOOL: return w.u8(value ? 1 : 0);
    case V.STRING: return w.str(value as string);
    case V.ARRAY: {
      const { itemType, items } = value as ArrayValue;
      w.u32(itemType);
      w.u64(items.length);
      for (const item of items) writeValue(w, itemType, item);
      return;
    }
    default: throw new Error(`cannot encode value type ${type}`);
  }
}

/** Bytes of a GGUF file; returns also where the data section starts. */
export function ggufLayout(spec: GgufSpec): { bytes: Buffer; dataOffset: number; offsets: bigint[] } {
  const alignment = spec.alignment ?? 32;
  const metadata = spec.metadata ?? [];
  const tensors = spec.tensors ?? [];
  const w = new ByteWriter();
  w.bytes(Buffer.from(spec.magic ?? 'GGUF', 'latin1'));
  w.u32(spec.version ?? 3);
  w.u64(spec.tensorCount ?? BigInt(tensors.length));
  w.u64(spec.kvCount ?? BigInt(metadata.length));
  for (const entry of metadata) {
    w.str(entry.key);
    w.u32(entry.type);
    if (entry.raw !== undefined) w.bytes(entry.raw);
    else writeValue(w, entry.type, entry.value);
  }
  const offsets: bigint[] = [];
  let next = 0n;
  for (const t of tensors) {
    const offset = t.offset ?? next;
    offsets.push(offset);
    const end = offset + BigInt(t.data?.length ?? 0);
    const a = BigInt(alignment);
    next = ((end + a - 1n) / a) * a;
    w.str(t.name);
    w.u32(t.dims.length);
    for (const d of t.dims) w.u64(d);
    w.u32(t.type);
    w.u64(BigInt.asUintN(64, offset)); // an implicit offset after a huge one may wrap
  }
  const header = w.result();
  const dataOffset = Math.ceil(header.length / alignment) * alignment;
  let size = tensors.length > 0 ? dataOffset : header.length;
  // Only tensors with data extend the file, so a test can claim offsets far past its end.
  tensors.forEach((t, i) => {
    if (t.data !== undefined) size = Math.max(size, dataOffset + Number(offsets[i]) + t.data.length);
  });
  const bytes = Buffer.alloc(size);
  header.copy(bytes);
  tensors.forEach((t, i) => {
    if (t.data !== undefined) bytes.set(t.data, dataOffset + Number(offsets[i]));
  });
  return { bytes, dataOffset, offsets };
}

export function ggufBytes(spec: GgufSpec): Buffer {
  return ggufLayout(spec).bytes;
}

export function f32Bytes(...values: number[]): Uint8Array {
  const b = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => b.writeFloatLE(v, i * 4));
  return b;
}

export function u16Bytes(...values: number[]): Uint8Array {
  const b = Buffer.alloc(values.length * 2);
  values.forEach((v, i) => b.writeUInt16LE(v, i * 2));
  return b;
}

/** The value of a binary16 bit pattern, computed from the definition (not through a table). */
export function halfValue(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0x1f) return mantissa === 0 ? sign * Infinity : NaN;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}
