/**
 * The element-wise and linear building blocks of a block, written with as few tfjs ops as the
 * math allows: at small sizes each op's fixed cost rivals the matmuls (see the performance notes).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Activation, ModelSpec } from './spec';
import type { NormWeights } from './weights';

/** x @ W (+ b) over the last axis of a [batch, pos, d_in] tensor → [batch, pos, d_out]. */
export function linear(x: tf.Tensor, w: tf.Tensor, b?: tf.Tensor): tf.Tensor {
  const [batch, pos, dIn] = x.shape as [number, number, number];
  const dOut = w.shape[1]!;
  const x2d = tf.reshape(x, [batch * pos, dIn]);
  // The fused kernel adds the bias inside the matmul instead of as a separate pass.
  const y2d = b ? tf.fused.matMul({ a: x2d as tf.Tensor2D, b: w as tf.Tensor2D, bias: b }) : tf.matMul(x2d as tf.Tensor2D, w as tf.Tensor2D);
  return tf.reshape(y2d, [batch, pos, dOut]);
}

/** LayerNorm (biased variance, like torch) or RMSNorm over the last axis. [batch, pos, d_model] */
export function normalize(spec: ModelSpec, x: tf.Tensor, weights: NormWeights<tf.Tensor>): tf.Tensor {
  if (spec.normalization === 'rmsnorm') {
    // HF LlamaRMSNorm: x · rsqrt(mean(x²) + eps) · w
    const meanSquare = tf.mean(tf.square(x), -1, true);
    return tf.mul(tf.mul(x, tf.rsqrt(tf.add(meanSquare, spec.normEps))), weights.w);
  }
  // tf.moments would centre x once for the variance and we would again for the output: centre once.
  const centered = tf.sub(x, tf.mean(x, -1, true));
  const variance = tf.mean(tf.square(centered), -1, true);
  const normalized = tf.mul(centered, tf.rsqrt(tf.add(variance, spec.normEps)));
  const scaled = tf.mul(normalized, weights.w);
  return weights.b ? tf.add(scaled, weights.b) : scaled;
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/** The MLP nonlinearity, element-wise. */
export function activate(activation: Activation, x: tf.Tensor): tf.Tensor {
  switch (activation) {
    case 'gelu_new': {
      // 0.5·x·(1 + tanh(z)) = x·sigmoid(2z), z = √(2/π)·(x + 0.044715·x³): one op fewer than tanh.
      const inner = tf.mul(x, tf.add(tf.mul(tf.square(x), 0.044715 * 2 * SQRT_2_OVER_PI), 2 * SQRT_2_OVER_PI));
      return tf.mul(x, tf.sigmoid(inner));
    }
    case 'gelu':
      // 0.5·x·(1 + erf(x/√2)), the exact GELU of torch.nn.functional.gelu.
      return tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1));
    case 'relu':
      return tf.relu(x);
    case 'silu':
      return tf.mul(x, tf.sigmoid(x));
  }
}
