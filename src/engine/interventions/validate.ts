/** Checks of intervention, metric and prompt arguments, each failing with one clear line. */
import type { Intervention, Metric } from '../../protocol/engine';
import { EngineError } from '../errors';
import type { ModelSpec } from '../model/spec';

const METHODS = ['zero', 'mean', 'resample'];

/** "L.H" / "attn L" / "mlp L" for messages and labels. */
export function interventionLabel(i: Intervention): string {
  return i.kind === 'head' ? `head ${i.layer}.${i.head}` : `${i.kind === 'attn' ? 'attention layer' : 'MLP layer'} ${i.layer}`;
}

export function checkLayer(spec: ModelSpec, layer: number, what: string): void {
  if (!Number.isInteger(layer) || layer < 0 || layer >= spec.nLayers) {
    throw new EngineError('BAD_ARGUMENT', `${what} does not exist (the model has ${spec.nLayers} layers, 0 to ${spec.nLayers - 1})`);
  }
}

export function checkIntervention(spec: ModelSpec, i: Intervention): void {
  if (i.kind !== 'head' && i.kind !== 'attn' && i.kind !== 'mlp') {
    throw new EngineError('BAD_ARGUMENT', `unknown intervention kind "${String((i as { kind: unknown }).kind)}" (expected head, attn or mlp)`);
  }
  if (!METHODS.includes(i.method)) {
    throw new EngineError('BAD_ARGUMENT', `unknown ablation method "${String(i.method)}" for ${interventionLabel(i)} (expected zero, mean or resample)`);
  }
  if (i.kind === 'head') {
    if (!Number.isInteger(i.layer) || i.layer < 0 || i.layer >= spec.nLayers || !Number.isInteger(i.head) || i.head < 0 || i.head >= spec.nHeads) {
      throw new EngineError('BAD_ARGUMENT', `head ${i.layer}.${i.head} does not exist (the model has ${spec.nLayers} layers × ${spec.nHeads} heads)`);
    }
  } else {
    checkLayer(spec, i.layer, interventionLabel(i));
  }
}

function checkToken(spec: ModelSpec, id: number, role: string): void {
  if (!Number.isInteger(id) || id < 0 || id >= spec.dVocab) {
    throw new EngineError('BAD_ARGUMENT', `the metric's ${role} token ${id} is outside the model's vocabulary (0 to ${spec.dVocab - 1})`);
  }
}

export function checkMetric(spec: ModelSpec, metric: Metric, tokens: readonly number[]): void {
  switch (metric.kind) {
    case 'loss':
      if (tokens.length < 2) throw new EngineError('BAD_PROMPT', 'the loss metric needs a prompt of at least 2 tokens');
      return;
    case 'logitDiff':
      checkToken(spec, metric.target, 'target');
      checkToken(spec, metric.distractor, 'distractor');
      return;
    case 'logit':
    case 'prob':
      checkToken(spec, metric.target, 'target');
      return;
    default:
      throw new EngineError('BAD_ARGUMENT', `unknown metric "${String((metric as { kind: unknown }).kind)}" (expected loss, logit, logitDiff or prob)`);
  }
}

/** Two prompts that must line up position by position. */
export function checkSameLength(a: readonly number[], aName: string, b: readonly number[], bName: string): void {
  if (a.length !== b.length) {
    throw new EngineError('BAD_PROMPT', `the ${aName} prompt has ${a.length} tokens but the ${bName} prompt has ${b.length}; they must have the same number of tokens`);
  }
}
