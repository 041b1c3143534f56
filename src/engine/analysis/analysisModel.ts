/**
 * What the weight-based analyses (spectrum, composition, skip-trigrams) need of a model: its
 * spec, its raw device weights and, for token strings, its tokenizer. A loaded TransformerModel
 * is one; `randomAnalysisModel` makes one from in-memory random weights (a GPT-2-small shape for
 * timing without a 500 MB checkpoint).
 */
import * as tf from '@tensorflow/tfjs-core';
import { EngineError } from '../errors';
import type { TransformerModel } from '../model/model';
import { randomWeights } from '../model/random';
import type { ModelSpec } from '../model/spec';
import { allWeights, type DeviceWeights } from '../model/weights';
import { kvHeadOf, processedAttention, type HeadWeights } from './processedWeights';

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

/**
 * Every head's processed factors of one layer, as `processedHead` gives them one at a time, but
 * processed once per layer (`processedAttention`) and split into heads on the host: on the wasm
 * backend every slice copies its whole input out of the heap, which made per-head slicing the
 * slowest part of the all-heads analyses. The caller disposes the returned tensors.
 */
export async function processedLayerHeads(spec: ModelSpec, weights: DeviceWeights, layer: number): Promise<HeadWeights[]> {
  const { dModel, dHead, nHeads } = spec;
  const attn = processedAttention(spec, weights, layer);
  let values: Float32Array[];
  try {
    values = (await Promise.all([attn.wQ.data(), attn.wK.data(), attn.wV.data(), attn.wO.data()])) as Float32Array[];
  } finally {
    Object.values(attn).forEach((t: tf.Tensor | undefined) => t?.dispose());
  }
  const [wQ, wK, wV, wO] = values as [Float32Array, Float32Array, Float32Array, Float32Array];
  /** Columns [index·d_head, (index + 1)·d_head) of a row-major [d_model, width] matrix. */
  const columns = (matrix: Float32Array, width: number, index: number) => {
    const out = new Float32Array(dModel * dHead);
    for (let row = 0; row < dModel; row++) out.set(matrix.subarray(row * width + index * dHead, row * width + (index + 1) * dHead), row * dHead);
    return tf.tensor2d(out, [dModel, dHead]);
  };
  return Array.from({ length: nHeads }, (_, head) => {
    const kv = kvHeadOf(spec, head);
    return {
      wQ: columns(wQ, nHeads * dHead, head),
      wK: columns(wK, spec.nKvHeads * dHead, kv),
      wV: columns(wV, spec.nKvHeads * dHead, kv),
      wO: tf.tensor2d(wO.slice(head * dHead * dModel, (head + 1) * dHead * dModel), [dHead, dModel]),
    };
  });
}

/** Frees one head's factors. */
export function disposeHeadWeights(h: HeadWeights): void {
  h.wQ.dispose();
  h.wK.dispose();
  h.wV.dispose();
  h.wO.dispose();
}
