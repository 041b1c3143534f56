/**
 * Reader for GGUF files (llama.cpp, Ollama, LM Studio), versions 2 and 3.
 *
 * A GGUF file is self-describing: after the magic and version come typed metadata key/values (the
 * architecture's hyper-parameters and the whole tokenizer live there), then one info per tensor
 * (name, dimensions, GGML type, offset), then the tensor data, aligned to `general.alignment`.
 * Opening reads only what precedes the data and validates all of it: bad magic, unknown versions,
 * counts and lengths past the end of the file, unknown value types, tensors out of bounds,
 * misaligned or overlapping. Each tensor is read on demand by position and dequantized to float32
 * (F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K..Q6_K, Q8_K). A tensor of any other GGML type
 * (the IQ and ternary families, integers) does not stop the file opening; reading it is an
 * UNSUPPORTED_DTYPE error naming the tensor and the type. An id no GGML version defines fails at
 * open, since its size, and so every bound, is unknown.
 *
 * Map of this folder: header.ts parses the header, metadata and raw tensor infos through cursor.ts;
 * tensorTable.ts validates the infos; tensorTypes.ts lists the GGML types; source.ts reads
 * tensors; dequant/ turns each type's blocks into float32; metadata.ts reads typed values.
 */
import { promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import * as path from 'node:path';
import { EngineError } from '../../errors';
import { readFully } from '../safetensors/fileSystem';
import { fileError, fsReason } from '../safetensors/messages';
import { Cursor, NeedMoreBytes } from './cursor';
import { parseHeader, type ParsedHeader } from './header';
import { GgufSource } from './source';
import { buildTensorTable, resolveAlignment } from './tensorTable';
import type { GgufFile } from './types';

export type {
  GgufArray,
  GgufFile,
  GgufScalar,
  GgufTensorInfo,
  GgufTensorType,
  GgufValue,
  GgufValueType,
} from './types';
export { DEQUANTIZABLE_TYPES } from './dequant';
export * from './metadata';

/**
 * First read of the header, grown (doubling) while the metadata needs more. Large vocabularies
 * make headers of several MB, and each regrowth parses again, so the first read is generous.
 */
const INITIAL_PREFIX_BYTES = 8 << 20;
/** Real headers are at most tens of MB (large vocabularies); beyond this the file is corrupt. */
const MAX_HEADER_BYTES = 256 << 20;

export interface OpenGgufOptions {
  /** Bytes read for the first parse of the header (default 8 MiB); tests make it small. */
  readonly firstReadBytes?: number;
}

/** Opens a `.gguf` file, reading and validating its header, metadata and tensor infos only. */
export async function openGguf(userPath: string, options: OpenGgufOptions = {}): Promise<GgufFile> {
  const file = path.resolve(userPath);
  let handle: FileHandle;
  try {
    handle = await fs.open(file, 'r');
  } catch (error) {
    throw new EngineError('FILE_NOT_FOUND', `${file}: cannot open GGUF file (${fsReason(error)})`, file);
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw new EngineError('FILE_NOT_FOUND', `${file}: is not a file`, file);
    const fileSize = stats.size;
    const header = await readHeader(handle, file, fileSize, options.firstReadBytes ?? INITIAL_PREFIX_BYTES);
    const alignment = resolveAlignment(file, header.metadata);
    const dataOffset = Math.ceil(header.end / alignment) * alignment;
    const tensors = buildTensorTable(file, header.tensors, dataOffset, fileSize, alignment);
    const { version, metadata } = header;
    return new GgufSource(userPath, file, handle, version, alignment, metadata, tensors, dataOffset, fileSize);
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/** Parses the header from a prefix of the file, re-reading a longer prefix while it needs one. */
async function readHeader(
  handle: FileHandle,
  file: string,
  fileSize: number,
  firstReadBytes: number,
): Promise<ParsedHeader> {
  const fail = (message: string) => fileError('BAD_HEADER', file, message);
  const pastEnd = (what: string, needed: string, left: number) =>
    fail(`${what}: ${needed} needed, only ${left} left in the file; truncated or not a GGUF file?`);
  let prefix = new Uint8Array(0);
  let wanted = Math.min(fileSize, Math.max(1, firstReadBytes));
  for (;;) {
    const grown = new Uint8Array(wanted);
    grown.set(prefix);
    if (!(await readFully(handle, grown.subarray(prefix.length), prefix.length, file))) {
      throw fail('file ended while reading its header; was it changed while opening?');
    }
    prefix = grown;
    try {
      return parseHeader(new Cursor(prefix, fileSize, pastEnd), fail);
    } catch (error) {
      if (!(error instanceof NeedMoreBytes)) throw error;
      // NeedMoreBytes only asks for bytes inside the file, so `wanted` grows strictly toward fileSize.
      wanted = Math.min(fileSize, Math.max(error.end, 2 * prefix.length));
      if (wanted > MAX_HEADER_BYTES) {
        throw fail(`metadata and tensor infos run past ${MAX_HEADER_BYTES >> 20} MiB; corrupt file?`);
      }
    }
  }
}
