/**
 * What the weight-based analyses (spectrum, composition, skip-trigrams) need of a model: its
 * spec, its raw device weights and, for token strings, its tokenizer. A loaded TransformerModel
 * is one; `randomAnalysisModel` makes one from in-memory random weights (a GPT-2-small shape for
 * timing without a 500 MB checkpoint).
 */
import { EngineError } from '../errors';
import type { TransformerModel } from '../model/model';
import { randomWeights } from '../model/random';
import type { ModelSpec } from '../model/spec';
import { allWeights } from '../model/weights';

export type AnalysisModel = Pick<TransformerModel, 'spec' | 'weights' | 'tokenizer'>;

/** A model of `spec`'s shape with random weights (model/random.ts); dispose() frees them. */
export function randomAnalysisModel(spec: ModelSpec, seed = 0): AnalysisModel & { dispose(): void } {
  const weights = randomWeights(spec, seed);
  return { spec, weights, tokenizer: undefined, dispose: () => allWeights(weights).forEach((t) => t.dispose()) };
}

/** BAD_ARGUMENT unless `layer`.`head` is a head of the model. */
export function checkHead(spec: ModelSpec, layer: number, head: number): void {
  if (!Number.isInteger(layer) || layer < 0 || layer >= spec.nLayers || !Number.isInteger(head) || head < 0 || head >= spec.nHeads) {
    throw new EngineError('BAD_ARGUMENT', `head ${layer}.${head} does not exist (the model has ${spec.nLayers} layers × ${spec.nHeads} heads)`);
  }
}

/** BAD_ARGUMENT unless `token` is an id in the model's vocabulary. */
export function checkToken(spec: ModelSpec, token: number): void {
  if (!Number.isInteger(token) || token < 0 || token >= spec.dVocab) {
    throw new EngineError('BAD_ARGUMENT', `token id ${token} is outside the model's vocabulary (0 to ${spec.dVocab - 1})`);
  }
}
