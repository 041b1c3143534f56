/**
 * TransformerLens's default weight processing (`HookedTransformer.from_pretrained` with fold_ln,
 * center_writing_weights, center_unembed and fold_value_biases), as pure functions on a model's
 * device weights. Circuit analyses read these processed weights; the exact forward pass keeps
 * reading the raw ones, so nothing here modifies its input: every function returns NEW tensors
 * (the caller disposes them) and frees its intermediates.
 *
 * What TransformerLens does (transformer_lens/weight_processing.py, `ProcessWeights`), in order:
 * 1. fold_ln. LayerNorm: each norm's bias is folded into the biases of the weights reading it
 *    (b += ln.b @ W, with W before scaling), its scale into their rows (W *= ln.w[:, None]), and
 *    those reading weights (W_Q, W_K, W_V, MLP W_in/W_gate, W_U) are centered over d_model,
 *    since LayerNorm's input has its mean removed anyway. The norms become "LNPre": w = 1, b = 0.
 *    RMSNorm: the scales only; no bias, no centering (RMSNorm does not remove the mean).
 * 2. center_writing_weights (LayerNorm models only): W_E, W_pos, W_O, MLP W_out minus their mean
 *    over d_model, b_O and b_out minus their mean.
 * 3. center_unembed (every model): W_U minus its mean over the vocabulary, b_U minus its mean.
 *    Logits change by a per-position constant; log-probabilities do not.
 * 4. fold_value_biases: b_O += Σ_h b_V[kv(h)] @ W_O[h] and b_V = 0 (patterns sum to 1, so a value
 *    bias adds a constant to the layer's output); b_O is centered again for LayerNorm models.
 *
 * Layouts are ours (`x @ W`, see model/weights.ts): W_Q [d_model, heads·d_head], W_O
 * [heads·d_head, d_model], W_U [d_model, vocab]. "Reading" operations act per column of a
 * [d_model, k] matrix and "writing" ones per row of a [k, d_model] matrix, so they commute with
 * slicing out one head or gathering a few tokens: the restricted functions below slice first and
 * never copy a full embedding or unembedding.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ModelSpec } from '../model/spec';
import type { AttentionWeights, DeviceWeights, MlpWeights, ModelWeights, NormWeights } from '../model/weights';

/** Query head `head` reads key/value head floor(head / (nHeads / nKvHeads)). */
export function kvHeadOf(spec: ModelSpec, head: number): number {
  return Math.floor(head / (spec.nHeads / spec.nKvHeads));
}

/** TransformerLens centers weights only for LayerNorm models (RMSNorm does not remove the mean). */
function centers(spec: ModelSpec): boolean {
  return spec.normalization === 'layernorm';
}

/** [d_model, k] − its mean over d_model (axis 0), per column. */
function centerReading(w: tf.Tensor): tf.Tensor {
  return tf.sub(w, tf.mean(w, 0, true));
}

/** [k, d_model] − its mean over d_model (last axis), per row. */
function centerWriting(w: tf.Tensor): tf.Tensor {
  return tf.sub(w, tf.mean(w, -1, true));
}

/** A vector minus its mean. */
function centerVector(b: tf.Tensor): tf.Tensor {
  return tf.sub(b, tf.mean(b));
}

/** Norm scale folded into a reading weight [d_model, k], then centered (LayerNorm). */
function foldReadingWeight(spec: ModelSpec, w: tf.Tensor, norm: NormWeights<tf.Tensor>): tf.Tensor {
  const scaled = tf.mul(w, tf.reshape(norm.w, [-1, 1]));
  return centers(spec) ? centerReading(scaled) : scaled;
}

/**
 * Σ_rows v[row] · W[row, :] for W [rows, k], v [rows] → [k], as one [1, rows] · [rows, k] matmul
 * (a broadcast multiply-and-sum over a [d_model, vocab] unembedding takes ~1 s on wasm; the matmul
 * ~10 ms). The result is copied into a fresh rank-1 tensor rather than reshaped: the wasm
 * backend's fused matmul checks the rank a bias's *data* was created with, so a reshape of a
 * rank-2 result fails there when the forward pass uses it as a bias.
 */
function weightedRowSum(w: tf.Tensor, v: tf.Tensor): tf.Tensor {
  const row = tf.matMul(tf.reshape(v, [1, -1]), w as tf.Tensor2D); // [1, k]
  return tf.tensor1d(row.dataSync() as Float32Array);
}

/** Norm bias folded into a reading weight's bias: b + ln.b @ W (W unscaled). [k] or undefined */
function foldReadingBias(w: tf.Tensor, b: tf.Tensor | undefined, norm: NormWeights<tf.Tensor>): tf.Tensor | undefined {
  if (!norm.b) return b === undefined ? undefined : tf.clone(b);
  const folded = weightedRowSum(w, norm.b);
  return b ? tf.add(b, folded) : folded;
}

/**
 * One head's processed factors: W_Q^h, W_K^h, W_V^h [d_model, d_head] (K and V from the head's
 * key/value head) and W_O^h [d_head, d_model]. Biases are left out: circuits exclude them.
 */
export interface HeadWeights {
  readonly wQ: tf.Tensor2D;
  readonly wK: tf.Tensor2D;
  readonly wV: tf.Tensor2D;
  readonly wO: tf.Tensor2D;
}

/** Processed factors of one head, sliced from the raw weights before processing. */
export function processedHead(spec: ModelSpec, weights: DeviceWeights, layer: number, head: number): HeadWeights {
  return tf.tidy(() => {
    const block = weights.blocks[layer]!;
    const { dModel, dHead } = spec;
    const kv = kvHeadOf(spec, head);
    const columns = (w: tf.Tensor, index: number) => tf.slice(w, [0, index * dHead], [dModel, dHead]);
    const wO = tf.slice(block.attn.wO, [head * dHead, 0], [dHead, dModel]);
    return {
      wQ: foldReadingWeight(spec, columns(block.attn.wQ, head), block.ln1) as tf.Tensor2D,
      wK: foldReadingWeight(spec, columns(block.attn.wK, kv), block.ln1) as tf.Tensor2D,
      wV: foldReadingWeight(spec, columns(block.attn.wV, kv), block.ln1) as tf.Tensor2D,
      wO: (centers(spec) ? centerWriting(wO) : wO) as tf.Tensor2D,
    };
  });
}

/** A whole attention layer, processed; bV is folded away (undefined) and bO carries it. */
export function processedAttention(spec: ModelSpec, weights: DeviceWeights, layer: number): AttentionWeights<tf.Tensor> {
  return tf.tidy(() => {
    const { attn, ln1 } = weights.blocks[layer]!;
    const wO = centers(spec) ? centerWriting(attn.wO) : tf.clone(attn.wO);
    let bO = attn.bO && (centers(spec) ? centerVector(attn.bO) : tf.clone(attn.bO));
    const bV = foldReadingBias(attn.wV, attn.bV, ln1);
    if (bV) {
      // b_O += Σ_h b_V[kv(h)] @ W_O[h], W_O already centered (TransformerLens folds after centering).
      const index = Array.from({ length: spec.nHeads * spec.dHead }, (_, i) => {
        const h = Math.floor(i / spec.dHead);
        return kvHeadOf(spec, h) * spec.dHead + (i % spec.dHead);
      });
      const perQueryHead = tf.gather(bV, tf.tensor1d(index, 'int32')); // [heads·d_head]
      const folded = weightedRowSum(wO, perQueryHead);
      bO = bO ? tf.add(bO, folded) : folded;
      if (centers(spec)) bO = centerVector(bO);
    }
    return {
      wQ: foldReadingWeight(spec, attn.wQ, ln1),
      bQ: foldReadingBias(attn.wQ, attn.bQ, ln1),
      wK: foldReadingWeight(spec, attn.wK, ln1),
      bK: foldReadingBias(attn.wK, attn.bK, ln1),
      wV: foldReadingWeight(spec, attn.wV, ln1),
      wO,
      bO,
    };
  });
}

/** A whole MLP, processed: ln2 folded into W_in (and W_gate); W_out, b_out centered (LayerNorm). */
export function processedMlp(spec: ModelSpec, weights: DeviceWeights, layer: number): MlpWeights<tf.Tensor> {
  return tf.tidy(() => {
    const { mlp, ln2 } = weights.blocks[layer]!;
    return {
      wIn: foldReadingWeight(spec, mlp.wIn, ln2),
      bIn: foldReadingBias(mlp.wIn, mlp.bIn, ln2),
      wGate: mlp.wGate && foldReadingWeight(spec, mlp.wGate, ln2),
      bGate: mlp.wGate && foldReadingBias(mlp.wGate, mlp.bGate, ln2),
      wOut: centers(spec) ? centerWriting(mlp.wOut) : tf.clone(mlp.wOut),
      bOut: mlp.bOut && (centers(spec) ? centerVector(mlp.bOut) : tf.clone(mlp.bOut)),
    };
  });
}

/** Processed token embedding rows: W_E[tokens] (all rows when omitted), centered (LayerNorm). [n, d_model] */
export function processedEmbedding(spec: ModelSpec, weights: DeviceWeights, tokens?: readonly number[]): tf.Tensor2D {
  return tf.tidy(() => {
    const rows = tokens ? tf.gather(weights.wE, tf.tensor1d(tokens as number[], 'int32')) : tf.clone(weights.wE);
    return (centers(spec) ? centerWriting(rows) : rows) as tf.Tensor2D;
  });
}

/** Processed learned positions W_pos[:nPos] (all when omitted), centered (LayerNorm). Undefined for rotary models. */
export function processedPositions(spec: ModelSpec, weights: DeviceWeights, nPos?: number): tf.Tensor2D | undefined {
  const wPos = weights.wPos;
  if (!wPos) return undefined;
  return tf.tidy(() => {
    const rows = nPos === undefined ? tf.clone(wPos) : tf.slice(wPos, [0, 0], [nPos, spec.dModel]);
    return (centers(spec) ? centerWriting(rows) : rows) as tf.Tensor2D;
  });
}

/**
 * Processed unembedding columns W_U[:, tokens] (all columns when omitted) [d_model, n], and b_U
 * [n] (undefined, i.e. zero, when the model has neither b_U nor a final-norm bias).
 *
 * TransformerLens: W_U ← center_d_model(ln_final.w ⊙ W_U), then minus its mean over the vocabulary.
 * Both steps are linear per column, so with m = mean over the vocabulary of the raw W_U this is
 * center_d_model(ln_final.w ⊙ (W_U[:, tokens] − m)): the same numbers without a full copy.
 * b_U ← b_U + ln_final.b @ W_U (raw), then minus its mean over the vocabulary.
 */
export function processedUnembed(
  spec: ModelSpec,
  weights: DeviceWeights,
  tokens?: readonly number[],
): { readonly wU: tf.Tensor2D; readonly bU?: tf.Tensor1D } {
  return tf.tidy(() => {
    const { wU, bU, lnFinal } = weights;
    const index = tokens && tf.tensor1d(tokens as number[], 'int32');
    const columns = index ? tf.gather(wU, index, 1) : wU; // [d_model, n]
    const vocabMean = tf.mean(wU, 1, true); // [d_model, 1]
    const scaled = tf.mul(tf.sub(columns, vocabMean), tf.reshape(lnFinal.w, [-1, 1]));
    const processedW = (centers(spec) ? centerReading(scaled) : scaled) as tf.Tensor2D;
    let fullBias = foldReadingBias(wU, bU, lnFinal); // [vocab]
    if (!fullBias) return { wU: processedW };
    fullBias = centerVector(fullBias);
    return { wU: processedW, bU: (index ? tf.gather(fullBias, index) : fullBias) as tf.Tensor1D };
  });
}

/**
 * The whole model processed as TransformerLens's from_pretrained does by default. The result is
 * a complete weights tree the forward pass can run (norms become scale-1, bias-free): it gives
 * the raw model's logits minus their mean over the vocabulary. Dispose it with
 * `allWeights(processed).forEach((t) => t.dispose())`.
 */
export function processWeights(spec: ModelSpec, weights: DeviceWeights): DeviceWeights {
  const made: tf.Tensor[] = [];
  const keep = <T extends tf.Tensor | undefined>(t: T): T => {
    if (t) made.push(t);
    return t;
  };
  try {
    const unembed = processedUnembed(spec, weights);
    keep(unembed.wU);
    keep(unembed.bU);
    // A norm after folding: scale 1, no bias (TransformerLens's LNPre / RMSPre).
    const identityNorm = (): NormWeights<tf.Tensor> => ({ w: keep(tf.ones([spec.dModel])) });
    const processed: ModelWeights<tf.Tensor> = {
      wE: keep(processedEmbedding(spec, weights)),
      wPos: keep(processedPositions(spec, weights)),
      blocks: weights.blocks.map((_, layer) => {
        const attn = processedAttention(spec, weights, layer);
        Object.values(attn).forEach((t) => keep(t as tf.Tensor | undefined));
        const mlp = processedMlp(spec, weights, layer);
        Object.values(mlp).forEach((t) => keep(t as tf.Tensor | undefined));
        return { ln1: identityNorm(), attn, ln2: identityNorm(), mlp };
      }),
      lnFinal: identityNorm(),
      wU: unembed.wU,
      bU: unembed.bU,
    };
    return processed;
  } catch (error) {
    made.forEach((t) => t.dispose());
    throw error;
  }
}
