/**
 * Reader for Hugging Face safetensors checkpoints, single-file or sharded
 * (`model.safetensors.index.json`).
 *
 * A safetensors file is an 8-byte little-endian header length N, N bytes of UTF-8 JSON describing
 * every tensor (dtype, shape, byte range), then the raw data section. Opening reads only the prefix
 * and the header, so multi-gigabyte checkpoints open instantly; each tensor is read on demand with
 * one positional read of exactly its bytes. Everything the header says is validated at open, so a
 * corrupt or hostile file fails with an EngineError naming the file and tensor, not a crash later.
 */
import { promises as fs, type Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import * as path from 'node:path';
import { EngineError } from '../errors';
import { bf16ToFloat32, f16ToFloat32 } from './halfFloat';
import type { TensorInfo, WeightSource } from './weightSource';

/** Same limit as the reference Rust implementation: a larger header is corrupt or hostile. */
const MAX_HEADER_BYTES = 100_000_000;

/** An index json is a name→file table; anything this large is not one. */
const MAX_INDEX_BYTES = 100_000_000;

/** Node rejects single reads over 2 GiB, and one tensor can be larger than that. */
const MAX_READ_CHUNK = 1 << 30;

const INDEX_NAME = 'model.safetensors.index.json';
const SINGLE_NAME = 'model.safetensors';

/**
 * Bits per element of every dtype the format defines, for the size check (sub-byte float formats
 * included). A Map, not an object literal, so a dtype like "constructor" finds nothing.
 */
const DTYPE_BITS: ReadonlyMap<string, number> = new Map([
  ['BOOL', 8], ['U8', 8], ['I8', 8], ['F8_E4M3', 8], ['F8_E5M2', 8], ['F8_E8M0', 8],
  ['U16', 16], ['I16', 16], ['F16', 16], ['BF16', 16],
  ['U32', 32], ['I32', 32], ['F32', 32],
  ['U64', 64], ['I64', 64], ['F64', 64], ['C64', 64],
  ['F4', 4], ['F6_E2M3', 6], ['F6_E3M2', 6],
]);

/** The file stores little-endian values; typed-array views use the host's order. */
const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Opens a `.safetensors` file, a `model.safetensors.index.json`, or a folder holding either. */
export async function openSafetensors(userPath: string): Promise<WeightSource> {
  const file = path.resolve(await resolveWeightsPath(userPath));
  if (file.endsWith('.json')) return openIndex(userPath, file);
  const opened = await openFile(file);
  return new SafetensorsSource(userPath, opened.tensors, opened.metadata, [opened.handle]);
}

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
  let names: string[];
  try {
    names = await fs.readdir(pathOrFolder);
  } catch (error) {
    throw new EngineError('FILE_NOT_FOUND', `${pathOrFolder}: cannot list folder (${fsReason(error)})`, pathOrFolder);
  }
  const found: string[] = [];
  for (const name of names.filter((n) => n.endsWith('.safetensors')).sort()) {
    // stat, not the dirent type: in the Hugging Face cache every weights file is a symlink.
    if (await isFile(path.join(pathOrFolder, name))) found.push(name);
  }
  if (found.length === 1) return path.join(pathOrFolder, found[0]);
  const message =
    found.length === 0
      ? `no ${INDEX_NAME}, ${SINGLE_NAME} or other .safetensors file in this folder`
      : `found ${found.length} .safetensors files (${found.join(', ')}) but no ${INDEX_NAME} ` +
        'saying how they fit together; pass one file';
  throw new EngineError('FILE_NOT_FOUND', `${pathOrFolder}: ${message}`, pathOrFolder);
}

/** The checkpoint once opened: one handle per file, closed together. */
class SafetensorsSource implements WeightSource {
  private closed = false;

  constructor(
    readonly path: string,
    readonly tensors: ReadonlyMap<string, TensorInfo>,
    readonly metadata: Readonly<Record<string, string>>,
    private readonly handles: readonly FileHandle[],
    /** Which handle holds each tensor's file; a single file needs no lookup. */
    private readonly handleOf: (file: string) => FileHandle = () => handles[0],
  ) {}

  async readFloat32(name: string): Promise<Float32Array> {
    if (this.closed) {
      // A caller bug rather than a user error, hence a plain Error.
      throw new Error(`${this.path}: cannot read tensor ${quote(name)}, the weights were closed`);
    }
    const info = this.tensors.get(name);
    if (info === undefined) {
      throw new EngineError(
        'BAD_TENSOR',
        `${path.basename(this.path)}: no tensor named ${quote(name)} (it has ${this.tensors.size} tensors)`,
        this.path,
        name,
      );
    }
    const { dtype, file, byteOffset, byteLength } = info;
    if (dtype !== 'F32' && dtype !== 'F16' && dtype !== 'BF16') {
      throw new EngineError(
        'UNSUPPORTED_DTYPE',
        `${path.basename(file)}: tensor ${quote(name)} has dtype ${dtype}; ` +
          'only F32, F16 and BF16 are supported',
        file,
        name,
      );
    }
    // A fresh buffer starts at offset 0 of its own ArrayBuffer, so the typed views below are
    // aligned whatever the tensor's offset in the file was.
    const bytes = new Uint8Array(byteLength);
    if (!(await readFully(this.handleOf(file), bytes, byteOffset, file))) {
      throw new EngineError(
        'BAD_TENSOR',
        `${path.basename(file)}: file ended inside tensor ${quote(name)}; was it changed after opening?`,
        file,
        name,
      );
    }
    if (dtype === 'F32') {
      if (!HOST_IS_LITTLE_ENDIAN) Buffer.from(bytes.buffer).swap32();
      return new Float32Array(bytes.buffer, 0, byteLength / 4);
    }
    if (!HOST_IS_LITTLE_ENDIAN) Buffer.from(bytes.buffer).swap16();
    const halves = new Uint16Array(bytes.buffer, 0, byteLength / 2);
    return dtype === 'F16' ? f16ToFloat32(halves) : bf16ToFloat32(halves);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.handles.map((handle) => handle.close()));
  }
}

/** One safetensors file with its header parsed and its handle kept open for tensor reads. */
interface OpenedFile {
  readonly handle: FileHandle;
  readonly tensors: Map<string, TensorInfo>;
  readonly metadata: Record<string, string>;
}

/** Opens one `.safetensors` file (absolute path) and validates its header. */
async function openFile(file: string): Promise<OpenedFile> {
  let handle: FileHandle;
  try {
    handle = await fs.open(file, 'r');
  } catch (error) {
    throw new EngineError('FILE_NOT_FOUND', `${file}: cannot open weights file (${fsReason(error)})`, file);
  }
  try {
    const header = await readHeader(handle, file);
    return { handle, ...parseHeader(file, header.json, header.dataStart, header.dataLength) };
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
  const name = path.basename(file);
  const fail = (message: string) => new EngineError('BAD_HEADER', `${name}: ${message}`, file);

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
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw fail(`header is not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  if (!isObject(json)) throw fail(`header must be a JSON object, found ${describeJson(json)}`);
  return { json, dataStart: 8 + length, dataLength: fileSize - 8 - length };
}

/** Validates every header entry and builds the tensor table with absolute byte offsets. */
function parseHeader(
  file: string,
  header: Record<string, unknown>,
  dataStart: number,
  dataLength: number,
): { tensors: Map<string, TensorInfo>; metadata: Record<string, string> } {
  const tensors = new Map<string, TensorInfo>();
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') metadata = parseMetadata(file, entry);
    else tensors.set(name, parseEntry(file, name, entry, dataStart, dataLength));
  }
  checkNoOverlap(file, [...tensors.values()]);
  return { tensors, metadata };
}

function parseMetadata(file: string, value: unknown): Record<string, string> {
  if (value === null) return {}; // the reference implementation accepts an explicit null
  const bad = (why: string) =>
    new EngineError('BAD_HEADER', `${path.basename(file)}: __metadata__ must map strings to strings; ${why}`, file);
  if (!isObject(value)) throw bad(`found ${describeJson(value)}`);
  for (const [key, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw bad(`${quote(key)} is ${describeJson(v)}`);
  }
  // fromEntries defines own properties, so a "__proto__" key stays data.
  return Object.fromEntries(Object.entries(value as Record<string, string>));
}

function parseEntry(file: string, name: string, entry: unknown, dataStart: number, dataLength: number): TensorInfo {
  const fail = (message: string) =>
    new EngineError('BAD_TENSOR', `${path.basename(file)}: tensor ${quote(name)} ${message}`, file, name);
  if (!isObject(entry)) {
    throw fail(`must be an object with dtype, shape and data_offsets, found ${describeJson(entry)}`);
  }
  const { dtype, shape, data_offsets: offsets } = entry as Record<string, unknown>;
  if (typeof dtype !== 'string') throw fail(`needs a string dtype, found ${describeJson(dtype)}`);
  if (!Array.isArray(shape) || !shape.every(isCount)) {
    throw fail(`needs a shape that is a list of non-negative integers, found ${describeJson(shape)}`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) {
    throw fail(`needs data_offsets [begin, end] of two non-negative integers, found ${describeJson(offsets)}`);
  }
  const [begin, end] = offsets as [number, number];
  if (begin > end) throw fail(`has data_offsets [${begin}, ${end}] with begin after end`);
  if (end > dataLength) {
    throw fail(
      `has data_offsets [${begin}, ${end}] past the end of the data section (${dataLength} bytes); truncated file?`,
    );
  }
  const bits = DTYPE_BITS.get(dtype);
  // An unknown dtype (a format newer than this reader) is still listed; only its size is unknowable.
  if (bits !== undefined) {
    const neededBits = (shape as number[]).reduce((product, dim) => product * dim, 1) * bits;
    if (neededBits !== (end - begin) * 8) {
      const needed = Number.isSafeInteger(neededBits) ? `${neededBits / 8} bytes` : 'an impossible number of bytes';
      throw fail(
        `has shape [${shape.join(', ')}] and dtype ${dtype}, which need ${needed}, ` +
          `but data_offsets span ${end - begin}`,
      );
    }
  }
  return { name, dtype, shape: shape as number[], file, byteOffset: dataStart + begin, byteLength: end - begin };
}

/** Rejects tensors sharing bytes: one would silently alias the other. */
function checkNoOverlap(file: string, tensors: TensorInfo[]): void {
  // Empty tensors occupy no bytes, so they cannot overlap anything.
  const sorted = tensors
    .filter((t) => t.byteLength > 0)
    .sort((a, b) => a.byteOffset - b.byteOffset || a.byteLength - b.byteLength);
  // Sorted by start, the first overlap is always between neighbours.
  for (let i = 1; i < sorted.length; i++) {
    const previous = sorted[i - 1];
    const current = sorted[i];
    if (current.byteOffset < previous.byteOffset + previous.byteLength) {
      throw new EngineError(
        'BAD_TENSOR',
        `${path.basename(file)}: tensors ${quote(previous.name)} and ${quote(current.name)} ` +
          'overlap in the data section',
        file,
        current.name,
      );
    }
  }
}

/** Opens every shard an index names and merges their tables. */
async function openIndex(userPath: string, indexFile: string): Promise<WeightSource> {
  const indexName = path.basename(indexFile);
  const fail = (message: string, tensor?: string) =>
    new EngineError('BAD_INDEX', `${indexName}: ${message}`, indexFile, tensor);

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

  // Key shards by resolved path so "a.safetensors" and "./a.safetensors" share one handle.
  const folder = path.dirname(indexFile);
  const roots = [await fs.realpath(folder), path.dirname(await fs.realpath(indexFile))];
  const shardOf = new Map<string, string>(); // shard name as written → absolute path
  for (const shard of new Set(weightMap.values())) shardOf.set(shard, await resolveShard(folder, roots, shard, fail));
  const shardFiles = [...new Set(shardOf.values())];
  const results = await Promise.allSettled(shardFiles.map(openFile));
  const opened = new Map<string, OpenedFile>();
  results.forEach((result, i) => {
    if (result.status === 'fulfilled') opened.set(shardFiles[i], result.value);
  });
  try {
    const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failure !== undefined) throw failure.reason;
    const tensors = mergeShards(weightMap, shardOf, opened, fail);
    const metadata = Object.fromEntries([
      ...[...opened.values()].flatMap((o) => Object.entries(o.metadata)),
      // Index metadata (e.g. total_size) is usually numeric; keep it as its JSON text.
      ...Object.entries(index.metadata ?? {}).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]),
    ]);
    const handles = new Map([...opened].map(([file, o]) => [file, o.handle]));
    return new SafetensorsSource(userPath, tensors, metadata, [...handles.values()], (file) => handles.get(file)!);
  } catch (error) {
    await Promise.all([...opened.values()].map((o) => o.handle.close()));
    throw error;
  }
}

async function readIndexJson(
  indexFile: string,
  fail: (message: string) => EngineError,
): Promise<Record<string, unknown>> {
  const stats = await statOrThrow(indexFile);
  if (stats.size > MAX_INDEX_BYTES) throw fail(`is ${stats.size} bytes, too large for an index`);
  let text: string;
  try {
    text = await fs.readFile(indexFile, 'utf8');
  } catch (error) {
    throw fail(`cannot be read (${fsReason(error)})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw fail(`is not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  if (!isObject(json)) throw fail(`must be a JSON object, found ${describeJson(json)}`);
  return json as Record<string, unknown>;
}

/**
 * Resolves a shard name from the index to an absolute path inside the model `folder`. A hostile
 * index must not make us open arbitrary files, so absolute names, `..` escapes and symlinks
 * leading outside every real `root` are refused. The roots are the folder's real path and the
 * directory holding the index's own real file: the latter admits the Hugging Face cache layout,
 * where `snapshots/<rev>/*` all link into `blobs/`, and a directory only becomes such a root by
 * really containing a valid index.
 */
async function resolveShard(
  folder: string,
  roots: readonly string[],
  shard: string,
  fail: (message: string) => EngineError,
): Promise<string> {
  const quoted = quote(shard);
  if (shard === '' || path.isAbsolute(shard) || path.win32.isAbsolute(shard)) {
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

/** Merges shard tables; the index decides which shard holds each tensor it lists. */
function mergeShards(
  weightMap: ReadonlyMap<string, string>,
  shardOf: ReadonlyMap<string, string>,
  opened: ReadonlyMap<string, OpenedFile>,
  fail: (message: string, tensor?: string) => EngineError,
): Map<string, TensorInfo> {
  const merged = new Map<string, TensorInfo>();
  for (const [tensor, shard] of weightMap) {
    const info = opened.get(shardOf.get(shard)!)!.tensors.get(tensor);
    if (info === undefined) {
      throw fail(
        `lists tensor ${quote(tensor)} in shard ${quote(shard)}, whose header has no such tensor`,
        tensor,
      );
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

/**
 * Reads `target.length` bytes at `position`, looping because reads may return fewer bytes than
 * asked. Returns false if the file ends first.
 */
async function readFully(handle: FileHandle, target: Uint8Array, position: number, file: string): Promise<boolean> {
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

async function statOrThrow(file: string): Promise<Stats> {
  try {
    return await fs.stat(file);
  } catch (error) {
    throw new EngineError('FILE_NOT_FOUND', `${file}: ${fsReason(error)}`, file);
  }
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await fs.stat(file)).isFile();
  } catch {
    return false;
  }
}

/** `root/...` but not `root` itself nor a sibling like `root-other`. */
function isInside(root: string, candidate: string): boolean {
  const relative = path.relative(root, candidate);
  return relative !== '' && relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A non-negative integer a JS number holds exactly. */
function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** A name in double quotes, with any odd characters escaped so the message stays one line. */
function quote(name: string): string {
  return JSON.stringify(name);
}

/** Short description of an unexpected JSON value for error messages. */
function describeJson(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function fsReason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return 'no such file or folder';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  return error instanceof Error ? error.message : String(error);
}
