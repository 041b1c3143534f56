/**
 * Parsing everything before the tensor data: magic, version, counts, metadata key/values of every
 * type, and the raw tensor infos. Structure only; tensorTable.ts checks what the infos claim.
 *
 * Layout (GGUF v2/v3, little-endian): "GGUF", u32 version, u64 tensor count, u64 metadata count,
 * metadata as (string key, u32 value type, value), then tensor infos as (string name, u32 n_dims,
 * u64 ne[n_dims], u32 GGML type, u64 offset relative to the data section). Strings are a u64 byte
 * length then UTF-8; arrays are a u32 item type, a u64 count, then the items.
 */
import type { EngineError } from '../../errors';
import { quote } from '../safetensors/messages';
import type { Cursor } from './cursor';
import type { GgufArray, GgufValue, GgufValueType } from './types';

/** Value type names by their id in the file. */
const VALUE_TYPES: readonly GgufValueType[] = [
  'UINT8', 'INT8', 'UINT16', 'INT16', 'UINT32', 'INT32', 'FLOAT32',
  'BOOL', 'STRING', 'ARRAY', 'UINT64', 'INT64', 'FLOAT64',
];

/** Fewest bytes one value of each type takes, for checking counts against the bytes left. */
const MIN_BYTES: Readonly<Record<GgufValueType, number>> = {
  UINT8: 1, INT8: 1, BOOL: 1, UINT16: 2, INT16: 2, UINT32: 4, INT32: 4, FLOAT32: 4,
  UINT64: 8, INT64: 8, FLOAT64: 8,
  STRING: 8, // the length alone
  ARRAY: 12, // item type and count
};

/** Arrays of arrays are legal but never deep in practice; a bound keeps recursion off the stack limit. */
const MAX_ARRAY_NESTING = 8;

/** GGML allows at most four dimensions (GGML_MAX_DIMS). */
export const MAX_DIMS = 4;

/** Fewest bytes a tensor info takes: empty name, n_dims, type, offset. */
const MIN_TENSOR_INFO_BYTES = 8 + 4 + 4 + 8;
/** Fewest bytes a metadata entry takes: empty key, value type, one-byte value. */
const MIN_KV_BYTES = 8 + 4 + 1;

export interface RawTensorInfo {
  readonly name: string;
  /** ne[0..n_dims), as stored. */
  readonly dims: readonly bigint[];
  readonly typeId: number;
  /** Offset relative to the start of the data section. */
  readonly relativeOffset: bigint;
}

export interface ParsedHeader {
  readonly version: 2 | 3;
  readonly metadata: Map<string, GgufValue>;
  readonly tensors: readonly RawTensorInfo[];
  /** File position just after the last tensor info; the data section starts at the next aligned byte. */
  readonly end: number;
}

/** Makes a BAD_HEADER error about this file. */
export type HeaderFail = (message: string) => EngineError;

export function parseHeader(cursor: Cursor, fail: HeaderFail): ParsedHeader {
  if (cursor.fileSize < 4) throw fail(`file is ${cursor.fileSize} bytes, too short for a GGUF file`);
  const magic = [cursor.u8('magic'), cursor.u8('magic'), cursor.u8('magic'), cursor.u8('magic')];
  if (String.fromCharCode(...magic) !== 'GGUF') {
    throw fail(`does not start with the GGUF magic (found bytes ${magic.map(hex).join(' ')}); not a GGUF file?`);
  }
  const version = readVersion(cursor, fail);
  const tensorCount = cursor.count('tensor infos', MIN_TENSOR_INFO_BYTES);
  const kvCount = cursor.count('metadata entries', MIN_KV_BYTES);

  const metadata = new Map<string, GgufValue>();
  for (let i = 0; i < kvCount; i++) {
    const key = cursor.string(`metadata key #${i}`);
    if (metadata.has(key)) throw fail(`metadata key ${quote(key)} appears twice`);
    const what = `metadata key ${quote(key)}`;
    const type = valueType(cursor.u32(`type of ${what}`), what, fail);
    metadata.set(key, readValue(cursor, type, what, 0, fail));
  }

  const tensors: RawTensorInfo[] = [];
  for (let i = 0; i < tensorCount; i++) {
    const name = cursor.string(`name of tensor info #${i}`);
    const what = `tensor ${quote(name)}`;
    const nDims = cursor.u32(`${what} dimension count`);
    if (nDims > MAX_DIMS) throw fail(`${what} has ${nDims} dimensions; GGUF allows at most ${MAX_DIMS}`);
    const dims: bigint[] = [];
    for (let d = 0; d < nDims; d++) dims.push(cursor.u64(`${what} dimensions`));
    const typeId = cursor.u32(`${what} type`);
    const relativeOffset = cursor.u64(`${what} offset`);
    tensors.push({ name, dims, typeId, relativeOffset });
  }
  return { version, metadata, tensors, end: cursor.position };
}

function readVersion(cursor: Cursor, fail: HeaderFail): 2 | 3 {
  const version = cursor.u32('version');
  if (version === 2 || version === 3) return version;
  if (version === 1) {
    throw fail(
      'is GGUF version 1 (the 2023 draft with 32-bit counts), which is not supported; convert the model again',
    );
  }
  // A big-endian file (allowed since v3) reads as the byte-swapped version here.
  if ((version & 0xffff) === 0 && (version >>> 24 === 2 || version >>> 24 === 3)) {
    throw fail('is a big-endian GGUF file, which is not supported; use a little-endian conversion');
  }
  throw fail(`has unknown GGUF version ${version}; versions 2 and 3 are supported`);
}

function valueType(id: number, what: string, fail: HeaderFail): GgufValueType {
  const type = VALUE_TYPES[id];
  if (type === undefined) throw fail(`${what} has unknown value type ${id} (known: 0..${VALUE_TYPES.length - 1})`);
  return type;
}

function readValue(cursor: Cursor, type: GgufValueType, what: string, depth: number, fail: HeaderFail): GgufValue {
  switch (type) {
    case 'UINT8': return cursor.u8(what);
    case 'INT8': return cursor.i8(what);
    case 'UINT16': return cursor.u16(what);
    case 'INT16': return cursor.i16(what);
    case 'UINT32': return cursor.u32(what);
    case 'INT32': return cursor.i32(what);
    case 'FLOAT32': return cursor.f32(what);
    case 'FLOAT64': return cursor.f64(what);
    case 'UINT64': return cursor.u64(what);
    case 'INT64': return cursor.i64(what);
    case 'STRING': return cursor.string(what);
    case 'BOOL': {
      const byte = cursor.u8(what);
      if (byte > 1) throw fail(`${what} is a bool stored as ${byte}; only 0 and 1 are valid`);
      return byte === 1;
    }
    case 'ARRAY': return readArray(cursor, what, depth, fail);
  }
}

function readArray(cursor: Cursor, what: string, depth: number, fail: HeaderFail): GgufArray {
  if (depth >= MAX_ARRAY_NESTING) throw fail(`${what} nests arrays more than ${MAX_ARRAY_NESTING} deep`);
  const itemType = valueType(cursor.u32(`${what} array item type`), `${what} array`, fail);
  const count = cursor.count(`items of ${what}`, MIN_BYTES[itemType]);
  const itemWhat = `an item of ${what}`;
  const items = new Array<GgufArray['items'][number]>(count);
  for (let i = 0; i < count; i++) items[i] = readValue(cursor, itemType, itemWhat, depth + 1, fail);
  return { itemType, items };
}

function hex(byte: number): string {
  return byte.toString(16).padStart(2, '0');
}
