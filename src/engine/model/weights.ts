/**
 * Weights in the layout the forward pass wants: every matrix stored so that activations multiply
 * it on the right (`x @ W`), transposed once at load, because transposing inside a matmul falls
 * off the fast kernels (see the performance notes). Architecture modules fill these from the
 * checkpoint; nothing downstream knows the checkpoint's names or layouts.
 */
import type * as tf from '@tensorflow/tfjs-core';

/** A float32 tensor still in host memory, before it is handed to the backend. */
export interface HostTensor {
  readonly data: Float32Array;
  readonly shape: readonly number[];
}

export interface NormWeights<T> {
  /** Scale. [d_model] */
  readonly w: T;
  /** Shift (LayerNorm only). [d_model] */
  readonly b?: T;
}

export interface AttentionWeights<T> {
  /** [d_model, n_heads * d_head] */
  readonly wQ: T;
  /** [n_heads * d_head] */
  readonly bQ?: T;
  /** [d_model, n_kv_heads * d_head] */
  readonly wK: T;
  /** [n_kv_heads * d_head] */
  readonly bK?: T;
  /** [d_model, n_kv_heads * d_head] */
  readonly wV: T;
  /** [n_kv_heads * d_head] */
  readonly bV?: T;
  /** [n_heads * d_head, d_model] */
  readonly wO: T;
  /** [d_model] */
  readonly bO?: T;
}

export interface MlpWeights<T> {
  /** [d_model, d_mlp] — the "up" projection in gated MLPs. */
  readonly wIn: T;
  /** [d_mlp] */
  readonly bIn?: T;
  /** [d_model, d_mlp] — gated MLPs only; the activation applies to x @ wGate. */
  readonly wGate?: T;
  /** [d_mlp] */
  readonly bGate?: T;
  /** [d_mlp, d_model] */
  readonly wOut: T;
  /** [d_model] */
  readonly bOut?: T;
}

export interface BlockWeights<T> {
  readonly ln1: NormWeights<T>;
  readonly attn: AttentionWeights<T>;
  readonly ln2: NormWeights<T>;
  readonly mlp: MlpWeights<T>;
}

export interface ModelWeights<T> {
  /** Token embedding. [d_vocab, d_model] */
  readonly wE: T;
  /** Learned positions. [n_ctx, d_model] */
  readonly wPos?: T;
  readonly blocks: readonly BlockWeights<T>[];
  readonly lnFinal: NormWeights<T>;
  /** Unembedding. [d_model, d_vocab] */
  readonly wU: T;
  /** [d_vocab] */
  readonly bU?: T;
}

export type HostWeights = ModelWeights<HostTensor>;
export type DeviceWeights = ModelWeights<tf.Tensor>;

/** [rows, cols] → [cols, rows], in host memory. */
export function transposeHost(matrix: HostTensor): HostTensor {
  const [rows, cols] = matrix.shape as [number, number];
  const out = new Float32Array(rows * cols);
  const src = matrix.data;
  // Blocked so both the reads and the writes stay in cache for large matrices.
  const block = 64;
  for (let r0 = 0; r0 < rows; r0 += block) {
    const r1 = Math.min(r0 + block, rows);
    for (let c0 = 0; c0 < cols; c0 += block) {
      const c1 = Math.min(c0 + block, cols);
      for (let r = r0; r < r1; r++) {
        const rowOffset = r * cols;
        for (let c = c0; c < c1; c++) out[c * rows + r] = src[rowOffset + c]!;
      }
    }
  }
  return { data: out, shape: [cols, rows] };
}

/** Columns [start, start + count) of a [rows, cols] matrix. */
export function sliceColumnsHost(matrix: HostTensor, start: number, count: number): HostTensor {
  const [rows, cols] = matrix.shape as [number, number];
  const out = new Float32Array(rows * count);
  for (let r = 0; r < rows; r++) out.set(matrix.data.subarray(r * cols + start, r * cols + start + count), r * count);
  return { data: out, shape: [rows, count] };
}

/** Elements [start, start + count) of a vector. */
export function sliceVectorHost(vector: HostTensor, start: number, count: number): HostTensor {
  return { data: vector.data.slice(start, start + count), shape: [count] };
}

/** Every tensor of a weights tree, for counting and disposing. */
export function allWeights<T>(weights: ModelWeights<T>): T[] {
  const out: T[] = [];
  const add = (...tensors: (T | undefined)[]) => tensors.forEach((t) => t !== undefined && out.push(t));
  add(weights.wE, weights.wPos, weights.lnFinal.w, weights.lnFinal.b, weights.wU, weights.bU);
  for (const block of weights.blocks) {
    add(block.ln1.w, block.ln1.b, block.ln2.w, block.ln2.b);
    const a = block.attn;
    add(a.wQ, a.bQ, a.wK, a.bK, a.wV, a.bV, a.wO, a.bO);
    const m = block.mlp;
    add(m.wIn, m.bIn, m.wGate, m.bGate, m.wOut, m.bOut);
  }
  return out;
}

/** Applies `convert` to every tensor, keeping the tree's shape. */
export function mapWeights<A, B>(weights: ModelWeights<A>, convert: (tensor: A) => B): ModelWeights<B> {
  const opt = (t: A | undefined) => (t === undefined ? undefined : convert(t));
  const norm = (n: NormWeights<A>): NormWeights<B> => ({ w: convert(n.w), b: opt(n.b) });
  return {
    wE: convert(weights.wE),
    wPos: opt(weights.wPos),
    blocks: weights.blocks.map((block) => ({
      ln1: norm(block.ln1),
      ln2: norm(block.ln2),
      attn: {
        wQ: convert(block.attn.wQ), bQ: opt(block.attn.bQ),
        wK: convert(block.attn.wK), bK: opt(block.attn.bK),
        wV: convert(block.attn.wV), bV: opt(block.attn.bV),
        wO: convert(block.attn.wO), bO: opt(block.attn.bO),
      },
      mlp: {
        wIn: convert(block.mlp.wIn), bIn: opt(block.mlp.bIn),
        wGate: opt(block.mlp.wGate), bGate: opt(block.mlp.bGate),
        wOut: convert(block.mlp.wOut), bOut: opt(block.mlp.bOut),
      },
    })),
    lnFinal: norm(weights.lnFinal),
    wU: convert(weights.wU),
    bU: opt(weights.bU),
  };
}
