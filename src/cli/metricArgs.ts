/** The metric options shared by `run --ablate`, `patch`: --target, --distractor, --metric. */
import type { Metric } from '../protocol/engine';
import { singleToken } from '../engine/interventions/parse';
import type { TransformerModel } from '../engine/model/model';
import { UsageError } from './output';

export const METRIC_OPTIONS = {
  target: { type: 'string' },
  distractor: { type: 'string' },
  metric: { type: 'string' },
} as const;

/**
 * loss by default; --target T → logit(T); with --distractor D → logit(T) − logit(D); --metric prob
 * → p(T). A token is text that must be one token (or an id, for models without a tokenizer).
 */
export function metricFromArgs(model: TransformerModel, values: Record<string, string | boolean | undefined>): Metric {
  const kind = (values.metric as string | undefined) ?? (values.distractor !== undefined ? 'logitDiff' : values.target !== undefined ? 'logit' : 'loss');
  if (!['loss', 'logit', 'logitDiff', 'prob'].includes(kind)) throw new UsageError(`--metric must be loss, logit, logitDiff or prob, got "${kind}"`);
  if (kind === 'loss') return { kind: 'loss' };
  if (values.target === undefined) throw new UsageError(`the ${kind} metric needs --target TOKEN`);
  const target = singleToken(model, values.target as string, 'target');
  if (kind === 'logitDiff') {
    if (values.distractor === undefined) throw new UsageError('the logitDiff metric needs --distractor TOKEN');
    return { kind, target, distractor: singleToken(model, values.distractor as string, 'distractor') };
  }
  return { kind: kind as 'logit' | 'prob', target };
}
