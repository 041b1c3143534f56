/**
 * Turning raw tensor infos into the validated tensor table: every claim a tensor info makes (type,
 * shape, offset, size) is checked at open against the file, so a corrupt or hostile file fails with
 * an error naming the tensor rather than a bad read later. Arithmetic is in bigint: offsets and
 * sizes come from u64 fields and files can exceed 4 GB.
 */
import { fileError, quote } from '../safetensors/messages';
import type { RawTensorInfo } from './header';
import { tensorTypeById } from './tensorTypes';
import type { GgufTensorInfo, GgufValue } from './types';

/** GGUF's default alignment when `general.alignment` is absent. */
export const DEFAULT_ALIGNMENT = 32;

/** `general.alignment`: an integer power of two, default 32. */
export function resolveAlignment(file: string, metadata: ReadonlyMap<string, GgufValue>): number {
  const value = metadata.get('general.alignment');
  if (value === undefined) return DEFAULT_ALIGNMENT;
  const n = typeof value === 'bigint' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n <= 0 || (n & (n - 1)) !== 0 || n > 2 ** 30) {
    throw fileError(
      'BAD_HEADER',
      file,
      `metadata key "general.alignment" must be a power of two, found ${describeValue(value)}`,
    );
  }
  return n;
}

/** Validates every tensor info and returns the table in file order. */
export function buildTensorTable(
  file: string,
  raw: readonly RawTensorInfo[],
  dataOffset: number,
  fileSize: number,
  alignment: number,
): GgufTensorInfo[] {
  const seen = new Set<string>();
  const tensors = raw.map((info) => {
    if (seen.has(info.name)) {
      throw fileError('BAD_TENSOR', file, `tensor ${quote(info.name)} appears twice`, info.name);
    }
    seen.add(info.name);
    return checkTensor(file, info, BigInt(dataOffset), BigInt(fileSize), alignment);
  });
  checkNoOverlap(file, tensors);
  return tensors;
}

function checkTensor(
  file: string,
  { name, dims, typeId, relativeOffset }: RawTensorInfo,
  dataOffset: bigint,
  fileSize: bigint,
  alignment: number,
): GgufTensorInfo {
  const fail = (message: string) => fileError('BAD_TENSOR', file, `tensor ${quote(name)} ${message}`, name);
  const type = tensorTypeById(typeId);
  if (type === undefined) {
    throw fileError(
      'UNSUPPORTED_DTYPE',
      file,
      `tensor ${quote(name)} has GGML type id ${typeId}, which this reader does not know; a newer GGUF?`,
      name,
    );
  }
  const shapeText = `[${dims.join(', ')}]`;
  const elements = dims.reduce((product, dim) => product * dim, 1n);
  // A count no JS number holds exactly could never fit in a file (or in memory) anyway.
  if (elements > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw fail(`has shape ${shapeText}, whose ${elements} elements overflow any addressable size`);
  }
  const rowLength = dims.length === 0 ? 1n : dims[0];
  if (rowLength % BigInt(type.blockSize) !== 0n) {
    throw fail(
      `has shape ${shapeText} and type ${type.name}, whose rows (ne[0] = ${rowLength}) must be a whole ` +
        `number of ${type.blockSize}-element blocks`,
    );
  }
  const byteLength = (elements / BigInt(type.blockSize)) * BigInt(type.typeSize);
  if (relativeOffset % BigInt(alignment) !== 0n) {
    throw fail(`has offset ${relativeOffset}, not a multiple of the file's alignment (${alignment} bytes)`);
  }
  const start = dataOffset + relativeOffset;
  // An empty tensor reads nothing, so where it points does not matter.
  if (byteLength > 0n && start + byteLength > fileSize) {
    throw fail(
      `has ${byteLength} bytes of ${type.name} data at file offset ${start}, past the end of the file ` +
        `(${fileSize} bytes); truncated file?`,
    );
  }
  return {
    name,
    shape: dims.map(Number),
    type: type.name,
    typeId,
    offset: start,
    byteLength: Number(byteLength),
  };
}

/** Rejects tensors sharing bytes: one would silently alias the other. */
function checkNoOverlap(file: string, tensors: readonly GgufTensorInfo[]): void {
  const sorted = tensors
    .filter((t) => t.byteLength > 0)
    .sort((a, b) => (a.offset < b.offset ? -1 : a.offset > b.offset ? 1 : a.byteLength - b.byteLength));
  // Sorted by start, the first overlap is always between neighbours.
  for (let i = 1; i < sorted.length; i++) {
    const previous = sorted[i - 1];
    const current = sorted[i];
    if (current.offset < previous.offset + BigInt(previous.byteLength)) {
      throw fileError(
        'BAD_TENSOR',
        file,
        `tensors ${quote(previous.name)} and ${quote(current.name)} overlap in the data section`,
        current.name,
      );
    }
  }
}

function describeValue(value: GgufValue): string {
  if (typeof value === 'string') return quote(value.length > 40 ? `${value.slice(0, 37)}...` : value);
  if (typeof value === 'object') return `an array of ${value.itemType}`;
  return String(value);
}
