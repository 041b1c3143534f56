/**
 * Hook functions that carry out interventions: a head is replaced in its `hook_z` slice
 * [batch, pos, head, d_head], a whole attention layer at `hook_attn_out`, an MLP layer at
 * `hook_mlp_out`. Replacement values: zero; the mean over positions of a source prompt; or the
 * activation of a corrupted prompt at the same position.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Intervention } from '../../protocol/engine';
import { EngineError } from '../errors';
import { HOOK, type HookFn } from '../model/hooks';
import type { TransformerModel } from '../model/model';
import { checkIntervention, checkSameLength } from './validate';

/** The hook point an intervention acts on. */
export function interventionHook(i: Intervention): string {
  return i.kind === 'head' ? HOOK.z(i.layer) : i.kind === 'attn' ? HOOK.attnOut(i.layer) : HOOK.mlpOut(i.layer);
}

export interface AblationSources {
  /** The prompt being ablated (the default source of mean ablation). */
  readonly tokens: readonly number[];
  /** Mean ablation averages over this prompt's positions instead. */
  readonly reference?: readonly number[];
  /** Resample ablation takes this prompt's activations (same length as `tokens`). */
  readonly corrupted?: readonly number[];
}

/** Hooks plus the constant tensors they hold (free with dispose). */
export interface AblationHooks {
  readonly hooks: Map<string, HookFn>;
  dispose(): void;
}

/** One-hot [1, 1, nHeads, 1] mask of `head`. */
function headMask(nHeads: number, head: number): tf.Tensor4D {
  return tf.tensor4d(Array.from({ length: nHeads }, (_, h) => (h === head ? 1 : 0)), [1, 1, nHeads, 1]);
}

/**
 * Replaces the masked part of `activation` by `replacement` (broadcast), exactly:
 * activation·(1 − mask) + replacement·mask with a 0/1 mask.
 */
export function replaceMasked(activation: tf.Tensor, mask: tf.Tensor, replacement: tf.Tensor | undefined): tf.Tensor {
  const kept = tf.mul(activation, tf.sub(1, mask));
  return replacement ? tf.add(kept, tf.mul(replacement, mask)) : kept;
}

/**
 * Builds the hooks for `interventions` (validated here). Mean and resample sources are measured
 * first, with one cached forward pass each.
 */
export async function ablationHooks(
  model: TransformerModel,
  interventions: readonly Intervention[],
  sources: AblationSources,
  signal?: AbortSignal,
): Promise<AblationHooks> {
  const spec = model.spec;
  interventions.forEach((i) => checkIntervention(spec, i));
  const meanNames = new Set(interventions.filter((i) => i.method === 'mean').map(interventionHook));
  const resampleNames = new Set(interventions.filter((i) => i.method === 'resample').map(interventionHook));
  if (resampleNames.size > 0) {
    if (!sources.corrupted) throw new EngineError('BAD_ARGUMENT', 'resample ablation needs a corrupted prompt to take activations from');
    checkSameLength(sources.tokens, 'ablated', sources.corrupted, 'corrupted');
  }
  const held: tf.Tensor[] = [];
  const means = new Map<string, tf.Tensor>(); // [1, 1, …]
  const resampled = new Map<string, tf.Tensor>(); // [1, pos, …]
  try {
    if (meanNames.size > 0) {
      const source = sources.reference ?? sources.tokens;
      const run = await model.runWithCache(source, meanNames, { logits: 'none', loss: false, signal });
      try {
        for (const name of meanNames) {
          const mean = tf.mean(run.cache.get(name)!, [0, 1], true); // mean over batch and positions
          held.push(mean);
          means.set(name, mean);
        }
      } finally {
        run.dispose();
      }
    }
    if (resampleNames.size > 0) {
      const run = await model.runWithCache(sources.corrupted!, resampleNames, { logits: 'none', loss: false, signal });
      for (const name of resampleNames) {
        const activation = tf.clone(run.cache.get(name)!);
        held.push(activation);
        resampled.set(name, activation);
      }
      run.dispose();
    }
  } catch (error) {
    held.forEach((t) => t.dispose());
    throw error;
  }

  const byHook = new Map<string, ((a: tf.Tensor) => tf.Tensor)[]>();
  for (const i of interventions) {
    const name = interventionHook(i);
    const replacement = i.method === 'mean' ? means.get(name) : i.method === 'resample' ? resampled.get(name) : undefined;
    let step: (a: tf.Tensor) => tf.Tensor;
    if (i.kind === 'head') {
      const mask = headMask(spec.nHeads, i.head);
      held.push(mask);
      step = (a) => replaceMasked(a, mask, replacement);
    } else {
      step = (a) => (replacement ? tf.broadcastTo(replacement, a.shape) : tf.zerosLike(a));
    }
    byHook.set(name, [...(byHook.get(name) ?? []), step]);
  }
  const hooks = new Map<string, HookFn>();
  for (const [name, steps] of byHook) hooks.set(name, (a) => steps.reduce((x, step) => step(x), a));
  return { hooks, dispose: () => held.forEach((t) => t.dispose()) };
}
