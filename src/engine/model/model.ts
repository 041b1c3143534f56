/**
 * A loaded model: spec, weights on the backend, tokenizer when the folder has one, and the
 * TransformerLens-style entry points `run`, `runWithCache` and `runWithHooks`.
 */
import * as path from 'node:path';
import { currentBackend } from '../backend';
import type { ModelInfo } from '../../protocol/engine';
import { EngineError } from '../errors';
import { ModelTokenizer, type TokenizedText } from '../tokenizer';
import { forward, type ForwardOptions, type ForwardResult } from './forward';
import type { HookFn } from './hooks';
import { loadWeights, type LoadedWeights, type LoadOptions } from './load';
import type { ModelSpec } from './spec';
import { allWeights, type DeviceWeights } from './weights';

export type { ModelInfo };

/** One sequence ([pos]) or a batch of equal-length sequences ([batch][pos]). */
export type TokenInput = readonly number[] | readonly (readonly number[])[];

function asBatch(tokens: TokenInput): readonly (readonly number[])[] {
  return tokens.length > 0 && Array.isArray(tokens[0]) ? (tokens as readonly (readonly number[])[]) : [tokens as readonly number[]];
}

export class TransformerModel {
  private disposed = false;

  private constructor(
    private readonly loaded: LoadedWeights,
    /** The model's tokenizer, or undefined when its folder has no tokenizer.json. */
    readonly tokenizer: ModelTokenizer | undefined,
  ) {}

  static async load(pathOrFolder: string, options: LoadOptions = {}): Promise<TransformerModel> {
    const loaded = await loadWeights(pathOrFolder, options);
    try {
      // A GGUF file's tokenizer is in its metadata, never in a tokenizer.json that happens to sit beside it.
      return new TransformerModel(loaded, loaded.gguf ? loaded.gguf.tokenizer : await ModelTokenizer.load(loaded.folder));
    } catch (error) {
      await disposeLoaded(loaded);
      throw error;
    }
  }

  get spec(): ModelSpec {
    return this.loaded.spec;
  }

  /** The raw weights the exact forward pass runs on (analyses derive processed copies; never modify). */
  get weights(): DeviceWeights {
    this.checkAlive();
    return this.loaded.weights;
  }

  /** The weights file the model came from (index json for sharded checkpoints). */
  get weightsPath(): string {
    return this.loaded.weightsPath;
  }

  /** The open checkpoint: tensor table and on-demand reads. */
  get source() {
    return this.loaded.source;
  }

  info(): ModelInfo {
    const s = this.spec;
    return {
      architecture: s.architecture,
      layers: s.nLayers,
      heads: s.nHeads,
      kvHeads: s.nKvHeads,
      dModel: s.dModel,
      dHead: s.dHead,
      dMlp: s.dMlp,
      vocab: s.dVocab,
      context: s.nCtx,
      parameters: this.loaded.parameters,
      dtype: this.loaded.dtype,
      backend: currentBackend() ?? 'none',
      tokenizer: this.tokenizer !== undefined,
      ...(this.loaded.gguf && { ggufMetadata: this.loaded.gguf.metadata }),
    };
  }

  /** Text → token ids with character offsets. Throws NO_TOKENIZER when the model has none. */
  tokenize(text: string): TokenizedText {
    if (!this.tokenizer) {
      if (this.loaded.gguf) {
        throw new EngineError(
          'NO_TOKENIZER',
          `${path.basename(this.loaded.weightsPath)} has no tokenizer metadata, so text prompts are unavailable; pass token ids instead`,
          this.loaded.weightsPath,
        );
      }
      throw new EngineError(
        'NO_TOKENIZER',
        `${path.basename(this.loaded.folder)} has no tokenizer.json beside its weights, so text prompts are unavailable; pass token ids instead`,
        this.loaded.folder,
      );
    }
    return this.tokenizer.encode(text);
  }

  /** Forward pass with full control over cache, hooks and outputs. */
  run(tokens: TokenInput, options: ForwardOptions = {}): Promise<ForwardResult> {
    this.checkAlive();
    return forward(this.spec, this.loaded.weights, asBatch(tokens), options);
  }

  /** Forward pass that keeps the named activations (TransformerLens's `run_with_cache(names_filter=…)`). */
  runWithCache(tokens: TokenInput, names: Iterable<string>, options: Omit<ForwardOptions, 'cache'> = {}): Promise<ForwardResult> {
    return this.run(tokens, { ...options, cache: names });
  }

  /** Forward pass with hooks that read or replace activations (TransformerLens's `run_with_hooks`). */
  runWithHooks(
    tokens: TokenInput,
    hooks: ReadonlyMap<string, HookFn> | Readonly<Record<string, HookFn>>,
    options: Omit<ForwardOptions, 'hooks'> = {},
  ): Promise<ForwardResult> {
    const map = hooks instanceof Map ? hooks : new Map(Object.entries(hooks));
    return this.run(tokens, { ...options, hooks: map });
  }

  /** Frees the weights and closes the checkpoint. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await disposeLoaded(this.loaded);
  }

  private checkAlive(): void {
    if (this.disposed) throw new EngineError('BAD_ARGUMENT', 'this model has been unloaded');
  }
}

async function disposeLoaded(loaded: LoadedWeights): Promise<void> {
  allWeights(loaded.weights).forEach((t) => t.dispose());
  await loaded.source.close();
}
