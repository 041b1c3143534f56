/**
 * Eigenvalues of a head's full OV and QK circuits and the paper's copying score (Elhage et al.
 * 2021, "A Mathematical Framework for Transformer Circuits", section on detecting copying), on the
 * processed weights TransformerLens's `from_pretrained` gives by default (processedWeights.ts).
 *
 * Definitions, as TransformerLens computes them:
 * - Full OV circuit W_E W_V^h W_O^h W_U, a d_vocab × d_vocab matrix. TL:
 *   `(model.W_E @ model.OV[l, h] @ model.W_U).eigenvalues`, where the FactoredMatrix products give
 *   A = W_E W_V (d_vocab × d_head), B = W_O W_U (d_head × d_vocab), and
 *   `FactoredMatrix.eigenvalues` = `torch.linalg.eig(B @ A)`: the d_head eigenvalues of the
 *   d_head × d_head matrix W_O W_U W_E W_V (λ(AB) = λ(BA) apart from zeros).
 * - Full QK circuit W_E W_Q^h W_K^hᵀ W_Eᵀ: `(model.W_E @ model.QK[l, h] @ model.W_E.T).eigenvalues`
 *   = eig(W_Kᵀ W_Eᵀ W_E W_Q). Grouped-query heads use their key/value head's W_K (TL repeats it).
 * - Copying score Re(Σλ) / Σ|λ| of each (TL/ARENA: `eig.sum(-1).real / eig.abs().sum(-1)`), in
 *   [−1, 1]: +1 when every eigenvalue is positive real (the head copies the attended token, or for
 *   QK attends to copies of itself). The paper's own summary statistic for OV copying.
 *
 * Neither product goes through a d_vocab × d_vocab matrix, nor through a processed copy of W_E
 * or W_U: the processing is linear, so it is applied to the small results instead (see
 * `headProducts`). `headSpectrum` contracts one head's factors with the vocabulary, about
 * 8·d_vocab·d_model·d_head flops; `allHeadSpectra` forms the d_model × d_model Grams W_U W_E and
 * W_Eᵀ W_E once (4·d_vocab·d_model² flops, half that with tied embeddings) and reads every head
 * from them: cheaper from about d_model / (2·d_head) heads on (6 for GPT-2). Biases are
 * excluded, as from TL's factored matrices; rotary models' QK circuits leave the rotation out
 * (as `model.QK` does).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { HeadSpectrum } from '../../protocol/engine';
import { EngineError } from '../errors';
import type { ModelSpec } from '../model/spec';
import type { DeviceWeights } from '../model/weights';
import { checkHead, disposeHeadWeights, processedLayerHeads, type AnalysisModel } from './analysisModel';
import { eigenvalues } from './linalg';
import { processedHead } from './processedWeights';

/** Progress of a long analysis, like a load's: a message and a fraction from 0 to 1. */
export interface AnalysisProgress {
  readonly message: string;
  readonly fraction: number;
}

export interface AnalysisOptions {
  /** Checked between steps: aborting throws EngineError CANCELLED. */
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: AnalysisProgress) => void;
}

/**
 * Re(Σλ) / Σ|λ| of eigenvalues given as [re, im] pairs: TransformerLens's copying score. 0 when
 * every eigenvalue is 0 (where TL would divide 0 by 0).
 */
export function copyingScore(eigs: ArrayLike<number>): number {
  let re = 0;
  let abs = 0;
  for (let i = 0; i + 1 < eigs.length; i += 2) {
    re += eigs[i]!;
    abs += Math.hypot(eigs[i]!, eigs[i + 1]!);
  }
  return abs > 0 ? re / abs : 0;
}

/** The spectrum of a head from its two d_head × d_head products (row-major). */
function spectrumOf(ov: ArrayLike<number>, qk: ArrayLike<number>, dHead: number): HeadSpectrum {
  const ovEigs = eigenvalues(ov, dHead);
  const qkEigs = eigenvalues(qk, dHead);
  return {
    ovEigenvalues: Float32Array.from(ovEigs),
    qkEigenvalues: Float32Array.from(qkEigs),
    copyingOV: copyingScore(ovEigs),
    copyingQK: copyingScore(qkEigs),
  };
}

/**
 * X ↦ the processed unembedding's reading of X: for a product U·X of the raw W_U [d_model, vocab]
 * with an X [vocab, k] whose columns sum to zero over the vocabulary, `unembedReading(U·X)` is
 * U_p·X for the processed U_p = center_d_model(ln_final.w ⊙ (U − vocabulary mean)) of
 * processedUnembed: (U − m1ᵀ)X = U X when 1ᵀX = 0, and scaling and centering over d_model act
 * on each column alone. [d_model, k] → [d_model, k]
 */
function unembedReading(spec: ModelSpec, weights: DeviceWeights, ux: tf.Tensor): tf.Tensor {
  const scaled = tf.mul(ux, tf.reshape(weights.lnFinal.w, [-1, 1]));
  return spec.normalization === 'layernorm' ? tf.sub(scaled, tf.mean(scaled, 0, true)) : scaled;
}

/** X [vocab, k] minus its mean over the vocabulary, so (U − m1ᵀ) X = U X̃. */
function centerOverVocab(x: tf.Tensor): tf.Tensor {
  return tf.sub(x, tf.mean(x, 0, true));
}

/**
 * One head's d_head × d_head products, OV = W_O W_U W_E W_V and QK = W_Kᵀ W_Eᵀ W_E W_Q, on the
 * processed weights, from the raw W_E and W_U: processed W_E = W_E P (P centers over d_model,
 * LayerNorm models; identity for RMSNorm) and processed reading weights already have P applied
 * (their columns are centered), so W_E_p W = W_E W. The unembedding side uses unembedReading.
 */
async function headProducts(spec: ModelSpec, weights: DeviceWeights, layer: number, head: number): Promise<{ ov: Float32Array; qk: Float32Array }> {
  const { dHead } = spec;
  const h = processedHead(spec, weights, layer, head);
  try {
    const products = tf.tidy(() => {
      const read = tf.matMul(weights.wE, tf.concat([h.wQ, h.wK, h.wV], 1)); // [vocab, 3·d_head]: W_E W_Q | W_E W_K | W_E W_V
      const queries = tf.slice(read, [0, 0], [-1, dHead]);
      const keys = tf.slice(read, [0, dHead], [-1, dHead]);
      const values = tf.slice(read, [0, 2 * dHead], [-1, dHead]);
      const unembedValues = unembedReading(spec, weights, tf.matMul(weights.wU, centerOverVocab(values))); // [d_model, d_head]: W_U W_E W_V
      const ov = tf.matMul(h.wO, unembedValues);
      const qk = tf.matMul(tf.transpose(keys), queries);
      return tf.stack([ov, qk]); // [2, d_head, d_head]
    });
    const values = (await products.data()) as Float32Array;
    products.dispose();
    return { ov: values.subarray(0, dHead * dHead), qk: values.subarray(dHead * dHead) };
  } finally {
    disposeHeadWeights(h);
  }
}

/** Eigenvalues of one head's full OV and QK circuits (via d_head × d_head products) and their copying scores. */
export async function headSpectrum(model: AnalysisModel, layer: number, head: number): Promise<HeadSpectrum> {
  checkHead(model.spec, layer, head);
  const { ov, qk } = await headProducts(model.spec, model.weights, layer, head);
  return spectrumOf(ov, qk, model.spec.dHead);
}

/**
 * The processed Grams C_OV = W_U_p W_E_p and C_QK = W_E_pᵀ W_E_p [d_model, d_model], from the raw
 * W_E, W_U: C_QK = P (W_Eᵀ W_E) P and C_OV = unembedReading(W_U W̃_E) P, W̃_E = W_E minus its
 * mean row. With tied embeddings (W_U = W_Eᵀ) one Gram serves both: W_U W̃_E = W_Eᵀ W_E − V ē ēᵀ.
 */
function embeddingGrams(spec: ModelSpec, weights: DeviceWeights): { cOV: tf.Tensor2D; cQK: tf.Tensor2D } {
  return tf.tidy(() => {
    const { wE, wU } = weights;
    const centering = spec.normalization === 'layernorm';
    const rightCenter = (x: tf.Tensor) => (centering ? tf.sub(x, tf.mean(x, 1, true)) : x); // X P
    const leftCenter = (x: tf.Tensor) => (centering ? tf.sub(x, tf.mean(x, 0, true)) : x); // P X
    const gram = spec.tiedEmbeddings ? tf.matMul(wU, wE) : tf.matMul(tf.transpose(wE), wE); // W_Eᵀ W_E
    let unembedEmbed: tf.Tensor; // W_U W̃_E
    if (spec.tiedEmbeddings) {
      const meanRow = tf.mean(wE, 0, true); // [1, d_model]
      unembedEmbed = tf.sub(gram, tf.mul(tf.matMul(meanRow, meanRow, true, false), spec.dVocab));
    } else {
      unembedEmbed = tf.matMul(wU, centerOverVocab(wE));
    }
    return {
      cOV: rightCenter(unembedReading(spec, weights, unembedEmbed)) as tf.Tensor2D,
      cQK: rightCenter(leftCenter(gram)) as tf.Tensor2D,
    };
  });
}

/**
 * The spectra of every head, [layer · nHeads + head], from the processed Grams (embeddingGrams):
 * OV^h = W_O^h C_OV W_V^h, QK^h = W_K^hᵀ C_QK W_Q^h. The same numbers as `headSpectrum` up to
 * float32 rounding.
 */
export async function allHeadSpectra(model: AnalysisModel, options: AnalysisOptions = {}): Promise<HeadSpectrum[]> {
  const spec = model.spec;
  const weights = model.weights;
  const { nLayers, nHeads, dHead } = spec;
  options.onProgress?.({ message: 'embedding Grams', fraction: 0 });
  const { cOV, cQK } = embeddingGrams(spec, weights);
  try {
    const spectra: HeadSpectrum[] = [];
    for (let layer = 0; layer < nLayers; layer++) {
      if (options.signal) {
        await new Promise((resolve) => setImmediate(resolve)); // let a cancel message arrive
        if (options.signal.aborted) throw new EngineError('CANCELLED', 'the analysis was cancelled');
      }
      const heads = await processedLayerHeads(spec, weights, layer);
      let products: tf.Tensor;
      try {
        products = tf.tidy(() =>
          tf.stack(heads.flatMap((h) => [tf.matMul(h.wO, tf.matMul(cOV, h.wV)), tf.matMul(tf.transpose(h.wK), tf.matMul(cQK, h.wQ))])),
        ); // [2·head + (0: OV, 1: QK), d_head, d_head]
      } finally {
        heads.forEach(disposeHeadWeights);
      }
      const values = (await products.data()) as Float32Array;
      products.dispose();
      const size = dHead * dHead;
      for (let head = 0; head < nHeads; head++) {
        spectra.push(spectrumOf(values.subarray(2 * head * size, (2 * head + 1) * size), values.subarray((2 * head + 1) * size, (2 * head + 2) * size), dHead));
      }
      options.onProgress?.({ message: `eigenvalues of layer ${layer}`, fraction: (layer + 1) / nLayers });
    }
    return spectra;
  } finally {
    cOV.dispose();
    cQK.dispose();
  }
}
