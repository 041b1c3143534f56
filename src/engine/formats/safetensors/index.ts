/**
 * Reader for Hugging Face safetensors checkpoints, single-file or sharded
 * (`model.safetensors.index.json`).
 *
 * A safetensors file is an 8-byte little-endian header length N, N bytes of UTF-8 JSON describing
 * every tensor (dtype, shape, byte range), then the raw data section. Opening reads only the prefix
 * and the header, so multi-gigabyte checkpoints open instantly; each tensor is read on demand with
 * one positional read of exactly its bytes. Everything the header says is validated at open, so a
 * corrupt or hostile file fails with an EngineError naming the file and tensor, not a crash later.
 *
 * Map of this folder: resolve.ts finds the weights in a model folder; header.ts and tensorTable.ts
 * open one file and validate its header; indexJson.ts, shardPaths.ts and shards.ts open a sharded
 * checkpoint; source.ts reads tensors on demand; the rest are shared helpers.
 */
import * as path from 'node:path';
import type { WeightSource } from '../weightSource';
import { openFile } from './header';
import { resolveWeightsPath } from './resolve';
import { openIndex } from './shards';
import { SafetensorsSource } from './source';

export { resolveWeightsPath };

/** Opens a `.safetensors` file, a `model.safetensors.index.json`, or a folder holding either. */
export async function openSafetensors(userPath: string): Promise<WeightSource> {
  const file = path.resolve(await resolveWeightsPath(userPath));
  if (file.endsWith('.json')) return openIndex(userPath, file);
  const { handle, tensors, metadata } = await openFile(file);
  return new SafetensorsSource(userPath, tensors, metadata, new Map([[file, handle]]));
}
