/**
 * Turning a parsed header into a tensor table. Every entry is validated here, at open, so a corrupt
 * or hostile file fails with an error naming the file and tensor rather than a bad read later.
 */
import type { TensorInfo } from '../weightSource';
import { isCount, isObject } from './json';
import { describeJson, fileError, quote } from './messages';

/**
 * Bits per element of every dtype the format defines, for the size check (sub-byte float formats
 * included). A Map, not an object literal, so a dtype like "constructor" finds nothing.
 */
const DTYPE_BITS: ReadonlyMap<string, number> = new Map([
  ['BOOL', 8], ['U8', 8], ['I8', 8], ['F8_E4M3', 8], ['F8_E5M2', 8], ['F8_E8M0', 8],
  ['U16', 16], ['I16', 16], ['F16', 16], ['BF16', 16],
  ['U32', 32], ['I32', 32], ['F32', 32],
  ['U64', 64], ['I64', 64], ['F64', 64], ['C64', 64],
  ['F4', 4], ['F6_E2M3', 6], ['F6_E3M2', 6],
]);

/**
 * Validates every header entry and builds the tensor table with absolute byte offsets. The data
 * section starts at `dataStart` in `file` and is `dataLength` bytes long.
 */
export function buildTensorTable(
  file: string,
  header: Record<string, unknown>,
  dataStart: number,
  dataLength: number,
): { tensors: Map<string, TensorInfo>; metadata: Record<string, string> } {
  const tensors = new Map<string, TensorInfo>();
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') metadata = parseMetadata(file, entry);
    else tensors.set(name, parseTensorEntry(file, name, entry, dataStart, dataLength));
  }
  checkNoOverlap(file, [...tensors.values()]);
  return { tensors, metadata };
}

function parseMetadata(file: string, value: unknown): Record<string, string> {
  if (value === null) return {}; // the reference implementation accepts an explicit null
  const bad = (why: string) => fileError('BAD_HEADER', file, `__metadata__ must map strings to strings; ${why}`);
  if (!isObject(value)) throw bad(`found ${describeJson(value)}`);
  for (const [key, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw bad(`${quote(key)} is ${describeJson(v)}`);
  }
  // fromEntries defines own properties, so a "__proto__" key stays data.
  return Object.fromEntries(Object.entries(value as Record<string, string>));
}

function parseTensorEntry(
  file: string,
  name: string,
  entry: unknown,
  dataStart: number,
  dataLength: number,
): TensorInfo {
  const fail = (message: string) => fileError('BAD_TENSOR', file, `tensor ${quote(name)} ${message}`, name);
  if (!isObject(entry)) {
    throw fail(`must be an object with dtype, shape and data_offsets, found ${describeJson(entry)}`);
  }
  const { dtype, shape, data_offsets: offsets } = entry;
  if (typeof dtype !== 'string') throw fail(`needs a string dtype, found ${describeJson(dtype)}`);
  if (!Array.isArray(shape) || !shape.every(isCount)) {
    throw fail(`needs a shape that is a list of non-negative integers, found ${describeJson(shape)}`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) {
    throw fail(`needs data_offsets [begin, end] of two non-negative integers, found ${describeJson(offsets)}`);
  }
  const [begin, end] = offsets as [number, number];
  if (begin > end) throw fail(`has data_offsets [${begin}, ${end}] with begin after end`);
  if (end > dataLength) {
    throw fail(
      `has data_offsets [${begin}, ${end}] past the end of the data section (${dataLength} bytes); truncated file?`,
    );
  }
  const bits = DTYPE_BITS.get(dtype);
  // An unknown dtype (a format newer than this reader) is still listed; only its size is unknowable.
  if (bits !== undefined) {
    const neededBits = (shape as number[]).reduce((product, dim) => product * dim, 1) * bits;
    if (neededBits !== (end - begin) * 8) {
      const needed = Number.isSafeInteger(neededBits) ? `${neededBits / 8} bytes` : 'an impossible number of bytes';
      throw fail(
        `has shape [${shape.join(', ')}] and dtype ${dtype}, which need ${needed}, ` +
          `but data_offsets span ${end - begin}`,
      );
    }
  }
  return { name, dtype, shape: shape as number[], file, byteOffset: dataStart + begin, byteLength: end - begin };
}

/** Rejects tensors sharing bytes: one would silently alias the other. */
function checkNoOverlap(file: string, tensors: TensorInfo[]): void {
  // Empty tensors occupy no bytes, so they cannot overlap anything.
  const sorted = tensors
    .filter((t) => t.byteLength > 0)
    .sort((a, b) => a.byteOffset - b.byteOffset || a.byteLength - b.byteLength);
  // Sorted by start, the first overlap is always between neighbours.
  for (let i = 1; i < sorted.length; i++) {
    const previous = sorted[i - 1];
    const current = sorted[i];
    if (current.byteOffset < previous.byteOffset + previous.byteLength) {
      throw fileError(
        'BAD_TENSOR',
        file,
        `tensors ${quote(previous.name)} and ${quote(current.name)} overlap in the data section`,
        current.name,
      );
    }
  }
}
