/**
 * Exact conversion of 16-bit floats (IEEE 754 binary16 "F16" and bfloat16 "BF16") to float32.
 *
 * Both work on raw bit patterns through integer views, never through JS numbers, so every value
 * converts exactly: subnormals, ±Infinity, signed zero, and NaN payloads are all preserved
 * (a float32 store of a NaN number may canonicalise its bits; a Uint32 store cannot).
 */

/**
 * float32 bit pattern of every binary16 bit pattern, built on first use (256 KB). A table lookup
 * beats branching on the exponent per element, and float16 has only 65536 values.
 */
let f16Table: Uint32Array | undefined;

function buildF16Table(): Uint32Array {
  const table = new Uint32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = (h & 0x8000) << 16;
    const exponent = (h >> 10) & 0x1f;
    let mantissa = h & 0x3ff;
    let bits: number;
    if (exponent === 0x1f) {
      // Infinity (mantissa 0) or NaN: float32's all-ones exponent, payload moved to the top bits.
      bits = sign | 0x7f800000 | (mantissa << 13);
    } else if (exponent !== 0) {
      // Normal: rebias the exponent from 15 to 127, widen the mantissa from 10 to 23 bits.
      bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
    } else if (mantissa === 0) {
      bits = sign; // ±0
    } else {
      // Subnormal binary16 (mantissa × 2^-24) is a normal float32: shift the mantissa up until
      // its leading 1 reaches the implicit-bit position, lowering the exponent once per shift.
      let exponent32 = 127 - 14;
      while ((mantissa & 0x400) === 0) {
        mantissa <<= 1;
        exponent32--;
      }
      bits = sign | (exponent32 << 23) | ((mantissa & 0x3ff) << 13);
    }
    table[h] = bits >>> 0;
  }
  return table;
}

function outputFor(length: number, out: Float32Array | undefined): Float32Array {
  if (out === undefined) return new Float32Array(length);
  if (out.length < length) {
    throw new RangeError(`output holds ${out.length} floats, ${length} are needed`);
  }
  return out;
}

/** Converts binary16 bit patterns to float32 values, into `out` when given. */
export function f16ToFloat32(bits: Uint16Array, out?: Float32Array): Float32Array {
  const result = outputFor(bits.length, out);
  const table = (f16Table ??= buildF16Table());
  const dst = new Uint32Array(result.buffer, result.byteOffset, bits.length);
  for (let i = 0; i < bits.length; i++) dst[i] = table[bits[i]];
  return result;
}

/** Converts bfloat16 bit patterns to float32 values, into `out` when given. */
export function bf16ToFloat32(bits: Uint16Array, out?: Float32Array): Float32Array {
  const result = outputFor(bits.length, out);
  // bfloat16 is the top half of a float32, so widening is a shift: exact for every value.
  const dst = new Uint32Array(result.buffer, result.byteOffset, bits.length);
  for (let i = 0; i < bits.length; i++) dst[i] = bits[i] << 16;
  return result;
}
