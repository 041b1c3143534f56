/**
 * Llama and its close relatives Mistral and Qwen2: RMSNorm, rotary embeddings over the whole
 * head, grouped-query attention, SwiGLU MLP, nn.Linear layers ([out, in], transposed at load).
 * Mistral adds a sliding attention window; Qwen2 adds q/k/v biases (and optional sliding layers).
 */
import { activationFromConfig } from './activation';
import {
  optionalBool,
  optionalNumber,
  optionalPositiveInt,
  optionalString,
  optionalTokenId,
  requirePositiveInt,
  rotarySpec,
  slidingWindows,
  type HfConfig,
} from '../config';
import { EngineError } from '../../errors';
import type { CheckpointReader } from '../checkpointReader';
import type { Architecture, ModelSpec } from '../spec';
import type { BlockWeights, HostTensor, HostWeights } from '../weights';
import { readModelWeights } from './common';
import type { ArchitectureModule } from './types';

function spec(config: HfConfig): ModelSpec {
  const architecture = optionalString(config, 'llama', 'model_type') as Architecture;
  const nLayers = requirePositiveInt(config, 'num_hidden_layers');
  const nHeads = requirePositiveInt(config, 'num_attention_heads');
  const nKvHeads = optionalPositiveInt(config, nHeads, 'num_key_value_heads');
  const dModel = requirePositiveInt(config, 'hidden_size');
  const dHead = optionalPositiveInt(config, dModel / nHeads, 'head_dim');
  if (nHeads % nKvHeads !== 0) {
    throw new EngineError(
      'BAD_CONFIG',
      `${config.file}: num_attention_heads (${nHeads}) must be a multiple of num_key_value_heads (${nKvHeads})`,
      config.file,
    );
  }
  return {
    architecture,
    nLayers,
    nHeads,
    nKvHeads,
    dModel,
    dHead,
    dMlp: requirePositiveInt(config, 'intermediate_size'),
    dVocab: requirePositiveInt(config, 'vocab_size'),
    nCtx: requirePositiveInt(config, 'max_position_embeddings'),
    normalization: 'rmsnorm',
    normEps: optionalNumber(config, 1e-6, 'rms_norm_eps'),
    positional: 'rotary',
    rotary: rotarySpec(config, dHead, { baseKeys: ['rope_theta'], partialFactorKeys: ['partial_rotary_factor'] }),
    activation: activationFromConfig(config, optionalString(config, 'silu', 'hidden_act')),
    gatedMlp: true,
    parallelAttnMlp: false,
    attnScale: new Array<number>(nLayers).fill(1 / Math.sqrt(dHead)),
    attnWindow: slidingWindows(config, nLayers, architecture !== 'llama'),
    tiedEmbeddings: optionalBool(config, false, 'tie_word_embeddings'),
    bosTokenId: optionalTokenId(config, 'bos_token_id'),
    eosTokenId: optionalTokenId(config, 'eos_token_id'),
  };
}

async function readBlock(reader: CheckpointReader, s: ModelSpec, layer: number): Promise<BlockWeights<HostTensor>> {
  const p = `layers.${layer}.`;
  const d = s.dModel;
  const qWidth = s.nHeads * s.dHead;
  const kvWidth = s.nKvHeads * s.dHead;
  // Biases are read when the checkpoint has them: Qwen2 always has q/k/v biases, Llama only with
  // `attention_bias` / `mlp_bias`.
  const bias = (name: string, size: number) => reader.readOptional(name, [size]);
  return {
    ln1: { w: await reader.read(`${p}input_layernorm.weight`, [d]) },
    attn: {
      wQ: await reader.readLinear(`${p}self_attn.q_proj.weight`, qWidth, d),
      bQ: await bias(`${p}self_attn.q_proj.bias`, qWidth),
      wK: await reader.readLinear(`${p}self_attn.k_proj.weight`, kvWidth, d),
      bK: await bias(`${p}self_attn.k_proj.bias`, kvWidth),
      wV: await reader.readLinear(`${p}self_attn.v_proj.weight`, kvWidth, d),
      bV: await bias(`${p}self_attn.v_proj.bias`, kvWidth),
      wO: await reader.readLinear(`${p}self_attn.o_proj.weight`, d, qWidth),
      bO: await bias(`${p}self_attn.o_proj.bias`, d),
    },
    ln2: { w: await reader.read(`${p}post_attention_layernorm.weight`, [d]) },
    mlp: {
      wGate: await reader.readLinear(`${p}mlp.gate_proj.weight`, s.dMlp, d),
      bGate: await bias(`${p}mlp.gate_proj.bias`, s.dMlp),
      wIn: await reader.readLinear(`${p}mlp.up_proj.weight`, s.dMlp, d),
      bIn: await bias(`${p}mlp.up_proj.bias`, s.dMlp),
      wOut: await reader.readLinear(`${p}mlp.down_proj.weight`, d, s.dMlp),
      bOut: await bias(`${p}mlp.down_proj.bias`, d),
    },
  };
}

function readWeights(reader: CheckpointReader, s: ModelSpec): Promise<HostWeights> {
  return readModelWeights(reader, s, { embed: 'embed_tokens.weight', finalNorm: { w: 'norm.weight' }, unembed: 'lm_head.weight' }, (layer) => readBlock(reader, s, layer));
}

export const llama: ArchitectureModule = {
  modelTypes: ['llama', 'mistral', 'qwen2'],
  basePrefix: 'model.',
  spec,
  readWeights,
};
