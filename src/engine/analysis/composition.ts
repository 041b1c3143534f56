/**
 * Q-, K- and V-composition scores between every head and every head of a later layer (Elhage et
 * al. 2021, "A Mathematical Framework for Transformer Circuits": ‖L·R‖_F / (‖L‖_F ‖R‖_F)), as
 * TransformerLens's `HookedTransformer.all_composition_scores(mode)` computes them, on the
 * processed weights of `from_pretrained` (processedWeights.ts):
 *
 *   left  L = W_OV^1 = W_V^1 W_O^1 of the earlier head (model.OV)
 *   right R = W_QK^2 = W_Q^2 W_K^2ᵀ for Q-composition (model.QK),
 *             W_QK^2ᵀ = W_K^2 W_Q^2ᵀ for K-composition (model.QK.T),
 *             W_OV^2 = W_V^2 W_O^2 for V-composition (model.OV),
 *
 * all d_model × d_model in TL's row-vector convention (x @ W), so L·R is "head 1's output read by
 * head 2's queries / keys / values". Grouped-query heads use their key/value head's W_K and W_V,
 * as TL's repeated W_K/W_V do. Scores are [layer1, head1, layer2, head2], zero where
 * layer1 ≥ layer2 (TL's mask). Biases are excluded (TL's factored matrices have none). A head
 * whose W_OV or W_QK is zero (pruned) scores 0 where TL would divide 0 by 0.
 *
 * How, without a d_model × d_model matrix per head: with L = A_L B_L (A_L = W_V [d_model, d_head],
 * B_L = W_O [d_head, d_model]) and R = A_R B_R, ‖L R‖_F² = tr(B_Lᵀ G_L B_L · A_R H_R A_Rᵀ) where
 * G_L = A_Lᵀ A_L and H_R = B_R B_Rᵀ are d_head × d_head. Cholesky G_L = S_Lᵀ S_L, H_R = T_R T_Rᵀ
 * (float64, on the CPU) collapse each side to a d_head-row factor, exactly what TL's
 * `collapse_l` / `collapse_r` do with an SVD: P_L = S_L B_L [d_head, d_model] and
 * Q_R = A_R T_R [d_model, d_head], with ‖L R‖_F = ‖P_L Q_R‖_F, ‖L‖_F² = tr(G_L B_L B_Lᵀ),
 * ‖R‖_F² = tr(A_Rᵀ A_R H_R). Then for each pair of layers one matmul
 * P_{layer1} [heads·d_head, d_model] × [Q_R of every head and kind of layer2]
 * [d_model, 3·heads·d_head], squared and summed per d_head × d_head block, gives every numerator:
 * 2·d_model·(heads·d_head)²·3 flops per layer pair (≈ 180 GFLOP for GPT-2 small), a sum of
 * squares with no cancellation.
 *
 * Baseline (the paper compares scores with those of random matrices of the same shapes): the
 * mean score of `BASELINE_SAMPLES` (300) random pairs L = A₁B₁ᵀ, R = A₂B₂ᵀ whose four factors
 * are d_model × d_head matrices of independent N(0, 1) entries. ARENA's exercise
 * (`generate_single_random_comp_score`, 300 samples) draws kaiming-uniform factors instead; the
 * score is scale-free, and for GPT-2-small shapes both give 0.0361 (ARENA's recipe through TL:
 * 0.03607, ours 0.03609; sample sd 0.0004, so the mean's standard error is ≈ 2·10⁻⁵). The score depends on the factors
 * only through their d_head × d_head Grams, which are drawn directly from the Wishart
 * distribution by the Bartlett decomposition (seeded; sampling 4 Gaussian d_model × d_head
 * matrices would give the same distribution at d_model/d_head times the cost). Q-, K- and
 * V-composition compare matrices of the same shapes, so one estimate serves all three.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { CompositionScores } from '../../protocol/engine';
import { EngineError } from '../errors';
import type { ModelSpec } from '../model/spec';
import { disposeHeadWeights, processedLayerHeads, type AnalysisModel } from './analysisModel';
import { processingDescription } from './circuits';
import { choleskyLower, SeededRandom, traceOfProduct, transposeSquare } from './linalg';
import type { HeadWeights } from './processedWeights';
import type { AnalysisOptions } from './spectrum';

/** Random pairs averaged for the baseline. */
export const BASELINE_SAMPLES = 300;

export interface CompositionOptions extends AnalysisOptions {
  /** Subtract the random-matrix baseline from every score (layer1 < layer2) and report it. */
  readonly baseline: boolean;
  /** Seed of the baseline's random matrices (default 0), an integer from 0 to 2³² − 1. */
  readonly seed?: number;
  /** How many random pairs the baseline averages (default BASELINE_SAMPLES). */
  readonly baselineSamples?: number;
}

const KINDS = ['q', 'k', 'v'] as const;

/** One layer's collapsed factors. */
interface LayerFactors {
  /** P of every head, stacked: [heads·d_head, d_model]. */
  readonly left: tf.Tensor2D;
  /** Q_R of every kind and head, [d_model, 3·heads·d_head], column (kind·heads + head)·d_head + i. */
  readonly right: tf.Tensor2D;
  /** ‖W_OV^h‖_F² per head. */
  readonly ovNorm2: Float64Array;
  /** ‖W_QK^h‖_F² per head (Q and K composition; W_QKᵀ has the same norm). */
  readonly qkNorm2: Float64Array;
}

async function checkpoint(options: AnalysisOptions): Promise<void> {
  if (!options.signal) return;
  await new Promise((resolve) => setImmediate(resolve)); // let a cancel message arrive
  if (options.signal.aborted) throw new EngineError('CANCELLED', 'the analysis was cancelled');
}

/** The collapsed factors of one layer (see the file comment). */
async function layerFactors(spec: ModelSpec, model: AnalysisModel, layer: number): Promise<LayerFactors> {
  const { nHeads, dHead } = spec;
  const heads = await processedLayerHeads(spec, model.weights, layer);
  try {
    // Per head, d_head × d_head: W_Qᵀ W_Q, W_Kᵀ W_K, W_Vᵀ W_V, W_O W_Oᵀ (2-D matmuls: wasm's batched kernel is slow).
    const gramTensor = tf.tidy(() =>
      tf.stack(
        heads.flatMap((h) => {
          const gram = (w: tf.Tensor2D) => tf.matMul(tf.transpose(w), w);
          return [gram(h.wQ), gram(h.wK), gram(h.wV), tf.matMul(h.wO, tf.transpose(h.wO))];
        }),
      ),
    );
    const grams = (await gramTensor.data()) as Float32Array;
    gramTensor.dispose();
    const size = dHead * dHead;
    const gram = (head: number, which: number) => grams.subarray((4 * head + which) * size, (4 * head + which + 1) * size);

    const ovNorm2 = new Float64Array(nHeads);
    const qkNorm2 = new Float64Array(nHeads);
    // S_L = chol(G_V)ᵀ; T for Q (H = W_Kᵀ W_K), for K (H = W_Qᵀ W_Q), for V (H = W_O W_Oᵀ).
    const leftFactor: Float32Array[] = [];
    const rightFactor: Float32Array[][] = [[], [], []];
    for (let head = 0; head < nHeads; head++) {
      const [gQ, gK, gV, gO] = [0, 1, 2, 3].map((which) => gram(head, which)) as [Float32Array, Float32Array, Float32Array, Float32Array];
      ovNorm2[head] = traceOfProduct(gV, gO, dHead);
      qkNorm2[head] = traceOfProduct(gQ, gK, dHead);
      leftFactor.push(Float32Array.from(transposeSquare(choleskyLower(gV, dHead), dHead)));
      rightFactor[0]!.push(Float32Array.from(choleskyLower(gK, dHead)));
      rightFactor[1]!.push(Float32Array.from(choleskyLower(gQ, dHead)));
      rightFactor[2]!.push(Float32Array.from(choleskyLower(gO, dHead)));
    }
    const { left, right } = tf.tidy(() => {
      const square = (values: Float32Array) => tf.tensor2d(values, [dHead, dHead]);
      const left = tf.concat(heads.map((h, head) => tf.matMul(square(leftFactor[head]!), h.wO)), 0) as tf.Tensor2D;
      const reads = (h: HeadWeights) => [h.wQ, h.wK, h.wV] as const;
      const right = tf.concat(
        KINDS.flatMap((_, kind) => heads.map((h, head) => tf.matMul(reads(h)[kind], square(rightFactor[kind]![head]!)))),
        1,
      ) as tf.Tensor2D;
      return { left, right };
    });
    return { left, right, ovNorm2, qkNorm2 };
  } finally {
    heads.forEach(disposeHeadWeights);
  }
}

/**
 * Q-, K- and V-composition scores of every pair of heads in earlier → later layers, optionally
 * minus the random-matrix baseline. Each score array is [layer1, head1, layer2, head2] flattened.
 */
export async function compositionScores(model: AnalysisModel, options: CompositionOptions): Promise<CompositionScores> {
  const spec = model.spec;
  const { nLayers, nHeads, dHead } = spec;
  const seed = options.seed ?? 0;
  const samples = options.baselineSamples ?? BASELINE_SAMPLES;
  if (!Number.isSafeInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new EngineError('BAD_ARGUMENT', `the seed must be an integer from 0 to 4294967295, got ${String(seed)}`);
  }
  if (!Number.isSafeInteger(samples) || samples <= 0) {
    throw new EngineError('BAD_ARGUMENT', `the baseline needs a positive whole number of samples, got ${String(samples)}`);
  }
  const size = nLayers * nHeads * nLayers * nHeads;
  const scores = { q: new Float32Array(size), k: new Float32Array(size), v: new Float32Array(size) };
  const layerPairs = (nLayers * (nLayers - 1)) / 2;
  const progress = (message: string, fraction: number) => options.onProgress?.({ message, fraction });

  const factors: LayerFactors[] = [];
  try {
    for (let layer = 0; layer < nLayers; layer++) {
      await checkpoint(options);
      factors.push(await layerFactors(spec, model, layer));
      progress(`factors of layer ${layer}`, (0.1 * (layer + 1)) / nLayers);
    }
    let done = 0;
    for (let layer1 = 0; layer1 < nLayers - 1; layer1++) {
      const later = nLayers - 1 - layer1;
      // Squared numerators for every later layer: [later, head1, kind·heads + head2].
      const numerators = tf.tidy(() =>
        tf.stack(
          factors.slice(layer1 + 1).map((f2) => {
            const product = tf.matMul(factors[layer1]!.left, f2.right); // [heads·d_head, 3·heads·d_head]
            return tf.sum(tf.square(tf.reshape(product, [nHeads, dHead, 3 * nHeads, dHead])), [1, 3]);
          }),
        ),
      );
      const values = (await numerators.data()) as Float32Array;
      numerators.dispose();
      const left = factors[layer1]!;
      for (let offset = 0; offset < later; offset++) {
        const layer2 = layer1 + 1 + offset;
        const right = factors[layer2]!;
        for (let head1 = 0; head1 < nHeads; head1++) {
          for (let kind = 0; kind < 3; kind++) {
            for (let head2 = 0; head2 < nHeads; head2++) {
              const numerator2 = values[(offset * nHeads + head1) * 3 * nHeads + kind * nHeads + head2]!;
              const denominator2 = left.ovNorm2[head1]! * (kind === 2 ? right.ovNorm2[head2]! : right.qkNorm2[head2]!);
              const index = ((layer1 * nHeads + head1) * nLayers + layer2) * nHeads + head2;
              scores[KINDS[kind]!][index] = denominator2 > 0 ? Math.sqrt(Math.max(0, numerator2) / denominator2) : 0;
            }
          }
        }
      }
      done += later;
      progress(`composition with layer ${layer1}`, 0.1 + (0.9 * done) / layerPairs);
      await checkpoint(options);
    }
  } finally {
    factors.forEach((f) => {
      f.left.dispose();
      f.right.dispose();
    });
  }
  if (layerPairs === 0) progress('composition', 1);

  let baseline: CompositionScores['baseline'];
  if (options.baseline) {
    const mean = compositionBaseline(spec.dModel, dHead, samples, seed);
    baseline = { q: mean, k: mean, v: mean };
    for (let layer1 = 0; layer1 < nLayers; layer1++) {
      for (let layer2 = layer1 + 1; layer2 < nLayers; layer2++) {
        for (let head1 = 0; head1 < nHeads; head1++) {
          const start = ((layer1 * nHeads + head1) * nLayers + layer2) * nHeads;
          for (const kind of KINDS) for (let head2 = 0; head2 < nHeads; head2++) scores[kind][start + head2]! -= mean;
        }
      }
    }
  }
  const processing = processingDescription(spec);
  return {
    layers: nLayers,
    heads: nHeads,
    ...scores,
    ...(baseline ? { baseline } : {}),
    processing: baseline ? `${processing}; random baseline (mean of ${samples} Gaussian pairs, seed ${seed}) subtracted` : processing,
  };
}

/**
 * Upper-triangular R [min(n, p), p] with Rᵀ R distributed as XᵀX for X an n × p matrix of
 * independent N(0, 1) entries (Bartlett: R_ii² ~ χ²_{n−i}, R_ij ~ N(0, 1) above the diagonal).
 * Row-major.
 */
function bartlettFactor(random: SeededRandom, n: number, p: number): Float64Array {
  const rows = Math.min(n, p);
  const r = new Float64Array(rows * p);
  for (let i = 0; i < rows; i++) {
    r[i * p + i] = Math.sqrt(random.chiSquare(n - i));
    for (let j = i + 1; j < p; j++) r[i * p + j] = random.normal();
  }
  return r;
}

/** C = A Bᵀ for row-major A [m, k] and B [n, k] (columns c0 ≤ j < c1 of B's rows). */
function timesTransposed(a: Float64Array, m: number, b: Float64Array, n: number, k: number, bStride: number, bOffset: number): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let t = 0; t < k; t++) sum += a[i * k + t]! * b[j * bStride + bOffset + t]!;
      c[i * n + j] = sum;
    }
  }
  return c;
}

function squaredNorm(a: Float64Array): number {
  let sum = 0;
  for (const v of a) sum += v * v;
  return sum;
}

/**
 * Mean composition score ‖A₁B₁ᵀA₂B₂ᵀ‖_F / (‖A₁B₁ᵀ‖_F ‖A₂B₂ᵀ‖_F) over `samples` draws of four
 * independent d_model × d_head standard-normal matrices, seeded (see the file comment).
 *
 * With G₁ = A₁ᵀA₁ = R₁ᵀR₁, H₂ = B₂ᵀB₂ = R₃ᵀR₃ and [B₁ A₂]ᵀ[B₁ A₂] = [R_a R_b]ᵀ[R_a R_b] (all
 * Bartlett factors): ‖A₁B₁ᵀA₂B₂ᵀ‖² = tr(G₁ (B₁ᵀA₂) H₂ (B₁ᵀA₂)ᵀ) = ‖X Y‖² with X = R₁R_aᵀ,
 * Y = R_b R₃ᵀ; ‖A₁B₁ᵀ‖² = tr(G₁ B₁ᵀB₁) = ‖X‖² and ‖A₂B₂ᵀ‖² = ‖Y‖².
 */
export function compositionBaseline(dModel: number, dHead: number, samples: number, seed: number): number {
  const random = new SeededRandom(seed);
  const q1 = Math.min(dModel, dHead);
  const q2 = Math.min(dModel, 2 * dHead);
  let total = 0;
  for (let s = 0; s < samples; s++) {
    const r1 = bartlettFactor(random, dModel, dHead); // [q1, d_head]
    const joint = bartlettFactor(random, dModel, 2 * dHead); // [q2, 2·d_head]
    const r3 = bartlettFactor(random, dModel, dHead); // [q1, d_head]
    // X = R₁ R_aᵀ [q1, q2], Yᵀ = R₃ R_bᵀ [q1, q2] (R_a, R_b: the first / last d_head columns of the joint factor).
    const x = timesTransposed(r1, q1, joint, q2, dHead, 2 * dHead, 0);
    const yT = timesTransposed(r3, q1, joint, q2, dHead, 2 * dHead, dHead);
    const xy = timesTransposed(x, q1, yT, q1, q2, q2, 0); // X Y = X (Yᵀ)ᵀ [q1, q1]
    const denominator = squaredNorm(x) * squaredNorm(yT);
    total += denominator > 0 ? Math.sqrt(squaredNorm(xy) / denominator) : 0;
  }
  return total / samples;
}
