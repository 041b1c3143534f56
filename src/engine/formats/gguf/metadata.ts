/**
 * Typed reads of metadata values: each returns undefined for an absent key and throws a BAD_HEADER
 * EngineError naming the key when the value has another type, so callers turning metadata into a
 * model config need no type tests of their own.
 */
import { fileError, quote } from '../safetensors/messages';
import type { GgufArray, GgufFile, GgufValue } from './types';

type Source = Pick<GgufFile, 'path' | 'metadata'>;

function wrongType(gguf: Source, key: string, expected: string, value: GgufValue): never {
  const message = `metadata key ${quote(key)} should be ${expected}, found ${describe(value)}`;
  throw fileError('BAD_HEADER', gguf.path, message);
}

function describe(value: GgufValue): string {
  if (typeof value === 'object') return `an array of ${value.items.length} ${value.itemType} items`;
  if (typeof value === 'string') return `the string ${quote(value.length > 40 ? `${value.slice(0, 37)}...` : value)}`;
  return `${typeof value} ${String(value)}`;
}

/** A number of any numeric type; a 64-bit integer is converted when a JS number holds it exactly. */
function asNumber(value: GgufValue | GgufArray['items'][number]): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint' && Number.isSafeInteger(Number(value)) && BigInt(Number(value)) === value) {
    return Number(value);
  }
  return undefined;
}

export function metadataString(gguf: Source, key: string): string | undefined {
  const value = gguf.metadata.get(key);
  if (value === undefined || typeof value === 'string') return value;
  return wrongType(gguf, key, 'a string', value);
}

export function metadataNumber(gguf: Source, key: string): number | undefined {
  const value = gguf.metadata.get(key);
  if (value === undefined) return undefined;
  return asNumber(value) ?? wrongType(gguf, key, 'a number', value);
}

export function metadataBoolean(gguf: Source, key: string): boolean | undefined {
  const value = gguf.metadata.get(key);
  if (value === undefined || typeof value === 'boolean') return value;
  return wrongType(gguf, key, 'a bool', value);
}

export function metadataArray(gguf: Source, key: string): GgufArray | undefined {
  const value = gguf.metadata.get(key);
  if (value === undefined || typeof value === 'object') return value;
  return wrongType(gguf, key, 'an array', value);
}

export function metadataStringArray(gguf: Source, key: string): readonly string[] | undefined {
  const array = metadataArray(gguf, key);
  if (array === undefined) return undefined;
  if (array.itemType !== 'STRING') return wrongType(gguf, key, 'an array of strings', array);
  return array.items as readonly string[];
}

/** An array of any numeric item type as numbers (64-bit items must be exactly representable). */
export function metadataNumberArray(gguf: Source, key: string): readonly number[] | undefined {
  const array = metadataArray(gguf, key);
  if (array === undefined) return undefined;
  const numbers: number[] = [];
  for (const item of array.items) {
    const n = typeof item === 'object' ? undefined : asNumber(item);
    if (n === undefined) return wrongType(gguf, key, 'an array of numbers', array);
    numbers.push(n);
  }
  return numbers;
}

/** `value` when present; otherwise a BAD_CONFIG error saying the file lacks the required key. */
export function requireMetadata<T>(gguf: Source, key: string, value: T | undefined): T {
  if (value !== undefined) return value;
  throw fileError('BAD_CONFIG', gguf.path, `has no metadata key ${quote(key)}, which is required`);
}
