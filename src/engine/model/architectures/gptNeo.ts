/**
 * GPT-Neo: GPT-2's block with nn.Linear layers ([out, in], transposed at load), separate
 * unbiased q/k/v projections, layers alternating between global and local (windowed) attention,
 * and — unlike GPT-2 — no 1/√d_head scaling of attention scores.
 */
import { EngineError } from '../../errors';
import { activationFromConfig } from './activation';
import { optionalBool, optionalNumber, optionalPositiveInt, optionalString, optionalTokenId, requirePositiveInt, type HfConfig } from '../config';
import type { CheckpointReader } from '../checkpointReader';
import type { ModelSpec } from '../spec';
import type { BlockWeights, HostTensor, HostWeights } from '../weights';
import { readModelWeights } from './common';
import type { ArchitectureModule } from './types';

/** `attention_layers` if saved, else `attention_types` expanded: [[["global","local"], 6]] → 12 layers. */
function attentionLayers(config: HfConfig, nLayers: number): string[] {
  const bad = (message: string) => new EngineError('BAD_CONFIG', `${config.file}: ${message}`, config.file);
  let layers: unknown = config.raw['attention_layers'];
  if (!Array.isArray(layers)) {
    const types = config.raw['attention_types'];
    if (!Array.isArray(types)) throw bad('missing "attention_types"');
    layers = types.flatMap((entry: unknown) => {
      if (!Array.isArray(entry) || !Array.isArray(entry[0]) || typeof entry[1] !== 'number') {
        throw bad('"attention_types" entries must look like [["global", "local"], 6]');
      }
      return Array.from({ length: entry[1] }, () => entry[0] as unknown[]).flat();
    });
  }
  const list = layers as unknown[];
  if (list.length !== nLayers) throw bad(`attention types list ${list.length} layers but "num_layers" is ${nLayers}`);
  for (const kind of list) if (kind !== 'global' && kind !== 'local') throw bad(`unknown attention type ${JSON.stringify(kind)}`);
  return list as string[];
}

function spec(config: HfConfig): ModelSpec {
  const nLayers = requirePositiveInt(config, 'num_layers');
  const nHeads = requirePositiveInt(config, 'num_heads');
  const dModel = requirePositiveInt(config, 'hidden_size');
  const windowSize = requirePositiveInt(config, 'window_size');
  return {
    architecture: 'gpt_neo',
    nLayers,
    nHeads,
    nKvHeads: nHeads,
    dModel,
    dHead: dModel / nHeads,
    dMlp: optionalPositiveInt(config, 4 * dModel, 'intermediate_size'),
    dVocab: requirePositiveInt(config, 'vocab_size'),
    nCtx: requirePositiveInt(config, 'max_position_embeddings'),
    normalization: 'layernorm',
    normEps: optionalNumber(config, 1e-5, 'layer_norm_epsilon'),
    positional: 'learned',
    activation: activationFromConfig(config, optionalString(config, 'gelu_new', 'activation_function')),
    gatedMlp: false,
    parallelAttnMlp: false,
    // GPT-Neo does not scale q·k (Hugging Face's GPTNeoSelfAttention has no scale factor).
    attnScale: new Array<number>(nLayers).fill(1),
    attnWindow: attentionLayers(config, nLayers).map((kind) => (kind === 'local' ? windowSize : null)),
    tiedEmbeddings: optionalBool(config, true, 'tie_word_embeddings'),
    bosTokenId: optionalTokenId(config, 'bos_token_id'),
    eosTokenId: optionalTokenId(config, 'eos_token_id'),
  };
}

async function readBlock(reader: CheckpointReader, s: ModelSpec, layer: number): Promise<BlockWeights<HostTensor>> {
  const p = `h.${layer}.`;
  const d = s.dModel;
  return {
    ln1: { w: await reader.read(`${p}ln_1.weight`, [d]), b: await reader.read(`${p}ln_1.bias`, [d]) },
    attn: {
      wQ: await reader.readLinear(`${p}attn.attention.q_proj.weight`, d, d),
      wK: await reader.readLinear(`${p}attn.attention.k_proj.weight`, d, d),
      wV: await reader.readLinear(`${p}attn.attention.v_proj.weight`, d, d),
      wO: await reader.readLinear(`${p}attn.attention.out_proj.weight`, d, d),
      bO: await reader.read(`${p}attn.attention.out_proj.bias`, [d]),
    },
    ln2: { w: await reader.read(`${p}ln_2.weight`, [d]), b: await reader.read(`${p}ln_2.bias`, [d]) },
    mlp: {
      wIn: await reader.readLinear(`${p}mlp.c_fc.weight`, s.dMlp, d),
      bIn: await reader.read(`${p}mlp.c_fc.bias`, [s.dMlp]),
      wOut: await reader.readLinear(`${p}mlp.c_proj.weight`, d, s.dMlp),
      bOut: await reader.read(`${p}mlp.c_proj.bias`, [d]),
    },
  };
}

function readWeights(reader: CheckpointReader, s: ModelSpec): Promise<HostWeights> {
  return readModelWeights(reader, s, { embed: 'wte.weight', positions: 'wpe.weight', finalNorm: { w: 'ln_f.weight', b: 'ln_f.bias' }, unembed: 'lm_head.weight' }, (layer) => readBlock(reader, s, layer));
}

export const gptNeo: ArchitectureModule = {
  modelTypes: ['gpt_neo'],
  basePrefix: 'transformer.',
  spec,
  readWeights,
};
