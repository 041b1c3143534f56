/** Top-k next-token predictions at every position, computed on the backend from the logits. */
import * as tf from '@tensorflow/tfjs-core';
import type { Predictions } from '../../protocol/engine';

/** logits [1, pos, vocab] → top-k probabilities and ids per position, row-major [pos, k]. */
export async function topPredictions(logits: tf.Tensor3D, k: number): Promise<Omit<Predictions, 'strings'>> {
  const [, pos, vocab] = logits.shape;
  const kept = Math.min(k, vocab);
  const { values, indices } = tf.tidy(() => {
    const probs = tf.softmax(tf.reshape(logits, [pos, vocab])); // [pos, vocab]
    return tf.topk(probs, kept); // [pos, k]
  });
  try {
    return { k: kept, probs: (await values.data()) as Float32Array, ids: Int32Array.from(await indices.data()) };
  } finally {
    values.dispose();
    indices.dispose();
  }
}
