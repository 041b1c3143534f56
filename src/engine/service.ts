/**
 * What the engine process does for each request, independent of the IPC around it (so tests can
 * drive it in-process). Holds at most one loaded model; a failed load keeps the previous one.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Attribution, CircuitsResult, EngineRequest, HeadScores, RunResult, TensorRow, TensorStats, UnderInterventions } from '../protocol/engine';
import { attribution } from './analysis/attribution';
import { headCircuits } from './analysis/circuits';
import { compositionScores } from './analysis/composition';
import { headScores } from './analysis/detectors';
import { paramsFromModel, particleKernel, particleStatistics, phaseDiagram, simulate } from './analysis/particles';
import { topPredictions } from './analysis/predictions';
import { defaultRandomRepeats } from './analysis/randomRepeats';
import { skipTrigrams } from './analysis/skipTrigrams';
import { tensorStats } from './analysis/tensorStats';
import { initBackend, type BackendChoice } from './backend';
import { EngineError } from './errors';
import { ablate } from './interventions/ablate';
import { ablationHooks, type AblationHooks } from './interventions/hooks';
import { patchSweep } from './interventions/patch';
import { HOOK } from './model/hooks';
import type { LoadProgress } from './model/load';
import { TransformerModel, type ModelInfo } from './model/model';

const DTYPE_BYTES: Readonly<Record<string, number>> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };

export class EngineService {
  private model: TransformerModel | undefined;

  /** Answers one request; `progress` reports long work, `signal` cancels it. */
  async handle(request: EngineRequest, signal: AbortSignal, progress: (p: LoadProgress) => void): Promise<unknown> {
    switch (request.type) {
      case 'init':
        return { backend: await initBackend(request.backend as BackendChoice) };
      case 'load':
        return this.load(request.path, request.memoryLimitMB, signal, progress);
      case 'info':
        return this.current().info();
      case 'tensors':
        return this.tensors();
      case 'tensorStats':
        return this.tensorStats(request.name);
      case 'run':
        return this.run(request, signal);
      case 'circuits':
        return this.circuits(request.layer, request.head, request.tokens);
      case 'heads':
        return this.heads(request, signal);
      case 'attribution':
        return this.attribution(request, signal);
      case 'composition':
        return compositionScores(this.current(), { baseline: request.baseline, signal, onProgress: progress });
      case 'skipTrigrams':
        return skipTrigrams(this.current(), request.layer, request.head, request.token, request.k);
      case 'ablate':
        return ablate(this.current(), request, signal);
      case 'patch':
        return patchSweep(this.current(), request, { signal, onProgress: progress });
      case 'particles':
        return this.withInterventions(request, signal, (hooks) =>
          particleStatistics(this.current(), request.tokens, { beta: request.beta, delta: request.delta, bins: request.bins, hooks, signal }),
        );
      case 'particleKernel':
        return this.withInterventions(request, signal, (hooks) => particleKernel(this.current(), request.tokens, request.layer, request.head, { hooks, signal }));
      case 'simulate': {
        const params = await paramsFromModel(this.model, request.params, request, { signal });
        return simulate(params, { signal, onProgress: (fraction) => progress({ message: 'simulating', fraction }) });
      }
      case 'phaseDiagram':
        return phaseDiagram(request.params, request.betas, { signal, onProgress: progress });
      case 'cancel':
        throw new EngineError('BAD_ARGUMENT', 'cancel requests are handled by the process loop');
    }
  }

  async dispose(): Promise<void> {
    await this.model?.dispose();
    this.model = undefined;
  }

  private current(): TransformerModel {
    if (!this.model) throw new EngineError('BAD_ARGUMENT', 'no model is loaded');
    return this.model;
  }

  private async load(path: string, memoryLimitMB: number | undefined, signal: AbortSignal, onProgress: (p: LoadProgress) => void): Promise<ModelInfo> {
    // Load the new model before dropping the old: a bad file leaves the previous model usable.
    const loaded = await TransformerModel.load(path, {
      signal,
      onProgress,
      memoryLimitBytes: memoryLimitMB === undefined ? undefined : memoryLimitMB * 2 ** 20,
    });
    await this.model?.dispose();
    this.model = loaded;
    return loaded.info();
  }

  private tensors(): TensorRow[] {
    return [...this.current().source.tensors.values()].map((info) => ({
      name: info.name,
      shape: info.shape,
      dtype: info.dtype,
      bytes: info.byteLength || info.shape.reduce((a, b) => a * b, 1) * (DTYPE_BYTES[info.dtype] ?? 0),
    }));
  }

  private async tensorStats(name: string): Promise<TensorStats> {
    return tensorStats(await this.current().source.readFloat32(name));
  }

  private async run(request: Extract<EngineRequest, { type: 'run' }>, signal: AbortSignal): Promise<RunResult> {
    const model = this.current();
    const encoded = request.prompt !== undefined ? model.tokenize(request.prompt) : undefined;
    const tokens = encoded?.ids ?? [...(request.tokens ?? [])];
    if (request.maxTokens !== undefined && tokens.length > request.maxTokens) {
      throw new EngineError(
        'BAD_PROMPT',
        `the prompt has ${tokens.length} tokens, over the limit of ${request.maxTokens} (setting circuitInspector.maxTokens)`,
      );
    }
    const names = request.patterns ? Array.from({ length: model.spec.nLayers }, (_, l) => HOOK.pattern(l)) : [];
    const ablation = await this.hooksFor(model, tokens, request, signal);
    let result;
    try {
      result = await model.run(tokens, { cache: names, hooks: ablation?.hooks, logits: 'all', signal });
    } catch (error) {
      ablation?.dispose();
      throw error;
    }
    try {
      const logits = result.logits!; // [1, pos, vocab]
      const predictions = await topPredictions(logits, request.topK ?? 10);
      const last = tf.tidy(() => tf.slice(logits, [0, tokens.length - 1, 0], [1, 1, -1]));
      const lastLogits = (await last.data()) as Float32Array;
      last.dispose();
      const losses = result.loss ? ((await result.loss.data()) as Float32Array) : new Float32Array(0);
      const patterns: Float32Array[] = [];
      for (const name of names) patterns.push((await result.cache.get(name)!.data()) as Float32Array);
      const tokenizer = model.tokenizer;
      return {
        tokens,
        tokenStrings: tokenizer ? tokens.map((id) => tokenizer.tokenString(id)) : undefined,
        offsets: encoded?.offsets,
        lastLogits,
        loss: losses.length ? losses.reduce((a, b) => a + b, 0) / losses.length : null,
        losses,
        predictions: { ...predictions, strings: tokenizer ? Array.from(predictions.ids, (id) => tokenizer.tokenString(id)) : undefined },
        patterns: request.patterns ? patterns : undefined,
      };
    } finally {
      result.dispose();
      ablation?.dispose();
    }
  }

  /** The hooks of a request's interventions (none when it has none). */
  private async hooksFor(
    model: TransformerModel,
    tokens: readonly number[],
    request: UnderInterventions,
    signal: AbortSignal,
  ): Promise<AblationHooks | undefined> {
    if (!request.interventions?.length) return undefined;
    return ablationHooks(model, request.interventions, { tokens, reference: request.reference, corrupted: request.corrupted }, signal);
  }

  /** Runs `analysis` with the hooks of the request's interventions (none when it has none), then frees them. */
  private async withInterventions<T>(
    request: UnderInterventions & { readonly tokens: readonly number[] },
    signal: AbortSignal,
    analysis: (hooks: AblationHooks['hooks'] | undefined) => Promise<T>,
  ): Promise<T> {
    const ablation = await this.hooksFor(this.current(), request.tokens, request, signal);
    try {
      return await analysis(ablation?.hooks);
    } finally {
      ablation?.dispose();
    }
  }

  /** Direct logit attribution, under the request's interventions when it has any. */
  private async attribution(request: Extract<EngineRequest, { type: 'attribution' }>, signal: AbortSignal): Promise<Attribution> {
    const replacedAttnLayers = (request.interventions ?? []).filter((i) => i.kind === 'attn').map((i) => i.layer);
    return this.withInterventions(request, signal, (hooks) => attribution(this.current(), { ...request, hooks, replacedAttnLayers }, signal));
  }

  /** Head scores on the given tokens, else on repeated random tokens (default: defaultRandomRepeats, 50 tokens × 4 sequences, seed 0). */
  private heads(request: Extract<EngineRequest, { type: 'heads' }>, signal: AbortSignal): Promise<HeadScores> {
    const model = this.current();
    if (request.tokens !== undefined && request.random !== undefined) {
      throw new EngineError('BAD_ARGUMENT', 'give either tokens or a random-repeats setting for head scores, not both');
    }
    const input = request.tokens !== undefined ? { tokens: request.tokens } : { random: request.random ?? defaultRandomRepeats(model.spec) };
    return headScores(model, input, signal);
  }

  private circuits(layer: number, head: number, tokens: readonly number[]): Promise<CircuitsResult> {
    const model = this.current();
    if (!Number.isInteger(layer) || layer < 0 || layer >= model.spec.nLayers || !Number.isInteger(head) || head < 0 || head >= model.spec.nHeads) {
      throw new EngineError('BAD_ARGUMENT', `head ${layer}.${head} does not exist (the model has ${model.spec.nLayers} layers × ${model.spec.nHeads} heads)`);
    }
    return headCircuits(model, layer, head, tokens);
  }
}
