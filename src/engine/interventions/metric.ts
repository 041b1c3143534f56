/** Evaluating an experiment's metric on a forward result, one value per sequence of the batch. */
import * as tf from '@tensorflow/tfjs-core';
import type { Metric } from '../../protocol/engine';
import type { ForwardOptions, ForwardResult } from '../model/forward';

/** Forward options that produce what `metric` reads (and nothing more). */
export function metricForwardOptions(metric: Metric): Pick<ForwardOptions, 'logits' | 'loss'> {
  return metric.kind === 'loss' ? { logits: 'none', loss: true } : { logits: 'last', loss: false };
}

/** The metric of each sequence: mean next-token loss, or read from the last position's logits. [batch] */
export async function metricValues(result: ForwardResult, metric: Metric): Promise<Float32Array> {
  const values = tf.tidy(() => {
    if (metric.kind === 'loss') return tf.mean(result.loss!, 1); // [batch]
    const logits = result.logits!; // [batch, pos or 1, vocab]
    const [batch, pos, vocab] = logits.shape;
    const last = tf.reshape(tf.slice(logits, [0, pos - 1, 0], [batch, 1, vocab]), [batch, vocab]);
    const column = (t: tf.Tensor, id: number) => tf.reshape(tf.slice(t, [0, id], [batch, 1]), [batch]);
    switch (metric.kind) {
      case 'logit':
        return column(last, metric.target);
      case 'logitDiff':
        return tf.sub(column(last, metric.target), column(last, metric.distractor));
      case 'prob':
        return column(tf.softmax(last), metric.target);
    }
  });
  try {
    return Float32Array.from(await values.data());
  } finally {
    values.dispose();
  }
}

/** Human-readable name of a metric. */
export function metricLabel(metric: Metric): string {
  switch (metric.kind) {
    case 'loss':
      return 'loss';
    case 'logit':
      return `logit(${metric.target})`;
    case 'logitDiff':
      return `logit(${metric.target}) − logit(${metric.distractor})`;
    case 'prob':
      return `p(${metric.target})`;
  }
}
