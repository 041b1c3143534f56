/**
 * Rotary position embeddings as Hugging Face computes them (`rotate_half` convention: the first
 * and second halves of the rotated dimensions pair up), including partial rotation (GPT-NeoX
 * rotates only the first `dims` of each head) and the linear / llama3 frequency scalings.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { RotarySpec } from './spec';

const f32 = Math.fround;

/** Inverse frequencies, one per rotated pair, in float32 steps like torch's. [dims / 2] */
export function inverseFrequencies(rotary: RotarySpec): Float64Array {
  const half = rotary.dims / 2;
  const inv = new Float64Array(half);
  for (let i = 0; i < half; i++) inv[i] = f32(1 / f32(Math.pow(rotary.base, f32((2 * i) / rotary.dims))));
  const scaling = rotary.scaling;
  if (scaling.type === 'linear') {
    for (let i = 0; i < half; i++) inv[i] = f32(inv[i]! / scaling.factor);
  } else if (scaling.type === 'llama3') {
    // Llama 3.1: long wavelengths slowed by `factor`, short ones kept, a smooth blend between.
    const lowFreqWavelen = scaling.originalContext / scaling.lowFreqFactor;
    const highFreqWavelen = scaling.originalContext / scaling.highFreqFactor;
    for (let i = 0; i < half; i++) {
      const freq = inv[i]!;
      const wavelen = (2 * Math.PI) / freq;
      if (wavelen > lowFreqWavelen) inv[i] = f32(freq / scaling.factor);
      else if (wavelen >= highFreqWavelen) {
        const smooth = (scaling.originalContext / wavelen - scaling.lowFreqFactor) / (scaling.highFreqFactor - scaling.lowFreqFactor);
        inv[i] = f32((1 - smooth) * (freq / scaling.factor) + smooth * freq);
      }
    }
  }
  return inv;
}

/** Per-position rotation tables, shaped to broadcast over [batch, pos, head, dims]. */
export interface RotaryTables {
  /** cos(pos·θ) for both halves. [1, pos, 1, dims] */
  readonly cos: tf.Tensor;
  /** (−sin, +sin)(pos·θ): folds rotate_half's negation into the table. [1, pos, 1, dims] */
  readonly signedSin: tf.Tensor;
  readonly dims: number;
}

export function rotaryTables(rotary: RotarySpec, nPos: number): RotaryTables {
  const inv = inverseFrequencies(rotary);
  const half = rotary.dims / 2;
  const cos = new Float32Array(nPos * rotary.dims);
  const signedSin = new Float32Array(nPos * rotary.dims);
  for (let pos = 0; pos < nPos; pos++) {
    for (let i = 0; i < half; i++) {
      const angle = f32(pos * inv[i]!);
      const c = Math.cos(angle);
      const s = Math.sin(angle);
      const row = pos * rotary.dims;
      cos[row + i] = c;
      cos[row + half + i] = c;
      signedSin[row + i] = -s;
      signedSin[row + half + i] = s;
    }
  }
  const shape: [number, number, number, number] = [1, nPos, 1, rotary.dims];
  return { cos: tf.tensor4d(cos, shape), signedSin: tf.tensor4d(signedSin, shape), dims: rotary.dims };
}

/**
 * x·cos + rotate_half(x)·sin on the first `dims` dimensions; the rest pass through.
 * [batch, pos, head, d_head] → same shape.
 */
export function applyRotary(x: tf.Tensor, tables: RotaryTables): tf.Tensor {
  const dHead = x.shape[3]!;
  const half = tables.dims / 2;
  const rotated = tables.dims === dHead ? x : tf.slice(x, [0, 0, 0, 0], [-1, -1, -1, tables.dims]);
  // rotate_half(x) = (−x₂, x₁); the minus sign lives in signedSin, so only swap the halves here.
  const [first, second] = tf.split(rotated, [half, half], 3) as [tf.Tensor, tf.Tensor];
  const swapped = tf.concat([second, first], 3);
  const out = tf.add(tf.mul(rotated, tables.cos), tf.mul(swapped, tables.signedSin));
  if (tables.dims === dHead) return out;
  return tf.concat([out, tf.slice(x, [0, 0, 0, tables.dims], [-1, -1, -1, dHead - tables.dims])], 3);
}
