/**
 * Logit lens: what the model would predict if the residual stream stopped after each layer. The
 * final norm is applied to each residual (with its own statistics, as TransformerLens's
 * `apply_ln_to_stack(..., recompute_ln=True)` and nostalgebraist's original do), then the raw
 * unembedding W_U (+ b_U); softmax; top-k. Entry 0 reads the embeddings (blocks.0.hook_resid_pre),
 * entry l + 1 reads blocks.l.hook_resid_post, so the last entry is the model's own prediction.
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkTokens } from '../model/forward';
import { HOOK } from '../model/hooks';
import { linear, normalize } from '../model/layers';
import type { TransformerModel } from '../model/model';

export interface LogitLens {
  readonly k: number;
  /** [layer + 1, pos, k] row-major; entry 0 = embeddings. */
  readonly ids: Int32Array;
  readonly probs: Float32Array;
  readonly strings?: readonly string[];
}

/** The residual-stream hook names the lens reads, in order (embeddings first). */
export function lensHookNames(layers: number): string[] {
  return [HOOK.residPre(0), ...Array.from({ length: layers }, (_, l) => HOOK.residPost(l))];
}

/**
 * Top-k predictions from each residual [1, pos, d_model] (one per lens entry, as `lensHookNames`
 * orders them). The residuals are only read.
 */
export async function lensFromResiduals(model: TransformerModel, residuals: readonly tf.Tensor[], k: number): Promise<LogitLens> {
  const { spec, weights } = model;
  const pos = residuals[0]!.shape[1]!;
  const kept = Math.min(k, spec.dVocab);
  const ids = new Int32Array(residuals.length * pos * kept);
  const probs = new Float32Array(residuals.length * pos * kept);
  for (let entry = 0; entry < residuals.length; entry++) {
    // One entry at a time: [pos, vocab] logits live only inside this tidy.
    const { values, indices } = tf.tidy(() => {
      const logits = linear(normalize(spec, residuals[entry]!, weights.lnFinal), weights.wU, weights.bU); // [1, pos, vocab]
      return tf.topk(tf.softmax(tf.reshape(logits, [pos, spec.dVocab])), kept); // [pos, k]
    });
    try {
      probs.set((await values.data()) as Float32Array, entry * pos * kept);
      ids.set(await indices.data(), entry * pos * kept);
    } finally {
      values.dispose();
      indices.dispose();
    }
  }
  const tokenizer = model.tokenizer;
  return { k: kept, ids, probs, strings: tokenizer ? Array.from(ids, (id) => tokenizer.tokenString(id)) : undefined };
}

/** Logit lens of one token sequence: top-k predictions after each layer at every position. */
export async function logitLens(model: TransformerModel, tokens: readonly number[], k = 5, signal?: AbortSignal): Promise<LogitLens> {
  checkTokens(model.spec, [tokens]);
  const names = lensHookNames(model.spec.nLayers);
  const result = await model.runWithCache(tokens, names, { logits: 'none', loss: false, signal });
  try {
    return await lensFromResiduals(model, names.map((name) => result.cache.get(name)!), k);
  } finally {
    result.dispose();
  }
}
