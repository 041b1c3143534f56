/** Filesystem calls whose failures become EngineErrors naming the file, instead of raw Node errors. */
import { promises as fs, type Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { EngineError } from '../../errors';
import { fsReason } from './messages';

/** Node rejects single reads over 2 GiB, and one tensor can be larger than that. */
const MAX_READ_CHUNK = 1 << 30;

/**
 * Reads `target.length` bytes at `position`, looping because reads may return fewer bytes than
 * asked. Returns false if the file ends first.
 */
export async function readFully(
  handle: FileHandle,
  target: Uint8Array,
  position: number,
  file: string,
): Promise<boolean> {
  let done = 0;
  while (done < target.length) {
    let bytesRead: number;
    try {
      const length = Math.min(target.length - done, MAX_READ_CHUNK);
      ({ bytesRead } = await handle.read(target, done, length, position + done));
    } catch (error) {
      throw new EngineError('FILE_NOT_FOUND', `${file}: read failed (${fsReason(error)})`, file);
    }
    if (bytesRead === 0) return false;
    done += bytesRead;
  }
  return true;
}

export async function statOrThrow(file: string): Promise<Stats> {
  try {
    return await fs.stat(file);
  } catch (error) {
    throw new EngineError('FILE_NOT_FOUND', `${file}: ${fsReason(error)}`, file);
  }
}

/** True for a regular file, following symlinks; false for anything else, missing included. */
export async function isFile(file: string): Promise<boolean> {
  try {
    return (await fs.stat(file)).isFile();
  } catch {
    return false;
  }
}
