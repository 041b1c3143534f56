/**
 * Randomly initialised models made in memory, for the benchmark (a GPT-2-small shape without
 * shipping 500 MB of weights). Weights are N(0, 0.02²), norms start at identity, like GPT-2's init.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ModelSpec } from './spec';
import type { BlockWeights, DeviceWeights } from './weights';

/** GPT-2 small: 12 layers × 12 heads, d_model 768, 124M parameters. */
export function gpt2SmallSpec(): ModelSpec {
  const nLayers = 12;
  return {
    architecture: 'gpt2',
    nLayers,
    nHeads: 12,
    nKvHeads: 12,
    dModel: 768,
    dHead: 64,
    dMlp: 3072,
    dVocab: 50257,
    nCtx: 1024,
    normalization: 'layernorm',
    normEps: 1e-5,
    positional: 'learned',
    activation: 'gelu_new',
    gatedMlp: false,
    parallelAttnMlp: false,
    attnScale: new Array<number>(nLayers).fill(1 / 8),
    attnWindow: new Array<number | null>(nLayers).fill(null),
    tiedEmbeddings: true,
  };
}

/** Random weights for a learned-position LayerNorm model (the GPT-2 layout). */
export function randomWeights(spec: ModelSpec, seed = 0): DeviceWeights {
  let nextSeed = seed;
  const normal = (shape: number[]) => tf.randomNormal(shape, 0, 0.02, 'float32', nextSeed++);
  const norm = () => ({ w: tf.ones([spec.dModel]), b: tf.zeros([spec.dModel]) });
  const qWidth = spec.nHeads * spec.dHead;
  const kvWidth = spec.nKvHeads * spec.dHead;
  const blocks: BlockWeights<tf.Tensor>[] = Array.from({ length: spec.nLayers }, () => ({
    ln1: norm(),
    attn: {
      wQ: normal([spec.dModel, qWidth]), bQ: tf.zeros([qWidth]),
      wK: normal([spec.dModel, kvWidth]), bK: tf.zeros([kvWidth]),
      wV: normal([spec.dModel, kvWidth]), bV: tf.zeros([kvWidth]),
      wO: normal([qWidth, spec.dModel]), bO: tf.zeros([spec.dModel]),
    },
    ln2: norm(),
    mlp: {
      wIn: normal([spec.dModel, spec.dMlp]), bIn: tf.zeros([spec.dMlp]),
      wOut: normal([spec.dMlp, spec.dModel]), bOut: tf.zeros([spec.dModel]),
    },
  }));
  const wE = normal([spec.dVocab, spec.dModel]);
  return {
    wE,
    wPos: normal([spec.nCtx, spec.dModel]),
    blocks,
    lnFinal: norm(),
    // Tied, stored transposed as the unembedding matmul wants it.
    wU: tf.transpose(wE),
  };
}

/** Floating-point operations of one forward over `nPos` tokens (2·m·n·k per matmul). */
export function forwardFlops(spec: ModelSpec, nPos: number): number {
  const qkv = 2 * nPos * spec.dModel * (spec.nHeads + 2 * spec.nKvHeads) * spec.dHead;
  const scores = 2 * spec.nHeads * nPos * nPos * spec.dHead;
  const mix = 2 * spec.nHeads * nPos * nPos * spec.dHead;
  const out = 2 * nPos * spec.nHeads * spec.dHead * spec.dModel;
  const mlp = 2 * nPos * spec.dModel * spec.dMlp * (spec.gatedMlp ? 3 : 2);
  const unembed = 2 * nPos * spec.dModel * spec.dVocab;
  return spec.nLayers * (qkv + scores + mix + out + mlp) + unembed;
}
