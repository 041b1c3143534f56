import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { EngineError } from '../../src/engine/errors';
import { openGguf } from '../../src/engine/formats/gguf';
import { f32Bytes, ggufBytes, T, V, type MetaEntry, type TensorSpec } from './helpers/ggufFiles';

const FIXTURE = path.join(__dirname, '..', 'fixtures', 'gguf', 'dequant.gguf');

let file = '';
before(async () => {
  file = path.join(await mkdtemp(path.join(tmpdir(), 'gguf-fuzz-')), 'model.gguf');
});
after(async () => {
  await rm(path.dirname(file), { recursive: true, force: true });
});

/**
 * Writes `bytes`, opens them and reads every tensor. Only EngineErrors may escape; a tensor that
 * reads must have as many values as its shape says.
 */
async function onlyEngineErrors(bytes: Uint8Array): Promise<void> {
  await writeFile(file, bytes);
  try {
    // Half the files are opened with a tiny first read, so the header is re-read and re-parsed
    // from many points.
    const gguf = await openGguf(file, { firstReadBytes: bytes.length % 2 === 0 ? 16 : undefined });
    try {
      for (const info of gguf.tensors) {
        try {
          const values = await gguf.readTensor(info.name);
          assert.equal(values.length, info.shape.reduce((a, b) => a * b, 1), info.name);
        } catch (error) {
          if (!(error instanceof EngineError)) throw error;
        }
      }
    } finally {
      await gguf.close();
    }
  } catch (error) {
    if (!(error instanceof EngineError)) throw error;
  }
}

/** A small valid file touching every value type and several tensor types. */
const validSmall = ggufBytes({
  metadata: [
    { key: 'general.architecture', type: V.STRING, value: 'llama' },
    { key: 'u8', type: V.UINT8, value: 7 },
    { key: 'i16', type: V.INT16, value: -7 },
    { key: 'f32', type: V.FLOAT32, value: 0.5 },
    { key: 'u64', type: V.UINT64, value: 9n },
    { key: 'bool', type: V.BOOL, value: true },
    { key: 'tokens', type: V.ARRAY, value: { itemType: V.STRING, items: ['a', 'bc', 'def'] } },
    { key: 'nested', type: V.ARRAY, value: { itemType: V.ARRAY, items: [{ itemType: V.INT8, items: [1, -1] }] } },
  ],
  tensors: [
    { name: 'f32', dims: [2, 2], type: T.F32, data: f32Bytes(1, 2, 3, 4) },
    { name: 'q8', dims: [32], type: T.Q8_0, data: new Uint8Array(34).fill(0x11) },
    { name: 'q4k', dims: [256], type: T.Q4_K, data: new Uint8Array(144).fill(0x01) },
    { name: 'iq', dims: [256], type: T.IQ2_XXS, data: new Uint8Array(66) },
  ],
});

/** Random edits (position, byte) and an optional cut applied to `valid`. */
function mutationOf(valid: Uint8Array, editRange = valid.length) {
  return fc
    .record({
      edits: fc.array(fc.tuple(fc.nat({ max: editRange - 1 }), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
      cut: fc.option(fc.nat({ max: valid.length }), { nil: undefined }),
    })
    .map(({ edits, cut }) => {
      const bytes = Uint8Array.from(valid);
      for (const [at, value] of edits) bytes[at] = value;
      return bytes.subarray(0, cut ?? bytes.length);
    });
}

describe('openGguf: property-based robustness', () => {
  test('the small valid file reads', async () => {
    await writeFile(file, validSmall);
    const gguf = await openGguf(file);
    try {
      assert.deepEqual([...(await gguf.readTensor('f32'))], [1, 2, 3, 4]);
    } finally {
      await gguf.close();
    }
  });

  test('random bytes after a valid magic and version never throw anything but EngineError', async () => {
    const prefix = fc.constantFrom(
      Buffer.from('GGUF\x03\x00\x00\x00', 'latin1'),
      Buffer.from('GGUF\x02\x00\x00\x00', 'latin1'),
    );
    await fc.assert(
      fc.asyncProperty(prefix, fc.uint8Array({ maxLength: 300 }), (head, rest) =>
        onlyEngineErrors(Buffer.concat([head, rest])),
      ),
      { numRuns: 300 },
    );
  });

  test('random mutations and truncations of a valid file never throw anything but EngineError', async () => {
    await fc.assert(fc.asyncProperty(mutationOf(validSmall), onlyEngineErrors), { numRuns: 400 });
  });

  test('random mutations of the reference fixture header never throw anything but EngineError', async () => {
    const fixture = readFileSync(FIXTURE);
    const headerEnd = 2112; // the fixture's data section starts here
    assert.equal(fixture.subarray(0, 4).toString('latin1'), 'GGUF');
    await fc.assert(fc.asyncProperty(mutationOf(fixture, headerEnd), onlyEngineErrors), { numRuns: 200 });
  });

  test('random metadata and tensor infos never throw anything but EngineError', async () => {
    const u64 = fc.oneof(fc.bigInt({ min: 0n, max: 600n }), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }));
    const key = fc.string({ maxLength: 8 });
    const meta: fc.Arbitrary<MetaEntry> = fc.oneof(
      fc.record({ key, type: fc.integer({ min: 0, max: 7 }), value: fc.integer({ min: 0, max: 127 }) }),
      fc.record({ key, type: fc.constant(V.STRING), value: fc.string({ maxLength: 12 }) }),
      fc.record({
        key: fc.constant('general.alignment'),
        type: fc.constant(V.UINT32),
        value: fc.integer({ min: 0, max: 300 }),
      }),
      // Any type id, known or not, followed by arbitrary bytes.
      fc.record({ key, type: fc.integer({ min: 0, max: 20 }), raw: fc.uint8Array({ maxLength: 24 }) }),
    );
    const commonTypes = fc.constantFrom(0, 1, 2, 3, 6, 7, 8, 10, 11, 12, 13, 14, 15, 16, 30);
    const tensor: fc.Arbitrary<TensorSpec> = fc.record(
      {
        name: fc.string({ maxLength: 6 }),
        dims: fc.array(fc.oneof(fc.bigInt({ min: 0n, max: 512n }), u64), { maxLength: 5 }),
        type: fc.oneof(commonTypes, fc.integer({ min: 0, max: 45 })),
        data: fc.uint8Array({ maxLength: 600 }),
        offset: u64,
      },
      { requiredKeys: ['name', 'dims', 'type'] },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(meta, { maxLength: 4 }),
        fc.array(tensor, { maxLength: 3 }),
        fc.constantFrom(2, 3),
        (metadata, tensors, version) => {
          // The writer cannot place data far out (an implicit offset follows the previous tensor):
          // from the first far offset on, tensors claim their offsets without data.
          let far = false;
          const placeable = tensors.map((t) => {
            far ||= t.offset !== undefined && t.offset > 1n << 20n;
            return far ? { ...t, data: undefined } : t;
          });
          return onlyEngineErrors(ggufBytes({ metadata, tensors: placeable, version }));
        },
      ),
      { numRuns: 400 },
    );
  });
});
