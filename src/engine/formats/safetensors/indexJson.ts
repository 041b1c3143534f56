/**
 * Reading `model.safetensors.index.json`, which says which shard file holds each tensor. The index
 * is untrusted input like any header, so its shape is checked before anything is opened.
 */
import { promises as fs } from 'node:fs';
import type { EngineError } from '../../errors';
import { statOrThrow } from './fileSystem';
import { isObject, parseJsonObject } from './json';
import { describeJson, fsReason, quote } from './messages';

/** An index json is a name→file table; anything this large is not one. */
const MAX_INDEX_BYTES = 100_000_000;

/** Makes a BAD_INDEX error about the index file, optionally naming the tensor concerned. */
export type IndexFail = (message: string, tensor?: string) => EngineError;

/** What an index says, validated. */
export interface ShardIndex {
  /** Tensor name → shard file name as written in the index. */
  readonly weightMap: ReadonlyMap<string, string>;
  /** The index's own metadata, values as strings like a header's. */
  readonly metadata: Record<string, string>;
}

export async function readShardIndex(indexFile: string, fail: IndexFail): Promise<ShardIndex> {
  const index = await readIndexJson(indexFile, fail);
  if (!isObject(index.weight_map)) throw fail(`needs a "weight_map" object, found ${describeJson(index.weight_map)}`);
  const weightMap = new Map<string, string>();
  for (const [tensor, shard] of Object.entries(index.weight_map)) {
    if (typeof shard !== 'string') {
      throw fail(`weight_map entry for ${quote(tensor)} must be a file name, found ${describeJson(shard)}`, tensor);
    }
    weightMap.set(tensor, shard);
  }
  if (weightMap.size === 0) throw fail('weight_map is empty');
  if (index.metadata !== undefined && index.metadata !== null && !isObject(index.metadata)) {
    throw fail(`"metadata" must be an object, found ${describeJson(index.metadata)}`);
  }
  const metadata = Object.fromEntries(
    // Index metadata (e.g. total_size) is usually numeric; keep it as its JSON text.
    Object.entries(index.metadata ?? {}).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]),
  );
  return { weightMap, metadata };
}

async function readIndexJson(indexFile: string, fail: IndexFail): Promise<Record<string, unknown>> {
  const stats = await statOrThrow(indexFile);
  if (stats.size > MAX_INDEX_BYTES) throw fail(`is ${stats.size} bytes, too large for an index`);
  let text: string;
  try {
    text = await fs.readFile(indexFile, 'utf8');
  } catch (error) {
    throw fail(`cannot be read (${fsReason(error)})`);
  }
  return parseJsonObject(text, fail);
}
