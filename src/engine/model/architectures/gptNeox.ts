/**
 * GPT-NeoX / Pythia: rotary embeddings on a fraction of each head (`rotary_pct`), attention and
 * MLP in parallel off the block input (`use_parallel_residual`), exact-erf GELU, an untied
 * unembedding (`embed_out`), and a fused QKV projection laid out *per head*:
 * rows [h·3·d_head, (h+1)·3·d_head) hold head h's q, then k, then v.
 */
import { activationFromConfig } from './activation';
import { optionalBool, optionalNumber, optionalString, optionalTokenId, requirePositiveInt, rotarySpec, type HfConfig } from '../config';
import type { CheckpointReader } from '../checkpointReader';
import type { ModelSpec } from '../spec';
import { transposeHost, type BlockWeights, type HostTensor, type HostWeights } from '../weights';
import { readModelWeights } from './common';
import type { ArchitectureModule } from './types';

function spec(config: HfConfig): ModelSpec {
  const nLayers = requirePositiveInt(config, 'num_hidden_layers');
  const nHeads = requirePositiveInt(config, 'num_attention_heads');
  const dModel = requirePositiveInt(config, 'hidden_size');
  const dHead = dModel / nHeads;
  return {
    architecture: 'gpt_neox',
    nLayers,
    nHeads,
    nKvHeads: nHeads,
    dModel,
    dHead,
    dMlp: requirePositiveInt(config, 'intermediate_size'),
    dVocab: requirePositiveInt(config, 'vocab_size'),
    nCtx: requirePositiveInt(config, 'max_position_embeddings'),
    normalization: 'layernorm',
    normEps: optionalNumber(config, 1e-5, 'layer_norm_eps'),
    positional: 'rotary',
    rotary: rotarySpec(config, dHead, { baseKeys: ['rotary_emb_base', 'rope_theta'], partialFactorKeys: ['rotary_pct', 'partial_rotary_factor'] }),
    activation: activationFromConfig(config, optionalString(config, 'gelu', 'hidden_act')),
    gatedMlp: false,
    parallelAttnMlp: optionalBool(config, true, 'use_parallel_residual'),
    attnScale: new Array<number>(nLayers).fill(1 / Math.sqrt(dHead)),
    attnWindow: new Array<number | null>(nLayers).fill(null),
    tiedEmbeddings: optionalBool(config, false, 'tie_word_embeddings'),
    bosTokenId: optionalTokenId(config, 'bos_token_id'),
    eosTokenId: optionalTokenId(config, 'eos_token_id'),
  };
}

/**
 * Splits the per-head fused QKV weight [3·d, d] (nn.Linear, [out, in]) into q, k, v rows
 * [d, d] each, head-major, in the order the forward pass expects.
 */
function splitFusedRows(fused: HostTensor, s: ModelSpec, part: 0 | 1 | 2): HostTensor {
  const cols = fused.shape.length === 2 ? fused.shape[1]! : 1;
  const out = new Float32Array(s.nHeads * s.dHead * cols);
  for (let head = 0; head < s.nHeads; head++) {
    const srcRow = (head * 3 + part) * s.dHead;
    out.set(fused.data.subarray(srcRow * cols, (srcRow + s.dHead) * cols), head * s.dHead * cols);
  }
  return { data: out, shape: fused.shape.length === 2 ? [s.nHeads * s.dHead, cols] : [s.nHeads * s.dHead] };
}

async function readBlock(reader: CheckpointReader, s: ModelSpec, layer: number): Promise<BlockWeights<HostTensor>> {
  const p = `layers.${layer}.`;
  const d = s.dModel;
  const qkv = await reader.read(`${p}attention.query_key_value.weight`, [3 * d, d]);
  const qkvBias = await reader.readOptional(`${p}attention.query_key_value.bias`, [3 * d]);
  return {
    ln1: { w: await reader.read(`${p}input_layernorm.weight`, [d]), b: await reader.read(`${p}input_layernorm.bias`, [d]) },
    attn: {
      wQ: transposeHost(splitFusedRows(qkv, s, 0)),
      wK: transposeHost(splitFusedRows(qkv, s, 1)),
      wV: transposeHost(splitFusedRows(qkv, s, 2)),
      bQ: qkvBias && splitFusedRows(qkvBias, s, 0),
      bK: qkvBias && splitFusedRows(qkvBias, s, 1),
      bV: qkvBias && splitFusedRows(qkvBias, s, 2),
      wO: await reader.readLinear(`${p}attention.dense.weight`, d, d),
      bO: await reader.readOptional(`${p}attention.dense.bias`, [d]),
    },
    ln2: {
      w: await reader.read(`${p}post_attention_layernorm.weight`, [d]),
      b: await reader.read(`${p}post_attention_layernorm.bias`, [d]),
    },
    mlp: {
      wIn: await reader.readLinear(`${p}mlp.dense_h_to_4h.weight`, s.dMlp, d),
      bIn: await reader.read(`${p}mlp.dense_h_to_4h.bias`, [s.dMlp]),
      wOut: await reader.readLinear(`${p}mlp.dense_4h_to_h.weight`, d, s.dMlp),
      bOut: await reader.read(`${p}mlp.dense_4h_to_h.bias`, [d]),
    },
  };
}

function readWeights(reader: CheckpointReader, s: ModelSpec): Promise<HostWeights> {
  return readModelWeights(reader, s, { embed: 'embed_in.weight', finalNorm: { w: 'final_layer_norm.weight', b: 'final_layer_norm.bias' }, unembed: 'embed_out.weight' }, (layer) => readBlock(reader, s, layer));
}

export const gptNeox: ArchitectureModule = {
  modelTypes: ['gpt_neox'],
  basePrefix: 'gpt_neox.',
  spec,
  readWeights,
};
