/**
 * The 'particles' analysis: per-layer statistics of a real model's particles (normalizedStream.ts)
 * and one fixed 3-D PCA projection of all layers' points.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ParticleLayer, ParticlesResult } from '../../../protocol/particles';
import { EngineError } from '../../errors';
import type { TransformerModel } from '../../model/model';
import { normalizedStream, type StreamOptions } from './normalizedStream';
import { principalAxes, project, type SecondMoment } from './pca';
import { clusters, cosineHistogram, effectiveRank, energy, gram, histogramEdges, pairStats } from './sphereStats';

export const DEFAULT_BINS = 40;

/**
 * X Xᵀ or Xᵀ X on the tensor backend: the O(n²·d) products are the bulk of the work (a 512-token
 * prompt of a d_model = 768 model: ~10⁹ multiply-adds per layer), seconds in plain loops and
 * milliseconds there. Float32 products: cosines to ~1e−7, plenty for statistics and pictures.
 */
export const tensorSecondMoment: SecondMoment = (x, rows, cols, outer) => {
  const product = tf.tidy(() => {
    const matrix = tf.tensor2d(Float32Array.from(x), [rows, cols]);
    return outer ? tf.matMul(matrix, matrix, false, true) : tf.matMul(matrix, matrix, true, false);
  });
  const values = Float64Array.from(product.dataSync());
  product.dispose();
  return values;
};

export interface ParticleOptions extends StreamOptions {
  readonly beta: number;
  readonly delta: number;
  /** Histogram bins over [−1, 1] (default 40). */
  readonly bins?: number;
}

/** Throws BAD_ARGUMENT unless β is finite and δ in [0, 2] (cosines live in [−1, 1]). */
export function checkBetaDelta(beta: number, delta: number): void {
  if (typeof beta !== 'number' || !Number.isFinite(beta)) throw new EngineError('BAD_ARGUMENT', `β must be a finite number, got ${String(beta)}`);
  if (typeof delta !== 'number' || !(delta >= 0 && delta <= 2)) throw new EngineError('BAD_ARGUMENT', `δ must be a number from 0 to 2 (cos > 1 − δ links two particles), got ${String(delta)}`);
}

/** Statistics of one snapshot's unit points [n, d] (`g`: their Gram matrix when the caller has it). */
export function layerStatistics(
  points: Float64Array,
  n: number,
  d: number,
  beta: number,
  delta: number,
  bins: number,
  g: Float64Array = gram(points, n, d),
): Omit<ParticleLayer, 'layer' | 'label'> {
  const pairs = pairStats(g, n, delta);
  const components = clusters(g, n, delta);
  return {
    clusters: components.count,
    clusterOf: components.clusterOf,
    meanCosine: pairs.mean,
    minCosine: pairs.min,
    effectiveRank: effectiveRank(points, n, d, g),
    energy: energy(g, n, beta),
    histogram: cosineHistogram(g, n, bins),
  };
}

export async function particleStatistics(model: TransformerModel, tokens: readonly number[], options: ParticleOptions): Promise<ParticlesResult> {
  const { beta, delta } = options;
  checkBetaDelta(beta, delta);
  const bins = options.bins ?? DEFAULT_BINS;
  if (!Number.isSafeInteger(bins) || bins < 1 || bins > 1000) throw new EngineError('BAD_ARGUMENT', `the histogram needs 1 to 1000 bins, got ${String(bins)}`);
  const snapshots = await normalizedStream(model, tokens, options);
  const n = tokens.length;
  const d = model.spec.dModel;
  const layers = snapshots.map((s) => ({ layer: s.layer, label: s.label, ...layerStatistics(s.points, n, d, beta, delta, bins, tensorSecondMoment(s.points, n, d, true)) }));

  // One basis for every layer: PCA of all snapshots' points stacked, [layers·pos, d].
  const all = new Float64Array(snapshots.length * n * d);
  snapshots.forEach((s, index) => all.set(s.points, index * n * d));
  const { axes, explained } = principalAxes(all, snapshots.length * n, d, 3, tensorSecondMoment);
  const tokenizer = model.tokenizer;
  return {
    tokens: [...tokens],
    tokenTexts: tokens.map((id) => (tokenizer ? tokenizer.tokenString(id) : `#${id}`)),
    layers,
    dModel: d,
    projection: project(all, snapshots.length * n, d, axes, 3),
    explainedVariance: explained,
    beta,
    delta,
    histogramEdges: histogramEdges(bins),
  };
}
