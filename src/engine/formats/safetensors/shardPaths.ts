/**
 * Turning the shard names an index lists into file paths. A hostile index must not make us open
 * arbitrary files, so absolute names, `..` escapes and symlinks leading out of the model are refused.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { isFile } from './fileSystem';
import type { IndexFail } from './indexJson';
import { quote } from './messages';

/**
 * Maps each shard name to an absolute path inside the index's folder, checking them in order so
 * the first bad name is the one reported.
 *
 * A shard's real path must lie inside a root: the folder's real path, or the directory holding the
 * index's own real file. The latter admits the Hugging Face cache layout, where `snapshots/<rev>/*`
 * all link into `blobs/`, and a directory only becomes such a root by really containing a valid index.
 */
export async function resolveShardPaths(
  indexFile: string,
  shards: Iterable<string>,
  fail: IndexFail,
): Promise<Map<string, string>> {
  const folder = path.dirname(indexFile);
  const roots = [await fs.realpath(folder), path.dirname(await fs.realpath(indexFile))];
  const resolved = new Map<string, string>();
  for (const shard of shards) resolved.set(shard, await resolveShard(folder, roots, shard, fail));
  return resolved;
}

async function resolveShard(folder: string, roots: readonly string[], shard: string, fail: IndexFail): Promise<string> {
  const quoted = quote(shard);
  // win32 rules also count POSIX `/x` as absolute, and catch `C:\x` and `\\server` on any host.
  if (shard === '' || path.win32.isAbsolute(shard)) {
    throw fail(`shard ${quoted} must be a file name relative to the model folder`);
  }
  const shardPath = path.resolve(folder, shard);
  if (!isInside(folder, shardPath)) throw fail(`shard ${quoted} points outside the model folder`);
  let real: string;
  try {
    real = await fs.realpath(shardPath);
  } catch {
    throw fail(`shard ${quoted} does not exist (looked for ${shardPath})`);
  }
  if (!roots.some((root) => isInside(root, real))) {
    throw fail(`shard ${quoted} is a symlink to ${real}, outside the model folder`);
  }
  if (!(await isFile(real))) throw fail(`shard ${quoted} is not a file`);
  return shardPath;
}

/** `root/...` but not `root` itself nor a sibling like `root-other`. */
function isInside(root: string, candidate: string): boolean {
  const relative = path.relative(root, candidate);
  return relative !== '' && relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative);
}
