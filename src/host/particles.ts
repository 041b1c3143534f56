/**
 * The Particles tab's requests (Geshkovski et al. 2023: tokens as particles on the sphere): turns
 * the webview's requests into engine requests on the session's model and last run, caches the
 * answers per model, and builds the replies. The phase diagram (and simulations) run with
 * cancellable progress; the per-layer statistics and head kernels are quick. Nothing here touches
 * `vscode`: the session provides the engine, progress and error reporting.
 */
import type { EngineRequestBody } from '../protocol/engine';
import type { ParticleKernel, ParticlesResult, PhaseDiagram, SimulationResult } from '../protocol/particles';
import type { FromWebview, ToWebview } from '../protocol/webview';

/** What the session offers this module. */
export interface ParticleHost {
  readonly model: { readonly path: string } | undefined;
  readonly lastRun: { readonly runId: number; readonly result: { readonly tokens: readonly number[] } } | undefined;
  /** An engine request: quick, or with cancellable progress when `progress` is given; undefined (error shown) on failure or cancel. */
  request<T>(body: EngineRequestBody, origin?: { readonly notify?: boolean }, progress?: { readonly title: string; readonly done: string }): Promise<T | undefined>;
  /** Shows a user-facing error (the panel's banner; a request it waits for is marked failed). */
  reportError(message: string): void;
  readonly onDidLoadModel: (listener: () => void) => { dispose(): void };
}

export type ParticleRequest = Extract<FromWebview, { type: 'requestParticles' | 'requestParticleKernel' | 'requestSimulation' | 'requestPhaseDiagram' }>;
export type ParticleReply = Extract<ToWebview, { type: 'particles' | 'particleKernel' | 'simulation' | 'phaseDiagram' }>;

const MAX_CACHED = 32;

export class ParticleRequests {
  /** Answers by model and request, in flight or done. */
  private readonly cache = new Map<string, Promise<unknown>>();
  private readonly subscription: { dispose(): void };

  constructor(private readonly host: ParticleHost) {
    // Another model (or the same file reloaded) may have other weights: forget every answer.
    this.subscription = host.onDidLoadModel(() => this.cache.clear());
  }

  dispose(): void {
    this.subscription.dispose();
    this.cache.clear();
  }

  /** The reply to one of the webview's particle requests; undefined when it failed (the error was shown). */
  async answer(message: ParticleRequest): Promise<ParticleReply | undefined> {
    // Simulations from random points with identity Q/K/V need no model; everything else does.
    const needsModel = message.type === 'requestParticles' || message.type === 'requestParticleKernel' || (message.type === 'requestSimulation' && (message.spec.head !== undefined || message.spec.fromLayer !== undefined));
    const model = this.host.model;
    if (needsModel && !model) {
      this.host.reportError('Load a model first: Circuit Inspector: Inspect Model.');
      return undefined;
    }
    const path = model?.path ?? '';
    switch (message.type) {
      case 'requestParticles': {
        const run = this.needRun('the particles are its tokens');
        if (!run) return undefined;
        const body: EngineRequestBody = { type: 'particles', tokens: run.result.tokens, beta: message.beta, delta: message.delta };
        const result = await this.cached<ParticlesResult>(`${path}|${run.runId}|particles|${message.beta}|${message.delta}`, body);
        return result && { type: 'particles', runId: run.runId, result };
      }
      case 'requestParticleKernel': {
        const run = this.needRun('the kernel acts on its particles');
        if (!run) return undefined;
        const body: EngineRequestBody = { type: 'particleKernel', tokens: run.result.tokens, layer: message.layer, head: message.head };
        const kernel = await this.cached<ParticleKernel>(`${path}|${run.runId}|kernel|${message.layer}|${message.head}`, body);
        return kernel && { type: 'particleKernel', runId: run.runId, kernel };
      }
      case 'requestSimulation': {
        const { spec } = message;
        const run = spec.fromLayer !== undefined ? this.needRun('the simulation starts from its particles') : undefined;
        if (spec.fromLayer !== undefined && !run) return undefined;
        const body: EngineRequestBody = {
          type: 'simulate',
          params: spec.params,
          ...(spec.head ? { head: spec.head } : {}),
          ...(run && spec.fromLayer !== undefined ? { fromLayer: spec.fromLayer, tokens: run.result.tokens } : {}),
        };
        const key = `${path}|${run ? run.runId : ''}|simulate|${JSON.stringify(spec)}`;
        const result = await this.cached<SimulationResult>(key, body, { title: 'Simulating the particle dynamics', done: 'simulation done' });
        return result && { type: 'simulation', spec, ...(run ? { runId: run.runId } : {}), result };
      }
      case 'requestPhaseDiagram': {
        const { spec } = message;
        const body: EngineRequestBody = { type: 'phaseDiagram', params: spec.params, betas: spec.betas };
        const result = await this.cached<PhaseDiagram>(`${path}|phase|${JSON.stringify(spec)}`, body, { title: `Phase diagram: ${spec.betas.length} values of β`, done: 'phase diagram ready' });
        return result && { type: 'phaseDiagram', spec, result };
      }
    }
  }

  private needRun(why: string): ParticleHost['lastRun'] {
    const run = this.host.lastRun;
    if (!run) this.host.reportError(`Run a prompt first: ${why}.`);
    return run;
  }

  /** One engine request per key: callers share it; a failure (or cancel) is forgotten so it can be retried. */
  private cached<T>(key: string, body: EngineRequestBody, progress?: { title: string; done: string }): Promise<T | undefined> {
    let pending = this.cache.get(key) as Promise<T | undefined> | undefined;
    if (!pending) {
      while (this.cache.size >= MAX_CACHED) this.cache.delete(this.cache.keys().next().value as string);
      const started = this.host.request<T>(body, { notify: false }, progress).then((value) => {
        if (value === undefined && this.cache.get(key) === started) this.cache.delete(key);
        return value;
      });
      pending = started;
      this.cache.set(key, pending);
    }
    return pending;
  }
}
