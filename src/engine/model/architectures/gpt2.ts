/**
 * GPT-2: learned positions, pre-LayerNorm blocks, GELU-new MLP, tied unembedding. Its linear
 * layers are Conv1D, stored [in, out] — already the `x @ W` layout — with Q, K and V fused
 * column-wise in `c_attn`.
 */
import { activationFromConfig } from './activation';
import { optionalBool, optionalNumber, optionalPositiveInt, optionalString, optionalTokenId, requirePositiveInt, type HfConfig } from '../config';
import type { CheckpointReader } from '../checkpointReader';
import type { ModelSpec } from '../spec';
import { sliceColumnsHost, sliceVectorHost, type BlockWeights, type HostTensor, type HostWeights } from '../weights';
import { readModelWeights } from './common';
import type { ArchitectureModule } from './types';

function spec(config: HfConfig): ModelSpec {
  const nLayers = requirePositiveInt(config, 'n_layer');
  const nHeads = requirePositiveInt(config, 'n_head');
  const dModel = requirePositiveInt(config, 'n_embd');
  const dHead = dModel / nHeads;
  const scaleByHead = optionalBool(config, true, 'scale_attn_weights');
  const scaleByLayer = optionalBool(config, false, 'scale_attn_by_inverse_layer_idx');
  return {
    architecture: 'gpt2',
    nLayers,
    nHeads,
    nKvHeads: nHeads,
    dModel,
    dHead,
    dMlp: optionalPositiveInt(config, 4 * dModel, 'n_inner'),
    dVocab: requirePositiveInt(config, 'vocab_size'),
    nCtx: requirePositiveInt(config, 'n_positions', 'n_ctx'),
    normalization: 'layernorm',
    normEps: optionalNumber(config, 1e-5, 'layer_norm_epsilon'),
    positional: 'learned',
    activation: activationFromConfig(config, optionalString(config, 'gelu_new', 'activation_function')),
    gatedMlp: false,
    parallelAttnMlp: false,
    attnScale: Array.from({ length: nLayers }, (_, layer) =>
      (scaleByHead ? 1 / Math.sqrt(dHead) : 1) * (scaleByLayer ? 1 / (layer + 1) : 1),
    ),
    attnWindow: new Array<number | null>(nLayers).fill(null),
    tiedEmbeddings: optionalBool(config, true, 'tie_word_embeddings'),
    bosTokenId: optionalTokenId(config, 'bos_token_id'),
    eosTokenId: optionalTokenId(config, 'eos_token_id'),
  };
}

async function readBlock(reader: CheckpointReader, s: ModelSpec, layer: number): Promise<BlockWeights<HostTensor>> {
  const p = `h.${layer}.`;
  const d = s.dModel;
  const qkv = await reader.read(`${p}attn.c_attn.weight`, [d, 3 * d]);
  const qkvBias = await reader.read(`${p}attn.c_attn.bias`, [3 * d]);
  return {
    ln1: { w: await reader.read(`${p}ln_1.weight`, [d]), b: await reader.read(`${p}ln_1.bias`, [d]) },
    attn: {
      wQ: sliceColumnsHost(qkv, 0, d),
      wK: sliceColumnsHost(qkv, d, d),
      wV: sliceColumnsHost(qkv, 2 * d, d),
      bQ: sliceVectorHost(qkvBias, 0, d),
      bK: sliceVectorHost(qkvBias, d, d),
      bV: sliceVectorHost(qkvBias, 2 * d, d),
      wO: await reader.read(`${p}attn.c_proj.weight`, [d, d]),
      bO: await reader.read(`${p}attn.c_proj.bias`, [d]),
    },
    ln2: { w: await reader.read(`${p}ln_2.weight`, [d]), b: await reader.read(`${p}ln_2.bias`, [d]) },
    mlp: {
      wIn: await reader.read(`${p}mlp.c_fc.weight`, [d, s.dMlp]),
      bIn: await reader.read(`${p}mlp.c_fc.bias`, [s.dMlp]),
      wOut: await reader.read(`${p}mlp.c_proj.weight`, [s.dMlp, d]),
      bOut: await reader.read(`${p}mlp.c_proj.bias`, [d]),
    },
  };
}

function readWeights(reader: CheckpointReader, s: ModelSpec): Promise<HostWeights> {
  return readModelWeights(reader, s, { embed: 'wte.weight', positions: 'wpe.weight', finalNorm: { w: 'ln_f.weight', b: 'ln_f.bias' }, unembed: 'lm_head.weight' }, (layer) => readBlock(reader, s, layer));
}

export const gpt2: ArchitectureModule = {
  modelTypes: ['gpt2'],
  basePrefix: 'transformer.',
  spec,
  readWeights,
};
