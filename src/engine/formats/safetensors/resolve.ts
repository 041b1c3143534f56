/** Finding the weights file in a model folder, so users can pass the folder itself. */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { EngineError } from '../../errors';
import { isFile, statOrThrow } from './fileSystem';
import { fsReason } from './messages';

const INDEX_NAME = 'model.safetensors.index.json';
const SINGLE_NAME = 'model.safetensors';

/**
 * Finds the weights in a model folder: the sharded index if present, else `model.safetensors`,
 * else the folder's only `.safetensors` file. A file path is returned unchanged.
 */
export async function resolveWeightsPath(pathOrFolder: string): Promise<string> {
  const stats = await statOrThrow(pathOrFolder);
  if (stats.isFile()) return pathOrFolder;
  // Opening a FIFO or device would block or stream forever; refuse anything but files and folders.
  if (!stats.isDirectory()) {
    throw new EngineError('FILE_NOT_FOUND', `${pathOrFolder}: not a file or folder`, pathOrFolder);
  }

  for (const name of [INDEX_NAME, SINGLE_NAME]) {
    const candidate = path.join(pathOrFolder, name);
    if (await isFile(candidate)) return candidate;
  }
  const found = await listSafetensorsFiles(pathOrFolder);
  if (found.length === 1) return path.join(pathOrFolder, found[0]);
  const message =
    found.length === 0
      ? `no ${INDEX_NAME}, ${SINGLE_NAME} or other .safetensors file in this folder`
      : `found ${found.length} .safetensors files (${found.join(', ')}) but no ${INDEX_NAME} ` +
        'saying how they fit together; pass one file';
  throw new EngineError('FILE_NOT_FOUND', `${pathOrFolder}: ${message}`, pathOrFolder);
}

/** Names of the `.safetensors` files in `folder`, sorted so error messages are stable. */
async function listSafetensorsFiles(folder: string): Promise<string[]> {
  let names: string[];
  try {
    names = await fs.readdir(folder);
  } catch (error) {
    throw new EngineError('FILE_NOT_FOUND', `${folder}: cannot list folder (${fsReason(error)})`, folder);
  }
  const found: string[] = [];
  for (const name of names.filter((n) => n.endsWith('.safetensors')).sort()) {
    // stat, not the dirent type: in the Hugging Face cache every weights file is a symlink.
    if (await isFile(path.join(folder, name))) found.push(name);
  }
  return found;
}
