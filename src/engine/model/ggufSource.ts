/**
 * Two WeightSource views of one opened GGUF file:
 * - `ggufWeightSource`: the tensors under their own llama.cpp names, with their quantization type
 *   as dtype — what the tensor table shows and tensor statistics read (dequantized on demand);
 * - `hfWeightSource`: the tensors under the Hugging Face names the architecture modules expect,
 *   rearranged back to the Hugging Face layout (ggufTensors.ts) as they are read.
 */
import * as path from 'node:path';
import { EngineError } from '../errors';
import type { GgufFile, GgufTensorInfo } from '../formats/gguf';
import type { TensorInfo, WeightSource } from '../formats/weightSource';
import { applyGgufTransform, hfShape, mapGgufTensor, type GgufArchitecture, type GgufHeads, type GgufTensorMapping } from './ggufTensors';

function tensorInfo(gguf: GgufFile, info: GgufTensorInfo, name: string, shape: readonly number[]): TensorInfo {
  return { name, dtype: info.type, shape, file: gguf.path, byteOffset: Number(info.offset), byteLength: info.byteLength };
}

function unknownTensor(gguf: GgufFile, name: string): EngineError {
  return new EngineError('BAD_ARGUMENT', `${path.basename(gguf.path)} has no tensor "${name}"`, gguf.path, name);
}

/** The file's tensors by their own names, shapes in PyTorch order. Closing it closes the file. */
export function ggufWeightSource(gguf: GgufFile): WeightSource {
  const tensors = new Map<string, TensorInfo>();
  for (const info of gguf.tensors) tensors.set(info.name, tensorInfo(gguf, info, info.name, [...info.shape].reverse()));
  return {
    path: gguf.path,
    tensors,
    metadata: {},
    readFloat32: (name) => {
      if (!tensors.has(name)) throw unknownTensor(gguf, name);
      return gguf.readTensor(name);
    },
    close: () => gguf.close(),
  };
}

/** The Hugging Face view, with the mapping of each name for error messages. */
export interface HfView {
  readonly source: WeightSource;
  /** Hugging Face name → the file's tensor it comes from. */
  readonly mappings: ReadonlyMap<string, GgufTensorMapping>;
}

/**
 * The file's tensors under Hugging Face names. Every tensor must map: one that does not belongs
 * to a variant of the architecture we do not run (e.g. Qwen3's `attn_q_norm`), and running
 * without it would give wrong logits. Closing the view leaves the file open.
 */
export function hfWeightSource(gguf: GgufFile, arch: GgufArchitecture, heads: GgufHeads): HfView {
  const file = path.basename(gguf.path);
  const tensors = new Map<string, TensorInfo>();
  const mappings = new Map<string, GgufTensorMapping>();
  const infos = new Map(gguf.tensors.map((info) => [info.name, info]));
  for (const info of gguf.tensors) {
    // Llama 3.1+ RoPE divisors: already part of the config (ggufConfig.ts), no weight of the model.
    if (arch === 'llama' && info.name === 'rope_freqs.weight') continue;
    const mapping = mapGgufTensor(arch, info.name, heads);
    if (!mapping) {
      throw new EngineError(
        'UNSUPPORTED_ARCHITECTURE',
        `${file}: tensor "${info.name}" is not part of a ${arch} model this engine runs; the file may hold a variant of ${arch} it does not support`,
        gguf.path,
        info.name,
      );
    }
    checkRearrangeable(gguf, info, mapping);
    tensors.set(mapping.hfName, tensorInfo(gguf, info, mapping.hfName, hfShape(info.shape, mapping.transform)));
    mappings.set(mapping.hfName, mapping);
  }
  const source: WeightSource = {
    path: gguf.path,
    tensors,
    metadata: {},
    async readFloat32(name) {
      const mapping = mappings.get(name);
      if (!mapping) throw unknownTensor(gguf, name);
      const info = infos.get(mapping.ggufName)!;
      const data = await gguf.readTensor(mapping.ggufName);
      return applyGgufTransform({ data, shape: [...info.shape].reverse() }, mapping.transform);
    },
    close: async () => undefined,
  };
  return { source, mappings };
}

/** The row rearrangements need whole heads (and whole rotary pairs). */
function checkRearrangeable(gguf: GgufFile, info: GgufTensorInfo, mapping: GgufTensorMapping): void {
  const t = mapping.transform;
  if (t.kind !== 'unpermute' && t.kind !== 'neoxUngroup') return;
  const rows = info.shape[info.shape.length - 1]!;
  const groups = t.kind === 'unpermute' ? 2 * t.heads : 3 * t.heads;
  if (rows % groups !== 0) {
    throw new EngineError(
      'WEIGHTS_MISMATCH',
      `${path.basename(gguf.path)}: tensor "${info.name}" has ${rows} rows, which do not split into ${t.heads} heads` +
        (t.kind === 'unpermute' ? ' of rotary pairs' : ' of query, key and value'),
      gguf.path,
      info.name,
    );
  }
}
