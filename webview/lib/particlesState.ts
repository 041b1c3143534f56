/**
 * The Particles tab's part of the webview state and its reducer: β and δ, the snapshot the slider
 * shows, the run's particle statistics and head kernels, and the simulation and phase diagram the
 * user asked for with their results. Results on a run's tokens live as long as the run; a
 * simulation or phase diagram as long as the model. Pure.
 */
import type { ParticleKernel, ParticlesResult, PhaseDiagram, SimulationResult } from '../../src/protocol/particles';
import type { FromWebview, PhaseDiagramSpec, SimulationSpec, ToWebview } from '../../src/protocol/webview';
import { clampLayer, DEFAULT_BETA, DEFAULT_DELTA, kernelKey, particlesKey, phaseKey, simulationKey, validKernel, validParticles, validPhase, validSimulation } from './particles';
import type { RequestStatus } from './requests';

export interface ParticlesState {
  /** β of the interaction energy E_β and δ of the cluster graph cos > 1 − δ. */
  readonly particleBeta: number;
  readonly particleDelta: number;
  /** The statistics of the current run for particlesKey(run, β, δ) (the latest that arrived). */
  readonly particles?: { readonly key: string; readonly result: ParticlesResult };
  /** The snapshot the scatter, histogram and kernel show. */
  readonly particleLayer: number;
  /** Head kernels of the current run by kernelKey. */
  readonly kernels: ReadonlyMap<string, ParticleKernel>;
  /** The simulation the user asked for (its key names the run when it starts from its particles). */
  readonly simulationWanted?: { readonly key: string; readonly spec: SimulationSpec };
  readonly simulation?: { readonly key: string; readonly spec: SimulationSpec; readonly result: SimulationResult };
  readonly phaseWanted?: { readonly key: string; readonly spec: PhaseDiagramSpec };
  readonly phase?: { readonly key: string; readonly spec: PhaseDiagramSpec; readonly result: PhaseDiagram };
}

export type ParticlesAction =
  | { readonly type: 'ui/particleParams'; readonly beta: number; readonly delta: number }
  | { readonly type: 'ui/particleLayer'; readonly layer: number }
  | { readonly type: 'ui/simulate'; readonly spec: SimulationSpec }
  | { readonly type: 'ui/phaseDiagram'; readonly spec: PhaseDiagramSpec };

export type ParticlesMessage = Extract<ToWebview, { type: 'particles' | 'particleKernel' | 'simulation' | 'phaseDiagram' }>;

/** What the reducers here read besides their own part. */
interface Context extends ParticlesState {
  readonly run?: { readonly runId: number };
  readonly requests: ReadonlyMap<string, RequestStatus>;
}

/** The β and δ the user can set, kept when valid (a saved state is untrusted), else the defaults. */
export function particleParams(beta: unknown, delta: unknown, fallback = { beta: DEFAULT_BETA, delta: DEFAULT_DELTA }): { beta: number; delta: number } {
  return {
    beta: typeof beta === 'number' && Number.isFinite(beta) && beta >= 0 && beta <= 1e4 ? beta : fallback.beta,
    delta: typeof delta === 'number' && Number.isFinite(delta) && delta > 0 && delta < 2 ? delta : fallback.delta,
  };
}

export function initialParticles(saved?: { readonly particleBeta?: number; readonly particleDelta?: number }): ParticlesState {
  const { beta, delta } = particleParams(saved?.particleBeta, saved?.particleDelta);
  return { particleBeta: beta, particleDelta: delta, particleLayer: 0, kernels: new Map() };
}

/** A new run: its tokens have other particles; simulations from random points still hold. */
export function particlesForNewRun(s: ParticlesState): Partial<ParticlesState> {
  const fromRun = (spec: SimulationSpec | undefined) => spec?.fromLayer !== undefined;
  return {
    particles: undefined,
    kernels: new Map(),
    ...(fromRun(s.simulationWanted?.spec) ? { simulationWanted: undefined } : {}),
    ...(fromRun(s.simulation?.spec) ? { simulation: undefined } : {}),
  };
}

/** A new model invalidates every result (heads differ); β, δ and the slider stay. */
export function particlesForNewModel(s: ParticlesState): ParticlesState {
  // Spread over the old state: the optional results must be present (as undefined) to clear them.
  return {
    ...initialParticles(),
    particleBeta: s.particleBeta,
    particleDelta: s.particleDelta,
    particleLayer: s.particleLayer,
    particles: undefined,
    simulationWanted: undefined,
    simulation: undefined,
    phaseWanted: undefined,
    phase: undefined,
  };
}

const MAX_KERNELS = 32;

function answered(requests: ReadonlyMap<string, RequestStatus>, key: string): ReadonlyMap<string, RequestStatus> {
  if (!requests.has(key)) return requests;
  const next = new Map(requests);
  next.delete(key);
  return next;
}

export function reduceParticlesAction<S extends Context>(s: S, a: ParticlesAction, runId: number | undefined): S {
  switch (a.type) {
    case 'ui/particleParams': {
      // β = 0 is allowed (the energy's limit there is the mean inner product); δ must leave a graph.
      const { beta, delta } = particleParams(a.beta, a.delta, { beta: s.particleBeta, delta: s.particleDelta });
      return beta === s.particleBeta && delta === s.particleDelta ? s : { ...s, particleBeta: beta, particleDelta: delta };
    }
    case 'ui/particleLayer': {
      const layer = clampLayer(a.layer, s.particles?.result);
      return layer === s.particleLayer ? s : { ...s, particleLayer: layer };
    }
    case 'ui/simulate': {
      const key = simulationKey(a.spec, runId);
      return s.simulationWanted?.key === key ? s : { ...s, simulationWanted: { key, spec: a.spec } };
    }
    case 'ui/phaseDiagram': {
      const key = phaseKey(a.spec);
      return s.phaseWanted?.key === key ? s : { ...s, phaseWanted: { key, spec: a.spec } };
    }
  }
}

/** Folds a particle result from the host into the state; malformed or stale ones are dropped. */
export function reduceParticlesMessage<S extends Context>(s: S, a: ParticlesMessage): S {
  switch (a.type) {
    case 'particles': {
      const r = a.result;
      if (!s.run || a.runId !== s.run.runId || !validParticles(r)) return s;
      const key = particlesKey(a.runId, r.beta, r.delta);
      return { ...s, particles: { key, result: r }, particleLayer: clampLayer(s.particleLayer, r), requests: answered(s.requests, key) };
    }
    case 'particleKernel': {
      const k = a.kernel;
      if (!s.run || a.runId !== s.run.runId || !validKernel(k)) return s;
      const key = kernelKey(a.runId, k.layer, k.head);
      const kernels = new Map(s.kernels);
      kernels.delete(key);
      kernels.set(key, k);
      while (kernels.size > MAX_KERNELS) kernels.delete(kernels.keys().next().value as string);
      return { ...s, kernels, requests: answered(s.requests, key) };
    }
    case 'simulation': {
      if (!validSimulation(a.result)) return s;
      if (a.spec.fromLayer !== undefined && (!s.run || a.runId !== s.run.runId)) return s;
      const key = simulationKey(a.spec, a.runId);
      return { ...s, simulation: { key, spec: a.spec, result: a.result }, requests: answered(s.requests, key) };
    }
    case 'phaseDiagram': {
      if (!validPhase(a.result)) return s;
      const key = phaseKey(a.spec);
      return { ...s, phase: { key, spec: a.spec, result: a.result }, requests: answered(s.requests, key) };
    }
  }
}

/** The kernel of the selected head at its layer's particles, and its key (undefined without a run). */
export function kernelQuery(s: Context & { readonly selected: { readonly layer: number; readonly head: number } }): { key: string; layer: number; head: number } | undefined {
  if (!s.run) return undefined;
  const { layer, head } = s.selected;
  return { key: kernelKey(s.run.runId, layer, head), layer, head };
}

/**
 * What the Particles tab asks for, in order: the statistics for the current β and δ, the selected
 * head's kernel, then the simulation and the phase diagram the user asked for.
 */
export function particleRequests(s: Context & { readonly selected: { readonly layer: number; readonly head: number } }): { key: string; message: FromWebview; have: boolean }[] {
  const out: { key: string; message: FromWebview; have: boolean }[] = [];
  const run = s.run;
  if (run) {
    const key = particlesKey(run.runId, s.particleBeta, s.particleDelta);
    out.push({ key, message: { type: 'requestParticles', beta: s.particleBeta, delta: s.particleDelta }, have: s.particles?.key === key });
    const k = kernelQuery(s);
    if (k) out.push({ key: k.key, message: { type: 'requestParticleKernel', layer: k.layer, head: k.head }, have: s.kernels.has(k.key) });
  }
  const sim = s.simulationWanted;
  if (sim && (sim.spec.fromLayer === undefined || run)) out.push({ key: sim.key, message: { type: 'requestSimulation', spec: sim.spec }, have: s.simulation?.key === sim.key });
  const phase = s.phaseWanted;
  if (phase) out.push({ key: phase.key, message: { type: 'requestPhaseDiagram', spec: phase.spec }, have: s.phase?.key === phase.key });
  return out;
}
