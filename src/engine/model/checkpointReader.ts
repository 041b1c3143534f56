/**
 * Reads a checkpoint's tensors by the names an architecture expects, checking each shape against
 * what config.json implies, so a config that does not match its weights fails with a message that
 * names the tensor, the expected shape and the one in the file.
 */
import * as path from 'node:path';
import { EngineError } from '../errors';
import type { WeightSource } from '../formats/weightSource';
import { transposeHost, type HostTensor } from './weights';

export class CheckpointReader {
  /** Prefix every module-local name gets, e.g. `transformer.`; '' for checkpoints saved without it. */
  private readonly prefix: string;
  private readonly fileName: string;
  private loaded = 0;
  private readonly elementsByDtype = new Map<string, number>();

  constructor(
    private readonly source: WeightSource,
    /** The base-model prefix Hugging Face uses for this family (`transformer.`, `model.`, …). */
    basePrefix: string,
    /** Called after each tensor is read: (tensors read so far, tensors expected in all). */
    private readonly onTensorRead?: (done: number) => void,
  ) {
    const hasPrefix = [...source.tensors.keys()].some((name) => name.startsWith(basePrefix));
    this.prefix = hasPrefix ? basePrefix : '';
    this.fileName = path.basename(source.path);
  }

  /** Name as stored, for a name inside the base model (`h.0.ln_1.weight`). */
  private stored(localName: string): string {
    return this.prefix + localName;
  }

  /** Whether the base model has this tensor. */
  has(localName: string): boolean {
    return this.source.tensors.has(this.stored(localName));
  }

  /** Whether the checkpoint has this tensor outside the base model (`lm_head.weight`). */
  hasTopLevel(name: string): boolean {
    return this.source.tensors.has(name);
  }

  /** A required tensor of the base model with the given shape. */
  read(localName: string, shape: readonly number[]): Promise<HostTensor> {
    return this.readStored(this.stored(localName), shape);
  }

  /** An nn.Linear weight ([out, in] in the file) transposed to the `x @ W` layout [in, out]. */
  async readLinear(localName: string, outFeatures: number, inFeatures: number): Promise<HostTensor> {
    return transposeHost(await this.read(localName, [outFeatures, inFeatures]));
  }

  /** A tensor of the base model read only if present (biases some checkpoints omit). */
  async readOptional(localName: string, shape: readonly number[]): Promise<HostTensor | undefined> {
    return this.has(localName) ? this.read(localName, shape) : undefined;
  }

  /** A required tensor named outside the base model, e.g. `lm_head.weight`. */
  readTopLevel(name: string, shape: readonly number[]): Promise<HostTensor> {
    return this.readStored(name, shape);
  }

  /** Parameters read so far (a tensor used twice, like a tied embedding, counts once). */
  get parameters(): number {
    let total = 0;
    this.elementsByDtype.forEach((count) => (total += count));
    return total;
  }

  /** Storage dtypes of what was read, most parameters first: `F32`, or `BF16+F32` when mixed. */
  dtypeSummary(): string {
    return [...this.elementsByDtype.entries()].sort((a, b) => b[1] - a[1]).map(([dtype]) => dtype).join('+');
  }

  private async readStored(name: string, shape: readonly number[]): Promise<HostTensor> {
    const info = this.source.tensors.get(name);
    if (!info) {
      throw new EngineError(
        'WEIGHTS_MISMATCH',
        `${this.fileName}: tensor "${name}" is missing, but config.json describes a model that needs it (shape [${shape.join(', ')}])`,
        this.source.path,
        name,
      );
    }
    if (info.shape.length !== shape.length || info.shape.some((size, i) => size !== shape[i])) {
      throw new EngineError(
        'WEIGHTS_MISMATCH',
        `${this.fileName}: tensor "${name}" has shape [${info.shape.join(', ')}], but config.json implies [${shape.join(', ')}]`,
        this.source.path,
        name,
      );
    }
    const data = await this.source.readFloat32(name);
    this.loaded += 1;
    this.elementsByDtype.set(info.dtype, (this.elementsByDtype.get(info.dtype) ?? 0) + data.length);
    this.onTensorRead?.(this.loaded);
    return { data, shape };
  }
}
