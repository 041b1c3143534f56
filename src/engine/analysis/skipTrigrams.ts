/**
 * Skip-trigram tables of one head (Elhage et al. 2021, one-layer models: "source … destination →
 * output"), read off the full circuits over the whole vocabulary on the processed weights
 * (processedWeights.ts), one [d_vocab] row at a time, never a d_vocab × d_vocab matrix:
 *
 * - boosts / suppresses: the row of `token` in the full OV circuit W_E W_V^h W_O^h W_U — the
 *   logits added to each output token when the head attends to `token` — top and bottom k.
 *   TransformerLens: `(model.W_E[token] @ model.OV[l, h] @ model.W_U)`. W_U is centered over the
 *   vocabulary (center_unembed), so values are relative to the mean output token.
 * - attendsTo: the row of `token` as a query in the full QK circuit W_E W_Q^h W_K^hᵀ W_Eᵀ — the
 *   attention score (before the 1/√d_head scale and softmax) it gives each key token — top k.
 *   TransformerLens: `model.W_E[token] @ model.QK[l, h] @ model.W_E.T`. Rotary models leave the
 *   rotation out (as model.QK does), so this is the position-free part of the score.
 *
 * Biases are excluded, as from TL's factored matrices.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { SkipTrigrams, TokenList } from '../../protocol/engine';
import { EngineError } from '../errors';
import { checkHead, checkToken, type AnalysisModel } from './analysisModel';
import { processingDescription } from './circuits';
import { processedEmbedding, processedHead } from './processedWeights';

/** Tokens per table by default. */
export const DEFAULT_SKIP_TRIGRAM_K = 10;

/** The top k of `row` [d_vocab] (or the bottom k, most negative first, when `lowest`). */
async function ranked(model: AnalysisModel, row: tf.Tensor1D, k: number, lowest: boolean): Promise<TokenList> {
  const { values, indices } = tf.tidy(() => {
    const top = tf.topk(lowest ? tf.neg(row) : row, k);
    return { values: lowest ? tf.neg(top.values) : top.values, indices: top.indices };
  });
  try {
    const ids = Int32Array.from((await indices.data()) as Int32Array);
    const tokenizer = model.tokenizer;
    return {
      ids,
      values: Float32Array.from((await values.data()) as Float32Array),
      strings: tokenizer ? Array.from(ids, (id) => tokenizer.tokenString(id)) : undefined,
    };
  } finally {
    values.dispose();
    indices.dispose();
  }
}

/**
 * What head `layer`.`head` does with `token`: the k output tokens its OV circuit raises and lowers
 * most when it attends to `token`, and the k key tokens `token`, as a query, most attends to.
 */
export async function skipTrigrams(model: AnalysisModel, layer: number, head: number, token: number, k = DEFAULT_SKIP_TRIGRAM_K): Promise<SkipTrigrams> {
  const spec = model.spec;
  checkHead(spec, layer, head);
  checkToken(spec, token);
  if (!Number.isSafeInteger(k) || k <= 0) throw new EngineError('BAD_ARGUMENT', `k must be a positive whole number of tokens, got ${String(k)}`);
  const count = Math.min(k, spec.dVocab);
  const weights = model.weights;

  // Processing is linear, so it is applied to [d_model] vectors rather than to W_E or W_U:
  // row · U_p = ((row P) ⊙ ln_final.w) · (W_U − vocabulary mean) and W_E_p · col = W_E · (P col),
  // P centering over d_model for LayerNorm models (identity for RMSNorm).
  const centering = spec.normalization === 'layernorm';
  const center = (x: tf.Tensor) => (centering ? tf.sub(x, tf.mean(x)) : x);
  const { ovRow, qkRow } = tf.tidy(() => {
    const h = processedHead(spec, weights, layer, head);
    const embed = processedEmbedding(spec, weights, [token]); // [1, d_model]
    const output = tf.matMul(tf.matMul(embed, h.wV), h.wO); // [1, d_model]: W_E[token] W_V W_O
    const logits = tf.matMul(tf.mul(center(output), tf.reshape(weights.lnFinal.w, [1, -1])), weights.wU); // [1, vocab]
    const keyReader = tf.matMul(tf.matMul(embed, h.wQ), h.wK, false, true); // [1, d_model]: W_E[token] W_Q W_Kᵀ
    const scores = tf.matMul(weights.wE, tf.reshape(center(keyReader), [spec.dModel, 1])); // [vocab, 1]
    return {
      ovRow: tf.reshape(tf.sub(logits, tf.mean(logits)), [spec.dVocab]) as tf.Tensor1D, // minus (row P ⊙ w) · mean of W_U
      qkRow: tf.reshape(scores, [spec.dVocab]) as tf.Tensor1D,
    };
  });
  try {
    return {
      layer,
      head,
      token,
      boosts: await ranked(model, ovRow, count, false),
      suppresses: await ranked(model, ovRow, count, true),
      attendsTo: await ranked(model, qkRow, count, false),
      processing: processingDescription(spec),
    };
  } finally {
    ovRow.dispose();
    qkRow.dispose();
  }
}
