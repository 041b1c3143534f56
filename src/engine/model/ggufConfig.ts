/**
 * A GGUF file's metadata as the Hugging Face `config.json` it was converted from, so the
 * architecture modules (and their checks) run on GGUF files unchanged.
 *
 * Keys follow llama.cpp's gguf-py (`{arch}.block_count`, `{arch}.attention.head_count_kv`, …) and
 * the defaults llama.cpp itself applies when a key is absent (rope base 10000, parallel residual
 * for gptneox). Llama 3.1+ files carry their RoPE scaling as per-dimension divisors
 * (`rope_freqs.weight`), turned back into Hugging Face's `llama3` scaling (ggufRopeFactors.ts).
 * Features this engine does not run (YaRN scaling, mixtures of experts) are refused with a clear
 * error rather than run inexactly.
 */
import * as path from 'node:path';
import { EngineError } from '../errors';
import { metadataBoolean, metadataNumber, metadataString, metadataStringArray, requireMetadata, type GgufFile } from '../formats/gguf';
import type { HfConfig } from './config';
import { llama3ScalingFromDivisors } from './ggufRopeFactors';
import type { GgufArchitecture } from './ggufTensors';

/** What the mapping reads of an opened file. */
export type GgufHeader = Pick<GgufFile, 'path' | 'metadata' | 'tensors'>;

export const GGUF_ARCHITECTURES: readonly GgufArchitecture[] = ['llama', 'qwen2', 'gpt2', 'gptneox'];

function unsupported(gguf: GgufHeader, message: string): EngineError {
  return new EngineError('UNSUPPORTED_ARCHITECTURE', `${path.basename(gguf.path)}: ${message}`, gguf.path);
}

/** `general.architecture`, checked against the ones we run. */
export function ggufArchitecture(gguf: GgufHeader): GgufArchitecture {
  const arch = requireMetadata(gguf, 'general.architecture', metadataString(gguf, 'general.architecture'));
  if (!(GGUF_ARCHITECTURES as readonly string[]).includes(arch)) {
    throw unsupported(gguf, `GGUF architecture "${arch}" is not supported (supported: ${GGUF_ARCHITECTURES.join(', ')})`);
  }
  return arch as GgufArchitecture;
}

/**
 * The synthetic config.json of a GGUF file (`file` is the .gguf path, for error messages).
 * `ropeFreqs` is the data of the file's `rope_freqs.weight` when it has one.
 */
export function ggufConfig(gguf: GgufHeader, ropeFreqs?: Float32Array): HfConfig {
  const arch = ggufArchitecture(gguf);
  const num = (key: string) => metadataNumber(gguf, `${arch}.${key}`);
  const required = (key: string) => requireMetadata(gguf, `${arch}.${key}`, num(key));

  if (gguf.tensors.length === 0) {
    throw new EngineError('WEIGHTS_MISMATCH', `${path.basename(gguf.path)}: holds no tensors, only metadata (a vocabulary-only file?)`, gguf.path);
  }
  const expertCount = num('expert_count');
  if (expertCount !== undefined && expertCount > 0) {
    throw unsupported(gguf, `mixture-of-experts models (${expertCount} experts) are not supported`);
  }
  const tensorNames = new Set(gguf.tensors.map((t) => t.name));

  const layers = required('block_count');
  const dModel = required('embedding_length');
  const heads = required('attention.head_count');
  const context = required('context_length');
  const embedding = gguf.tensors.find((t) => t.name === 'token_embd.weight');
  // The embedding's shape is what the weights need; the metadata's counts can disagree with it
  // (vocabularies padded after conversion).
  const vocab = embedding?.shape[1] ?? num('vocab_size') ?? metadataStringArray(gguf, 'tokenizer.ggml.tokens')?.length;
  if (vocab === undefined) {
    throw new EngineError('WEIGHTS_MISMATCH', `${path.basename(gguf.path)}: has no token_embd.weight tensor and no vocabulary size`, gguf.path);
  }
  const tied = !tensorNames.has('output.weight');
  const tokenId = (key: string) => metadataNumber(gguf, `tokenizer.ggml.${key}`);
  const common = { tie_word_embeddings: tied, bos_token_id: tokenId('bos_token_id'), eos_token_id: tokenId('eos_token_id'), vocab_size: vocab };

  let raw: Record<string, unknown>;
  switch (arch) {
    case 'llama':
    case 'qwen2': {
      const kvHeads = num('attention.head_count_kv') ?? heads;
      const headDim = num('attention.key_length') ?? dModel / heads;
      const ropeBase = num('rope.freq_base') ?? 10000;
      const ropeDims = num('rope.dimension_count') ?? headDim;
      raw = {
        model_type: arch,
        num_hidden_layers: layers,
        num_attention_heads: heads,
        num_key_value_heads: kvHeads,
        hidden_size: dModel,
        head_dim: headDim,
        intermediate_size: required('feed_forward_length'),
        max_position_embeddings: context,
        rms_norm_eps: required('attention.layer_norm_rms_epsilon'),
        rope_theta: ropeBase,
        partial_rotary_factor: rotaryFraction(ropeDims, headDim),
        rope_scaling: tensorNames.has('rope_freqs.weight') ? fromDivisors(gguf, ropeFreqs, ropeBase, ropeDims) : ropeScaling(gguf, arch),
        // llama.cpp keeps no sliding window for these files; Qwen2 checkpoints run without one.
        use_sliding_window: false,
        ...common,
      };
      break;
    }
    case 'gpt2':
      raw = {
        model_type: 'gpt2',
        n_layer: layers,
        n_head: heads,
        n_embd: dModel,
        n_inner: num('feed_forward_length') ?? 4 * dModel,
        n_positions: context,
        layer_norm_epsilon: required('attention.layer_norm_epsilon'),
        activation_function: 'gelu_new',
        ...common,
      };
      break;
    case 'gptneox': {
      const headDim = dModel / heads;
      raw = {
        model_type: 'gpt_neox',
        num_hidden_layers: layers,
        num_attention_heads: heads,
        hidden_size: dModel,
        intermediate_size: required('feed_forward_length'),
        max_position_embeddings: context,
        layer_norm_eps: required('attention.layer_norm_epsilon'),
        rotary_pct: rotaryFraction(num('rope.dimension_count'), headDim),
        rotary_emb_base: num('rope.freq_base') ?? 10000,
        use_parallel_residual: metadataBoolean(gguf, 'gptneox.use_parallel_residual') ?? true,
        hidden_act: 'gelu',
        ...common,
      };
      break;
    }
  }
  return { file: gguf.path, raw };
}

/**
 * The fraction of each head that is rotated, from llama.cpp's rotated dimension count. The
 * modules compute ⌊d_head · fraction⌋, so the fraction is nudged up when floating point would
 * land just under the count.
 */
function rotaryFraction(dims: number | undefined, headDim: number): number {
  if (dims === undefined) return 1;
  const fraction = dims / headDim;
  return Math.floor(headDim * fraction) === dims ? fraction : (dims + 0.25) / headDim;
}

function fromDivisors(gguf: GgufHeader, divisors: Float32Array | undefined, base: number, dims: number): Record<string, unknown> | null {
  const scaling = divisors && llama3ScalingFromDivisors(divisors, base, dims);
  if (scaling === undefined) {
    throw unsupported(gguf, 'its RoPE frequency divisors (rope_freqs) match no Llama 3 rope scaling, the only kind supported');
  }
  return scaling && { ...scaling };
}

function ropeScaling(gguf: GgufHeader, arch: GgufArchitecture): Record<string, unknown> | null {
  const type = metadataString(gguf, `${arch}.rope.scaling.type`);
  const factor = metadataNumber(gguf, `${arch}.rope.scaling.factor`) ?? metadataNumber(gguf, `${arch}.rope.scale_linear`);
  if (type === undefined || type === 'none') {
    // Older files state linear scaling only by `rope.scale_linear`.
    return factor !== undefined && factor !== 1 ? { rope_type: 'linear', factor } : null;
  }
  if (type === 'linear') return factor === undefined || factor === 1 ? null : { rope_type: 'linear', factor };
  throw unsupported(gguf, `rope scaling "${type}" is not supported (supported: none, linear)`);
}
