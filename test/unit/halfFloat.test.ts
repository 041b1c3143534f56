import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { bf16ToFloat32, f16ToFloat32 } from '../../src/engine/formats/halfFloat';

/** Slow, obviously-correct binary16 decoding straight from the IEEE 754 definition. */
function referenceF16(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0x1f) return mantissa === 0 ? sign * Infinity : NaN;
  if (exponent === 0) return sign * mantissa * Math.pow(2, -24);
  return sign * (1 + mantissa / 1024) * Math.pow(2, exponent - 15);
}

/** Slow bfloat16 decoding: 8 exponent bits (bias 127), 7 mantissa bits. */
function referenceBF16(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 7) & 0xff;
  const mantissa = bits & 0x7f;
  if (exponent === 0xff) return mantissa === 0 ? sign * Infinity : NaN;
  if (exponent === 0) return sign * (mantissa / 128) * Math.pow(2, -126);
  return sign * (1 + mantissa / 128) * Math.pow(2, exponent - 127);
}

/** Equal as values, with -0 ≠ +0 and NaN = NaN. */
function same(a: number, b: number): boolean {
  return Number.isNaN(a) ? Number.isNaN(b) : Object.is(a, b);
}

function decodeOne(convert: typeof f16ToFloat32, bits: number): number {
  return convert(Uint16Array.of(bits))[0];
}

function float32Bits(values: Float32Array): number[] {
  return Array.from(new Uint32Array(values.buffer, values.byteOffset, values.length));
}

/** Deterministic pseudo-random generator (mulberry32) so failures reproduce. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('f16ToFloat32', () => {
  test('decodes known bit patterns', () => {
    const cases: Array<[number, number]> = [
      [0x3c00, 1],
      [0xc000, -2],
      [0x3555, 0.333251953125],
      [0x7bff, 65504],
      [0xfbff, -65504],
      [0x0400, Math.pow(2, -14)], // smallest normal
      [0x03ff, 1023 * Math.pow(2, -24)], // largest subnormal
      [0x0001, Math.pow(2, -24)], // smallest subnormal
      [0x8001, -Math.pow(2, -24)],
      [0x7c00, Infinity],
      [0xfc00, -Infinity],
      [0x0000, 0],
      [0x8000, -0],
    ];
    for (const [bits, expected] of cases) {
      const actual = decodeOne(f16ToFloat32, bits);
      assert.ok(same(actual, expected), `0x${bits.toString(16)}: got ${actual}, expected ${expected}`);
    }
    assert.ok(Number.isNaN(decodeOne(f16ToFloat32, 0x7e00)));
    assert.ok(Number.isNaN(decodeOne(f16ToFloat32, 0x7c01)));
    assert.ok(Number.isNaN(decodeOne(f16ToFloat32, 0xfe00)));
  });

  test('matches the slow reference for every one of the 65536 bit patterns', () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const decoded = f16ToFloat32(all);
    const wrong = [...all].filter((bits) => !same(decoded[bits], referenceF16(bits)));
    assert.deepEqual(wrong, []);
  });

  test('matches the slow reference for random values in offset views', () => {
    const next = random(1);
    const backing = new Uint16Array(4003).map(() => Math.floor(next() * 65536));
    const input = backing.subarray(3); // odd element offset into the buffer
    const out = new Float32Array(4005).subarray(5);
    assert.equal(f16ToFloat32(input, out), out);
    for (let i = 0; i < input.length; i++) {
      assert.ok(same(out[i], referenceF16(input[i])), `0x${input[i].toString(16)}`);
    }
  });

  test('keeps NaN payloads and signs bit-exactly', () => {
    assert.deepEqual(float32Bits(f16ToFloat32(Uint16Array.of(0x7e00, 0xfe01, 0x7c01))), [
      0x7fc00000, 0xffc02000, 0x7f802000,
    ]);
  });

  test('rejects an output array that is too short', () => {
    assert.throws(() => f16ToFloat32(new Uint16Array(4), new Float32Array(3)), RangeError);
  });
});

describe('bf16ToFloat32', () => {
  test('decodes known bit patterns', () => {
    const cases: Array<[number, number]> = [
      [0x3f80, 1],
      [0x4049, 3.140625],
      [0xc000, -2],
      [0x3e80, 0.25],
      [0x7f7f, 3.3895313892515355e38], // largest finite
      [0x0080, Math.pow(2, -126)], // smallest normal
      [0x0001, Math.pow(2, -133)], // smallest subnormal
      [0x7f80, Infinity],
      [0xff80, -Infinity],
      [0x0000, 0],
      [0x8000, -0],
    ];
    for (const [bits, expected] of cases) {
      const actual = decodeOne(bf16ToFloat32, bits);
      assert.ok(same(actual, expected), `0x${bits.toString(16)}: got ${actual}, expected ${expected}`);
    }
    assert.ok(Number.isNaN(decodeOne(bf16ToFloat32, 0x7fc0)));
    assert.ok(Number.isNaN(decodeOne(bf16ToFloat32, 0xff81)));
  });

  test('matches the slow reference for every one of the 65536 bit patterns', () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const decoded = bf16ToFloat32(all);
    const wrong = [...all].filter((bits) => !same(decoded[bits], referenceBF16(bits)));
    assert.deepEqual(wrong, []);
  });

  test('matches the slow reference for random values in offset views', () => {
    const next = random(2);
    const input = new Uint16Array(4001).map(() => Math.floor(next() * 65536)).subarray(1);
    const out = bf16ToFloat32(input);
    for (let i = 0; i < input.length; i++) {
      assert.ok(same(out[i], referenceBF16(input[i])), `0x${input[i].toString(16)}`);
    }
  });

  test('keeps NaN payloads and signs bit-exactly', () => {
    assert.deepEqual(float32Bits(bf16ToFloat32(Uint16Array.of(0x7fc1, 0xff81, 0x8000))), [
      0x7fc10000, 0xff810000, 0x80000000,
    ]);
  });

  test('rejects an output array that is too short', () => {
    assert.throws(() => bf16ToFloat32(new Uint16Array(2), new Float32Array(1)), RangeError);
  });
});
