/**
 * The particles of a real model: per layer, each token's residual stream as the next norm sees it
 * (Geshkovski et al. 2023 model the tokens as points on the sphere that the normalization puts
 * them on). One snapshot per block input (`blocks.{l}.hook_resid_pre`, normalized like that
 * block's first norm) and a final one (`blocks.{L−1}.hook_resid_post`, normalized like
 * `ln_final`), without the norms' learned gain and bias (those are a fixed linear map applied
 * after, not part of where the tokens are).
 *
 * LayerNorm: (x − mean) / sqrt(var + eps); RMSNorm: x / sqrt(mean(x²) + eps), both over d_model.
 * The points are then scaled to unit length; eps only matters in the scaled-but-not-unit version,
 * which is what the norm outputs, so it is applied first to keep the two views the same directions.
 */
import * as tf from '@tensorflow/tfjs-core';
import { HOOK, type HookFn } from '../../model/hooks';
import type { TransformerModel } from '../../model/model';
import type { ModelSpec } from '../../model/spec';
import { unitRows } from './sphereStats';

export interface ParticleSnapshot {
  /** Index in the stack: 0..L−1 are block inputs, L is the final stream. */
  readonly layer: number;
  readonly label: string;
  /** Unit-normalized particles, [pos, d_model] row-major. */
  readonly points: Float64Array;
}

export interface StreamOptions {
  /** Hooks to run under (e.g. ablations), so the particles are those of the intervened model. */
  readonly hooks?: ReadonlyMap<string, HookFn>;
  readonly signal?: AbortSignal;
}

/** Hook names of the snapshots, in stack order. */
export function snapshotHooks(spec: ModelSpec): string[] {
  return [...Array.from({ length: spec.nLayers }, (_, l) => HOOK.residPre(l)), HOOK.residPost(spec.nLayers - 1)];
}

/** Label of snapshot `layer` for display. */
export function snapshotLabel(spec: ModelSpec, layer: number): string {
  return layer < spec.nLayers ? `L${layer} (ln1 input)` : 'final';
}

/** One residual vector [d] normalized as the model's norm sees it, without gain and bias. */
export function normalizeLikeNorm(spec: ModelSpec, x: ArrayLike<number>, offset: number, out: Float64Array, outOffset: number): void {
  const d = spec.dModel;
  let mean = 0;
  if (spec.normalization === 'layernorm') {
    for (let k = 0; k < d; k++) mean += x[offset + k]!;
    mean /= d;
  }
  let second = 0;
  for (let k = 0; k < d; k++) second += (x[offset + k]! - mean) ** 2;
  const scale = 1 / Math.sqrt(second / d + spec.normEps);
  for (let k = 0; k < d; k++) out[outOffset + k] = (x[offset + k]! - mean) * scale;
}

/** Every snapshot of the normalized residual stream of one token sequence (see the file comment). */
export async function normalizedStream(model: TransformerModel, tokens: readonly number[], options: StreamOptions = {}): Promise<ParticleSnapshot[]> {
  const spec = model.spec;
  const names = snapshotHooks(spec);
  const result = await model.runWithCache(tokens, names, { hooks: options.hooks, signal: options.signal, logits: 'none', loss: false });
  try {
    const n = tokens.length;
    const d = spec.dModel;
    const snapshots: ParticleSnapshot[] = [];
    for (const [layer, name] of names.entries()) {
      const residual = (await (result.cache.get(name) as tf.Tensor).data()) as Float32Array; // [1, pos, d_model]
      const normalized = new Float64Array(n * d);
      for (let i = 0; i < n; i++) normalizeLikeNorm(spec, residual, i * d, normalized, i * d);
      snapshots.push({ layer, label: snapshotLabel(spec, layer), points: unitRows(normalized, n, d) });
    }
    return snapshots;
  } finally {
    result.dispose();
  }
}
