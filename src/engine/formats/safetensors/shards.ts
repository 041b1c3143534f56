/** Opening a sharded checkpoint: every file its index names, merged into one tensor table. */
import * as path from 'node:path';
import type { TensorInfo, WeightSource } from '../weightSource';
import { openFile, type OpenedFile } from './header';
import { readShardIndex, type IndexFail } from './indexJson';
import { fileError, quote } from './messages';
import { resolveShardPaths } from './shardPaths';
import { SafetensorsSource } from './source';

/** Opens every shard `indexFile` names; `userPath` is the path the user gave, kept for messages. */
export async function openIndex(userPath: string, indexFile: string): Promise<WeightSource> {
  const fail: IndexFail = (message, tensor) => fileError('BAD_INDEX', indexFile, message, tensor);
  const index = await readShardIndex(indexFile, fail);
  const shardPathOf = await resolveShardPaths(indexFile, new Set(index.weightMap.values()), fail);
  // Open by resolved path so "a.safetensors" and "./a.safetensors" share one handle.
  const opened = await openShards([...new Set(shardPathOf.values())]);
  try {
    const tensors = mergeShards(index.weightMap, shardPathOf, opened, fail);
    const metadata = Object.fromEntries([
      ...[...opened.values()].flatMap((shard) => Object.entries(shard.metadata)),
      ...Object.entries(index.metadata),
    ]);
    const handles = new Map([...opened].map(([file, shard]) => [file, shard.handle]));
    return new SafetensorsSource(userPath, tensors, metadata, handles);
  } catch (error) {
    await closeAll(opened);
    throw error;
  }
}

/** Opens shards in parallel; if any fails, closes the others and rethrows the first failure. */
async function openShards(files: readonly string[]): Promise<Map<string, OpenedFile>> {
  const results = await Promise.allSettled(files.map(openFile));
  const opened = new Map<string, OpenedFile>();
  results.forEach((result, i) => {
    if (result.status === 'fulfilled') opened.set(files[i], result.value);
  });
  const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure !== undefined) {
    await closeAll(opened);
    throw failure.reason;
  }
  return opened;
}

async function closeAll(opened: ReadonlyMap<string, OpenedFile>): Promise<void> {
  await Promise.all([...opened.values()].map((shard) => shard.handle.close()));
}

/** Merges shard tables; the index decides which shard holds each tensor it lists. */
function mergeShards(
  weightMap: ReadonlyMap<string, string>,
  shardPathOf: ReadonlyMap<string, string>,
  opened: ReadonlyMap<string, OpenedFile>,
  fail: IndexFail,
): Map<string, TensorInfo> {
  const merged = new Map<string, TensorInfo>();
  for (const [tensor, shard] of weightMap) {
    const info = opened.get(shardPathOf.get(shard)!)!.tensors.get(tensor);
    if (info === undefined) {
      throw fail(`lists tensor ${quote(tensor)} in shard ${quote(shard)}, whose header has no such tensor`, tensor);
    }
    merged.set(tensor, info);
  }
  // Tensors a shard holds but the index omits are still usable, unless two shards disagree.
  for (const { tensors } of opened.values()) {
    for (const [tensor, info] of tensors) {
      if (weightMap.has(tensor)) continue;
      const other = merged.get(tensor);
      if (other !== undefined) {
        throw fail(
          `tensor ${quote(tensor)} is in both ${path.basename(other.file)} and ${path.basename(info.file)} ` +
            'and weight_map does not say which to use',
          tensor,
        );
      }
      merged.set(tensor, info);
    }
  }
  return merged;
}
