/** An ablation experiment: the prompt with and without interventions, compared on a metric. */
import * as tf from '@tensorflow/tfjs-core';
import type { AblationResult, Intervention, Metric, TokenList } from '../../protocol/engine';
import type { ForwardResult } from '../model/forward';
import type { TransformerModel } from '../model/model';
import { ablationHooks } from './hooks';
import { metricValues } from './metric';
import { checkMetric } from './validate';

export interface AblateRequest {
  readonly tokens: readonly number[];
  readonly interventions: readonly Intervention[];
  readonly metric: Metric;
  readonly reference?: readonly number[];
  readonly corrupted?: readonly number[];
}

const TOP_K = 10;

/** Top-k probabilities at the last position of a [1, pos, vocab] (or [1, 1, vocab]) logits tensor. */
async function lastTop(model: TransformerModel, logits: tf.Tensor3D, k: number): Promise<TokenList> {
  const [, pos, vocab] = logits.shape;
  const { values, indices } = tf.tidy(() => tf.topk(tf.softmax(tf.reshape(tf.slice(logits, [0, pos - 1, 0], [1, 1, vocab]), [vocab])), Math.min(k, vocab)));
  try {
    const ids = Int32Array.from(await indices.data());
    const tokenizer = model.tokenizer;
    return { ids, values: Float32Array.from(await values.data()), strings: tokenizer ? Array.from(ids, (id) => tokenizer.tokenString(id)) : undefined };
  } finally {
    values.dispose();
    indices.dispose();
  }
}

async function meanLoss(result: ForwardResult): Promise<number | null> {
  if (!result.loss) return null;
  const mean = tf.mean(result.loss);
  try {
    return (await mean.data())[0]!;
  } finally {
    mean.dispose();
  }
}

/** Runs `tokens` clean and under the interventions; metric, loss and top-10 predictions of each. */
export async function ablate(model: TransformerModel, request: AblateRequest, signal?: AbortSignal): Promise<AblationResult> {
  checkMetric(model.spec, request.metric, request.tokens);
  const ablation = await ablationHooks(model, request.interventions, request, signal);
  try {
    const options = { logits: 'last' as const, loss: true, signal };
    const before = await model.run(request.tokens, options);
    try {
      const after = await model.runWithHooks(request.tokens, ablation.hooks, options);
      try {
        return {
          metricBefore: (await metricValues(before, request.metric))[0]!,
          metricAfter: (await metricValues(after, request.metric))[0]!,
          lossBefore: await meanLoss(before),
          lossAfter: await meanLoss(after),
          topBefore: await lastTop(model, before.logits!, TOP_K),
          topAfter: await lastTop(model, after.logits!, TOP_K),
          interventions: request.interventions,
        };
      } finally {
        after.dispose();
      }
    } finally {
      before.dispose();
    }
  } finally {
    ablation.dispose();
  }
}
