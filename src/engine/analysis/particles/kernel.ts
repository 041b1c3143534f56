/**
 * One head's attention as the interaction kernel between the particles of its layer (the paper's
 * e^{β⟨Qx_i, Kx_j⟩}/Z_i), and an "effective β": how well the head's pre-softmax scores are a
 * multiple of the particles' cosines.
 *
 * Fit: scores_ij ≈ β·cos_ij + c_i over the entries the head may attend to (causal, inside its
 * window), by least squares with one intercept per query row. The intercepts absorb what softmax
 * ignores anyway (a per-row shift), so β is the slope of the within-row regression:
 * β = Σ (s_ij − s̄_i)(cos_ij − cos̄_i) / Σ (cos_ij − cos̄_i)², and R² is that regression's
 * within-row coefficient of determination, 1 − SS_res / Σ (s_ij − s̄_i)² — the share of the
 * score variation *inside* rows (the part that shapes the pattern) the cosines explain. Rows with
 * a single entry (the first token) carry no information and drop out.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ParticleKernel } from '../../../protocol/particles';
import { EngineError } from '../../errors';
import { HOOK, type HookFn } from '../../model/hooks';
import type { TransformerModel } from '../../model/model';
import { normalizeLikeNorm } from './normalizedStream';
import { gram, unitRows } from './sphereStats';

/** Throws BAD_ARGUMENT unless layer.head exists in the model. */
export function checkHead(model: TransformerModel, layer: number, head: number): void {
  const { nLayers, nHeads } = model.spec;
  if (!Number.isInteger(layer) || layer < 0 || layer >= nLayers || !Number.isInteger(head) || head < 0 || head >= nHeads) {
    throw new EngineError('BAD_ARGUMENT', `head ${layer}.${head} does not exist (the model has ${nLayers} layers × ${nHeads} heads)`);
  }
}

/** Slope, intercepts and within-row R² of scores ≈ β·cos + c_i over entries where `scores` is finite (see the file comment). */
export function fitEffectiveBeta(scores: ArrayLike<number>, cosines: ArrayLike<number>, n: number): { beta: number; r2: number } {
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    let count = 0;
    let meanS = 0;
    let meanC = 0;
    for (let j = 0; j < n; j++) {
      const s = scores[i * n + j]!;
      if (!Number.isFinite(s)) continue;
      count++;
      meanS += s;
      meanC += cosines[i * n + j]!;
    }
    if (count < 2) continue;
    meanS /= count;
    meanC /= count;
    for (let j = 0; j < n; j++) {
      const s = scores[i * n + j]!;
      if (!Number.isFinite(s)) continue;
      const dy = s - meanS;
      const dx = cosines[i * n + j]! - meanC;
      sxy += dx * dy;
      sxx += dx * dx;
      syy += dy * dy;
    }
  }
  if (!(sxx > 0)) return { beta: Number.NaN, r2: Number.NaN };
  const beta = sxy / sxx;
  // SS_res = Σ(dy − β dx)² = syy − β sxy.
  const r2 = syy > 0 ? 1 - (syy - beta * sxy) / syy : Number.NaN;
  return { beta, r2 };
}

export async function particleKernel(
  model: TransformerModel,
  tokens: readonly number[],
  layer: number,
  head: number,
  options: { readonly hooks?: ReadonlyMap<string, HookFn>; readonly signal?: AbortSignal } = {},
): Promise<ParticleKernel> {
  checkHead(model, layer, head);
  const spec = model.spec;
  const names = [HOOK.residPre(layer), HOOK.attnScores(layer), HOOK.pattern(layer)];
  const result = await model.runWithCache(tokens, names, { hooks: options.hooks, signal: options.signal, logits: 'none', loss: false });
  try {
    const n = tokens.length;
    const d = spec.dModel;
    const read = async (name: string) => (await (result.cache.get(name) as tf.Tensor).data()) as Float32Array;
    const residual = await read(names[0]!); // [1, pos, d_model]
    const allScores = await read(names[1]!); // [1, head, query, key], masked = −Infinity
    const allPattern = await read(names[2]!); // [1, head, query, key]
    const normalized = new Float64Array(n * d);
    for (let i = 0; i < n; i++) normalizeLikeNorm(spec, residual, i * d, normalized, i * d);
    const cos = gram(unitRows(normalized, n, d), n, d); // [query, key]
    const headScores = allScores.subarray(head * n * n, (head + 1) * n * n);
    const { beta, r2 } = fitEffectiveBeta(headScores, cos, n);
    return {
      layer,
      head,
      pattern: allPattern.slice(head * n * n, (head + 1) * n * n),
      cosines: Float32Array.from(cos),
      // Masked entries are −Infinity in the hook; 0 here, so a view's colour scale stays finite.
      scores: Float32Array.from(headScores, (s) => (Number.isFinite(s) ? s : 0)),
      effectiveBeta: beta,
      r2,
    };
  } finally {
    result.dispose();
  }
}
