import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, open, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { EngineError } from '../../src/engine/errors';
import { openSafetensors, resolveWeightsPath } from '../../src/engine/formats/safetensors';
import { rejectsWith } from './helpers/assertions';
import { fileBytes, layout, writeSafetensors, type TensorSpec } from './helpers/safetensorsFiles';

// ---------------------------------------------------------------------------------------------
// Helpers: write safetensors files byte by byte, independently of the reader under test.
// ---------------------------------------------------------------------------------------------

let root = '';
let counter = 0;

before(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'safetensors-test-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A fresh empty folder for one test. */
async function freshDir(): Promise<string> {
  const dir = path.join(root, `case-${++counter}`);
  await mkdir(dir);
  return dir;
}

function f32(...values: number[]): Uint8Array {
  const view = new DataView(new ArrayBuffer(values.length * 4));
  values.forEach((v, i) => view.setFloat32(i * 4, v, true));
  return new Uint8Array(view.buffer);
}

function u16(...bits: number[]): Uint8Array {
  const view = new DataView(new ArrayBuffer(bits.length * 2));
  bits.forEach((b, i) => view.setUint16(i * 2, b, true));
  return new Uint8Array(view.buffer);
}

/** Opens a file and reads every tensor; only EngineErrors may escape either step. */
async function openAndReadAll(file: string): Promise<void> {
  const source = await openSafetensors(file);
  try {
    for (const name of source.tensors.keys()) {
      await source.readFloat32(name).catch((error: unknown) => {
        if (!(error instanceof EngineError)) throw error;
      });
    }
  } finally {
    await source.close();
  }
}

const sample: TensorSpec[] = [
  { name: 'a.f32', dtype: 'F32', shape: [2, 3], bytes: f32(1, 2, 3, 4, 5, 6) },
  {
    name: 'b.f16',
    dtype: 'F16',
    shape: [8],
    bytes: u16(0x3c00, 0xc000, 0x7bff, 0x0001, 0x7c00, 0xfc00, 0x7e00, 0x8000),
  },
  { name: 'c.bf16', dtype: 'BF16', shape: [2, 2], bytes: u16(0x3f80, 0x4049, 0xc000, 0x8000) },
  { name: 'd.i64', dtype: 'I64', shape: [2], bytes: new Uint8Array(16) },
];

// ---------------------------------------------------------------------------------------------

describe('openSafetensors: a single file', () => {
  test('lists every tensor with dtype, shape, file and absolute byte range, and the metadata', async () => {
    const file = await writeSafetensors(path.join(await freshDir(), 'model.safetensors'), sample, {
      metadata: { format: 'pt' },
    });
    const source = await openSafetensors(file);
    try {
      assert.equal(source.path, file);
      assert.deepEqual(source.metadata, { format: 'pt' });
      assert.deepEqual([...source.tensors.keys()], ['a.f32', 'b.f16', 'c.bf16', 'd.i64']);
      const headerLength = JSON.stringify(layout(sample, { format: 'pt' })).length;
      assert.deepEqual(source.tensors.get('c.bf16'), {
        name: 'c.bf16',
        dtype: 'BF16',
        shape: [2, 2],
        file,
        byteOffset: 8 + headerLength + 24 + 16,
        byteLength: 8,
      });
    } finally {
      await source.close();
    }
  });

  test('reads F32, F16 and BF16 tensors as float32, in any order and more than once', async () => {
    const file = await writeSafetensors(path.join(await freshDir(), 'model.safetensors'), sample);
    const source = await openSafetensors(file);
    try {
      assert.deepEqual([...(await source.readFloat32('c.bf16'))], [1, 3.140625, -2, -0]);
      assert.deepEqual([...(await source.readFloat32('a.f32'))], [1, 2, 3, 4, 5, 6]);
      const half = await source.readFloat32('b.f16');
      assert.deepEqual([...half.subarray(0, 6)], [1, -2, 65504, Math.pow(2, -24), Infinity, -Infinity]);
      assert.ok(Number.isNaN(half[6]));
      assert.ok(Object.is(half[7], -0));
      assert.deepEqual([...(await source.readFloat32('a.f32'))], [1, 2, 3, 4, 5, 6]);
      // Concurrent reads on the shared handle do not interfere.
      const [x, y] = await Promise.all([source.readFloat32('a.f32'), source.readFloat32('c.bf16')]);
      assert.deepEqual([...x, ...y], [1, 2, 3, 4, 5, 6, 1, 3.140625, -2, -0]);
    } finally {
      await source.close();
    }
  });

  test('reads tensors stored at offsets that are not 4-byte aligned', async () => {
    const tensors: TensorSpec[] = [
      { name: 'flag', dtype: 'U8', shape: [1], bytes: Uint8Array.of(7) },
      { name: 'weights', dtype: 'F32', shape: [3], bytes: f32(0.5, -1.25, 1e-30) },
      { name: 'half', dtype: 'F16', shape: [1], bytes: u16(0x3c00) },
    ];
    // Pad the header with spaces (allowed by the format) so the data section starts 8-aligned;
    // then 'weights' starts at an odd absolute offset, and so does 'half'.
    let header = JSON.stringify(layout(tensors));
    header += ' '.repeat((8 - ((8 + header.length) % 8)) % 8);
    const file = path.join(await freshDir(), 'model.safetensors');
    await writeFile(file, fileBytes(header, Buffer.concat(tensors.map((t) => t.bytes))));
    const source = await openSafetensors(file);
    try {
      assert.equal(source.tensors.get('weights')!.byteOffset % 2, 1);
      assert.equal(source.tensors.get('half')!.byteOffset % 2, 1);
      assert.deepEqual([...(await source.readFloat32('weights'))], [0.5, -1.25, Math.fround(1e-30)]);
      assert.deepEqual([...(await source.readFloat32('half'))], [1]);
    } finally {
      await source.close();
    }
  });

  test('reads a scalar and an empty tensor', async () => {
    const file = await writeSafetensors(path.join(await freshDir(), 'model.safetensors'), [
      { name: 'scalar', dtype: 'F32', shape: [], bytes: f32(2.5) },
      { name: 'empty', dtype: 'BF16', shape: [0, 4], bytes: new Uint8Array(0) },
    ]);
    const source = await openSafetensors(file);
    try {
      assert.deepEqual([...(await source.readFloat32('scalar'))], [2.5]);
      assert.equal((await source.readFloat32('empty')).length, 0);
    } finally {
      await source.close();
    }
  });

  test('lists tensors of other dtypes but refuses to read them as float32', async () => {
    const file = await writeSafetensors(path.join(await freshDir(), 'model.safetensors'), [
      ...sample,
      // An unknown dtype is listed without a size check.
      { name: 'q', dtype: 'Q4_FUTURE', shape: [64], bytes: new Uint8Array(5) },
    ]);
    const source = await openSafetensors(file);
    try {
      assert.equal(source.tensors.get('d.i64')!.dtype, 'I64');
      assert.deepEqual(source.tensors.get('q')!.shape, [64]);
      await assert.rejects(source.readFloat32('d.i64'), (error: unknown) => {
        assert.ok(error instanceof EngineError);
        assert.equal(error.code, 'UNSUPPORTED_DTYPE');
        assert.equal(error.message, 'model.safetensors: tensor "d.i64" has dtype I64; only F32, F16 and BF16 are supported');
        assert.equal(error.file, file);
        assert.equal(error.tensor, 'd.i64');
        return true;
      });
      await rejectsWith(source.readFloat32('q'), 'UNSUPPORTED_DTYPE', ['model.safetensors', '"q"', 'Q4_FUTURE']);
    } finally {
      await source.close();
    }
  });

  test('an unknown tensor name is BAD_TENSOR naming the tensor', async () => {
    const file = await writeSafetensors(path.join(await freshDir(), 'model.safetensors'), sample);
    const source = await openSafetensors(file);
    try {
      await rejectsWith(source.readFloat32('nope'), 'BAD_TENSOR', ['model.safetensors', '"nope"'], { tensor: 'nope' });
    } finally {
      await source.close();
    }
  });

  test('reading after close() fails clearly, and close() can be called twice', async () => {
    const file = await writeSafetensors(path.join(await freshDir(), 'model.safetensors'), sample);
    const source = await openSafetensors(file);
    await source.close();
    await source.close();
    await assert.rejects(source.readFloat32('a.f32'), /closed/);
  });

  test('a path that does not exist is FILE_NOT_FOUND', async () => {
    const missing = path.join(await freshDir(), 'missing.safetensors');
    await rejectsWith(openSafetensors(missing), 'FILE_NOT_FOUND', [missing], { file: missing });
  });

  test('opening reads only the header: a sparse multi-gigabyte file opens fast', async () => {
    // 5 GiB is more than any whole-file read in Node can hold; the file is sparse, so it costs
    // no disk. NTFS does not make truncated files sparse, so stay smaller there.
    const bigBytes = process.platform === 'win32' ? 600 * 2 ** 20 : 5 * 2 ** 30;
    const header = JSON.stringify({
      huge: { dtype: 'F32', shape: [bigBytes / 4], data_offsets: [0, bigBytes] },
      tail: { dtype: 'F32', shape: [2], data_offsets: [bigBytes, bigBytes + 8] },
    });
    const file = path.join(await freshDir(), 'model.safetensors');
    const handle = await open(file, 'w');
    try {
      const prefix = fileBytes(header);
      await handle.write(prefix, 0, prefix.length, 0);
      await handle.truncate(prefix.length + bigBytes + 8);
      await handle.write(f32(42, -7), 0, 8, prefix.length + bigBytes);
    } finally {
      await handle.close();
    }
    const started = performance.now();
    const source = await openSafetensors(file);
    try {
      assert.ok(performance.now() - started < 2000, 'open took too long: did it read tensor data?');
      assert.equal(source.tensors.get('huge')!.byteLength, bigBytes);
      assert.deepEqual([...(await source.readFloat32('tail'))], [42, -7]);
    } finally {
      await source.close();
      await rm(file);
    }
  });

  test('reads the reference file written by the Python safetensors package identically', async () => {
    const fixtures = path.join(__dirname, '..', 'fixtures', 'safetensors');
    const expected = JSON.parse(readFileSync(path.join(fixtures, 'reference.expected.json'), 'utf8')) as {
      metadata: Record<string, string>;
      tensors: Record<string, { dtype: string; shape: number[]; float32_bits?: number[] }>;
    };
    const source = await openSafetensors(path.join(fixtures, 'reference.safetensors'));
    try {
      assert.deepEqual(source.metadata, expected.metadata);
      assert.deepEqual([...source.tensors.keys()].sort(), Object.keys(expected.tensors).sort());
      for (const [name, want] of Object.entries(expected.tensors)) {
        const info = source.tensors.get(name)!;
        assert.equal(info.dtype, want.dtype, name);
        assert.deepEqual(info.shape, want.shape, name);
        if (want.float32_bits === undefined) {
          await rejectsWith(source.readFloat32(name), 'UNSUPPORTED_DTYPE', [name]);
          continue;
        }
        const values = await source.readFloat32(name);
        const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
        assert.deepEqual([...bits], want.float32_bits, name);
      }
    } finally {
      await source.close();
    }
  });
});

describe('openSafetensors: header validation', () => {
  /** Writes `bytes` as model.safetensors in a fresh folder and returns its path. */
  async function raw(bytes: Uint8Array): Promise<string> {
    const file = path.join(await freshDir(), 'model.safetensors');
    await writeFile(file, bytes);
    return file;
  }

  function withLength(length: bigint, rest: Uint8Array = new Uint8Array(0)): Uint8Array {
    const prefix = Buffer.alloc(8);
    prefix.writeBigUInt64LE(length);
    return Buffer.concat([prefix, rest]);
  }

  const headerCases: Array<[string, () => Uint8Array]> = [
    ['an empty file', () => new Uint8Array(0)],
    ['a file shorter than 8 bytes', () => Uint8Array.of(1, 0, 0, 0, 0, 0, 0)],
    ['a header length past the end of the file', () => withLength(100n, Buffer.from('{}'))],
    ['a header length of 2^64 - 1', () => withLength(2n ** 64n - 1n)],
    ['a header that is not UTF-8', () => fileBytes(Uint8Array.of(0x7b, 0xff, 0xfe, 0x7d))],
    ['a header that is not JSON', () => fileBytes('{"a": ')],
    ['an empty header', () => fileBytes('')],
    ['a JSON array header', () => fileBytes('[1, 2]')],
    ['a JSON null header', () => fileBytes('null')],
    ['a JSON string header', () => fileBytes('"hello"')],
    ['__metadata__ with a number value', () => fileBytes('{"__metadata__": {"step": 3}}')],
    ['__metadata__ that is a list', () => fileBytes('{"__metadata__": ["a"]}')],
  ];
  for (const [label, bytes] of headerCases) {
    test(`${label} is BAD_HEADER naming the file`, async () => {
      const file = await raw(bytes());
      await rejectsWith(openSafetensors(file), 'BAD_HEADER', ['model.safetensors'], { file });
    });
  }

  test('a header length over 100 MB is refused before reading it', async () => {
    // The file really is that long (sparse), so only the size limit can reject it.
    const file = await raw(withLength(100_000_001n, Buffer.from('{}')));
    const handle = await open(file, 'r+');
    await handle.truncate(8 + 100_000_001);
    await handle.close();
    await rejectsWith(openSafetensors(file), 'BAD_HEADER', ['model.safetensors', 'limit'], { file });
  });

  const t = (dtype: string, shape: unknown, offsets: unknown): Record<string, unknown> => ({
    dtype,
    shape,
    data_offsets: offsets,
  });
  const entryCases: Array<[string, unknown, number]> = [
    ['an entry that is not an object', 42, 8],
    ['a missing dtype', { shape: [2], data_offsets: [0, 8] }, 8],
    ['a missing shape', { dtype: 'F32', data_offsets: [0, 8] }, 8],
    ['missing data_offsets', { dtype: 'F32', shape: [2] }, 8],
    ['a non-string dtype', { dtype: 4, shape: [2], data_offsets: [0, 8] }, 8],
    ['a shape that is not a list', t('F32', 2, [0, 8]), 8],
    ['a negative dimension', t('F32', [-2], [0, 8]), 8],
    ['a fractional dimension', t('F32', [1.5], [0, 8]), 8],
    ['a string dimension', t('F32', ['2'], [0, 8]), 8],
    ['a dimension beyond 2^53', t('F32', [2 ** 60], [0, 8]), 8],
    ['one data offset', t('F32', [2], [8]), 8],
    ['three data offsets', t('F32', [2], [0, 4, 8]), 8],
    ['a negative data offset', t('F32', [2], [-8, 0]), 8],
    ['a string data offset', t('F32', [2], ['0', 8]), 8],
    ['begin after end', t('F32', [0], [8, 0]), 8],
    ['an end past the data section', t('F32', [2], [0, 8]), 4],
    ['a begin past the data section', t('F32', [0], [9, 9]), 8],
    ['a byte length that does not match shape × dtype', t('F32', [3], [0, 8]), 8],
    ['an F16 tensor with F32-sized data', t('F16', [2], [0, 8]), 8],
    ['shape dimensions whose product overflows', t('U8', [2 ** 40, 2 ** 40], [0, 8]), 8],
  ];
  for (const [label, entry, dataBytes] of entryCases) {
    test(`${label} is BAD_TENSOR naming the file and tensor`, async () => {
      const file = await raw(fileBytes(JSON.stringify({ 'w.bad': entry }), new Uint8Array(dataBytes)));
      await rejectsWith(openSafetensors(file), 'BAD_TENSOR', ['model.safetensors', '"w.bad"'], {
        file,
        tensor: 'w.bad',
      });
    });
  }

  test('overlapping tensors are BAD_TENSOR naming both', async () => {
    const header = {
      first: t('F32', [4], [0, 16]),
      second: t('F32', [2], [24, 32]),
      third: t('F32', [2], [12, 20]),
    };
    const file = await raw(fileBytes(JSON.stringify(header), new Uint8Array(32)));
    await rejectsWith(openSafetensors(file), 'BAD_TENSOR', ['model.safetensors', '"first"', '"third"'], { file });
  });

  test('empty tensors and back-to-back tensors do not count as overlapping', async () => {
    const header = {
      a: t('F32', [2], [0, 8]),
      empty: t('F32', [0], [4, 4]),
      b: t('F32', [1], [8, 12]),
    };
    // Trailing bytes after the last tensor are tolerated.
    const file = await raw(fileBytes(JSON.stringify(header), new Uint8Array(20)));
    const source = await openSafetensors(file);
    await source.close();
    assert.equal(source.tensors.size, 3);
  });
});

describe('openSafetensors: sharded checkpoints', () => {
  /** Writes two shards and an index in a fresh folder; `weightMap` overrides the index's map. */
  async function sharded(weightMap?: Record<string, unknown>, index?: unknown): Promise<string> {
    const dir = await freshDir();
    await writeSafetensors(path.join(dir, 'model-00001-of-00002.safetensors'), sample.slice(0, 2), {
      metadata: { format: 'pt' },
    });
    await writeSafetensors(path.join(dir, 'model-00002-of-00002.safetensors'), sample.slice(2), {
      metadata: { format: 'pt' },
    });
    const map = weightMap ?? {
      'a.f32': 'model-00001-of-00002.safetensors',
      'b.f16': 'model-00001-of-00002.safetensors',
      'c.bf16': 'model-00002-of-00002.safetensors',
      'd.i64': 'model-00002-of-00002.safetensors',
    };
    const indexFile = path.join(dir, 'model.safetensors.index.json');
    await writeFile(indexFile, JSON.stringify(index ?? { metadata: { total_size: 72 }, weight_map: map }));
    return indexFile;
  }

  test('merges both shards into one table and reads from each', async () => {
    const indexFile = await sharded();
    const dir = path.dirname(indexFile);
    const source = await openSafetensors(indexFile);
    try {
      assert.equal(source.path, indexFile);
      assert.deepEqual([...source.tensors.keys()].sort(), ['a.f32', 'b.f16', 'c.bf16', 'd.i64']);
      assert.deepEqual(source.metadata, { format: 'pt', total_size: '72' });
      assert.equal(source.tensors.get('a.f32')!.file, path.join(dir, 'model-00001-of-00002.safetensors'));
      assert.equal(source.tensors.get('c.bf16')!.file, path.join(dir, 'model-00002-of-00002.safetensors'));
      assert.deepEqual([...(await source.readFloat32('c.bf16'))], [1, 3.140625, -2, -0]);
      assert.deepEqual([...(await source.readFloat32('a.f32'))], [1, 2, 3, 4, 5, 6]);
      await rejectsWith(source.readFloat32('d.i64'), 'UNSUPPORTED_DTYPE', ['model-00002-of-00002.safetensors', '"d.i64"']);
    } finally {
      await source.close();
    }
  });

  test('opens from the model folder through resolveWeightsPath', async () => {
    const indexFile = await sharded();
    const dir = path.dirname(indexFile);
    assert.equal(await resolveWeightsPath(dir), indexFile);
    const source = await openSafetensors(dir);
    await source.close();
    assert.equal(source.tensors.size, 4);
  });

  test('accepts the Hugging Face cache layout, where snapshot files link into blobs/', async () => {
    const dir = await freshDir();
    await mkdir(path.join(dir, 'blobs'));
    await mkdir(path.join(dir, 'snapshots', 'rev1'), { recursive: true });
    await writeSafetensors(path.join(dir, 'blobs', 'aaa'), sample.slice(0, 2));
    await writeSafetensors(path.join(dir, 'blobs', 'bbb'), sample.slice(2));
    const map = {
      'a.f32': 's1.safetensors',
      'b.f16': 's1.safetensors',
      'c.bf16': 's2.safetensors',
      'd.i64': 's2.safetensors',
    };
    await writeFile(path.join(dir, 'blobs', 'ccc'), JSON.stringify({ weight_map: map }));
    const snapshot = path.join(dir, 'snapshots', 'rev1');
    await symlink('../../blobs/aaa', path.join(snapshot, 's1.safetensors'));
    await symlink('../../blobs/bbb', path.join(snapshot, 's2.safetensors'));
    await symlink('../../blobs/ccc', path.join(snapshot, 'model.safetensors.index.json'));
    const source = await openSafetensors(snapshot);
    try {
      assert.deepEqual([...(await source.readFloat32('a.f32'))], [1, 2, 3, 4, 5, 6]);
    } finally {
      await source.close();
    }
  });

  test('a shard path escaping the folder with .. is BAD_INDEX naming the shard', async () => {
    const indexFile = await sharded({ 'a.f32': '../evil.safetensors' });
    // The target exists, so the refusal is about where it is, not that it is missing.
    await writeSafetensors(path.join(path.dirname(indexFile), '..', 'evil.safetensors'), sample.slice(0, 1));
    await rejectsWith(openSafetensors(indexFile), 'BAD_INDEX', ['model.safetensors.index.json', '../evil.safetensors'], {
      file: indexFile,
    });
  });

  test('an absolute shard path is BAD_INDEX naming the shard', async () => {
    const elsewhere = await writeSafetensors(path.join(await freshDir(), 'other.safetensors'), sample.slice(0, 1));
    const indexFile = await sharded({ 'a.f32': elsewhere });
    await rejectsWith(openSafetensors(indexFile), 'BAD_INDEX', [JSON.stringify(elsewhere)]);
  });

  test('a shard that is a symlink to a file outside the folder is BAD_INDEX', async () => {
    const elsewhere = await writeSafetensors(path.join(await freshDir(), 'other.safetensors'), sample.slice(0, 1));
    const indexFile = await sharded({ 'a.f32': 'linked.safetensors' });
    await symlink(elsewhere, path.join(path.dirname(indexFile), 'linked.safetensors'));
    await rejectsWith(openSafetensors(indexFile), 'BAD_INDEX', ['"linked.safetensors"', 'outside']);
  });

  test('a shard that does not exist is BAD_INDEX naming the shard', async () => {
    const indexFile = await sharded({ 'a.f32': 'model-00009-of-00009.safetensors' });
    await rejectsWith(openSafetensors(indexFile), 'BAD_INDEX', ['model-00009-of-00009.safetensors']);
  });

  test('a tensor the index lists but its shard lacks is BAD_INDEX naming both', async () => {
    const indexFile = await sharded({ 'z.missing': 'model-00001-of-00002.safetensors' });
    await rejectsWith(openSafetensors(indexFile), 'BAD_INDEX', ['"z.missing"', 'model-00001-of-00002.safetensors'], {
      tensor: 'z.missing',
    });
  });

  test('a shard with a bad header fails with that shard named', async () => {
    const indexFile = await sharded();
    const shard = path.join(path.dirname(indexFile), 'model-00002-of-00002.safetensors');
    await writeFile(shard, fileBytes('not json'));
    await rejectsWith(openSafetensors(indexFile), 'BAD_HEADER', ['model-00002-of-00002.safetensors'], { file: shard });
  });

  const indexCases: Array<[string, string]> = [
    ['an index that is not JSON', '{"weight_map": '],
    ['an index that is a JSON list', '[]'],
    ['an index without weight_map', '{"metadata": {}}'],
    ['a weight_map that is a list', '{"weight_map": ["a.safetensors"]}'],
    ['a weight_map with a non-string shard', '{"weight_map": {"a.f32": 1}}'],
    ['an empty weight_map', '{"weight_map": {}}'],
  ];
  for (const [label, text] of indexCases) {
    test(`${label} is BAD_INDEX naming the index`, async () => {
      const indexFile = path.join(await freshDir(), 'model.safetensors.index.json');
      await writeFile(indexFile, text);
      await rejectsWith(openSafetensors(indexFile), 'BAD_INDEX', ['model.safetensors.index.json'], { file: indexFile });
    });
  }
});

describe('resolveWeightsPath', () => {
  test('prefers the index, then model.safetensors, then the only .safetensors file', async () => {
    const dir = await freshDir();
    await writeFile(path.join(dir, 'weights.safetensors'), '');
    assert.equal(await resolveWeightsPath(dir), path.join(dir, 'weights.safetensors'));
    await writeFile(path.join(dir, 'model.safetensors'), '');
    assert.equal(await resolveWeightsPath(dir), path.join(dir, 'model.safetensors'));
    await writeFile(path.join(dir, 'model.safetensors.index.json'), '');
    assert.equal(await resolveWeightsPath(dir), path.join(dir, 'model.safetensors.index.json'));
  });

  test('returns a file path unchanged', async () => {
    const file = path.join(await freshDir(), 'x.safetensors');
    await writeFile(file, '');
    assert.equal(await resolveWeightsPath(file), file);
  });

  test('a folder without weights is FILE_NOT_FOUND naming the folder', async () => {
    const dir = await freshDir();
    await writeFile(path.join(dir, 'config.json'), '{}');
    await rejectsWith(resolveWeightsPath(dir), 'FILE_NOT_FOUND', [dir], { file: dir });
  });

  test('a folder with several .safetensors files and no index is FILE_NOT_FOUND listing them', async () => {
    const dir = await freshDir();
    await writeFile(path.join(dir, 'a.safetensors'), '');
    await writeFile(path.join(dir, 'b.safetensors'), '');
    await rejectsWith(resolveWeightsPath(dir), 'FILE_NOT_FOUND', [dir, 'a.safetensors', 'b.safetensors']);
  });

  test('a path that does not exist is FILE_NOT_FOUND', async () => {
    const missing = path.join(await freshDir(), 'nothing-here');
    await rejectsWith(resolveWeightsPath(missing), 'FILE_NOT_FOUND', [missing]);
  });
});

describe('openSafetensors: property-based robustness', () => {
  /** Writes `bytes` to `file`, then opens and reads it, letting only non-EngineErrors escape. */
  async function onlyEngineErrors(file: string, bytes: Uint8Array): Promise<void> {
    await writeFile(file, bytes);
    try {
      await openAndReadAll(file);
    } catch (error) {
      if (!(error instanceof EngineError)) throw error;
    }
  }

  const valid = fileBytes(JSON.stringify(layout(sample, { format: 'pt' })), Buffer.concat(sample.map((s) => s.bytes)));

  test('random bytes never throw anything but EngineError', async () => {
    const file = path.join(await freshDir(), 'model.safetensors');
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 64 }),
          // A plausible length prefix followed by random bytes reaches the JSON stage.
          fc.uint8Array({ maxLength: 200 }).map((rest) => fileBytes(rest.subarray(0, rest.length >> 1), rest)),
        ),
        (bytes) => onlyEngineErrors(file, bytes),
      ),
      { numRuns: 300 },
    );
  });

  test('random mutations of a valid file never throw anything but EngineError', async () => {
    const file = path.join(await freshDir(), 'model.safetensors');
    const mutation = fc.record({
      edits: fc.array(fc.tuple(fc.nat({ max: valid.length - 1 }), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
      cut: fc.option(fc.nat({ max: valid.length }), { nil: undefined }),
    });
    await fc.assert(
      fc.asyncProperty(mutation, ({ edits, cut }) => {
        const bytes = Uint8Array.from(valid);
        for (const [at, value] of edits) bytes[at] = value;
        return onlyEngineErrors(file, bytes.subarray(0, cut ?? bytes.length));
      }),
      { numRuns: 300 },
    );
  });

  test('random header JSON never throws anything but EngineError', async () => {
    const file = path.join(await freshDir(), 'model.safetensors');
    const number = fc.oneof(fc.integer({ min: -4, max: 40 }), fc.double(), fc.constant(2 ** 53));
    const entry = fc.oneof(
      fc.record(
        {
          dtype: fc.oneof(fc.constantFrom('F32', 'F16', 'BF16', 'I64', 'U8', 'F4', 'BOGUS', 'constructor'), fc.jsonValue()),
          shape: fc.oneof(fc.array(number, { maxLength: 3 }), fc.jsonValue()),
          data_offsets: fc.oneof(fc.array(number, { minLength: 2, maxLength: 2 }), fc.jsonValue()),
        },
        { requiredKeys: [] },
      ),
      fc.jsonValue(),
    );
    const header = fc.oneof(
      fc.dictionary(fc.oneof(fc.string(), fc.constantFrom('__metadata__', '__proto__')), entry, { maxKeys: 4 }),
      fc.jsonValue(),
    );
    await fc.assert(
      fc.asyncProperty(header, fc.nat({ max: 64 }), (h, dataBytes) =>
        onlyEngineErrors(file, fileBytes(JSON.stringify(h) ?? '', new Uint8Array(dataBytes))),
      ),
      { numRuns: 400 },
    );
  });
});
