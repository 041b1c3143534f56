/**
 * Activation patching sweeps (TransformerLens's get_act_patch_resid_pre, get_act_patch_attn_out,
 * get_act_patch_attn_head_out_all_pos): run the corrupted prompt with one component's activation
 * taken from the clean prompt, for every component, and report the metric restored. Runs are
 * batched: each chunk is a batch of copies of the corrupted prompt, copy b patching component b.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Metric, PatchComponent, PatchResult } from '../../protocol/engine';
import { EngineError } from '../errors';
import { HOOK, type HookFn } from '../model/hooks';
import type { TransformerModel } from '../model/model';
import { replaceMasked } from './hooks';
import { metricForwardOptions, metricValues } from './metric';
import { checkMetric, checkSameLength } from './validate';

export interface PatchRequest {
  readonly clean: readonly number[];
  readonly corrupted: readonly number[];
  readonly component: PatchComponent;
  readonly metric: Metric;
}

export interface PatchOptions {
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: { message: string; fraction: number }) => void;
  /** Most corrupted copies per forward pass (default: about 4096 tokens' worth, at most 64). */
  readonly maxBatch?: number;
}

const COMPONENTS: readonly PatchComponent[] = ['resid', 'attn', 'heads'];

function hookOf(component: PatchComponent, layer: number): string {
  return component === 'resid' ? HOOK.residPre(layer) : component === 'attn' ? HOOK.attnOut(layer) : HOOK.z(layer);
}

/** (m_patched − m_corrupted) / (m_clean − m_corrupted); NaN when clean and corrupted agree. */
export function normalizedRestoration(patched: number, clean: number, corrupted: number): number {
  const span = clean - corrupted;
  return span === 0 ? Number.NaN : (patched - corrupted) / span;
}

function defaultMaxBatch(model: TransformerModel, nPos: number, metric: Metric): number {
  let rows = Math.min(64, Math.floor(4096 / nPos));
  // The loss metric needs every position's logits: keep them under ~256 MB.
  if (metric.kind === 'loss') rows = Math.min(rows, Math.floor(2 ** 26 / (nPos * model.spec.dVocab)));
  return Math.max(1, rows);
}

/** The full sweep of `request.component`: grid [layer, position] (resid, attn) or [layer, head] (heads). */
export async function patchSweep(model: TransformerModel, request: PatchRequest, options: PatchOptions = {}): Promise<PatchResult> {
  const spec = model.spec;
  const { clean, corrupted, component, metric } = request;
  if (!COMPONENTS.includes(component)) {
    throw new EngineError('BAD_ARGUMENT', `unknown patching component "${String(component)}" (expected resid, attn or heads)`);
  }
  checkSameLength(clean, 'clean', corrupted, 'corrupted');
  checkMetric(spec, metric, clean);
  const { signal, onProgress } = options;
  const nPos = clean.length;
  const rows = spec.nLayers;
  const cols = component === 'heads' ? spec.nHeads : nPos;
  const forwardOptions = { ...metricForwardOptions(metric), signal };

  const names = Array.from({ length: rows }, (_, l) => hookOf(component, l));
  const cleanRun = await model.runWithCache(clean, names, forwardOptions);
  try {
    const cleanMetric = (await metricValues(cleanRun, metric))[0]!;
    const corruptedRun = await model.run(corrupted, forwardOptions);
    let corruptedMetric: number;
    try {
      corruptedMetric = (await metricValues(corruptedRun, metric))[0]!;
    } finally {
      corruptedRun.dispose();
    }

    const total = rows * cols;
    const maxBatch = Math.max(1, Math.floor(options.maxBatch ?? defaultMaxBatch(model, nPos, metric)));
    const raw = new Float32Array(total);
    onProgress?.({ message: `patching ${total} components`, fraction: 0 });
    for (let start = 0; start < total; start += maxBatch) {
      if (signal?.aborted) throw new EngineError('CANCELLED', 'the patching sweep was cancelled');
      const end = Math.min(total, start + maxBatch);
      const batch = end - start;
      const masks: tf.Tensor[] = [];
      const hooks = new Map<string, HookFn>();
      try {
        for (let layer = Math.floor(start / cols); layer <= Math.floor((end - 1) / cols); layer++) {
          // Rows of this chunk that patch `layer`, each at its own position or head.
          const shape = component === 'heads' ? [batch, 1, cols, 1] : [batch, cols, 1];
          const data = new Float32Array(batch * cols);
          for (let b = 0; b < batch; b++) {
            const job = start + b;
            if (Math.floor(job / cols) === layer) data[b * cols + (job % cols)] = 1;
          }
          const mask = tf.tensor(data, shape);
          masks.push(mask);
          const source = cleanRun.cache.get(names[layer]!)!; // [1, pos, …]
          hooks.set(names[layer]!, (a) => replaceMasked(a, mask, source));
        }
        const copies = Array.from({ length: batch }, () => corrupted);
        const run = await model.runWithHooks(copies, hooks, forwardOptions);
        try {
          raw.set(await metricValues(run, metric), start);
        } finally {
          run.dispose();
        }
      } finally {
        masks.forEach((m) => m.dispose());
      }
      onProgress?.({ message: `patched ${end} of ${total} components`, fraction: end / total });
    }

    const tokenizer = model.tokenizer;
    return {
      component,
      rows,
      cols,
      values: raw.map((m) => normalizedRestoration(m, cleanMetric, corruptedMetric)),
      raw,
      cleanMetric,
      corruptedMetric,
      labels: {
        rows: Array.from({ length: rows }, (_, l) => `L${l}`),
        cols:
          component === 'heads'
            ? Array.from({ length: cols }, (_, h) => `H${h}`)
            : clean.map((id, p) => (tokenizer ? `${p}: ${tokenizer.tokenString(id)}` : `pos ${p}`)),
      },
    };
  } finally {
    cleanRun.dispose();
  }
}
