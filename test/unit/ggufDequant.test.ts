import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DEQUANTIZABLE_TYPES, openGguf, type GgufFile } from '../../src/engine/formats/gguf';
import { ggufBytes, halfValue, T, u16Bytes } from './helpers/ggufFiles';

const FIXTURE = path.join(__dirname, '..', 'fixtures', 'gguf', 'dequant.gguf');

let root = '';
before(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'gguf-dequant-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Asserts two float32 arrays hold the same bit patterns, reporting the first difference. */
function assertSameBits(actual: Float32Array, expected: Float32Array, label: string): void {
  assert.equal(actual.length, expected.length, `${label}: length`);
  const a = new Uint32Array(actual.buffer, actual.byteOffset, actual.length);
  const e = new Uint32Array(expected.buffer, expected.byteOffset, expected.length);
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== e[i]) assert.fail(`${label}: element ${i} is ${actual[i]}, the reference gives ${expected[i]}`);
  }
}

/** Writes one tensor of `type` holding `data` and reads it back. */
async function readOne(type: number, dims: number[], data: Uint8Array): Promise<Float32Array> {
  const file = path.join(root, `t-${type}-${dims.join('x')}.gguf`);
  await writeFile(file, ggufBytes({ tensors: [{ name: 't', dims, type, data }] }));
  const gguf = await openGguf(file);
  try {
    return await gguf.readTensor('t');
  } finally {
    await gguf.close();
  }
}

describe('dequantization matches gguf-py (llama.cpp reference) bit for bit', () => {
  let gguf: GgufFile;
  before(async () => {
    gguf = await openGguf(FIXTURE);
  });
  after(async () => {
    await gguf.close();
  });

  test('the fixture covers every type the reader dequantizes', () => {
    const covered = gguf.tensors.filter((t) => gguf.tensorsByName.has(`${t.name}.expected`)).map((t) => t.type);
    // F32 is the expected values' own type, and is read by every comparison below.
    assert.deepEqual([...covered, 'F32'].sort(), [...DEQUANTIZABLE_TYPES].sort());
  });

  for (const type of DEQUANTIZABLE_TYPES.filter((t) => t !== 'F32')) {
    test(type, async () => {
      const info = gguf.tensorsByName.get(type)!;
      assert.equal(info.type, type);
      assert.deepEqual(info.shape, [256, 2]);
      const values = await gguf.readTensor(type);
      const expected = await gguf.readTensor(`${type}.expected`);
      assertSameBits(values, expected, type);
      // Random data dequantizes to varied values; a reader returning zeros would fail above too.
      assert.ok(new Set(values).size > 16, `${type} gives varied values`);
    });
  }
});

describe('dequantization of hand-built blocks', () => {
  test('Q4_0: x = (nibble - 8) * d, low nibbles first', async () => {
    // d = 0.5 (f16 0x3800); byte j holds j in its low nibble and 15 - j in its high nibble.
    const qs = Buffer.from(Array.from({ length: 16 }, (_, j) => j | ((15 - j) << 4)));
    const block = Buffer.concat([u16Bytes(0x3800), qs]);
    const values = await readOne(T.Q4_0, [32], block);
    const expected = [
      ...Array.from({ length: 16 }, (_, j) => (j - 8) * 0.5),
      ...Array.from({ length: 16 }, (_, j) => (15 - j - 8) * 0.5),
    ];
    assert.deepEqual([...values], expected);
  });

  test('Q5_0: the fifth bit of element j is bit j of qh', async () => {
    // d = 2; qh has bits 0 and 16 set; every nibble 0.
    const qh = Buffer.alloc(4);
    qh.writeUInt32LE((1 << 0) | (1 << 16));
    const block = Buffer.concat([u16Bytes(0x4000), qh, Buffer.alloc(16)]);
    const values = [...(await readOne(T.Q5_0, [32], block))];
    const expected = Array.from({ length: 32 }, (_, j) => ((j === 0 || j === 16 ? 16 : 0) - 16) * 2);
    assert.deepEqual(values, expected);
  });

  test('Q8_0: int8 quants times d, several blocks and rows', async () => {
    const d = [0x3c00, 0xb400, 0x0001, 0x7bff]; // 1, -0.25, the smallest subnormal, 65504
    const blocks = d.map((bits, b) =>
      Buffer.concat([u16Bytes(bits), Buffer.from(Array.from({ length: 32 }, (_, j) => (b * 37 + j * 11) & 0xff))]),
    );
    const values = await readOne(T.Q8_0, [64, 2], Buffer.concat(blocks));
    const expected = d.flatMap((bits, b) =>
      Array.from({ length: 32 }, (_, j) => Math.fround((((b * 37 + j * 11) & 0xff) << 24 >> 24) * halfValue(bits))),
    );
    assert.deepEqual([...values], expected);
  });

  test('a tensor larger than one read chunk (8 MiB) is dequantized across chunk boundaries', async () => {
    const blocks = 260_000; // 8.84 MB of Q8_0
    const data = Buffer.alloc(blocks * 34);
    for (let b = 0; b < blocks; b++) {
      data.writeUInt16LE(0x3c00 + (b % 97), b * 34); // d from 1 up, distinct per block
      for (let j = 0; j < 32; j++) data[b * 34 + 2 + j] = (b + 3 * j) & 0xff;
    }
    const values = await readOne(T.Q8_0, [32 * 1000, blocks / 1000], data);
    assert.equal(values.length, blocks * 32);
    for (let b = 0; b < blocks; b++) {
      const d = halfValue(0x3c00 + (b % 97));
      for (let j = 0; j < 32; j++) {
        const expected = Math.fround(((((b + 3 * j) & 0xff) << 24) >> 24) * d);
        const actual = values[b * 32 + j];
        if (actual !== expected) assert.fail(`block ${b} element ${j}: ${actual} != ${expected}`);
      }
    }
  });

  test('F16 and BF16 convert every bit pattern exactly', async () => {
    const all = Array.from({ length: 65536 }, (_, i) => i);
    const f16 = await readOne(T.F16, [65536], u16Bytes(...all));
    const bf16 = await readOne(T.BF16, [65536], u16Bytes(...all));
    const f32 = new Float32Array(1);
    const bits = new Uint32Array(f32.buffer);
    for (const h of all) {
      const half = halfValue(h);
      if (Number.isNaN(half)) assert.ok(Number.isNaN(f16[h]), `f16 ${h}`);
      else assert.ok(Object.is(f16[h], half), `f16 0x${h.toString(16)}: ${f16[h]} != ${half}`);
      bits[0] = h << 16;
      if (Number.isNaN(f32[0])) assert.ok(Number.isNaN(bf16[h]));
      else assert.ok(Object.is(bf16[h], f32[0]), `bf16 0x${h.toString(16)}`);
    }
  });
});
