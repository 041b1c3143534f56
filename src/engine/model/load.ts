/**
 * From a path the user gave (a `.safetensors` file, a `model.safetensors.index.json`, or a folder
 * holding them) to a runnable model: config.json → spec, checkpoint → weights on the backend.
 * A `.gguf` file stands in for both: ggufModel.ts derives the config and Hugging Face tensor
 * names from its header.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { EngineError } from '../errors';
import { openSafetensors, resolveWeightsPath } from '../formats/safetensors';
import type { WeightSource } from '../formats/weightSource';
import type { ModelTokenizer } from '../tokenizer';
import { architectureFor } from './architectures';
import { CheckpointReader } from './checkpointReader';
import type { HfConfig } from './config';
import type { GgufMetadataEntry } from './ggufMetadata';
import { isGgufPath, openGgufModel } from './ggufModel';
import type { ModelSpec } from './spec';
import { mapWeights, type DeviceWeights } from './weights';

export interface LoadProgress {
  readonly message: string;
  /** 0..1 */
  readonly fraction: number;
}

export interface LoadOptions {
  readonly onProgress?: (progress: LoadProgress) => void;
  readonly signal?: AbortSignal;
  /** Refuse (MODEL_TOO_LARGE) a model whose float32 weights would exceed this many bytes. */
  readonly memoryLimitBytes?: number;
}

export interface LoadedWeights {
  readonly weightsPath: string;
  readonly folder: string;
  readonly config: HfConfig;
  readonly spec: ModelSpec;
  readonly weights: DeviceWeights;
  /** The open checkpoint, kept for the tensor table and on-demand tensor statistics. */
  readonly source: WeightSource;
  /** Parameters the model uses (a tied embedding counted once). */
  readonly parameters: number;
  /** Storage dtype of the weights on disk, e.g. `F32`, or `F16+F32` when mixed. */
  readonly dtype: string;
  /** A `.gguf` file carries its own tokenizer (undefined when its metadata has none) and metadata. */
  readonly gguf?: { readonly tokenizer: ModelTokenizer | undefined; readonly metadata: readonly GgufMetadataEntry[] };
}

export async function readConfig(folder: string): Promise<HfConfig> {
  const file = path.join(folder, 'config.json');
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch {
    throw new EngineError(
      'MISSING_CONFIG',
      `no config.json in ${folder}: the Hugging Face config beside the weights says which architecture they belong to`,
      file,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new EngineError('BAD_CONFIG', `${file}: not valid JSON (${(error as Error).message})`, file);
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new EngineError('BAD_CONFIG', `${file}: expected a JSON object`, file);
  }
  return { file, raw: raw as Record<string, unknown> };
}

/** Catches configs whose numbers cannot describe a model (e.g. heads that do not divide d_model). */
function checkSpec(spec: ModelSpec, config: HfConfig): void {
  const bad = (message: string) => new EngineError('BAD_CONFIG', `${config.file}: ${message}`, config.file);
  if (!Number.isInteger(spec.dHead)) throw bad(`hidden size ${spec.dModel} is not divisible by ${spec.nHeads} heads`);
  if (spec.nHeads % spec.nKvHeads !== 0) throw bad(`${spec.nHeads} heads cannot share ${spec.nKvHeads} key/value heads evenly`);
}

function checkMemory(source: WeightSource, limit: number | undefined): void {
  if (limit === undefined) return;
  let elements = 0;
  for (const info of source.tensors.values()) elements += info.shape.reduce((a, b) => a * b, 1);
  const bytes = elements * 4;
  if (bytes > limit) {
    const mb = (n: number) => `${Math.round(n / 2 ** 20)} MB`;
    throw new EngineError(
      'MODEL_TOO_LARGE',
      `${path.basename(source.path)}: the weights need ${mb(bytes)} as float32, over the memory limit of ${mb(limit)}`,
      source.path,
    );
  }
}

export async function loadWeights(pathOrFolder: string, options: LoadOptions = {}): Promise<LoadedWeights> {
  const report = options.onProgress ?? (() => undefined);
  // A GGUF file describes itself: config, tensor names and tokenizer all come from its header.
  const gguf = isGgufPath(pathOrFolder) ? await openGgufModel(pathOrFolder) : undefined;
  const weightsPath = gguf ? gguf.path : await resolveWeightsPath(pathOrFolder);
  const folder = path.dirname(weightsPath);
  // The file's own header first: a corrupt file is the problem to report even without a config.
  const source = gguf ? gguf.source : await openSafetensors(weightsPath);
  try {
    const config = gguf ? gguf.config : await readConfig(folder);
    const architecture = architectureFor(config);
    const spec = architecture.spec(config);
    checkSpec(spec, config);
    checkMemory(source, options.memoryLimitBytes);
    const total = source.tensors.size;
    const reader = new CheckpointReader(gguf ? gguf.view : source, architecture.basePrefix, (done) => {
      if (options.signal?.aborted) throw new EngineError('CANCELLED', 'loading was cancelled');
      report({ message: `reading tensors (${done}/${total})`, fraction: 0.9 * Math.min(1, done / total) });
    });
    const host = await architecture.readWeights(reader, spec);
    report({ message: 'moving weights to the backend', fraction: 0.95 });
    const weights = mapWeights(host, (t) => tf.tensor(t.data, t.shape as number[], 'float32'));
    report({ message: 'ready', fraction: 1 });
    const ggufParts = gguf && { tokenizer: gguf.tokenizer, metadata: gguf.metadata };
    return { weightsPath, folder, config, spec, weights, source, parameters: reader.parameters, dtype: reader.dtypeSummary(), gguf: ggufParts };
  } catch (error) {
    await source.close();
    throw gguf ? gguf.explain(error) : error;
  }
}
