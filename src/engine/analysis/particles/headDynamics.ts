/**
 * A real head's weights as the Q, K, V of the paper's dynamics, and a real model's particles as
 * initial points, so the simulator can run "as this head would move these tokens".
 *
 * Conventions. Our weights act on row vectors (`x @ W`, W_Q [d_model, d_head]); the paper's on
 * column vectors (Qx). The head's score between particles x_i, x_j is
 *   (x_i W_Q)(x_j W_K)ᵀ · s = x_iᵀ (s · W_Q W_Kᵀ) x_j,   s = the layer's score scale (1/√d_head),
 * so the interaction is the bilinear form A = s · W_Q W_Kᵀ [d_model, d_model] and the simulator's
 * ⟨Qx_i, Kx_j⟩ = x_iᵀ QᵀK x_j needs QᵀK = A. We take Q = √s · W_Qᵀ and K = √s · W_Kᵀ, each padded
 * with zero rows from d_head to d_model rows (so Q and K are d × d as the protocol carries them,
 * and hold the head's own factors). The value map x ↦ x W_V W_O = x W_OV is, on column vectors,
 * V = W_OVᵀ. Weights are TransformerLens's processed ones (processedWeights.ts: the first norm's
 * gain folded in, centered for LayerNorm), biases left out as in the circuit analyses; d = d_model.
 *
 * Scale: the real head sees the normalized stream, of norm √d_model, not unit vectors, so
 * β = d_model reproduces its pre-softmax scores on the particles (up to eps and the dropped biases).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { TransformerModel } from '../../model/model';
import { EngineError } from '../../errors';
import { processedHead } from '../processedWeights';
import { checkHead } from './kernel';
import { normalizedStream, type StreamOptions } from './normalizedStream';

export interface HeadMatrices {
  /** Q, K, V: d_model × d_model row-major, column convention (see the file comment). */
  readonly query: Float32Array;
  readonly key: Float32Array;
  readonly value: Float32Array;
}

export async function headMatrices(model: TransformerModel, layer: number, head: number): Promise<HeadMatrices> {
  checkHead(model, layer, head);
  const { dModel: d, dHead } = model.spec;
  if (dHead > d) throw new EngineError('BAD_ARGUMENT', `d_head (${dHead}) is larger than d_model (${d}): the head's Q and K do not fit d × d matrices`);
  const weights = processedHead(model.spec, model.weights, layer, head);
  const ovTensor = tf.tidy(() => tf.matMul(weights.wV, weights.wO)); // [d_model, d_model]
  try {
    const wQ = (await weights.wQ.data()) as Float32Array; // [d_model, d_head]
    const wK = (await weights.wK.data()) as Float32Array; // [d_model, d_head]
    const ov = (await ovTensor.data()) as Float32Array; // [d_model, d_model]
    const root = Math.sqrt(model.spec.attnScale[layer]!);
    const query = new Float32Array(d * d);
    const key = new Float32Array(d * d);
    for (let r = 0; r < dHead; r++) {
      for (let a = 0; a < d; a++) {
        query[r * d + a] = root * wQ[a * dHead + r]!;
        key[r * d + a] = root * wK[a * dHead + r]!;
      }
    }
    const value = new Float32Array(d * d);
    for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) value[a * d + b] = ov[b * d + a]!;
    return { query, key, value };
  } finally {
    ovTensor.dispose();
    Object.values(weights).forEach((t: tf.Tensor) => t.dispose());
  }
}

/** The model's unit particles at snapshot `layer` (0..L, L = final) on `tokens`, [pos, d_model] row-major. */
export async function particlesAt(model: TransformerModel, tokens: readonly number[], layer: number, options: StreamOptions = {}): Promise<Float32Array> {
  const last = model.spec.nLayers;
  if (!Number.isInteger(layer) || layer < 0 || layer > last) {
    throw new EngineError('BAD_ARGUMENT', `layer ${layer} has no particles: choose 0 to ${last - 1} (block inputs) or ${last} (final stream)`);
  }
  const snapshots = await normalizedStream(model, tokens, options);
  return Float32Array.from(snapshots[layer]!.points);
}
