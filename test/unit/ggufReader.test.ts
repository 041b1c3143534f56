import assert from 'node:assert/strict';
import { mkdtemp, open, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  metadataBoolean,
  metadataNumber,
  metadataNumberArray,
  metadataString,
  metadataStringArray,
  openGguf,
  requireMetadata,
  type GgufFile,
} from '../../src/engine/formats/gguf';
import { rejectsWith } from './helpers/assertions';
import { f32Bytes, ggufBytes, ggufLayout, T, V, type GgufSpec, type MetaEntry } from './helpers/ggufFiles';

const FIXTURE = path.join(__dirname, '..', 'fixtures', 'gguf', 'dequant.gguf');

let root = '';
let counter = 0;

before(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'gguf-test-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Writes `bytes` to a fresh file and returns its path. */
async function fileWith(bytes: Uint8Array, name = 'model.gguf'): Promise<string> {
  const file = path.join(root, `${++counter}-${name}`);
  await writeFile(file, bytes);
  return file;
}

async function withGguf<R>(file: string, use: (gguf: GgufFile) => Promise<R>): Promise<R> {
  const gguf = await openGguf(file);
  try {
    return await use(gguf);
  } finally {
    await gguf.close();
  }
}

/** A small valid file: metadata of a few types, an F32 and an F16 tensor. */
const basic: GgufSpec = {
  metadata: [
    { key: 'general.architecture', type: V.STRING, value: 'llama' },
    { key: 'llama.block_count', type: V.UINT32, value: 2 },
  ],
  tensors: [
    { name: 'a', dims: [3, 2], type: T.F32, data: f32Bytes(1, 2, 3, 4, 5, 6) },
    { name: 'b', dims: [2], type: T.F16, data: Buffer.from([0x00, 0x3c, 0x00, 0xc0]) },
  ],
};

describe('openGguf: files written by the reference writer (gguf-py)', () => {
  test('reads the version, alignment and metadata of every value type', async () => {
    await withGguf(FIXTURE, async (gguf) => {
      assert.equal(gguf.version, 3);
      assert.equal(gguf.alignment, 64);
      assert.equal(gguf.path, FIXTURE);
      const m = gguf.metadata;
      // The values test/fixtures/gguf/generate.py writes (METADATA there).
      assert.equal(m.get('general.architecture'), 'circuit-inspector-test');
      assert.equal(m.get('general.alignment'), 64);
      assert.equal(m.get('test.uint8'), 200);
      assert.equal(m.get('test.int8'), -100);
      assert.equal(m.get('test.uint16'), 60000);
      assert.equal(m.get('test.int16'), -30000);
      assert.equal(m.get('test.uint32'), 4000000000);
      assert.equal(m.get('test.int32'), -2000000000);
      assert.equal(m.get('test.float32'), Math.fround(0.1));
      assert.equal(m.get('test.bool'), true);
      assert.equal(m.get('test.string'), 'héllo, GGUF ✓');
      assert.equal(m.get('test.uint64'), 2n ** 64n - 2n);
      assert.equal(m.get('test.int64'), -(2n ** 62n) - 3n);
      assert.equal(m.get('test.float64'), 1e-300);
      assert.deepEqual(m.get('test.array.int32'), { itemType: 'INT32', items: [1, -2, 3] });
      assert.deepEqual(m.get('test.array.string'), { itemType: 'STRING', items: ['a', '', 'ü'] });
      assert.deepEqual(m.get('test.array.float32'), { itemType: 'FLOAT32', items: [0.5, -1.25] });
      assert.deepEqual(m.get('test.array.bool'), { itemType: 'BOOL', items: [true, false] });
      assert.deepEqual(m.get('test.array.nested'), {
        itemType: 'ARRAY',
        items: [
          { itemType: 'INT32', items: [1, 2] },
          { itemType: 'INT32', items: [3] },
        ],
      });
    });
  });

  test('lists tensors in file order with GGUF shapes, types and aligned absolute offsets', async () => {
    await withGguf(FIXTURE, async (gguf) => {
      assert.equal(gguf.tensors[0].name, 'order.f32');
      assert.deepEqual(gguf.tensors[0].shape, [4, 3, 2]);
      const q4k = gguf.tensorsByName.get('Q4_K')!;
      assert.deepEqual(
        { shape: q4k.shape, type: q4k.type, typeId: q4k.typeId, byteLength: q4k.byteLength },
        { shape: [256, 2], type: 'Q4_K', typeId: 12, byteLength: 2 * 144 },
      );
      assert.equal(gguf.dataOffset % 64, 0);
      for (const t of gguf.tensors) {
        assert.equal(typeof t.offset, 'bigint');
        assert.equal(t.offset % 64n, 0n, t.name);
        assert.ok(t.offset >= BigInt(gguf.dataOffset) && t.offset + BigInt(t.byteLength) <= BigInt(gguf.fileSize));
      }
    });
  });

  test('returns data in PyTorch order: the reversed GGUF shape, row-major', async () => {
    await withGguf(FIXTURE, async (gguf) => {
      // numpy wrote np.arange(24).reshape(2, 3, 4); GGUF lists it as [4, 3, 2].
      assert.deepEqual([...(await gguf.readTensor('order.f32'))], Array.from({ length: 24 }, (_, i) => i));
    });
  });
});

describe('openGguf: structure', () => {
  test('versions 2 and 3 read alike', async () => {
    for (const version of [2, 3]) {
      const file = await fileWith(ggufBytes({ ...basic, version }));
      await withGguf(file, async (gguf) => {
        assert.equal(gguf.version, version);
        assert.equal(gguf.alignment, 32);
        assert.equal(gguf.metadata.get('llama.block_count'), 2);
        assert.deepEqual([...(await gguf.readTensor('a'))], [1, 2, 3, 4, 5, 6]);
        assert.deepEqual([...(await gguf.readTensor('b'))], [1, -2]);
      });
    }
  });

  test('places the data section at the next multiple of general.alignment', async () => {
    for (const alignment of [1, 8, 256]) {
      const metadata: MetaEntry[] = [{ key: 'general.alignment', type: V.UINT32, value: alignment }];
      const { bytes, dataOffset, offsets } = ggufLayout({ ...basic, metadata, alignment });
      await withGguf(await fileWith(bytes), async (gguf) => {
        assert.equal(gguf.alignment, alignment);
        assert.equal(gguf.dataOffset, dataOffset);
        assert.equal(gguf.tensorsByName.get('b')!.offset, BigInt(dataOffset) + offsets[1]);
        assert.deepEqual([...(await gguf.readTensor('b'))], [1, -2]);
      });
    }
  });

  test('a file with metadata only and no tensors opens', async () => {
    const file = await fileWith(ggufBytes({ metadata: basic.metadata }));
    await withGguf(file, async (gguf) => {
      assert.equal(gguf.tensors.length, 0);
      assert.equal(gguf.metadata.get('general.architecture'), 'llama');
    });
  });

  test('a zero-element tensor reads as an empty array', async () => {
    const file = await fileWith(ggufBytes({ tensors: [{ name: 'empty', dims: [0, 4], type: T.Q8_0 }] }));
    await withGguf(file, async (gguf) => {
      assert.equal(gguf.tensors[0].byteLength, 0);
      assert.equal((await gguf.readTensor('empty')).length, 0);
    });
  });

  test('metadata larger than the first read is read in full, at any first-read size', async () => {
    const tokens = Array.from({ length: 120_000 }, (_, i) => `token-${i}`);
    const metadata: MetaEntry[] = [
      { key: 'tokenizer.ggml.tokens', type: V.ARRAY, value: { itemType: V.STRING, items: tokens } },
      { key: 'after', type: V.STRING, value: 'the end' },
    ];
    const file = await fileWith(ggufBytes({ ...basic, metadata }));
    assert.ok((await stat(file)).size > 2 << 20);
    // The default first read (8 MiB) holds it all; the others must grow the read, once or many times.
    for (const firstReadBytes of [undefined, 1 << 20, 1000, 1]) {
      const gguf = await openGguf(file, { firstReadBytes });
      try {
        assert.deepEqual(metadataStringArray(gguf, 'tokenizer.ggml.tokens'), tokens);
        assert.equal(gguf.metadata.get('after'), 'the end');
        assert.deepEqual([...(await gguf.readTensor('a'))], [1, 2, 3, 4, 5, 6]);
      } finally {
        await gguf.close();
      }
    }
  });

  // truncate() leaves a hole on Linux and macOS file systems; NTFS would reserve the 5 GiB.
  const noSparseFiles = process.platform === 'win32' ? 'needs sparse files' : false;
  test('offsets past 4 GiB are exact and read by position (sparse file)', { skip: noSparseFiles }, async () => {
    const far = 5n * 2n ** 30n + 64n; // 5 GiB + 64: needs more than 32 bits
    const { bytes, dataOffset } = ggufLayout({
      tensors: [
        { name: 'near', dims: [2], type: T.F32, data: f32Bytes(7, 8) },
        { name: 'far', dims: [3], type: T.F32, offset: far },
      ],
    });
    const file = await fileWith(bytes.subarray(0, dataOffset + 8));
    const farPosition = Number(BigInt(dataOffset) + far);
    await truncate(file, farPosition + 12); // a hole: costs no disk
    const handle = await open(file, 'r+');
    await handle.write(f32Bytes(-1.5, 2.5, 1e30), 0, 12, farPosition);
    await handle.close();
    await withGguf(file, async (gguf) => {
      assert.equal(gguf.fileSize, farPosition + 12);
      assert.equal(gguf.tensorsByName.get('far')!.offset, BigInt(farPosition));
      assert.deepEqual([...(await gguf.readTensor('far'))], [-1.5, 2.5, Math.fround(1e30)]);
      assert.deepEqual([...(await gguf.readTensor('near'))], [7, 8]);
    });
    // One byte short: the bound check must see it despite the size.
    await truncate(file, farPosition + 11);
    await rejectsWith(openGguf(file), 'BAD_TENSOR', ['"far"', String(farPosition), 'past the end']);
  });
});

describe('metadata accessors', () => {
  test('return typed values, undefined for absent keys, and name the key on a wrong type', async () => {
    await withGguf(FIXTURE, async (gguf) => {
      assert.equal(metadataString(gguf, 'general.architecture'), 'circuit-inspector-test');
      assert.equal(metadataNumber(gguf, 'test.uint8'), 200);
      assert.equal(metadataNumber(gguf, 'test.float64'), 1e-300);
      assert.equal(metadataBoolean(gguf, 'test.bool'), true);
      assert.deepEqual(metadataNumberArray(gguf, 'test.array.float32'), [0.5, -1.25]);
      assert.deepEqual(metadataStringArray(gguf, 'test.array.string'), ['a', '', 'ü']);
      assert.equal(metadataString(gguf, 'absent.key'), undefined);
      assert.throws(() => metadataString(gguf, 'test.uint8'), /"test\.uint8" should be a string/);
      assert.throws(() => metadataNumber(gguf, 'test.uint64'), /"test\.uint64" should be a number/);
      // A 64-bit integer a JS number cannot hold exactly is refused rather than rounded.
      assert.throws(() => metadataNumber(gguf, 'test.int64'), /should be a number/);
      assert.throws(() => metadataStringArray(gguf, 'test.array.int32'), /array of strings/);
      assert.throws(() => metadataNumberArray(gguf, 'test.array.nested'), /array of numbers/);
      assert.equal(requireMetadata(gguf, 'test.bool', metadataBoolean(gguf, 'test.bool')), true);
      assert.throws(
        () => requireMetadata(gguf, 'llama.block_count', metadataNumber(gguf, 'llama.block_count')),
        (error: Error & { code?: string }) =>
          error.code === 'BAD_CONFIG' && error.message.includes('"llama.block_count"'),
      );
    });
  });
});

describe('openGguf: bad input is an EngineError naming the problem', () => {
  /** The bytes of `basic` changed by `edit`. */
  function edited(edit: (bytes: Buffer) => void, spec: GgufSpec = basic): Buffer {
    const bytes = ggufBytes(spec);
    edit(bytes);
    return bytes;
  }

  test('a missing file or a folder is FILE_NOT_FOUND', async () => {
    await rejectsWith(openGguf(path.join(root, 'missing.gguf')), 'FILE_NOT_FOUND', ['missing.gguf']);
    await rejectsWith(openGguf(root), 'FILE_NOT_FOUND', ['not a file']);
  });

  test('bad magic', async () => {
    const file = await fileWith(ggufBytes({ ...basic, magic: 'GGML' }));
    await rejectsWith(openGguf(file), 'BAD_HEADER', ['magic', '47 47 4d 4c'], { file });
  });

  test('a file too short for the magic, or ending inside the header', async () => {
    await rejectsWith(openGguf(await fileWith(Buffer.from('GG'))), 'BAD_HEADER', ['too short']);
    await rejectsWith(openGguf(await fileWith(Buffer.from('GGUF\x03\x00'))), 'BAD_HEADER', ['version', 'truncated']);
  });

  for (const version of [0, 1, 4, 0x03000000]) {
    test(`unknown or unsupported version ${version}`, async () => {
      const file = await fileWith(ggufBytes({ ...basic, version }));
      const mention = version === 1 ? 'version 1' : version === 0x03000000 ? 'big-endian' : `version ${version}`;
      await rejectsWith(openGguf(file), 'BAD_HEADER', [mention]);
    });
  }

  test('a tensor count or metadata count past the end of the file', async () => {
    const tensors = await fileWith(ggufBytes({ ...basic, tensorCount: 2n ** 40n }));
    await rejectsWith(openGguf(tensors), 'BAD_HEADER', ['1099511627776 tensor infos', 'truncated']);
    const kvs = await fileWith(ggufBytes({ ...basic, kvCount: 2n ** 64n - 1n }));
    await rejectsWith(openGguf(kvs), 'BAD_HEADER', ['18446744073709551615 metadata entries']);
    // A count that fits the file, with too few entries to back it.
    const few = await fileWith(ggufBytes({ ...basic, kvCount: 5n }));
    await rejectsWith(openGguf(few), 'BAD_HEADER', ['left']);
  });

  test('a string length past the end of the file (key and value)', async () => {
    // The first key's length is the u64 at byte 24.
    const key = await fileWith(edited((b) => b.writeBigUInt64LE(2n ** 50n, 24)));
    await rejectsWith(openGguf(key), 'BAD_HEADER', ['metadata key #0']);
    const value = await fileWith(
      ggufBytes({ metadata: [{ key: 'general.name', type: V.STRING, raw: u64(1_000_000) }] }),
    );
    await rejectsWith(openGguf(value), 'BAD_HEADER', ['"general.name"', '1000000 bytes']);
  });

  test('an array length past the end of the file', async () => {
    const raw = Buffer.concat([u32(V.UINT32), u64(1_000_000), u32(1)]);
    const file = await fileWith(ggufBytes({ metadata: [{ key: 'tokenizer.ggml.scores', type: V.ARRAY, raw }] }));
    await rejectsWith(openGguf(file), 'BAD_HEADER', ['1000000 items of metadata key "tokenizer.ggml.scores"']);
  });

  test('an unknown metadata value type, for a value and for array items', async () => {
    const value = await fileWith(ggufBytes({ metadata: [{ key: 'x.y', type: 13, raw: u32(0) }] }));
    await rejectsWith(openGguf(value), 'BAD_HEADER', ['"x.y"', 'unknown value type 13']);
    const items = await fileWith(
      ggufBytes({ metadata: [{ key: 'x.z', type: V.ARRAY, raw: Buffer.concat([u32(99), u64(0)]) }] }),
    );
    await rejectsWith(openGguf(items), 'BAD_HEADER', ['"x.z"', 'unknown value type 99']);
  });

  test('a bool that is neither 0 nor 1, a duplicate key, arrays nested too deep', async () => {
    const bool = await fileWith(ggufBytes({ metadata: [{ key: 'b', type: V.BOOL, raw: Buffer.from([2]) }] }));
    await rejectsWith(openGguf(bool), 'BAD_HEADER', ['"b"', 'bool stored as 2']);
    const twice = await fileWith(
      ggufBytes({ metadata: [basic.metadata![0], { ...basic.metadata![0], value: 'gpt2' }] }),
    );
    await rejectsWith(openGguf(twice), 'BAD_HEADER', ['"general.architecture" appears twice']);
    let deep: unknown = { itemType: V.UINT8, items: [1] };
    for (let i = 0; i < 10; i++) deep = { itemType: V.ARRAY, items: [deep] };
    const nested = await fileWith(ggufBytes({ metadata: [{ key: 'deep', type: V.ARRAY, value: deep }] }));
    await rejectsWith(openGguf(nested), 'BAD_HEADER', ['"deep"', 'nests arrays']);
  });

  test('general.alignment that is not a power of two', async () => {
    for (const entry of [
      { key: 'general.alignment', type: V.UINT32, value: 48 },
      { key: 'general.alignment', type: V.UINT32, value: 0 },
      { key: 'general.alignment', type: V.STRING, value: '32' },
    ]) {
      const file = await fileWith(ggufBytes({ metadata: [entry] }));
      await rejectsWith(openGguf(file), 'BAD_HEADER', ['"general.alignment"', 'power of two']);
    }
  });

  test('tensor data out of bounds names the tensor', async () => {
    const spec: GgufSpec = { tensors: [{ name: 'w', dims: [4, 4], type: T.F32, data: new Uint8Array(64) }] };
    const file = await fileWith(ggufBytes(spec).subarray(0, -1));
    await rejectsWith(openGguf(file), 'BAD_TENSOR', ['"w"', 'past the end of the file', 'truncated'], { tensor: 'w' });
    const far: GgufSpec = { tensors: [{ name: 'w', dims: [4, 4], type: T.F32, offset: 2n ** 63n }] };
    const offset = await fileWith(ggufBytes(far));
    await rejectsWith(openGguf(offset), 'BAD_TENSOR', ['"w"', 'past the end']);
  });

  test('a misaligned tensor offset names the tensor and the alignment', async () => {
    const file = await fileWith(
      ggufBytes({ tensors: [{ name: 'w', dims: [2], type: T.F32, offset: 4n, data: f32Bytes(1, 2) }] }),
    );
    await rejectsWith(openGguf(file), 'BAD_TENSOR', ['"w"', 'offset 4', 'alignment (32 bytes)'], { tensor: 'w' });
  });

  test('overlapping tensors and duplicate names', async () => {
    const overlap = await fileWith(
      ggufBytes({
        tensors: [
          { name: 'a', dims: [16], type: T.F32, data: new Uint8Array(64) },
          { name: 'b', dims: [8], type: T.F32, offset: 32n },
        ],
      }),
    );
    await rejectsWith(openGguf(overlap), 'BAD_TENSOR', ['"a"', '"b"', 'overlap']);
    const twice = await fileWith(
      ggufBytes({ tensors: [basic.tensors![0], { ...basic.tensors![0], offset: 32n }] }),
    );
    await rejectsWith(openGguf(twice), 'BAD_TENSOR', ['"a" appears twice']);
  });

  test('a dims product that overflows, too many dimensions, a row not a whole number of blocks', async () => {
    const overflow = await fileWith(
      ggufBytes({ tensors: [{ name: 'huge', dims: [2n ** 32n, 2n ** 32n, 2n ** 32n], type: T.F32 }] }),
    );
    await rejectsWith(openGguf(overflow), 'BAD_TENSOR', ['"huge"', 'overflow'], { tensor: 'huge' });
    const u64max = await fileWith(ggufBytes({ tensors: [{ name: 'm', dims: [2n ** 64n - 1n, 2], type: T.F32 }] }));
    await rejectsWith(openGguf(u64max), 'BAD_TENSOR', ['"m"', 'overflow']);
    const dims = await fileWith(ggufBytes({ tensors: [{ name: 'd5', dims: [1, 1, 1, 1, 1], type: T.F32 }] }));
    await rejectsWith(openGguf(dims), 'BAD_HEADER', ['"d5"', '5 dimensions']);
    const rows = await fileWith(ggufBytes({ tensors: [{ name: 'q', dims: [16, 2], type: T.Q4_0 }] }));
    await rejectsWith(openGguf(rows), 'BAD_TENSOR', ['"q"', 'Q4_0', '32-element blocks']);
  });

  test('a GGML type id no version defines fails at open, naming the tensor and the id', async () => {
    const file = await fileWith(ggufBytes({ tensors: [{ name: 'x', dims: [4], type: 99 }] }));
    await rejectsWith(openGguf(file), 'UNSUPPORTED_DTYPE', ['"x"', 'type id 99'], { tensor: 'x' });
  });

  test('a known type without a dequantizer opens, and reading that tensor names it and its type', async () => {
    const file = await fileWith(
      ggufBytes({
        tensors: [
          { name: 'blk.0.ffn_down.weight', dims: [256, 1], type: T.IQ2_XXS, data: new Uint8Array(66) },
          basic.tensors![0],
        ],
      }),
    );
    await withGguf(file, async (gguf) => {
      assert.equal(gguf.tensors[0].type, 'IQ2_XXS');
      assert.equal(gguf.tensors[0].byteLength, 66);
      await rejectsWith(gguf.readTensor('blk.0.ffn_down.weight'), 'UNSUPPORTED_DTYPE', [
        '"blk.0.ffn_down.weight"',
        'IQ2_XXS',
        'Q4_K',
      ]);
      assert.deepEqual([...(await gguf.readTensor('a'))], [1, 2, 3, 4, 5, 6]);
    });
  });

  test('an unknown tensor name, a file truncated after opening, a read after close', async () => {
    const file = await fileWith(ggufBytes(basic));
    const gguf = await openGguf(file);
    await rejectsWith(gguf.readTensor('nope'), 'BAD_TENSOR', ['"nope"', '2 tensors'], { tensor: 'nope' });
    await truncate(file, gguf.dataOffset + 4);
    await rejectsWith(gguf.readTensor('a'), 'BAD_TENSOR', ['"a"', 'changed after opening']);
    await gguf.close();
    await assert.rejects(gguf.readTensor('a'), /closed/);
    await gguf.close(); // closing twice is harmless
  });
});

function u32(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(value);
  return b;
}

function u64(value: number | bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(value));
  return b;
}
