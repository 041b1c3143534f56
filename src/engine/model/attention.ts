/**
 * One attention layer, with a hook point at every intermediate TransformerLens names.
 */
import * as tf from '@tensorflow/tfjs-core';
import { HOOK } from './hooks';
import { linear } from './layers';
import { applyRotary, type RotaryTables } from './rotary';
import type { ModelSpec } from './spec';
import type { AttentionWeights } from './weights';

/** Passes an activation through a named hook point (capture and/or replacement). */
export type HookPoint = (name: string, activation: tf.Tensor) => tf.Tensor;

/**
 * Additive attention mask for one window size: 0 where query i may attend key j (j ≤ i and, with a
 * window w, i − j < w), −Infinity elsewhere, as TransformerLens shows masked scores. [pos, pos]
 */
export function attentionMask(nPos: number, window: number | null): tf.Tensor2D {
  const mask = new Float32Array(nPos * nPos);
  for (let i = 0; i < nPos; i++) {
    for (let j = 0; j < nPos; j++) {
      const visible = j <= i && (window === null || i - j < window);
      mask[i * nPos + j] = visible ? 0 : -Infinity;
    }
  }
  return tf.tensor2d(mask, [nPos, nPos]);
}

/** For grouped-query attention: key/value head used by each query head. [head] */
function kvHeadIndex(spec: ModelSpec): tf.Tensor1D {
  const perKv = spec.nHeads / spec.nKvHeads;
  return tf.tensor1d(Array.from({ length: spec.nHeads }, (_, h) => Math.floor(h / perKv)), 'int32');
}

/** Per-head view of a [batch, pos, heads·d_head] projection → [batch, pos, heads, d_head]. */
function splitHeads(x: tf.Tensor, heads: number, dHead: number): tf.Tensor {
  const [batch, pos] = x.shape as [number, number, number];
  return tf.reshape(x, [batch, pos, heads, dHead]);
}

/** Repeats key/value heads so each query head has its own. [batch, pos, kv_head, d] → [batch, pos, head, d] */
function expandKvHeads(spec: ModelSpec, x: tf.Tensor): tf.Tensor {
  return spec.nKvHeads === spec.nHeads ? x : tf.gather(x, kvHeadIndex(spec), 2);
}

export interface AttentionContext {
  readonly spec: ModelSpec;
  readonly layer: number;
  /** Additive mask for this layer's window. [pos, pos] */
  readonly mask: tf.Tensor;
  readonly rotary?: RotaryTables;
  readonly hook: HookPoint;
}

/** Attention over normalized input. [batch, pos, d_model] → [batch, pos, d_model] (hook_attn_out). */
export function attention(ctx: AttentionContext, xNorm: tf.Tensor, w: AttentionWeights<tf.Tensor>): tf.Tensor {
  const { spec, layer, hook } = ctx;
  const [batch, pos] = xNorm.shape as [number, number, number];
  let q = hook(HOOK.q(layer), splitHeads(linear(xNorm, w.wQ, w.bQ), spec.nHeads, spec.dHead)); // [batch, pos, head, d_head]
  let k = hook(HOOK.k(layer), splitHeads(linear(xNorm, w.wK, w.bK), spec.nKvHeads, spec.dHead)); // [batch, pos, kv_head, d_head]
  const v = hook(HOOK.v(layer), splitHeads(linear(xNorm, w.wV, w.bV), spec.nKvHeads, spec.dHead)); // [batch, pos, kv_head, d_head]
  if (ctx.rotary) {
    q = hook(HOOK.rotQ(layer), applyRotary(q, ctx.rotary));
    k = hook(HOOK.rotK(layer), applyRotary(k, ctx.rotary));
  }
  // The scale goes on q, the smaller operand, so scores take one element-wise op (the mask), and
  // k^T comes from the matmul's transposeB instead of a transposed copy.
  const qByHead = tf.transpose(tf.mul(q, spec.attnScale[layer]!), [0, 2, 1, 3]); // [batch, head, query_pos, d_head]
  const kByHead = tf.transpose(expandKvHeads(spec, k), [0, 2, 1, 3]); // [batch, head, key_pos, d_head]
  const vByHead = tf.transpose(expandKvHeads(spec, v), [0, 2, 1, 3]); // [batch, head, key_pos, d_head]

  const scaledScores = tf.matMul(qByHead, kByHead, false, true); // [batch, head, query_pos, key_pos]
  const scores = hook(HOOK.attnScores(layer), tf.add(scaledScores, ctx.mask));
  const pattern = hook(HOOK.pattern(layer), tf.softmax(scores)); // [batch, head, query_pos, key_pos]

  const zByHead = tf.matMul(pattern, vByHead); // [batch, head, query_pos, d_head]
  const z = hook(HOOK.z(layer), tf.transpose(zByHead, [0, 2, 1, 3])); // [batch, pos, head, d_head]
  const zFlat = tf.reshape(z, [batch, pos, spec.nHeads * spec.dHead]);
  return hook(HOOK.attnOut(layer), linear(zFlat, w.wO, w.bO)); // [batch, pos, d_model]
}
