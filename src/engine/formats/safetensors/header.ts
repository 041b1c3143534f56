/**
 * Opening one `.safetensors` file: reading its length prefix and header JSON, with every length
 * checked against the file size before anything is allocated, then building its tensor table.
 */
import { promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { EngineError } from '../../errors';
import type { TensorInfo } from '../weightSource';
import { readFully } from './fileSystem';
import { parseJsonObject } from './json';
import { fileError, fsReason } from './messages';
import { buildTensorTable } from './tensorTable';

/** Same limit as the reference Rust implementation: a larger header is corrupt or hostile. */
const MAX_HEADER_BYTES = 100_000_000;

/** One safetensors file with its header parsed and its handle kept open for tensor reads. */
export interface OpenedFile {
  readonly handle: FileHandle;
  readonly tensors: Map<string, TensorInfo>;
  readonly metadata: Record<string, string>;
}

/** Opens one `.safetensors` file (absolute path) and validates its header. */
export async function openFile(file: string): Promise<OpenedFile> {
  let handle: FileHandle;
  try {
    handle = await fs.open(file, 'r');
  } catch (error) {
    throw new EngineError('FILE_NOT_FOUND', `${file}: cannot open weights file (${fsReason(error)})`, file);
  }
  try {
    const header = await readHeader(handle, file);
    return { handle, ...buildTensorTable(file, header.json, header.dataStart, header.dataLength) };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/** Reads the length prefix and the header JSON, checking the lengths against the file size. */
async function readHeader(
  handle: FileHandle,
  file: string,
): Promise<{ json: Record<string, unknown>; dataStart: number; dataLength: number }> {
  const fail = (message: string) => fileError('BAD_HEADER', file, message);

  const fileSize = (await handle.stat()).size;
  const prefix = Buffer.alloc(8);
  if (fileSize < 8 || !(await readFully(handle, prefix, 0, file))) {
    throw fail(`file is ${fileSize} bytes, too short for a safetensors file (an 8-byte header length comes first)`);
  }
  const headerLength = prefix.readBigUInt64LE(0);
  if (headerLength > BigInt(MAX_HEADER_BYTES)) {
    throw fail(
      `header length is ${headerLength} bytes, over the ${MAX_HEADER_BYTES}-byte limit; not a safetensors file?`,
    );
  }
  const length = Number(headerLength);
  if (8 + length > fileSize) {
    throw fail(
      `header length is ${length} bytes but the file has only ${fileSize - 8} after the prefix; ` +
        'truncated or not a safetensors file?',
    );
  }
  const bytes = Buffer.alloc(length);
  if (!(await readFully(handle, bytes, 8, file))) {
    throw fail('file ended inside the header; was it changed while opening?');
  }

  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw fail('header is not valid UTF-8; not a safetensors file?');
  }
  const json = parseJsonObject(text, (message) => fail(`header ${message}`));
  return { json, dataStart: 8 + length, dataLength: fileSize - 8 - length };
}
