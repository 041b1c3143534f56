/**
 * One attention head's QK and OV circuits read straight from the weights (Elhage et al. 2021,
 * "A Mathematical Framework for Transformer Circuits"), restricted to a prompt's tokens, on the
 * weights TransformerLens's `from_pretrained` gives by default (see processedWeights.ts).
 *
 * - Full QK circuit W_E W_Q^h W_K^hᵀ W_Eᵀ: how much a query token attends to a key token from
 *   their embeddings alone. TransformerLens: `W_E @ model.QK[l, h] @ W_E.T`.
 * - Full OV circuit W_E W_V^h W_O^h W_U: the logits a source token adds to each output token when
 *   the head attends to it. TransformerLens: `W_E @ model.OV[l, h] @ W_U`.
 * - Positional QK (learned positions only): softmax over keys of the causal-masked
 *   W_pos W_Q^h W_K^hᵀ W_posᵀ scaled like the head's scores (1/√d_head, or the model's own scale),
 *   the head's attention pattern from positions alone, as in the TransformerLens/ARENA exercises.
 * - Spectrum: eigenvalues of both full circuits and their copying scores (spectrum.ts).
 *
 * Biases are excluded, as they are from TransformerLens's factored QK/OV matrices. Rotary models'
 * QK circuits leave the rotation out (as `model.QK` does). Only the rows of W_E and the columns
 * of W_U for the requested tokens are ever gathered: nothing vocab × vocab is built.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { CircuitsResult } from '../../protocol/engine';
import { EngineError } from '../errors';
import { attentionMask } from '../model/attention';
import { checkTokens } from '../model/forward';
import type { TransformerModel } from '../model/model';
import type { ModelSpec } from '../model/spec';
import type { DeviceWeights } from '../model/weights';
import { processedEmbedding, processedHead, processedPositions, processedUnembed } from './processedWeights';
import { headSpectrum } from './spectrum';

/** The distinct tokens of a prompt, in first-seen order. */
export function distinctTokens(tokens: readonly number[]): number[] {
  return [...new Set(tokens)];
}

/** The weight processing behind the numbers, in words, for the UI. */
export function processingDescription(spec: ModelSpec): string {
  const parts =
    spec.normalization === 'layernorm'
      ? [
          'LayerNorm folded into W_Q/W_K/W_V and W_U (reading weights centered)',
          `${spec.positional === 'learned' ? 'W_E, W_pos, W_O' : 'W_E, W_O'} and MLP W_out centered`,
          'W_U centered over the vocabulary',
        ]
      : ['RMSNorm scales folded into W_Q/W_K/W_V and W_U (no centering)', 'W_U centered over the vocabulary'];
  parts.push('biases excluded');
  if (spec.positional === 'rotary') parts.push('rotary position embedding not included in QK');
  return `${parts.join('; ')} (TransformerLens from_pretrained defaults)`;
}

/** The model's raw weights on the backend; analyses only read them. */
function deviceWeights(model: TransformerModel): DeviceWeights {
  return model.weights;
}

function checkHead(spec: ModelSpec, layer: number, head: number): void {
  if (!Number.isInteger(layer) || layer < 0 || layer >= spec.nLayers || !Number.isInteger(head) || head < 0 || head >= spec.nHeads) {
    throw new EngineError('BAD_ARGUMENT', `head ${layer}.${head} does not exist (the model has ${spec.nLayers} layers × ${spec.nHeads} heads)`);
  }
}

/**
 * QK and OV circuits of head `head` of layer `layer` on the distinct `tokens` (first-seen order),
 * and, for learned-position models, the positional attention pattern over the prompt's
 * `tokens.length` positions.
 */
export async function headCircuits(model: TransformerModel, layer: number, head: number, tokens: readonly number[]): Promise<CircuitsResult> {
  const spec = model.spec;
  checkHead(spec, layer, head);
  checkTokens(spec, [tokens]);
  const weights = deviceWeights(model);
  const distinct = distinctTokens(tokens);
  const nPos = tokens.length;

  const outputs = tf.tidy(() => {
    const h = processedHead(spec, weights, layer, head);
    const embed = processedEmbedding(spec, weights, distinct); // [n, d_model]
    const { wU } = processedUnembed(spec, weights, distinct); // [d_model, n]
    const queries = tf.matMul(embed, h.wQ); // [n, d_head]
    const keys = tf.matMul(embed, h.wK); // [n, d_head]
    const qk = tf.matMul(queries, keys, false, true); // [query token, key token]
    const ov = tf.matMul(tf.matMul(tf.matMul(embed, h.wV), h.wO), wU); // [source token, output token]
    const positions = processedPositions(spec, weights, nPos); // [pos, d_model]
    if (!positions) return { qk, ov };
    const scores = tf.matMul(tf.matMul(positions, h.wQ), tf.matMul(positions, h.wK), false, true); // [query, key]
    const masked = tf.add(tf.mul(scores, spec.attnScale[layer]!), attentionMask(nPos, spec.attnWindow[layer]!));
    return { qk, ov, positional: tf.softmax(masked) };
  });

  try {
    const tokenizer = model.tokenizer;
    return {
      layer,
      head,
      tokens: distinct,
      tokenStrings: tokenizer ? distinct.map((id) => tokenizer.tokenString(id)) : undefined,
      qk: (await outputs.qk.data()) as Float32Array,
      ov: (await outputs.ov.data()) as Float32Array,
      ...(outputs.positional ? { positionalQk: (await outputs.positional.data()) as Float32Array, positions: nPos } : {}),
      spectrum: await headSpectrum(model, layer, head),
      processing: processingDescription(spec),
    };
  } finally {
    outputs.qk.dispose();
    outputs.ov.dispose();
    outputs.positional?.dispose();
  }
}
