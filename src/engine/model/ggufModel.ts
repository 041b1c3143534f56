/**
 * Opening a `.gguf` file as a model: the GGUF header → the config.json it stands for, the tensors
 * under Hugging Face names, the tokenizer from its metadata. load.ts then builds the model exactly
 * as it does from safetensors.
 */
import { EngineError } from '../errors';
import { openGguf, type GgufFile } from '../formats/gguf';
import type { WeightSource } from '../formats/weightSource';
import type { ModelTokenizer } from '../tokenizer';
import { ggufTokenizer } from '../tokenizer/ggufTokenizer';
import type { HfConfig } from './config';
import { ggufArchitecture, ggufConfig } from './ggufConfig';
import { summarizeGgufMetadata, type GgufMetadataEntry } from './ggufMetadata';
import { ggufWeightSource, hfWeightSource, type HfView } from './ggufSource';
import { ggufNameFor, type GgufArchitecture } from './ggufTensors';

/** A path the loader should read as GGUF. */
export function isGgufPath(file: string): boolean {
  return /\.gguf$/i.test(file);
}

export interface GgufModelFiles {
  readonly path: string;
  readonly config: HfConfig;
  /** The tensors under their own names (tensor table, statistics); closing it closes the file. */
  readonly source: WeightSource;
  /** The tensors under Hugging Face names, in Hugging Face layout, for the architecture modules. */
  readonly view: WeightSource;
  readonly tokenizer: ModelTokenizer | undefined;
  readonly metadata: readonly GgufMetadataEntry[];
  /** Rewrites a weights error about a Hugging Face name to name the file's own tensor. */
  explain(error: unknown): unknown;
}

/** Opens a GGUF model. Closes the file again when anything in it cannot be used. */
export async function openGgufModel(file: string): Promise<GgufModelFiles> {
  const gguf = await openGguf(file);
  try {
    // Llama 3.1+ RoPE scaling lives in a tensor, not in the metadata.
    const ropeFreqs = gguf.tensors.some((t) => t.name === ROPE_FREQS) ? await gguf.readTensor(ROPE_FREQS) : undefined;
    return describe(gguf, ropeFreqs);
  } catch (error) {
    await gguf.close();
    throw error;
  }
}

const ROPE_FREQS = 'rope_freqs.weight';

function describe(gguf: GgufFile, ropeFreqs: Float32Array | undefined): GgufModelFiles {
  const arch = ggufArchitecture(gguf);
  const config = ggufConfig(gguf, ropeFreqs);
  const heads = Number(config.raw['num_attention_heads'] ?? config.raw['n_head']);
  const kvHeads = Number(config.raw['num_key_value_heads'] ?? heads);
  const view = hfWeightSource(gguf, arch, { heads, kvHeads });
  return {
    path: gguf.path,
    config,
    source: ggufWeightSource(gguf),
    view: view.source,
    tokenizer: ggufTokenizer(gguf),
    metadata: summarizeGgufMetadata(gguf.metadata),
    explain: (error) => explainWeightsError(gguf, arch, view, error),
  };
}

/**
 * The checkpoint reader names tensors by their Hugging Face names and blames config.json; for a
 * GGUF file the user knows the llama.cpp names and the metadata.
 */
function explainWeightsError(gguf: GgufFile, arch: GgufArchitecture, view: HfView, error: unknown): unknown {
  if (!(error instanceof EngineError) || error.code !== 'WEIGHTS_MISMATCH' || error.tensor === undefined) return error;
  const mapping = view.mappings.get(error.tensor);
  const ggufName = mapping?.ggufName ?? ggufNameFor(arch, error.tensor);
  const message = error.message
    .replace(`"${error.tensor}"`, ggufName ? `"${ggufName}" (${error.tensor})` : `"${error.tensor}"`)
    .replace('config.json implies', 'its metadata implies')
    .replace('config.json describes a model that needs it', 'its metadata describes a model that needs it');
  return new EngineError('WEIGHTS_MISMATCH', message, gguf.path, ggufName ?? error.tensor);
}
