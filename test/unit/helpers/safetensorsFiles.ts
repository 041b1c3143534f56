/** Writes safetensors files byte by byte, independently of the reader under test. */
import { writeFile } from 'node:fs/promises';

export interface TensorSpec {
  name: string;
  dtype: string;
  shape: number[];
  bytes: Uint8Array;
}

/** The raw file: u64 little-endian header length, header bytes, data. */
export function fileBytes(header: Uint8Array | string, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const headerBytes = typeof header === 'string' ? Buffer.from(header, 'utf8') : header;
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(headerBytes.length));
  return Buffer.concat([prefix, headerBytes, data]);
}

/** The header object for tensors laid out back to back, in the given order. */
export function layout(tensors: TensorSpec[], metadata?: Record<string, string>): Record<string, unknown> {
  const header: Record<string, unknown> = metadata ? { __metadata__: metadata } : {};
  let offset = 0;
  for (const t of tensors) {
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.bytes.length] };
    offset += t.bytes.length;
  }
  return header;
}

/** Writes a valid safetensors file holding `tensors`, and returns its path. */
export async function writeSafetensors(
  file: string,
  tensors: TensorSpec[],
  options: { metadata?: Record<string, string> } = {},
): Promise<string> {
  const header = JSON.stringify(layout(tensors, options.metadata));
  await writeFile(file, fileBytes(header, Buffer.concat(tensors.map((t) => t.bytes))));
  return file;
}
