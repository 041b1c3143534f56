/**
 * A GGUF file's metadata as short display strings for the model card: scalars as they are, long
 * arrays (the tokenizer's tokens, scores, merges) summarized as `[STRING × 32000]` rather than
 * dumped, long strings (chat templates) cut.
 */
import type { GgufArray, GgufValue } from '../formats/gguf';

/** One metadata entry as the model card shows it. */
export interface GgufMetadataEntry {
  readonly key: string;
  readonly value: string;
}

/** Arrays up to this many scalar items are shown in full. */
const MAX_INLINE_ITEMS = 8;
/** Strings longer than this are cut. */
const MAX_STRING = 160;

function scalar(value: Exclude<GgufValue, GgufArray>): string {
  if (typeof value === 'string') {
    const text = JSON.stringify(value.length > MAX_STRING ? value.slice(0, MAX_STRING) : value);
    return value.length > MAX_STRING ? `${text}… (${value.length} characters)` : text;
  }
  return String(value);
}

/** A display string for one value; arrays longer than a few items become `[TYPE × n]`. */
export function summarizeGgufValue(value: GgufValue): string {
  if (typeof value !== 'object') return scalar(value);
  const nested = value.items.some((item) => typeof item === 'object');
  if (nested || value.items.length > MAX_INLINE_ITEMS) return `[${value.itemType} × ${value.items.length}]`;
  return `[${value.items.map((item) => scalar(item as Exclude<GgufValue, GgufArray>)).join(', ')}]`;
}

/** Every metadata entry, in file order, summarized. */
export function summarizeGgufMetadata(metadata: ReadonlyMap<string, GgufValue>): GgufMetadataEntry[] {
  return [...metadata].map(([key, value]) => ({ key, value: summarizeGgufValue(value) }));
}
