/**
 * The Particles tab end to end without VS Code: the host's particle requests (src/host/particles.ts)
 * answered by the real engine service in-process on the GPT-2 fixture, and each reply folded into
 * the webview's state by its reducer — what the tab asks for is what it gets and keeps. Also the
 * host's part alone: no model or no run is an error shown once, answers are cached per model, a
 * failure is not.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { EngineService } from '../../src/engine/service';
import { ParticleRequests, type ParticleHost, type ParticleReply, type ParticleRequest } from '../../src/host/particles';
import type { EngineRequestBody, ModelInfo, RunResult } from '../../src/protocol/engine';
import type { ToWebview } from '../../src/protocol/webview';
import { DEFAULT_SIMULATION, phaseSpec, simulationSpec } from '../../webview/lib/particles';
import { wantedRequests } from '../../webview/lib/requests';
import { initialState, reduce, type Action, type ViewState } from '../../webview/lib/state';
import { modelDir } from './helpers/fixtures';

const signal = new AbortController().signal;

/** A session stand-in over an in-process engine: counts requests, records errors. */
class FakeHost implements ParticleHost {
  model: { path: string } | undefined;
  lastRun: { runId: number; result: RunResult } | undefined;
  readonly errors: string[] = [];
  readonly bodies: EngineRequestBody[] = [];
  readonly progressTitles: string[] = [];
  private listeners: (() => void)[] = [];
  private id = 1;

  constructor(private readonly service: EngineService) {}

  async request<T>(body: EngineRequestBody, _origin?: unknown, progress?: { title: string }): Promise<T | undefined> {
    this.bodies.push(body);
    if (progress) this.progressTitles.push(progress.title);
    try {
      return (await this.service.handle({ ...body, id: this.id++ } as never, signal, () => undefined)) as T;
    } catch (error) {
      this.errors.push(error instanceof Error ? error.message : String(error));
      return undefined;
    }
  }
  reportError(message: string): void {
    this.errors.push(message);
  }
  onDidLoadModel = (listener: () => void) => {
    this.listeners.push(listener);
    return { dispose: () => (this.listeners = this.listeners.filter((l) => l !== listener)) };
  };
  loaded(): void {
    for (const l of this.listeners) l();
  }
  engineCalls(type: string): number {
    return this.bodies.filter((b) => b.type === type).length;
  }
}

describe('particle requests through the engine', () => {
  const service = new EngineService();
  const host = new FakeHost(service);
  const requests = new ParticleRequests(host);
  let card: ModelInfo;
  let state: ViewState;

  /** The host's answer to the webview's request, folded into the webview's state. */
  const roundTrip = async (message: ParticleRequest): Promise<ParticleReply> => {
    const reply = await requests.answer(message);
    assert.ok(reply, `no reply to ${message.type}: ${host.errors.join('; ')}`);
    return reply;
  };
  const apply = (...actions: Action[]) => (state = actions.reduce(reduce, state));

  before(async () => {
    await service.handle({ type: 'init', id: 0, backend: 'wasm' }, signal, () => undefined);
    card = (await service.handle({ type: 'load', id: 0, path: modelDir('gpt2') }, signal, () => undefined)) as ModelInfo;
    const run = (await service.handle({ type: 'run', id: 0, prompt: 'the cat sat on the mat and the cat', patterns: false, topK: 1 }, signal, () => undefined)) as RunResult;
    host.model = { path: modelDir('gpt2') };
    host.lastRun = { runId: 7, result: run };
    state = initialState();
    const runMessage: ToWebview = { type: 'run', runId: 7, tokens: run.tokens, tokenStrings: run.tokenStrings ?? run.tokens.map(String), losses: run.losses, predictions: run.predictions, layers: card.layers, heads: card.heads };
    apply({ type: 'model', path: modelDir('gpt2'), card }, runMessage, { type: 'ui/tab', tab: 'particles' });
  });
  after(() => service.dispose());

  it('answers what the tab asks for, and the tab keeps it', async () => {
    // The tab asks for the statistics, then the selected head's kernel: answer each in turn.
    for (let i = 0; i < 2; i++) {
      const [want] = wantedRequests(state);
      assert.ok(want, 'the tab wants something');
      apply({ type: 'ui/requested', key: want.key });
      const reply = await roundTrip(want.message as ParticleRequest);
      apply(reply);
      assert.equal(state.requests.has(want.key), false, `${want.key} answered`);
    }
    assert.deepEqual(wantedRequests(state), []);
    const n = host.lastRun!.result.tokens.length;
    const r = state.particles!.result;
    assert.equal(r.layers.length, card.layers + 1, 'one snapshot per block input, plus the final stream');
    assert.equal(r.projection.length, (card.layers + 1) * n * 3);
    assert.ok(r.projection instanceof Float32Array, 'typed arrays, not JSON arrays');
    assert.equal(r.beta, state.particleBeta);
    assert.equal(r.delta, state.particleDelta);
    const k = [...state.kernels.values()][0]!;
    assert.equal(k.pattern.length, n * n);
    assert.deepEqual([k.layer, k.head], [0, 0]);
  });

  it('caches answers per model; a new model forgets them', async () => {
    const before = host.engineCalls('particles');
    const message: ParticleRequest = { type: 'requestParticles', beta: state.particleBeta, delta: state.particleDelta };
    await roundTrip(message);
    assert.equal(host.engineCalls('particles'), before, 'answered from the cache');
    host.loaded();
    await roundTrip(message);
    assert.equal(host.engineCalls('particles'), before + 1, 'asked the engine again');
  });

  it("simulates from random points, and from the model's particles with a head's Q/K/V", async () => {
    const random = simulationSpec({ ...DEFAULT_SIMULATION, n: 6, d: 3, t: 1, dt: 0.1, frames: 5 }, { head: state.selected });
    assert.ok('spec' in random);
    apply({ type: 'ui/simulate', spec: random.spec });
    const [want] = wantedRequests(state);
    assert.equal(want?.message.type, 'requestSimulation');
    apply({ type: 'ui/requested', key: want!.key }, await roundTrip(want!.message as ParticleRequest));
    assert.equal(state.simulation?.key, want!.key, 'the reply is the one asked for');
    assert.equal(state.simulation!.result.times.length, 11, 't = 0, 0.1, …, 1');
    assert.deepEqual(host.progressTitles.slice(-1), ['Simulating the particle dynamics']);

    const n = host.lastRun!.result.tokens.length;
    const fromModel = simulationSpec({ ...DEFAULT_SIMULATION, init: 'model', fromLayer: 1, qkv: 'head', t: 0.5, dt: 0.1, frames: 3 }, { dModel: card.dModel, snapshots: card.layers + 1, tokens: n, head: { layer: 1, head: 2 } });
    assert.ok('spec' in fromModel);
    apply({ type: 'ui/simulate', spec: fromModel.spec });
    const [next] = wantedRequests(state);
    const reply = await roundTrip(next!.message as ParticleRequest);
    assert.equal(reply.type === 'simulation' && reply.runId, 7, 'names the run its particles came from');
    apply({ type: 'ui/requested', key: next!.key }, reply);
    assert.equal(state.simulation?.key, next!.key);
    const body = host.bodies.at(-1)!;
    assert.ok(body.type === 'simulate');
    assert.deepEqual(body.head, { layer: 1, head: 2 });
    assert.equal(body.fromLayer, 1);
    assert.deepEqual(body.tokens, host.lastRun!.result.tokens);
    // Frames are [frame, n, 3]: n follows the run's tokens.
    assert.equal(state.simulation!.result.frames.length, state.simulation!.result.frameTimes.length * n * 3);
  });

  it('computes a phase diagram with progress', async () => {
    const spec = phaseSpec({ ...DEFAULT_SIMULATION, n: 5, d: 3, t: 0.4, dt: 0.1 }, 0.5, 2, 3);
    assert.ok('spec' in spec);
    apply({ type: 'ui/phaseDiagram', spec: spec.spec });
    const [want] = wantedRequests(state);
    assert.equal(want?.message.type, 'requestPhaseDiagram');
    apply({ type: 'ui/requested', key: want!.key }, await roundTrip(want!.message as ParticleRequest));
    const phase = state.phase!.result;
    assert.deepEqual(phase.betas, [0.5, 1.25, 2]);
    assert.equal(phase.clusteredFraction.length, phase.betas.length * phase.times.length);
    for (const v of phase.clusteredFraction) assert.ok(v >= 0 && v <= 1);
    assert.match(host.progressTitles.at(-1)!, /^Phase diagram: 3 values of β/);
  });

  it('an engine error is shown, not cached; the retry asks again', async () => {
    const errorsBefore = host.errors.length;
    const bad: ParticleRequest = { type: 'requestParticleKernel', layer: 99, head: 0 };
    assert.equal(await requests.answer(bad), undefined);
    assert.equal(host.errors.length, errorsBefore + 1);
    const calls = host.engineCalls('particleKernel');
    await requests.answer(bad);
    assert.equal(host.engineCalls('particleKernel'), calls + 1, 'not served from the cache');
  });
});

describe('particle requests without a model or run', () => {
  it('says what to do first', async () => {
    const host = new FakeHost(new EngineService());
    const requests = new ParticleRequests(host);
    assert.equal(await requests.answer({ type: 'requestParticles', beta: 1, delta: 0.1 }), undefined);
    assert.match(host.errors[0]!, /Load a model first/);
    host.model = { path: '/m' };
    assert.equal(await requests.answer({ type: 'requestParticleKernel', layer: 0, head: 0 }), undefined);
    assert.match(host.errors[1]!, /Run a prompt first/);
    assert.equal(host.bodies.length, 0, 'nothing reached the engine');
    host.model = undefined;
    const head = simulationSpec({ ...DEFAULT_SIMULATION, qkv: 'head' }, { dModel: 8, head: { layer: 0, head: 0 } });
    assert.ok('spec' in head);
    assert.equal(await requests.answer({ type: 'requestSimulation', spec: head.spec }), undefined);
    assert.match(host.errors[2]!, /Load a model first/, "a head's Q/K/V need the model");
    requests.dispose();
  });

  it('simulates random points with identity Q/K/V without a model', async () => {
    const service = new EngineService();
    const host = new FakeHost(service);
    const requests = new ParticleRequests(host);
    const spec = simulationSpec({ ...DEFAULT_SIMULATION, n: 4, d: 3, t: 0.2, dt: 0.1, frames: 2 }, { head: { layer: 0, head: 0 } });
    assert.ok('spec' in spec);
    const reply = await requests.answer({ type: 'requestSimulation', spec: spec.spec });
    assert.equal(reply?.type, 'simulation', host.errors.join('; '));
    assert.equal(reply.type === 'simulation' && reply.result.times.length, 3);
    requests.dispose();
    await service.dispose();
  });
});
